"""The question's student (`govhall.guide.student`): it puts a question where the model would, reads
unknown words as characters, and the semantic stage uses it unless told to use the model."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from govhall.guide import semantic, student
from govhall.guide.evaluation import semantic_index

QUESTIONS = [
    "孩子刚生下来怎么上户口",
    "公积金里的钱怎么取出来买房",
    "店门口想挂个大招牌",
    "老人走了户口要销掉吗",
    "开个小饭馆要办什么证",
    "社保卡丢了怎么补",
    "my passport expired, where do I renew my residence permit",
    "厂子不开了要注销",
    "二手房过户要交哪些税",
    "孩子上小学要开什么证明",
]


@pytest.fixture(scope="module")
def reading() -> student.Student:
    loaded = student.load()
    assert loaded is not None, "data/student.npz ships with the package"
    return loaded


def test_a_question_lands_nearest_the_model_s_own_reading_of_it(reading: student.Student) -> None:
    encoder = semantic._encoder()
    assert encoder is not None
    model = np.vstack([encoder.query(q) for q in QUESTIONS])
    taught = np.vstack([reading.encode(q) for q in QUESTIONS])
    assert np.allclose(np.linalg.norm(taught, axis=1), 1.0, atol=1e-4)
    closeness = taught @ model.T
    # each question's student vector is closest to the model's vector of the same question
    assert list(closeness.argmax(axis=1)) == list(range(len(QUESTIONS)))
    assert float(np.diag(closeness).min()) > 0.9


def test_words_the_table_lacks_are_read_as_characters(reading: student.Student) -> None:
    word = "澜江镇"  # not a word of jieba's dictionary, nor of the table
    assert word not in reading.index
    assert reading.ids(word) == [reading.index[c] for c in word]
    # Latin words one by one (English stop words are in the table but weigh nothing); digits left out
    assert reading.ids("Passport, 123 renew") == [reading.index["passport"], reading.index["renew"]]
    assert reading.weights[reading.index["the"]] == 0.0 < reading.weights[reading.index["passport"]]


def test_a_question_without_known_words_has_no_vector(
    reading: student.Student, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOVHALL_GUIDE_QUERY", raising=False)
    for nothing in ("123 ？？ !!", "", "the of and", "😀🎉"):
        assert reading.encode(nothing) is None, nothing
    index = semantic_index([{"code": "A", "name": "发票领用"}, {"code": "B", "name": "发票代开"}])
    # the stage then leaves the words' order as it is (nothing raised)
    assert semantic.rerank(index._vectors, "123", [0, 1], {0: 2.0, 1: 1.0}) is None


def test_the_student_reads_the_question_unless_the_model_is_asked_for(
    reading: student.Student, monkeypatch: pytest.MonkeyPatch, model_calls: Any
) -> None:
    asked = model_calls("query")
    index = semantic_index(
        [{"code": "A", "name": "店招店牌设置备案"}, {"code": "B", "name": "城市道路临时占用审批"}]
    )
    monkeypatch.delenv("GOVHALL_GUIDE_QUERY", raising=False)
    assert semantic.reader() == "student"
    assert semantic.rerank(index._vectors, "门头招牌", [0, 1], {0: 1.0, 1: 1.0}) is not None
    assert asked == []
    monkeypatch.setenv("GOVHALL_GUIDE_QUERY", "model")
    assert semantic.reader() == "model"
    assert semantic.rerank(index._vectors, "门头招牌", [0, 1], {0: 1.0, 1: 1.0}) is not None
    assert asked == ["门头招牌"]


def test_without_its_file_the_model_reads_the_question(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = student.FILE.read_bytes()
    damaged = {
        "not numpy": b"not a numpy file",
        "empty": b"",
        "truncated": real[:1000],  # a zip cut short: BadZipFile
        "half": real[: len(real) // 2],
    }
    with caplog.at_level(logging.WARNING, logger="govhall.guide.student"):
        for name, content in damaged.items():
            path = tmp_path / f"{name.replace(' ', '-')}.npz"
            path.write_bytes(content)
            assert student.load(path) is None, name
        assert student.load(tmp_path / "missing.npz") is None
        # arrays that do not fit together: a scale short, a map of the wrong width
        with np.load(student.FILE) as data:
            parts = {k: data[k] for k in ("tokens", "rows", "scales", "mapping")}
        for name, change in {"scales": parts["scales"][:-1], "mapping": parts["mapping"][:, :5]}.items():
            path = tmp_path / f"short-{name}.npz"
            np.savez(path, **{**parts, name: change})
            assert student.load(path) is None, name
    assert caplog.text.count("unusable") == 7
    # the search goes on: the model reads the question
    monkeypatch.setattr(student, "load", lambda path=None: None)
    monkeypatch.delenv("GOVHALL_GUIDE_QUERY", raising=False)
    assert semantic.reader() == "model"
    index = semantic_index([{"code": "A", "name": "社会保障卡补领"}, {"code": "B", "name": "居民身份证补领"}])
    assert index.search("社保卡丢了要补", 1).results[0].code == "A"


def test_the_student_is_read_once_when_an_index_is_attached(monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[str] = []
    real = student._read
    monkeypatch.setattr(student, "_loaded", {})
    monkeypatch.setattr(student, "_read", lambda path: reads.append(path) or real(path))
    semantic_index([{"code": "A", "name": "社会保障卡补领"}, {"code": "B", "name": "居民身份证补领"}])
    assert reads == [str(student.FILE)]  # before any search
    assert student.load() is student.load(student.FILE) is not None
    assert reads == [str(student.FILE)]


def test_the_map_is_fitted_by_ridge_regression() -> None:
    """On a toy table the fitted map reproduces a known linear map of the mean vectors."""
    rng = np.random.default_rng(7)
    tokens = ["甲", "乙", "丙", "丁", "戊"]
    rows, scales = student.quantize(rng.normal(size=(len(tokens), 6)).astype(np.float32))
    assert rows.dtype == np.int8 and np.allclose(
        np.linalg.norm(rows * scales[:, None], axis=1), 1.0, atol=0.05
    )
    toy = student.Student(tokens, rows, scales, None)
    texts = ["".join(rng.choice(tokens, size=3)) for _ in range(60)]
    truth = rng.normal(size=(7, 4)).astype(np.float32)
    means = np.vstack([np.append(toy.mean(t), 1.0) for t in texts])
    mapping = student.fit(toy, texts, means @ truth, ridge=1e-6)
    assert np.allclose(means @ mapping, means @ truth, atol=1e-3)
    assert toy.encode("甲乙") is None  # no map yet: nothing to say
