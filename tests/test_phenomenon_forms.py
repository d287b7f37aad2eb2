"""The phenomenon page's forms when an action is refused: the page comes back with 422, the
error once next to its own field with focus on it, everything typed or chosen kept, the
guard's findings marked in the text, and nothing written; destructive actions need their
confirmation box ticked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from sqlite_utils import Database

from nakyma import review
from tests.conftest import copy_of_demo, csrf_from, login, plant_theme, table_rows
from web.forms import CONFIRM_MISSING

# Every table an action on the page may write; a refusal leaves all of them as they were.
TABLES = (
    "phenomena",
    "phenomenon_members",
    "manual_assignments",
    "phenomenon_lineage",
    "phenomenon_status_history",
    "phenomenon_indicator_links",
    "municipal_responses",
    "comments",
    "audit_log",
)
PHONE = "040 123 4567"


@pytest.fixture
def db(demo_template, settings) -> Iterator[Database]:
    """This test's own copy of the computed demo."""
    yield from copy_of_demo(demo_template, settings)


def two_phenomena(db: Database) -> tuple[int, int]:
    a, b = (
        r[0]
        for r in db.execute(
            "select phenomenon_id from phenomenon_members where item_kind = 'observation' "
            "group by 1 having count(*) >= 6 order by 1 limit 2"
        )
    )
    return a, b


def observation_keys(db: Database, pid: int) -> list[str]:
    return [
        r[0]
        for r in db.execute(
            "select item_key from phenomenon_members where phenomenon_id = ? "
            "and item_kind = 'observation' order by item_key",
            [pid],
        )
    ]


def post_refused(
    client, db: Database, path: str, data: dict[str, Any], tables: tuple[str, ...]
) -> BeautifulSoup:
    """Post a form of the page `path` starts with (/ilmiot/N or /teemat/N) that must be
    refused: 422, that page again with "Virhe: " in its title, and nothing in `tables`
    written."""
    page_path = "/".join(path.split("/")[:3])
    before = table_rows(db, tables)
    data = {"csrf_token": csrf_from(client, page_path), **data}
    answer = client.post(path, data=data, follow_redirects=False)
    assert answer.status_code == 422, answer.text[:300]
    assert table_rows(db, tables) == before
    page = BeautifulSoup(answer.text, "html.parser")
    assert page.title is not None and page.title.get_text().startswith("Virhe: ")
    return page


def refused(client, db: Database, path: str, data: dict[str, Any]) -> BeautifulSoup:
    """A refused form of the phenomenon page: nothing any of its actions writes changed."""
    return post_refused(client, db, path, data, TABLES)


def assert_error_at(page: BeautifulSoup, control_id: str, prefix: str, text: str) -> Tag:
    """The error is on the page once, right before its control, which points at it, is
    marked invalid and takes the focus; returns the control."""
    assert page.get_text().count(text) == 1, page.get_text()
    error = page.select_one(f"#{prefix}-error")
    assert error is not None and text in error.get_text()
    control = page.select_one(f"#{control_id}")
    assert control is not None
    assert error.find_next(control.name) is control  # next to its field
    assert control["aria-invalid"] == "true" and control.has_attr("autofocus")
    assert f"{prefix}-error" in control["aria-describedby"].split()
    assert len(page.select("[autofocus]")) == 1
    return control


@pytest.fixture
def backbone(client) -> None:
    login(client, "tukitiimi", "demo-tukitiimi")


@pytest.mark.parametrize(
    ("typed", "error", "marked"),
    [
        ("ab", "Nimen on oltava 3–120 merkkiä.", []),
        (f"Soita {PHONE} heti", "Tekstissä näyttää olevan", [PHONE]),
    ],
)
def test_refused_rename_keeps_the_typed_title(client, db, backbone, typed, error, marked) -> None:
    pid, _ = two_phenomena(db)
    page = refused(client, db, f"/ilmiot/{pid}/nimi", {"title": typed})
    title = assert_error_at(page, "title", "title", error)
    assert title["value"] == typed
    assert [m.get_text() for m in page.select("#title-marked mark")] == marked
    assert "merkit " not in page.get_text()  # marked in the text, not told by offsets


def test_refused_summary_keeps_the_text_and_marks_the_words(client, db, backbone) -> None:
    pid, _ = two_phenomena(db)
    typed = f"Nuori kertoi numeronsa {PHONE} ja pyysi soittoa."
    page = refused(client, db, f"/ilmiot/{pid}/yhteenveto", {"summary": typed})
    summary = assert_error_at(page, "summary", "summary", "Yhteenveto: Tekstissä näyttää")
    assert summary.get_text() == typed
    assert [m.get_text() for m in page.select("#summary-marked mark")] == [PHONE]
    assert summary["aria-describedby"] == "summary-error summary-marked"

    too_long = "x" * (review.MAX_SUMMARY + 1)
    page = refused(client, db, f"/ilmiot/{pid}/yhteenveto", {"summary": too_long})
    assert assert_error_at(page, "summary", "summary", "liian pitkä").get_text() == too_long
    # The title form next to it shows the stored title, not anything sent to the summary.
    assert page.select_one("#title")["value"] == db.table("phenomena").get(pid)["title"]


