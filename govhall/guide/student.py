"""A fast reader of questions for the semantic stage: the model's sense of a question in well under
a millisecond, instead of 7–60 ms.

Embedding a question with the model (`semantic`, multilingual-e5-small) costs at least ~7 ms on 2
cores however short it is (every call streams all the model's weights), and a long story ~60 ms.
Matter texts and example questions are embedded once, ahead of time; the question cannot be. So the
question is read by a student of the model instead:

1. every word and character it may meet (jieba's 30,000 commonest words, each character jieba knows,
   the catalogue's, the lexicon's and the example bank's words, their English words) has a vector:
   the model's own embedding of that word alone, centred and kept as int8;
2. a question is the SIF-weighted mean of its words' vectors (a word jieba finds but the table lacks
   is read as its characters; weight a / (a + frequency), frequent words count less, English stop
   words not at all);
3. a linear map, fitted by ridge regression on ~6,900 texts (catalogue names, keywords, scenarios,
   situations and the bank's questions, each with the model's embedding of it as a question), takes
   that mean to where the model would have put the question.

The result is compared, as the model's would be, with the model's vectors of matters and examples
(`semantic.rerank`). Measured in docs/guide.md ("A student of the model"). The table and the map are
built from the model with `python -m govhall.guide.student` (~3 min on 2 cores) and ship in
`data/student.npz` (int8, 13.7 MB); they are rebuilt when the bank or the lexicon changes much.

Pure Python with NumPy and jieba, no Django.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from govhall.guide import text

log = logging.getLogger(__name__)

FILE = Path(__file__).resolve().parent / "data" / "student.npz"
ROOT = Path(__file__).resolve().parents[2]
TOP_WORDS = 30_000  # jieba's commonest words given a vector (+ the catalogue's, lexicon's and bank's)
SIF = 1e-3  # a word's weight: SIF / (SIF + its share of jieba's corpus)
RIDGE = 0.1  # the map's regularisation (0.01–1 measured the same)
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[a-z]+")


class Student:
    """Word vectors (int8 rows × per-row scale) and the map to the model's question space."""

    def __init__(
        self, tokens: Sequence[str], rows: np.ndarray, scales: np.ndarray, mapping: np.ndarray | None
    ):
        text.init_libraries()
        import jieba

        self.jieba = jieba
        self.index = {t: i for i, t in enumerate(tokens)}
        self.rows = rows
        self.scales = np.asarray(scales, dtype=np.float32)
        self.mapping = mapping
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        frequency, total = jieba.dt.FREQ, float(jieba.dt.total)
        # jieba counts no English: its stop words ("the", "my", "do") are left out, its other words
        # count as rare (on 318 English questions of the spent sets: top-1 83.6% → 89.6%)
        self.weights = np.array(
            [
                0.0 if t in ENGLISH_STOP_WORDS else SIF / (SIF + (frequency.get(t, 0) or 0) / total)
                for t in tokens
            ],
            dtype=np.float32,
        )

    def ids(self, question: str) -> list[int]:
        """Table rows of the question's words: a word the table lacks as its characters, Latin
        words one by one, anything else (digits, signs) left out."""
        found = []
        for word in self.jieba.lcut(text.normalize(question), HMM=False):
            word = word.strip()
            if not word:
                continue
            if word in self.index:
                found.append(self.index[word])
            elif word.isascii():
                found.extend(self.index[w] for w in LATIN.findall(word) if w in self.index)
            else:
                found.extend(self.index[c] for c in word if c in self.index)
        return found

    def mean(self, question: str) -> np.ndarray | None:
        """The weighted mean of the question's word vectors, unit length; None without known words."""
        ids = np.asarray(self.ids(question), dtype=np.int64)
        if not len(ids):
            return None
        return _unit((self.weights[ids] * self.scales[ids]) @ self.rows[ids].astype(np.float32))

    def encode(self, question: str) -> np.ndarray | None:
        """Where the model would put `question` (a unit vector), or None when no word is known."""
        mean = self.mean(question)
        if mean is None or self.mapping is None:
            return None
        return _unit(np.append(mean, np.float32(1.0)) @ self.mapping)


def _unit(vector: np.ndarray) -> np.ndarray | None:
    """`vector` at unit length (float32), or None when it is (nearly) zero."""
    norm = float(np.linalg.norm(vector))
    return (vector / norm).astype(np.float32) if norm > 1e-9 else None


_loaded: dict[str, Student | None] = {}
_loading = threading.Lock()


def load(path: str | Path | None = None) -> Student | None:
    """The shipped student (`FILE`, or `path`), read once per process; None (logged once) when its
    file is missing, damaged or of the wrong shape: the model then reads the question."""
    key = str(path or FILE)
    found = _loaded.get(key, False)
    if found is not False:
        return found  # type: ignore[return-value]
    with _loading:  # concurrent first searches read the file once
        if key not in _loaded:
            _loaded[key] = _read(key)
        return _loaded[key]


