"""A small QR code encoder (ISO/IEC 18004): byte mode, error correction level M, versions 1–10.

Enough for the links printed on tickets (up to 213 bytes); no Django, no dependencies.
`svg(text)` gives a scalable image for receipt printers and screens.
"""

from __future__ import annotations

from collections.abc import Callable

# version → (EC codewords per block, [(blocks, data codewords per block), …]) at level M
_BLOCKS_M: dict[int, tuple[int, list[tuple[int, int]]]] = {
    1: (10, [(1, 16)]),
    2: (16, [(1, 28)]),
    3: (26, [(1, 44)]),
    4: (18, [(2, 32)]),
    5: (24, [(2, 43)]),
    6: (16, [(4, 27)]),
    7: (18, [(4, 31)]),
    8: (22, [(2, 38), (2, 39)]),
    9: (22, [(3, 36), (2, 37)]),
    10: (26, [(4, 43), (1, 44)]),
}
_ALIGNMENT: dict[int, list[int]] = {
    1: [],
    2: [6, 18],
    3: [6, 22],
    4: [6, 26],
    5: [6, 30],
    6: [6, 34],
    7: [6, 22, 38],
    8: [6, 24, 42],
    9: [6, 26, 46],
    10: [6, 28, 50],
}
_EC_LEVEL_M = 0b00
MAX_BYTES = 213

# GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1
_EXP = [0] * 512
_LOG = [0] * 256
_value = 1
for _i in range(255):
    _EXP[_i] = _value
    _LOG[_value] = _i
    _value <<= 1
    if _value & 0x100:
        _value ^= 0x11D
for _i in range(255, 512):
    _EXP[_i] = _EXP[_i - 255]


