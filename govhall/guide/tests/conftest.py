from __future__ import annotations

import pytest

from govhall.guide.engine import SearchIndex


@pytest.fixture(scope="session")
def demo_index() -> SearchIndex:
    """The engine over the 300 demo matters as a server runs it, semantic re-ranking included (built
    once for the evaluation and feedback tests)."""
    from govhall.guide.evaluation import demo_catalogue, semantic_index

    return semantic_index(demo_catalogue())