def _read(path: str) -> Student | None:
    try:
        with np.load(path) as data:
            tokens = [str(t) for t in data["tokens"]]
            rows, scales, mapping = data["rows"], data["scales"], data["mapping"]
        width = rows.shape[1] if rows.ndim == 2 else -1
        if (
            rows.shape != (len(tokens), width)
            or scales.shape != (len(tokens),)
            or mapping.shape != (width + 1, width)
        ):
            raise ValueError(f"shapes {rows.shape}, {scales.shape} and {mapping.shape} do not fit")
        return Student(tokens, rows, scales, mapping)
    except Exception as exc:  # a truncated zip, a wrong array, anything: search goes on
        log.warning("question student %s unusable: %s", path, exc)
        return None


# -- building it from the model (python -m govhall.guide.student)


def vocabulary(texts: Iterable[str], top: int = TOP_WORDS) -> list[str]:
    """jieba's `top` commonest words, every character of its dictionary, and the words of `texts`
    (Chinese words as jieba cuts them, Latin words), each once."""
    text.init_libraries()
    import jieba

    counted = []
    for line in jieba.get_dict_file():
        word, frequency, *_ = line.decode("utf-8").split()
        counted.append((-int(frequency), word))
    counted.sort()
    words = dict.fromkeys(w for _, w in counted[:top])
    chars: dict[str, None] = {}
    for _, word in counted:
        chars.update(dict.fromkeys(c for c in word if CJK.match(c)))
    latin: dict[str, None] = {}
    for sentence in texts:
        for word in jieba.lcut(text.normalize(sentence), HMM=False):
            word = word.strip()
            if word.isascii():
                latin.update(dict.fromkeys(LATIN.findall(word)))
            elif CJK.search(word):
                words[word] = None
                chars.update(dict.fromkeys(c for c in word if CJK.match(c)))
    return [t for t in {**words, **chars, **latin} if t.strip()]


def quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centred (the model's vectors share a large common part), unit rows as int8 with a scale each."""
    centred = vectors - vectors.mean(axis=0)
    centred /= np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-9)
    scales = np.maximum(np.abs(centred).max(axis=1), 1e-9) / 127.0
    rows = np.round(centred / scales[:, None]).astype(np.int8)
    return rows, scales.astype(np.float32)


def fit(student: Student, texts: Sequence[str], targets: np.ndarray, ridge: float = RIDGE) -> np.ndarray:
    """The ridge map (mean vector, 1) → target, over the texts the student can read."""
    means, kept = [], []
    for i, sentence in enumerate(texts):
        mean = student.mean(sentence)
        if mean is not None:
            means.append(mean)
            kept.append(i)
    features = np.hstack([np.vstack(means), np.ones((len(means), 1), dtype=np.float32)])
    wanted = targets[kept]
    gram = features.T @ features + ridge * np.eye(features.shape[1], dtype=np.float32)
    return np.linalg.solve(gram, features.T @ wanted).astype(np.float32)


def training_texts(catalogue: Iterable[dict[str, Any]]) -> list[str]:
    """What the map learns from: each matter's name, keywords, scenarios, situations and
    description sentences, then its example questions."""
    out: list[str] = []
    for matter in catalogue:
        out += [matter["name"], *matter.get("keywords", []), *matter.get("scenarios", [])]
        out += [s for s in re.split(r"[。；]", matter.get("description") or "") if len(s) > 4]
        for situation in matter.get("situations") or []:
            out += [situation.get("name", ""), situation.get("conditions", "")]
        out += list(matter.get("examples") or [])
    return list(dict.fromkeys(t.strip() for t in out if t and t.strip()))


def build(path: Path = FILE) -> tuple[int, int]:
    """Embed the vocabulary and the training texts with the model, fit the map, write `path`;
    (words in the table, texts the map was fitted on)."""
    from govhall.guide import evaluation, semantic

    encoder = semantic._encoder()
    if encoder is None:
        raise RuntimeError("the semantic model is not available")
    catalogue = evaluation.demo_catalogue()
    texts = training_texts(catalogue)
    tokens = vocabulary(list(text.lexicon_terms()) + texts)
    # kept in the machine's vector store: a rebuild after a bank change embeds only new words
    kept = semantic.store(os.environ.get("GOVHALL_GUIDE_VECTORS") or ROOT / "var" / "guide-vectors.sqlite3")
    embedded = semantic.example_vectors(tokens, kept)
    assert embedded is not None
    rows, scales = quantize(embedded)
    student = Student(tokens, rows, scales, None)
    targets = semantic.example_vectors(texts, semantic.VectorStore(None))
    assert targets is not None
    mapping = fit(student, texts, targets)
    np.savez_compressed(path, tokens=np.array(tokens), rows=rows, scales=scales, mapping=mapping)
    _loaded.pop(str(path), None)
    return len(tokens), len(texts)


def main() -> int:
    words, texts = build()
    print(f"{words} words, map fitted on {texts} texts: {FILE.name} ({FILE.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
