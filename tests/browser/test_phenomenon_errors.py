"""The phenomenon page's error paths and the work list rule in a real browser, on a desktop
and a phone: a refused form (status, comment, name, summary, a municipality's reply, a
dismissal without its confirmation) keeps what was chosen or typed, shows its error once
next to the field with focus on it, marks the guard's findings and passes axe; an item
leaves the work list when someone acts on it, not when it is opened."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlite_utils import Database

from tests.browser.test_review_flow import axe_problems, sign_in
from tests.conftest import copy_of_demo

pytestmark = pytest.mark.browser

WIDTHS = [pytest.param(1280, id="desktop"), pytest.param(375, id="phone")]


@pytest.fixture
def db(demo_template, settings) -> Iterator[Database]:
    """This test's own copy of the computed demo."""
    yield from copy_of_demo(demo_template, settings)


def frontline_pid(db: Database) -> int:
    return int(
        db.execute(
            "select m.phenomenon_id from phenomenon_members m join observations o "
            "on o.id = cast(m.item_key as integer) join users u on u.id = o.created_by "
            "where u.username = 'havainnoija' and o.municipality_code = '992' "
            "group by 1 order by count(*) desc limit 1"
        ).fetchone()[0]
    )


def no_horizontal_overflow(page) -> None:
    wide = page.evaluate(
        "() => [...document.querySelectorAll('body *')].filter(e => "
        "e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && "
        "!e.closest('details:not([open])')).map(e => e.tagName + '#' + e.id + '.' + "
        "e.className).slice(0, 5)"
    )
    assert page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    ), wide


