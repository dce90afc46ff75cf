"""Shared fixtures: named actors (`citizen_li`, `window_1`, `manager_wang`) over small halls."""

from __future__ import annotations

import os

import pytest

# Under pytest-xdist each worker runs its own copy of the semantic model: one thread each, or the
# two workers' four threads fight over two cores (the guidance evaluation tests ran 2.4× slower).
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("GOVHALL_GUIDE_SEMANTIC_THREADS", "1")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL runs, only `postgres`-marked tests are selected by the Makefile; under CI=true a
    test that needs a server it can't reach fails rather than skips (see the markers' fixtures)."""


@pytest.fixture
def ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Ids repeat across tests on SQLite; cached estimates must not leak from one test to the next."""
    from django.core.cache import cache

    cache.clear()