def _gf_mul(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    return _EXP[_LOG[a] + _LOG[b]]


def _generator(degree: int) -> list[int]:
    poly = [1]
    for i in range(degree):
        nxt = [0] * (len(poly) + 1)
        for j, coef in enumerate(poly):
            nxt[j] ^= coef
            nxt[j + 1] ^= _gf_mul(coef, _EXP[i])
        poly = nxt
    return poly


def reed_solomon(data: list[int], degree: int) -> list[int]:
    """The `degree` error correction codewords of `data`."""
    gen = _generator(degree)
    rest = list(data) + [0] * degree
    for i in range(len(data)):
        factor = rest[i]
        if factor:
            for j, coef in enumerate(gen):
                rest[i + j] ^= _gf_mul(coef, factor)
    return rest[len(data) :]


def _bch(value: int, generator: int, width: int) -> int:
    """`value` followed by its BCH remainder (the generator has degree `width`)."""
    rest = value << width
    top = generator.bit_length() - 1
    while rest.bit_length() - 1 >= top:
        rest ^= generator << (rest.bit_length() - 1 - top)
    return (value << width) | rest


def format_bits(mask: int, ec_level: int = _EC_LEVEL_M) -> int:
    return _bch((ec_level << 3) | mask, 0x537, 10) ^ 0x5412


def version_bits(version: int) -> int:
    return _bch(version, 0x1F25, 12)


def _capacity(version: int) -> int:
    _ec, groups = _BLOCKS_M[version]
    return sum(n * size for n, size in groups)


def _choose_version(length: int) -> int:
    for version in _BLOCKS_M:
        count_bits = 8 if version < 10 else 16
        if 4 + count_bits + 8 * length <= 8 * _capacity(version):
            return version
    raise ValueError(f"text too long for a QR code here ({length} bytes, at most {MAX_BYTES})")


def _codewords(payload: bytes, version: int) -> list[int]:
    count_bits = 8 if version < 10 else 16
    bits: list[int] = []

    def put(value: int, width: int) -> None:
        bits.extend((value >> (width - 1 - k)) & 1 for k in range(width))

    put(0b0100, 4)
    put(len(payload), count_bits)
    for byte in payload:
        put(byte, 8)
    capacity = 8 * _capacity(version)
    bits.extend([0] * min(4, capacity - len(bits)))
    bits.extend([0] * (-len(bits) % 8))
    data = [int("".join(map(str, bits[k : k + 8])), 2) for k in range(0, len(bits), 8)]
    pad = (0xEC, 0x11)
    data += [pad[k % 2] for k in range(capacity // 8 - len(data))]

    ec_len, groups = _BLOCKS_M[version]
    blocks: list[list[int]] = []
    start = 0
    for count, size in groups:
        for _ in range(count):
            blocks.append(data[start : start + size])
            start += size
    ecs = [reed_solomon(block, ec_len) for block in blocks]
    out = [block[k] for k in range(max(map(len, blocks))) for block in blocks if k < len(block)]
    out += [ec[k] for k in range(ec_len) for ec in ecs]
    return out


_MASKS: list[Callable[[int, int], bool]] = [
    lambda r, c: (r + c) % 2 == 0,
    lambda r, c: r % 2 == 0,
    lambda r, c: c % 3 == 0,
    lambda r, c: (r + c) % 3 == 0,
    lambda r, c: (r // 2 + c // 3) % 2 == 0,
    lambda r, c: (r * c) % 2 + (r * c) % 3 == 0,
    lambda r, c: ((r * c) % 2 + (r * c) % 3) % 2 == 0,
    lambda r, c: ((r + c) % 2 + (r * c) % 3) % 2 == 0,
]


class _Grid:
    def __init__(self, version: int) -> None:
        self.version = version
        self.size = 17 + 4 * version
        self.dark = [[False] * self.size for _ in range(self.size)]
        self.reserved = [[False] * self.size for _ in range(self.size)]

    def set(self, row: int, col: int, dark: bool) -> None:
        self.dark[row][col] = dark
        self.reserved[row][col] = True

    def draw_function_patterns(self) -> None:
        size = self.size
        for row, col in ((0, 0), (0, size - 7), (size - 7, 0)):
            for dr in range(-1, 8):
                for dc in range(-1, 8):
                    r, c = row + dr, col + dc
                    if 0 <= r < size and 0 <= c < size:
                        ring = max(abs(dr - 3), abs(dc - 3))
                        self.set(r, c, ring != 2 and ring != 4)
        for k in range(8, size - 8):
            self.set(6, k, k % 2 == 0)
            self.set(k, 6, k % 2 == 0)
        centres = _ALIGNMENT[self.version]
        last = len(centres) - 1
        for i, r in enumerate(centres):
            for j, c in enumerate(centres):
                if (i, j) in ((0, 0), (0, last), (last, 0)):
                    continue  # the finder patterns' corners
                for dr in range(-2, 3):
                    for dc in range(-2, 3):
                        self.set(r + dr, c + dc, max(abs(dr), abs(dc)) != 1)
        # format areas (filled per mask later) and the dark module
        for k in range(9):
            self.reserved[8][k] = self.reserved[k][8] = True
        for k in range(8):
            self.reserved[8][size - 1 - k] = self.reserved[size - 1 - k][8] = True
        self.set(size - 8, 8, True)
        if self.version >= 7:
            bits = version_bits(self.version)
            for k in range(18):
                dark = bool((bits >> k) & 1)
                a, b = size - 11 + k % 3, k // 3
                self.set(a, b, dark)
                self.set(b, a, dark)

    def draw_format(self, mask: int) -> None:
        size = self.size
        bits = format_bits(mask)
        for k in range(15):
            dark = bool((bits >> k) & 1)
            # around the top-left finder
            if k < 6:
                self.set(k, 8, dark)
            elif k < 8:
                self.set(k + 1, 8, dark)
            else:
                self.set(8, 14 - k if k > 8 else 7, dark)
            # split between the other two finders
            if k < 8:
                self.set(8, size - 1 - k, dark)
            else:
                self.set(size - 15 + k, 8, dark)
        self.set(size - 8, 8, True)

    def place(self, codewords: list[int]) -> None:
        bits = [(byte >> (7 - k)) & 1 for byte in codewords for k in range(8)]
        index = 0
        upward = True
        col = self.size - 1
        while col > 0:
            if col == 6:
                col -= 1  # the vertical timing pattern takes a whole column
            rows = range(self.size - 1, -1, -1) if upward else range(self.size)
            for row in rows:
                for c in (col, col - 1):
                    if not self.reserved[row][c]:
                        self.dark[row][c] = index < len(bits) and bits[index] == 1
                        index += 1
            upward = not upward
            col -= 2

    def masked(self, mask: int) -> list[list[bool]]:
        test = _MASKS[mask]
        return [
            [self.dark[r][c] != (not self.reserved[r][c] and test(r, c)) for c in range(self.size)]
            for r in range(self.size)
        ]


def _penalty(m: list[list[bool]]) -> int:
    size = len(m)
    score = 0
    lines = m + [list(col) for col in zip(*m, strict=True)]
    for line in lines:
        run, last = 0, None
        for cell in line:
            if cell == last:
                run += 1
            else:
                if run >= 5:
                    score += run - 2
                run, last = 1, cell
        if run >= 5:
            score += run - 2
        text = "".join("1" if cell else "0" for cell in line)
        for pattern in ("10111010000", "00001011101"):
            start = text.find(pattern)
            while start != -1:
                score += 40
                start = text.find(pattern, start + 1)
    for r in range(size - 1):
        for c in range(size - 1):
            if m[r][c] == m[r][c + 1] == m[r + 1][c] == m[r + 1][c + 1]:
                score += 3
    dark = sum(map(sum, m))
    score += abs(dark * 20 - size * size * 10) // (size * size) * 10
    return score


def matrix(text: str) -> list[list[bool]]:
    """The modules of the QR code for `text` (UTF-8), True = dark, without the quiet zone."""
    payload = text.encode("utf-8")
    version = _choose_version(len(payload))
    grid = _Grid(version)
    grid.draw_function_patterns()
    grid.place(_codewords(payload, version))
    best: list[list[bool]] | None = None
    best_score = 0
    for mask in range(8):
        grid.draw_format(mask)
        candidate = grid.masked(mask)
        score = _penalty(candidate)
        if best is None or score < best_score:
            best, best_score = candidate, score
    assert best is not None
    return best


def svg(text: str, *, module: int = 4, quiet: int = 4, title: str = "") -> str:
    """The QR code as an SVG document: one path, crisp edges, black on white."""
    cells = matrix(text)
    size = len(cells) + 2 * quiet
    path = []
    for r, row in enumerate(cells):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                path.append(f"M{start + quiet} {r + quiet}h{c - start}v1h-{c - start}z")
            else:
                c += 1
    label = f"<title>{_escape(title)}</title>" if title else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'width="{size * module}" height="{size * module}" shape-rendering="crispEdges" role="img">'
        f'{label}<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path d="{"".join(path)}" fill="#000"/></svg>'
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
