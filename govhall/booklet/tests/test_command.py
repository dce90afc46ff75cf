"""`govhall booklet build`."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from govhall.booklet import render
from govhall.booklet.tests import qrdecode
from govhall.booklet.tests.conftest import MEDICAL

pytestmark = pytest.mark.django_db


def test_build_writes_a_self_contained_html_booklet(
    demand: None, at_now: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "town.html"
    stdout = StringIO()
    call_command(
        "booklet", "build", "--hall", "town", "--out", str(out), "--top", "3", "--json", stdout=stdout
    )
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "白塔镇便民服务中心" in page and "<link" not in page
    data = json.loads(stdout.getvalue())
    assert data["scope"] == "town" and sum(len(s["entries"]) for s in data["sections"]) == 3
    first = next(e for s in data["sections"] for e in s["entries"] if e["code"] == MEDICAL)
    svg = page.split(f'data-code="{MEDICAL}"', 1)[1].split("</svg>", 1)[0] + "</svg>"
    assert qrdecode.decode_svg(svg[svg.index("<svg") :]) == first["link"]
    assert "白塔镇便民服务中心: 3 matters" in capsys.readouterr().err


def test_build_prints_a_pdf_by_its_suffix(
    demand: None, at_now: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render, "pdf", lambda booklet: b"%PDF-1.7 " + booklet.scope_name.encode())
    monkeypatch.chdir(tmp_path)
    call_command("booklet", "build")
    assert (tmp_path / "booklet-city.pdf").read_bytes() == "%PDF-1.7 全市".encode()


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--hall", "nowhere"], "没有编码为 nowhere 的中心"),
        (["--top", "0"], "事项数"),
        (["--out", "booklet.docx"], ".pdf or .html"),
    ],
)
def test_bad_arguments_stop_with_a_reason(
    demand: None, args: list[str], reason: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(render, "pdf", lambda booklet: b"%PDF-")
    with pytest.raises(CommandError, match=reason):
        call_command("booklet", "build", *args)
    assert not list(tmp_path.iterdir())