def test_merge_without_confirmation_keeps_the_chosen_target(client, db, backbone) -> None:
    a, b = two_phenomena(db)
    page = refused(client, db, f"/ilmiot/{a}/yhdista", {"target": b})
    box = assert_error_at(page, "merge-confirm", "merge-confirm", CONFIRM_MISSING)
    assert not box.has_attr("checked")
    assert page.select_one("#merge-target option[selected]")["value"] == str(b)

    page = refused(client, db, f"/ilmiot/{a}/yhdista", {"target": a, "vahvista": "1"})
    assert_error_at(page, "merge-target", "merge-target", "Ilmiötä ei voi yhdistää itseensä.")
    assert page.select_one("#merge-confirm").has_attr("checked")  # the tick is kept too


def test_refused_split_keeps_the_chosen_items_title_and_tick(client, db, backbone) -> None:
    a, _ = two_phenomena(db)
    chosen = observation_keys(db, a)[:2]
    sent = {"havainto": chosen, "title": "Erotettu osa"}
    page = refused(client, db, f"/ilmiot/{a}/jaa", sent)
    assert_error_at(page, "split-confirm", "split-confirm", CONFIRM_MISSING)
    ticked = [i["value"] for i in page.select("#split-items input[name=havainto][checked]")]
    assert sorted(ticked) == sorted(chosen)
    assert page.select_one("#split-title")["value"] == "Erotettu osa"

    page = refused(client, db, f"/ilmiot/{a}/jaa", {"title": "Erotettu osa", "vahvista": "1"})
    assert page.get_text().count("Valitse jaettavat jäsenet") == 1
    items = page.select_one("#split-items")
    assert items["aria-describedby"] == "split-items-error"
    first = items.select_one("input")
    assert first.has_attr("autofocus") and first["aria-invalid"] == "true"
    assert page.select_one("#split-confirm").has_attr("checked")

    named = f"Soita {PHONE}"
    page = refused(client, db, f"/ilmiot/{a}/jaa", {**sent, "title": named, "vahvista": "1"})
    assert assert_error_at(page, "split-title", "split-title", "Nimi: Tekstissä")["value"] == named
    assert [m.get_text() for m in page.select("#split-title-marked mark")] == [PHONE]


def test_move_asks_for_confirmation_and_keeps_the_choices(client, db, backbone) -> None:
    a, b = two_phenomena(db)
    item = f"observation:{observation_keys(db, a)[1]}"
    page = refused(client, db, f"/ilmiot/{a}/siirra", {"item": item, "target": b})
    assert_error_at(page, "move-confirm", "move-confirm", CONFIRM_MISSING)
    assert page.select_one("#move-item option[selected]")["value"] == item
    assert page.select_one("#move-target option[selected]")["value"] == str(b)

    gone = {"item": "observation:987654321", "target": b, "vahvista": "1"}
    page = refused(client, db, f"/ilmiot/{a}/siirra", gone)
    assert_error_at(page, "move-item", "move-item", "Siirrettävää havaintoa tai uutista ei löydy")
    assert page.select_one("#move-confirm").has_attr("checked")


def test_dismiss_asks_for_confirmation_restore_does_not(client, db, backbone) -> None:
    a, _ = two_phenomena(db)
    page = refused(client, db, f"/ilmiot/{a}/hylkaa", {})
    assert_error_at(page, "dismiss-confirm", "dismiss-confirm", CONFIRM_MISSING)
    csrf = csrf_from(client, f"/ilmiot/{a}")
    done = client.post(f"/ilmiot/{a}/hylkaa", data={"csrf_token": csrf, "vahvista": "1"})
    assert done.status_code == 200 and "Ilmiö hylätty" in done.text
    assert db.table("phenomena").get(a)["dismissed"] == 1

    # Someone else dismissed it meanwhile: the form is gone, the error shows once up top.
    page = refused(client, db, f"/ilmiot/{a}/hylkaa", {})
    fallback = page.select_one("#form-error")
    assert fallback.has_attr("autofocus") and CONFIRM_MISSING in fallback.get_text()
    assert page.get_text().count(CONFIRM_MISSING) == 1

    restored = client.post(f"/ilmiot/{a}/hylkaa", data={"csrf_token": csrf, "restore": "1"})
    assert restored.status_code == 200 and "Ilmiö palautettu" in restored.text
    assert db.table("phenomena").get(a)["dismissed"] == 0


