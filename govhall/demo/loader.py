"""Loads the demo city through the same import services real data uses."""

from __future__ import annotations


def load_demo() -> str:
    return "demo data: nothing to load yet"
