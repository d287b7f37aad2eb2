"""The phenomenon page's error paths and the work list rule in a real browser, on a desktop
and a phone: a refused status change or comment keeps what was chosen or typed, shows its
error once next to the field with focus on it, and marks the guard's findings; an item
leaves the work list when someone acts on it, not when it is opened."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlite_utils import Database

from tests.browser.test_review_flow import sign_in
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