@pytest.mark.parametrize("width", WIDTHS)
def test_refused_status_change_and_comment_stay_where_the_user_is(
    live_server, browser_page, db, artifacts, width
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    pid = frontline_pid(db)
    sign_in(page, live_server, "tukitiimi", "demo-tukitiimi")
    page.goto(live_server + f"/ilmiot/{pid}")
    page.screenshot(path=str(artifacts / f"phenomenon-{width}.png"), full_page=True)
    no_horizontal_overflow(page)
    expect(page.locator("section[aria-labelledby=signaalit] .area-signal").first).to_be_visible()

    # A status that needs a reason, without one.
    page.get_by_label("Uusi tila").select_option("ei toimenpiteitä")
    page.get_by_role("button", name="Vaihda tila").click()
    reason = page.locator("#reason")
    expect(reason).to_be_focused()
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#reason-error")).to_contain_text("Kirjoita perustelu")
    expect(page.locator("#reason-error")).to_be_in_viewport()
    expect(page.get_by_label("Uusi tila")).to_have_value("ei toimenpiteitä")
    assert page.get_by_text("Kirjoita perustelu").count() == 1
    page.screenshot(path=str(artifacts / f"phenomenon-status-error-{width}.png"))
    no_horizontal_overflow(page)

    # A comment with a phone number in it.
    typed = "Soitin numeroon 040 123 4567 ja sovimme tapaamisen ensi viikolle."
    page.get_by_label("Kommentoi tai vastaa").fill(typed)
    page.get_by_role("button", name="Lähetä kommentti").click()
    body = page.locator("#comment-body")
    expect(body).to_be_focused()
    expect(body).to_have_value(typed)
    expect(page.locator("#comment-error")).to_be_in_viewport()
    assert page.get_by_text("Tekstissä näyttää olevan").count() == 1
    expect(page.locator("#comment-marked mark")).to_have_text("040 123 4567")
    assert "merkit " not in page.locator("main").inner_text()
    page.screenshot(path=str(artifacts / f"phenomenon-comment-error-{width}.png"))
    no_horizontal_overflow(page)


def refused_in_place(page, control: str, error: str, shot: str) -> None:
    """The refused form's field has the focus and is marked invalid, its error is in view
    and on the page once, the title starts "Virhe: ", axe finds nothing and nothing is
    wider than the screen. The screenshot goes to /tmp/`shot`.png."""
    from playwright.sync_api import expect

    field = page.locator(f"#{control}")
    expect(field).to_be_focused()
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#{control}-error")).to_be_in_viewport()
    expect(page.locator(f"#{control}-error")).to_contain_text(error)
    assert page.get_by_text(error).count() == 1
    expect(page).to_have_title(re.compile("^Virhe: "))
    page.screenshot(path=f"/tmp/{shot}.png")
    no_horizontal_overflow(page)
    assert axe_problems(page) == []


@pytest.mark.parametrize("width", WIDTHS)
def test_refused_name_summary_dismissal_and_reply_stay_where_the_user_is(
    live_server, browser_page, db, width
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    pid = frontline_pid(db)
    stored = db.execute("select title from phenomena where id = ?", [pid]).fetchone()[0]
    sign_in(page, live_server, "tukitiimi", "demo-tukitiimi")
    page.goto(live_server + f"/ilmiot/{pid}")

    page.locator("#title").fill("ab")
    page.get_by_role("button", name="Tallenna nimi").click()
    refused_in_place(page, "title", "Nimen on oltava 3–120 merkkiä.", f"forms-rename-{width}")
    expect(page.locator("#title")).to_have_value("ab")
    expect(page.get_by_role("heading", level=1)).to_have_text(stored)

    typed = "Nuori antoi numeronsa 040 123 4567 ja pyysi soittoa."
    page.get_by_label("Yhteenveto").fill(typed)
    page.get_by_role("button", name="Tallenna yhteenveto").click()
    refused_in_place(page, "summary", "Yhteenveto: Tekstissä näyttää", f"forms-summary-{width}")
    expect(page.locator("#summary")).to_have_value(typed)
    expect(page.locator("#summary-marked mark")).to_have_text("040 123 4567")
    expect(page.locator("#title")).to_have_value(stored)  # the other form shows what is stored

    page.get_by_role("button", name="Hylkää ilmiö").click()  # the box left unticked
    refused_in_place(page, "dismiss-confirm", "Vahvista toiminto", f"forms-dismiss-{width}")
    expect(page.locator("#dismiss-confirm")).not_to_be_checked()
    assert db.execute("select dismissed from phenomena where id = ?", [pid]).fetchone()[0] == 0
    page.locator("#dismiss-confirm").check()
    page.get_by_role("button", name="Hylkää ilmiö").click()
    expect(page.get_by_role("status").first).to_contain_text("Ilmiö hylätty")
    page.get_by_role("button", name="Palauta").click()
    expect(page.get_by_role("status").first).to_contain_text("Ilmiö palautettu")

    # A municipality's own reply with a phone number in its note.
    page.context.clear_cookies()
    sign_in(page, live_server, "johto", "demo-johto")
    page.goto(live_server + f"/ilmiot/{pid}")
    note = "Sovittu tapaaminen, soita 040 123 4567"
    page.get_by_label("Tila kunnassa").select_option("toimenpiteitä sovittu")
    page.get_by_label("Lyhyt huomio").fill(note)
    page.get_by_role("button", name="Tallenna kunnan vastaus").click()
    refused_in_place(page, "response-note", "Huomio: Tekstissä näyttää", f"forms-reply-{width}")
    expect(page.locator("#response-note")).to_have_value(note)
    expect(page.locator("#response-note-marked mark")).to_have_text("040 123 4567")
    expect(page.get_by_label("Tila kunnassa")).to_have_value("toimenpiteitä sovittu")
    assert "merkit " not in page.locator("main").inner_text()
    assert db.table("municipal_responses").count_where("phenomenon_id = ?", [pid]) == 0
    page.screenshot(path=f"/tmp/forms-reply-full-{width}.png", full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_refused_merge_split_and_move_keep_the_choices(
    live_server, browser_page, db, width
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    pid = frontline_pid(db)
    sign_in(page, live_server, "tukitiimi", "demo-tukitiimi")
    page.goto(live_server + f"/ilmiot/{pid}")

    target = page.locator("#merge-target option").nth(1).get_attribute("value")
    page.locator("#merge-target").select_option(target)
    page.get_by_role("button", name="Yhdistä", exact=True).click()
    refused_in_place(page, "merge-confirm", "Vahvista toiminto", f"forms-merge-{width}")
    expect(page.locator("#merge-target")).to_have_value(target)

    # Split with the box ticked but nothing chosen: the first choice takes the focus.
    page.locator("#split-title").fill("Erotettu osa")
    page.locator("#split-confirm").check()
    page.get_by_role("button", name="Jaa valitut uudeksi ilmiöksi").click()
    first = page.locator("#split-items input").first
    expect(first).to_be_focused()
    expect(page.locator("#split-items-error")).to_be_in_viewport()
    assert page.get_by_text("Valitse jaettavat jäsenet").count() == 1
    expect(page.locator("#split-title")).to_have_value("Erotettu osa")
    expect(page.locator("#split-confirm")).to_be_checked()
    page.screenshot(path=f"/tmp/forms-split-{width}.png")
    no_horizontal_overflow(page)
    assert axe_problems(page) == []

    item = page.locator("#move-item option").nth(1).get_attribute("value")
    page.locator("#move-item").select_option(item)
    page.locator("#move-target").select_option(target)
    page.get_by_role("button", name="Siirrä", exact=True).click()
    refused_in_place(page, "move-confirm", "Vahvista toiminto", f"forms-move-{width}")
    expect(page.locator("#move-item")).to_have_value(item)
    expect(page.locator("#move-target")).to_have_value(target)
    members = db.execute(
        "select count(*) from phenomenon_members where phenomenon_id = ?", [pid]
    ).fetchone()[0]
    page.locator("#move-confirm").check()
    page.get_by_role("button", name="Siirrä", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("Siirretty ilmiöön")
    after = db.execute(
        "select count(*) from phenomenon_members where phenomenon_id = ?", [pid]
    ).fetchone()[0]
    assert after == members - 1


@pytest.mark.parametrize("width", WIDTHS)
def test_work_list_item_leaves_when_someone_acts_not_when_opened(
    live_server, browser_page, db, artifacts, width
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    pid = frontline_pid(db)
    item = page.locator(f".signal-list li:has(a[href='/ilmiot/{pid}'])")
    sign_in(page, live_server, "johto", "demo-johto")
    page.goto(live_server + "/tyolista")
    expect(item).to_contain_text("uusi sinulle")
    no_horizontal_overflow(page)
    page.screenshot(path=str(artifacts / f"worklist-before-{width}.png"), full_page=True)

    item.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto(live_server + "/tyolista")
    expect(item).to_be_visible()  # opened is not acted on
    expect(item).not_to_contain_text("uusi sinulle")

    page.goto(live_server + f"/ilmiot/{pid}")
    page.get_by_label("Kommentoi tai vastaa").fill("Otamme tämän HYTE-ryhmään.")
    page.get_by_role("button", name="Lähetä kommentti").click()
    expect(page.locator(".comment-leadership").last).to_contain_text("HYTE-ryhmään")
    page.goto(live_server + "/tyolista")
    expect(item).to_have_count(0)
    page.screenshot(path=str(artifacts / f"worklist-after-{width}.png"), full_page=True)