@pytest.mark.parametrize(
    "path",
    ["/yhdista", "/jaa", "/siirra", "/hylkaa"],
)
def test_every_destructive_action_is_refused_without_its_tick(client, db, backbone, path) -> None:
    """Enforced by the server, whatever the browser sent: nothing happens without it."""
    a, b = two_phenomena(db)
    first = observation_keys(db, a)[0]
    data = {"target": b, "havainto": [first], "item": f"observation:{first}", "title": "Osa"}
    page = refused(client, db, f"/ilmiot/{a}{path}", data)
    assert page.get_text().count(CONFIRM_MISSING) == 1
    box = page.select_one("input[name=vahvista][aria-invalid=true]")
    assert box is not None and box.has_attr("autofocus")
    assert not box.has_attr("required")  # the server's message, not the browser's bubble


def test_municipal_reply_refused_by_the_guard_keeps_the_text(client, db) -> None:
    pid = next(
        p
        for (p,) in db.execute("select id from phenomena where dismissed = 0 order by id")
        if "992" in review.phenomenon_municipalities(db, p)
    )
    login(client, "johto", "demo-johto")
    note = f"Sovittu   tapaaminen, soita {PHONE}"
    sent = {"municipality": "992", "status": "toimenpiteitä sovittu", "note": note}
    page = refused(client, db, f"/ilmiot/{pid}/kunnan-vastaus", sent)
    field = assert_error_at(page, "response-note", "response-note", "Huomio: Tekstissä")
    assert field["value"] == note
    assert field["aria-describedby"] == (
        "response-note-hint response-note-error response-note-marked"
    )
    assert [m.get_text() for m in page.select("#response-note-marked mark")] == [PHONE]
    assert "merkit " not in page.get_text()
    chosen = page.select_one("#response-status option[selected]")
    assert chosen["value"] == "toimenpiteitä sovittu"

    sent = {"municipality": "992", "status": "ei toimenpiteitä", "note": ""}
    page = refused(client, db, f"/ilmiot/{pid}/kunnan-vastaus", sent)
    assert_error_at(page, "response-note", "response-note", "Kirjoita perustelu")
    assert page.select_one("#response-status option[selected]")["value"] == "ei toimenpiteitä"


def test_refused_indicator_decision_is_shown_by_that_indicator(client, db, backbone) -> None:
    pid, indicator = db.execute(
        "select phenomenon_id, indicator_id from phenomenon_indicator_links "
        "where decision = 'suggested' order by 1, 2 limit 1"
    ).fetchone()
    page = refused(
        client, db, f"/ilmiot/{pid}/indikaattorit", {"indicator": indicator, "decision": "ehkä"}
    )
    assert page.get_text().count("Tuntematon päätös.") == 1
    error = page.select_one(f"#indicator-{indicator}-error")
    form = error.find_parent("form")
    assert form.select_one("input[name=indicator]")["value"] == str(indicator)
    accept = form.select_one("button[value=accepted]")
    assert accept.has_attr("autofocus")
    assert accept["aria-describedby"] == f"indicator-{indicator}-error"


def test_error_text_in_the_address_is_not_shown(client, db, backbone) -> None:
    """Errors come with the page that refused the form; a link cannot plant one."""
    pid, _ = two_phenomena(db)
    page = client.get(f"/ilmiot/{pid}?virhe=Istunto+vanhentui%2C+kirjaudu+osoitteessa+x")
    assert "Istunto vanhentui" not in page.text


def test_attaching_a_theme_asks_for_confirmation(client, db, backbone) -> None:
    """Attaching moves the theme's observations into a phenomenon, like moving an item."""
    theme = plant_theme(db, ("992",), title="Välituntien yksinäisyys")
    page = BeautifulSoup(client.get(f"/teemat/{theme}").text, "html.parser")
    target = page.select("#attach-target option")[-1]["value"]
    csrf = page.select_one("input[name=csrf_token]")["value"]
    before = table_rows(db, TABLES)
    answer = client.post(f"/teemat/{theme}/liita", data={"csrf_token": csrf, "target": target})
    assert answer.status_code == 422 and answer.text.count(CONFIRM_MISSING) == 1
    again = BeautifulSoup(answer.text, "html.parser")
    assert again.select_one("#attach-target option[selected]")["value"] == target
    assert table_rows(db, TABLES) == before and review.theme_decision(db, theme) == "avoin"
    done = client.post(
        f"/teemat/{theme}/liita",
        data={"csrf_token": csrf, "target": target, "vahvista": "1"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and review.theme_decision(db, theme) == "liitetty"
