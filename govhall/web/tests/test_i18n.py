"""English is the second language: the explicit `?lang=en` switch turns the page chrome into
English, while every page stays `<html lang="zh-Hans">` and Chinese without it. The .po files are
the translations; these tests also keep them complete, so a new template or script string cannot
ship untranslated."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.template import engines
from django.templatetags.i18n import BlockTranslateNode, TranslateNode
from django.test import Client

from govhall.accounts.services import create_token
from govhall.catalog.models import Department, Matter, Situation
from govhall.halls.models import Hall, Window, Zone
from govhall.queueing import services
from govhall.web.middleware import SWITCH_COOKIE
from govhall.web.tests.conftest import HUKOU, PASSWORD

MESSAGES = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES"
GOVHALL = Path(settings.BASE_DIR)
CJK = re.compile(r"[\u3400-\u9fff]")


# --------------------------------------------------------------------------- .po files


def po_entries(path: Path) -> Iterator[tuple[str, str, list[str]]]:
    """(msgid, msgstr, flags) of each entry of a .po file, the header included."""
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        fields: dict[str, str] = {}
        flags: list[str] = []
        key = ""
        for line in block.splitlines():
            if line.startswith("#,"):
                flags += [flag.strip() for flag in line[2:].split(",")]
            elif line.startswith(("msgid ", "msgstr ")):
                key, _, literal = line.partition(" ")
                fields[key] = ast.literal_eval(literal)
            elif line.startswith('"'):
                fields[key] += ast.literal_eval(line)
        yield fields.get("msgid", ""), fields.get("msgstr", ""), flags


def catalogue(domain: str) -> dict[str, str]:
    return {msgid: msgstr for msgid, msgstr, _ in po_entries(MESSAGES / f"{domain}.po") if msgid}


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_po_files_are_fully_translated_and_not_fuzzy(domain: str) -> None:
    entries = list(po_entries(MESSAGES / f"{domain}.po"))
    assert len(entries) > 100
    fuzzy = [msgid for msgid, _, flags in entries if "fuzzy" in flags]
    untranslated = [msgid for msgid, msgstr, _ in entries if msgid and not msgstr.strip()]
    copied = [msgid for msgid, msgstr, _ in entries if msgid and msgstr == msgid]
    assert not fuzzy, f"fuzzy entries in {domain}.po: {fuzzy[:5]}"
    assert not untranslated, f"untranslated entries in {domain}.po: {untranslated[:5]}"
    assert not copied, f"entries copied, not translated, in {domain}.po: {copied[:5]}"


def template_msgids() -> Iterator[tuple[str, str]]:
    """(template, msgid) of every Chinese translate/blocktranslate tag, as Django looks it up
    (English msgids are Django's own, in the admin templates we override)."""
    engine = engines["django"]
    for path in sorted(GOVHALL.glob("*/templates/**/*.html")):
        name = path.as_posix().split("/templates/", 1)[1]
        nodelist = engine.get_template(name).template.nodelist  # type: ignore[attr-defined]
        for node in nodelist.get_nodes_by_type(TranslateNode):
            literal = node.filter_expression.var.literal
            if literal is not None and CJK.search(literal):
                yield name, literal.replace("%", "%%")
        for block in nodelist.get_nodes_by_type(BlockTranslateNode):
            msgid = block.render_token_list(block.singular)[0]
            if CJK.search(msgid):
                yield name, msgid


def test_every_template_string_has_an_english_entry() -> None:
    english = catalogue("django")
    found = list(template_msgids())
    assert len(found) > 900, "the templates are wrapped for translation"
    missing = [(name, msgid) for name, msgid in found if msgid not in english]
    assert not missing, f"run makemessages and translate: {missing[:5]}"


def test_every_script_string_has_an_english_entry() -> None:
    english = catalogue("djangojs")
    scripts = sorted(GOVHALL.glob("*/static/*/*.js"))
    found = [
        (script.name, ast.literal_eval(literal))
        for script in scripts
        for literal in re.findall(r'gettext\(("(?:[^"\\]|\\.)*")\)', script.read_text(encoding="utf-8"))
    ]
    assert len(found) > 150
    missing = [(name, msgid) for name, msgid in found if msgid not in english]
    assert not missing, f"run makemessages -d djangojs and translate: {missing[:5]}"


def test_chinese_is_not_left_bare_in_the_floor_scripts() -> None:
    """Page strings of the public floor scripts go through gettext (comments and data checks aside)."""
    for name in ("guide.js", "kiosk.js", "display.js", "ticket.js", "console.js", "live.js"):
        source = (GOVHALL / "web" / "static" / "web" / name).read_text(encoding="utf-8")
        code = re.sub(r"/\*.*?\*/|//[^\n]*", "", source, flags=re.S)
        bare = [s for s in re.findall(r'(?<!gettext\()"([^"\\]*)"', code) if CJK.search(s)]
        assert bare in ([], ["窗口"]), f"{name}: {bare}"  # display.js recognises window names by 窗口


# --------------------------------------------------------------------------- pages


@pytest.fixture
def compiled() -> None:
    for domain in ("django", "djangojs"):
        mo, po = MESSAGES / f"{domain}.mo", MESSAGES / f"{domain}.po"
        assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime, (
            f"{mo} is missing or older than its .po: run `make install` (it runs compilemessages)"
        )


def visible_texts(html: str) -> list[str]:
    """Text nodes and the attributes people read or hear (title, aria-label, placeholder, alt)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    texts = [t.strip() for t in re.split(r"<[^>]+>", html)]
    texts += re.findall(r'\b(?:title|aria-label|placeholder|alt)="([^"]*)"', html)
    return [t for t in texts if t]


TRANSLATED_CHOICES = ("queueing", "halls")  # ticket statuses, channels, window states, hall levels


def catalogue_data() -> set[str]:
    """Chinese that is not chrome: catalogue and hall names, model choice labels, the language switch."""
    data = {"中文"}  # the switch back to Chinese names its language in Chinese
    for model, fields in (
        (Hall, ["name", "address"]),
        (Zone, ["name"]),
        (Window, ["name"]),
        (Matter, ["name"]),
        (Department, ["name"]),
        (Situation, ["name", "conditions"]),
    ):
        for row in model.objects.values_list(*fields):
            data.update(value for value in row if isinstance(value, str) and value)
    for model in apps.get_models():  # choice labels come from the models (Python side) …
        if model._meta.app_label in TRANSLATED_CHOICES:  # … except the floor's, which are translated
            continue
        for field in model._meta.get_fields():
            for _, label in getattr(field, "flatchoices", None) or []:
                data.add(str(label))
    return data


def leftover_chinese(html: str, data: set[str]) -> list[str]:
    leftovers = []
    for text in visible_texts(html):
        for value in sorted(data, key=len, reverse=True):
            text = text.replace(value, " ")
        if CJK.search(text):
            leftovers.append(text)
    return leftovers


@pytest.fixture
def floor(city: Hall) -> dict[str, Any]:
    """A ticket waiting at the city hall and a manager of that hall, logged in on their own client."""
    ticket, _ = services.issue_ticket(city, HUKOU)
    create_token("manager_wang", hall_code="city", role="manager")
    manager = get_user_model().objects.get(username="manager_wang")
    manager.set_password(PASSWORD)
    manager.save()
    managing = Client()
    managing.force_login(manager)
    return {"ticket": ticket, "managing": managing}


PUBLIC_PAGES = {
    "/": ["What do you need to do?", "Talk to staff", "Live waits at each centre"],
    "/halls/city/kiosk": ["Take a ticket", "Senior mode", "By department"],
    "/halls/city/display": ["Now calling", "Recent calls", "Waiting by area"],
    "/t/{ticket}": ["My ticket", "Cancel ticket", "Live updates"],
}


@pytest.mark.django_db
@pytest.mark.parametrize("path", list(PUBLIC_PAGES))
def test_public_pages_switch_to_english_and_back(compiled: None, floor: dict[str, Any], path: str) -> None:
    url = path.format(ticket=floor["ticket"].id)
    visitor = Client()
    english = visitor.get(url, {"lang": "en"}, headers={"Accept-Language": "zh-CN"})
    assert english.status_code == 200
    html = english.content.decode()
    assert '<html lang="zh-Hans">' in html  # the contract: zh-Hans whatever the language shown
    for text in PUBLIC_PAGES[path]:
        assert text in html, f"{url}: {text!r} missing in English"
    assert leftover_chinese(html, catalogue_data()) == []
    assert english.cookies[SWITCH_COOKIE].value == "en"

    again = visitor.get(url)  # the switch is remembered by its cookie
    assert PUBLIC_PAGES[path][0] in again.content.decode()

    chinese = Client().get(url, headers={"Accept-Language": "en"})  # the browser asking is not a switch
    text = chinese.content.decode()
    assert '<html lang="zh-Hans">' in text
    assert PUBLIC_PAGES[path][0] not in text
    assert CJK.search(" ".join(visible_texts(text)))
    back = visitor.get(url, {"lang": "zh-hans"}).content.decode()
    assert visible_texts(back) == visible_texts(text)


@pytest.mark.django_db
def test_manage_and_console_pages_in_english(
    compiled: None, floor: dict[str, Any], window_clerk_wang: Any
) -> None:
    managing = floor["managing"]
    page = managing.get("/manage/appointments/", {"lang": "en"}).content.decode()
    assert "Bookings and tickets" in page and "Management home" in page
    assert leftover_chinese(page, catalogue_data()) == []
    assert "预约与取号" in managing.get("/manage/appointments/", {"lang": "zh-hans"}).content.decode()

    clerk = Client()
    clerk.force_login(window_clerk_wang)
    console = clerk.get("/halls/city/windows/1", {"lang": "en"}).content.decode()
    for text in ("Call next", "Recall", "Queue", "Log out"):
        assert text in console
    assert leftover_chinese(console, catalogue_data()) == []


@pytest.mark.django_db
def test_the_script_catalogue_follows_the_switch(compiled: None) -> None:
    english = Client().get("/jsi18n/", {"lang": "en"}).content.decode()
    assert '"Ticket taken"' in english and '"Window %s"' in english
    chinese = Client().get("/jsi18n/", headers={"Accept-Language": "en"}).content.decode()
    assert "django.gettext = function" in chinese  # gettext() defined, returning the Chinese msgid
    assert "Ticket taken" not in chinese
