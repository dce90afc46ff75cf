"""The QR encoder against the standard's published vectors and its own structure."""

from __future__ import annotations

import pytest

from govhall.web import qr


def test_reed_solomon_matches_the_hello_world_1m_example() -> None:
    data = [32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236, 17, 236, 17]
    assert qr.reed_solomon(data, 10) == [196, 35, 39, 119, 235, 215, 231, 226, 93, 23]


def test_format_and_version_information_bits() -> None:
    assert format(qr.format_bits(0), "015b") == "101010000010010"  # level M, mask 0
    assert format(qr.format_bits(0, ec_level=0b01), "015b") == "111011111000100"  # level L, mask 0
    assert format(qr.version_bits(7), "018b") == "000111110010010100"


@pytest.mark.parametrize(
    ("length", "version"), [(1, 1), (14, 1), (15, 2), (60, 4), (84, 5), (120, 7), (213, 10)]
)
def test_the_smallest_version_that_holds_the_text_is_chosen(length: int, version: int) -> None:
    assert len(qr.matrix("x" * length)) == 17 + 4 * version


def test_finder_patterns_timing_and_dark_module() -> None:
    cells = qr.matrix("http://127.0.0.1:8000/t/t0123456789abcdef")
    size = len(cells)
    finder = [[max(abs(r - 3), abs(c - 3)) != 2 for c in range(7)] for r in range(7)]
    for top, left in ((0, 0), (0, size - 7), (size - 7, 0)):
        assert [row[left : left + 7] for row in cells[top : top + 7]] == finder
    assert [cells[6][c] for c in range(8, size - 8)] == [c % 2 == 0 for c in range(8, size - 8)]
    assert cells[size - 8][8]


def test_too_long_text_is_refused() -> None:
    with pytest.raises(ValueError, match="too long"):
        qr.matrix("x" * (qr.MAX_BYTES + 1))


def test_svg_is_one_scalable_image() -> None:
    image = qr.svg("A001", title="扫码 <查看>")
    assert image.startswith("<svg") and image.endswith("</svg>")
    assert 'viewBox="0 0 29 29"' in image  # version 1 (21) + 2 × 4 quiet modules
    assert "<title>扫码 &lt;查看&gt;</title>" in image
