"""A small QR decoder for the tests: reads the module grid back out of the SVG that `web.qr.svg`
draws and decodes it (format information, unmasking, the zigzag, de-interleaving, the Reed–Solomon
check, byte mode), so a test proves what a phone would read rather than that the encoder is
deterministic. No decoder package is installed here (no pyzbar, zxing), hence this one.

Written from the standard, not from the encoder: only the published tables (blocks per version,
alignment centres) and the RS arithmetic (tested against the standard's example) are shared.
"""

from __future__ import annotations

import re

from govhall.web import qr

_MASKS = [
    lambda r, c: (r + c) % 2 == 0,
    lambda r, c: r % 2 == 0,
    lambda r, c: c % 3 == 0,
    lambda r, c: (r + c) % 3 == 0,
    lambda r, c: (r // 2 + c // 3) % 2 == 0,
    lambda r, c: (r * c) % 2 + (r * c) % 3 == 0,
    lambda r, c: ((r * c) % 2 + (r * c) % 3) % 2 == 0,
    lambda r, c: ((r + c) % 2 + (r * c) % 3) % 2 == 0,
]


class DecodeError(ValueError):
    pass


def grid_from_svg(svg: str) -> list[list[bool]]:
    """The dark modules of the SVG's path (runs `M x y h w v1 h-w z`), without the quiet zone."""
    view = re.search(r'viewBox="0 0 (\d+) (\d+)"', svg)
    path = re.search(r'<path d="([^"]*)"', svg)
    if not view or not path:
        raise DecodeError("not a QR SVG")
    size = int(view.group(1))
    cells = [[False] * size for _ in range(size)]
    for x, y, w in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", path.group(1)):
        for col in range(int(x), int(x) + int(w)):
            cells[int(y)][col] = True
    dark = [(r, c) for r in range(size) for c in range(size) if cells[r][c]]
    top = min(r for r, _ in dark)
    left = min(c for _, c in dark)
    bottom = max(r for r, _ in dark)
    width = bottom - top + 1
    return [row[left : left + width] for row in cells[top : top + width]]


def _function_modules(size: int, version: int) -> list[list[bool]]:
    fixed = [[False] * size for _ in range(size)]

    def block(top: int, left: int, height: int, width: int) -> None:
        for r in range(max(top, 0), min(top + height, size)):
            for c in range(max(left, 0), min(left + width, size)):
                fixed[r][c] = True

    block(0, 0, 9, 9)  # top-left finder, separator and format information
    block(0, size - 8, 9, 8)  # top-right finder, separator and format information
    block(size - 8, 0, 8, 9)  # bottom-left finder, separator, format information, dark module
    block(6, 0, 1, size)  # timing patterns
    block(0, 6, size, 1)
    centres = qr._ALIGNMENT[version]
    for r in centres:
        for c in centres:
            if not (r < 9 and c < 9) and not (r < 9 and c > size - 9) and not (r > size - 9 and c < 9):
                block(r - 2, c - 2, 5, 5)
    if version >= 7:
        block(size - 11, 0, 3, 6)
        block(0, size - 11, 6, 3)
    return fixed


def _format(cells: list[list[bool]]) -> tuple[int, int]:
    """(error correction level, mask) from the copy around the top-left finder, checked against
    the copy split between the other two."""
    size = len(cells)
    near = [(r, 8) for r in (0, 1, 2, 3, 4, 5, 7, 8)] + [(8, c) for c in (7, 5, 4, 3, 2, 1, 0)]
    far = [(8, size - 1 - k) for k in range(8)] + [(size - 7 + k, 8) for k in range(7)]
    first = sum(int(cells[r][c]) << k for k, (r, c) in enumerate(near))
    second = sum(int(cells[r][c]) << k for k, (r, c) in enumerate(far))
    if first != second:
        raise DecodeError("the two copies of the format information differ")
    data = (first ^ 0x5412) >> 10
    return data >> 3, data & 0b111


def _codewords(cells: list[list[bool]], fixed: list[list[bool]], mask: int) -> list[int]:
    size = len(cells)
    bits: list[int] = []
    col, upward = size - 1, True
    while col > 0:
        if col == 6:
            col -= 1
        for row in range(size - 1, -1, -1) if upward else range(size):
            for c in (col, col - 1):
                if not fixed[row][c]:
                    bits.append(int(cells[row][c] != _MASKS[mask](row, c)))
        upward = not upward
        col -= 2
    return [int("".join(map(str, bits[k : k + 8])), 2) for k in range(0, len(bits) - 7, 8)]


def decode(cells: list[list[bool]]) -> str:
    size = len(cells)
    version = (size - 17) // 4
    if size != 17 + 4 * version or version not in qr._BLOCKS_M:
        raise DecodeError(f"unsupported size {size}")
    level, mask = _format(cells)
    if level != 0b00:
        raise DecodeError("not error correction level M")
    words = _codewords(cells, _function_modules(size, version), mask)
    ec_len, groups = qr._BLOCKS_M[version]
    sizes = [n for count, n in groups for _ in range(count)]
    blocks: list[list[int]] = [[] for _ in sizes]
    pos = 0
    for k in range(max(sizes)):
        for b, n in enumerate(sizes):
            if k < n:
                blocks[b].append(words[pos])
                pos += 1
    for k in range(ec_len):
        for b in range(len(sizes)):
            if qr.reed_solomon(blocks[b], ec_len)[k] != words[pos]:
                raise DecodeError("error correction codewords do not match the data")
            pos += 1
    stream = "".join(format(byte, "08b") for block in blocks for byte in block)
    if stream[:4] != "0100":
        raise DecodeError("not byte mode")
    count_bits = 8 if version < 10 else 16
    length = int(stream[4 : 4 + count_bits], 2)
    start = 4 + count_bits
    payload = bytes(int(stream[start + 8 * i : start + 8 * i + 8], 2) for i in range(length))
    return payload.decode("utf-8")


def decode_svg(svg: str) -> str:
    return decode(grid_from_svg(svg))
