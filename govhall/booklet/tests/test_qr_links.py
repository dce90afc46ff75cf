"""Every QR code in the booklet decodes to exactly the link printed beside it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from govhall.booklet import build, render
from govhall.booklet.tests import qrdecode
from govhall.web import qr

ENTRY = re.compile(
    r'<li class="entry[^"]*" data-code="([^"]+)" data-link="([^"]+)">\s*<div class="qr">(<svg.*?</svg>)</div>'
    r'.*?<p class="link">([^<]+)</p>',
    re.S,
)


@pytest.mark.parametrize(
    "link",
    [
        "https://zwfw.example.gov.cn/matter/330299-GA-6593",
        "https://car.example.org/register?from=booklet&x=1",
        "https://e.example/m/" + "%E7%94%B2" * 20,  # version 7+: version information blocks
    ],
)
def test_the_decoder_reads_back_what_the_encoder_drew(link: str) -> None:
    svg = qr.svg(link)
    assert qrdecode.decode_svg(svg) == link
    assert qrdecode.grid_from_svg(svg) == qr.matrix(link)


def test_the_decoder_notices_a_damaged_code() -> None:
    cells = qr.matrix("https://zwfw.example.gov.cn/matter/A-1")
    cells[len(cells) - 1][len(cells) - 1] ^= True  # the first data module
    with pytest.raises(qrdecode.DecodeError):
        qrdecode.decode(cells)


@pytest.mark.django_db
def test_every_code_on_the_print_page_decodes_to_its_printed_link(demand: None, at_now: Any) -> None:
    booklet = build.build(None, build.Options(top=50))
    page = render.html(booklet)
    found = ENTRY.findall(page)
    expected = [(e.code, e.link) for s in booklet.sections for e in s.entries]
    expected += [(b.code, b.link) for b in booklet.bundles]
    assert [(code, link) for code, link, _, _ in found] == [
        (c, link.replace("&", "&amp;")) for c, link in expected
    ]
    for _code, link, svg, printed in found:
        plain = link.replace("&amp;", "&")
        assert qrdecode.decode_svg(svg) == plain
        assert printed.replace("&amp;", "&") == plain
