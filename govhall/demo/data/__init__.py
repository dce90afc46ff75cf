"""The invented city of 江澜市: its catalogue, 办事情形, 一件事 bundles, halls and service points.

Everything here is original demo text. No real hall, address or person is described: the
coordinates sit around an invented city, the codes are opaque, and the names are made up.
Plain data and pure functions only — the loader pushes it through the real import services.
"""
