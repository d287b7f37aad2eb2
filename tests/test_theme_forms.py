"""The emerging-theme page's forms (promote into a new phenomenon, attach to one, dismiss)
when a decision is refused, like the phenomenon page's: the page comes back with 422, the
error once right before its own field with focus on it, everything typed or chosen kept,
the guard's findings marked in the name (no character offsets) and nothing written; the
confirmation boxes are checked by the server, not by the browser."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlite_utils import Database

from nakyma import review
from tests.conftest import copy_of_demo, csrf_from, login, plant_theme
from tests.test_phenomenon_forms import PHONE, assert_error_at, post_refused
from web.forms import CONFIRM_MISSING

# Every table a theme decision may write; a refusal leaves all of them as they were.
TABLES = (
    "emerging_themes",
    "emerging_members",
    "phenomena",
    "phenomenon_members",
    "manual_assignments",
    "phenomenon_lineage",
    "audit_log",
)
TITLE = "Välituntien yksinäisyys"


@pytest.fixture
def db(demo_template, settings) -> Iterator[Database]:
    """This test's own copy of the computed demo."""
    yield from copy_of_demo(demo_template, settings)


@pytest.fixture
def theme(client, db: Database) -> int:
    """An open theme in Äänekoski, decided by the backbone team."""
    login(client, "tukitiimi", "demo-tukitiimi")
    return plant_theme(db, ("992",), title=TITLE)


def refused(client, db: Database, path: str, data: dict[str, Any]) -> BeautifulSoup:
    """A refused decision of the theme page: nothing any decision writes changed."""
    return post_refused(client, db, path, data, TABLES)


def no_required_boxes(page: BeautifulSoup) -> None:
    """The server's message by the box, not the browser's bubble."""
    boxes = page.select("input[name=vahvista]")
    assert boxes and not [b for b in boxes if b.has_attr("required")]


@pytest.mark.parametrize(
    ("typed", "error", "marked"),
    [
        ("ab", "Nimen on oltava 3–120 merkkiä.", []),
        (f"Soita {PHONE} heti", "Nimi: Tekstissä näyttää olevan", [PHONE]),
    ],
)
def test_refused_promote_name_keeps_it_and_marks_the_words(
    client, db, theme, typed, error, marked
) -> None:
    page = refused(client, db, f"/teemat/{theme}/nosta", {"title": typed, "vahvista": "1"})
    field = assert_error_at(page, "promote-title", "promote-title", error)
    assert field["value"] == typed
    assert [m.get_text() for m in page.select("#promote-title-marked mark")] == marked
    described = "promote-hint promote-title-error" + (" promote-title-marked" if marked else "")
    assert field["aria-describedby"] == described
    assert "merkit " not in page.get_text()  # marked in the name, not told by offsets
    assert "merkeissä" not in page.get_text()
    assert page.select_one("#promote-confirm").has_attr("checked")  # the tick is kept
    assert review.theme_decision(db, theme) == "avoin"


def test_promote_without_confirmation_keeps_the_name(client, db, theme) -> None:
    page = refused(client, db, f"/teemat/{theme}/nosta", {"title": "Oma nimi"})
    box = assert_error_at(page, "promote-confirm", "promote-confirm", CONFIRM_MISSING)
    assert not box.has_attr("checked")
    assert page.select_one("#promote-title")["value"] == "Oma nimi"
    assert not page.select_one("#promote-title").has_attr("aria-invalid")
    no_required_boxes(page)


def test_refused_attach_keeps_the_chosen_phenomenon_and_tick(client, db, theme) -> None:
    page = BeautifulSoup(client.get(f"/teemat/{theme}").text, "html.parser")
    no_required_boxes(page)
    target = page.select("#attach-target option")[-1]["value"]
    page = refused(client, db, f"/teemat/{theme}/liita", {"target": target})
    box = assert_error_at(page, "attach-confirm", "attach-confirm", CONFIRM_MISSING)
    assert not box.has_attr("checked")
    assert page.select_one("#attach-target option[selected]")["value"] == target
    # The name field of the promote form beside it shows the theme's own title.
    assert page.select_one("#promote-title")["value"] == TITLE

    gone = {"target": "999999", "vahvista": "1"}
    page = refused(client, db, f"/teemat/{theme}/liita", gone)
    assert_error_at(page, "attach-target", "attach-target", "Kohdeilmiötä ei löydy")
    assert page.select_one("#attach-confirm").has_attr("checked")

    page = refused(client, db, f"/teemat/{theme}/liita", {"target": "", "vahvista": "1"})
    assert_error_at(page, "attach-target", "attach-target", "Valitse ilmiö")
    assert review.theme_decision(db, theme) == "avoin"


def test_dismiss_asks_for_confirmation_and_a_decided_theme_says_so_once(client, db, theme) -> None:
    page = refused(client, db, f"/teemat/{theme}/hylkaa", {})
    box = assert_error_at(page, "dismiss-confirm", "dismiss-confirm", CONFIRM_MISSING)
    assert not box.has_attr("checked")
    no_required_boxes(page)
    assert review.theme_decision(db, theme) == "avoin"

    # Restoring an open theme: that form has no field, the error shows once up top.
    page = refused(client, db, f"/teemat/{theme}/hylkaa", {"restore": "1"})
    fallback = page.select_one("#form-error")
    assert fallback is not None and fallback.has_attr("autofocus")
    assert page.get_text().count("Vain hylätyn teeman voi palauttaa.") == 1
    assert len(page.select("[autofocus]")) == 1

    csrf = csrf_from(client, f"/teemat/{theme}")
    done = client.post(f"/teemat/{theme}/hylkaa", data={"csrf_token": csrf, "vahvista": "1"})
    assert done.status_code == 200 and "Teema hylätty" in done.text
    # Someone else dismissed it meanwhile: the promote form is gone, the error up top.
    page = refused(client, db, f"/teemat/{theme}/nosta", {"title": "Oma nimi", "vahvista": "1"})
    assert page.select_one("#promote-title") is None
    fallback = page.select_one("#form-error")
    assert fallback is not None and "Teemasta on jo päätetty" in fallback.get_text()
    assert page.get_text().count("Teemasta on jo päätetty") == 1
    assert review.theme_decision(db, theme) == "hylätty"
