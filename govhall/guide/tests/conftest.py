from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from govhall.guide.engine import SearchIndex


@pytest.fixture(scope="session")
def demo_index() -> SearchIndex:
    """The engine over the 300 demo matters as a server runs it, semantic re-ranking included (built
    once for the evaluation and feedback tests)."""
    from govhall.guide.evaluation import demo_catalogue, semantic_index

    return semantic_index(demo_catalogue())


@pytest.fixture
def model_calls(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], list[Any]]:
    """`model_calls("passages")` (or "query") records what the model is asked to embed from then on,
    still embedding it."""
    from govhall.guide import semantic

    def record(method: str) -> list[Any]:
        encoder = semantic._encoder()
        assert encoder is not None
        asked: list[Any] = []
        real = getattr(encoder, method)

        def counting(texts: Any) -> Any:
            asked.extend([texts] if isinstance(texts, str) else texts)
            return real(texts)

        monkeypatch.setattr(encoder, method, counting)
        return asked

    return record
