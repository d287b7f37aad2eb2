"""The emerging-theme page's refused decisions in a real browser, on a desktop and a phone:
a promotion whose new name has a phone number in it, and a dismissal without its
confirmation, keep what was typed or chosen, show the error once next to the field with
focus on it, mark the guard's findings, pass axe and fit the screen's width."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlite_utils import Database

from nakyma import review
from tests.browser.test_phenomenon_errors import refused_in_place
from tests.browser.test_review_flow import sign_in
from tests.conftest import copy_of_demo, plant_theme

pytestmark = pytest.mark.browser

WIDTHS = [pytest.param(1280, id="desktop"), pytest.param(375, id="phone")]
PHONE = "040 123 4567"


@pytest.fixture
def db(demo_template, settings) -> Iterator[Database]:
    """This test's own copy of the computed demo."""
    yield from copy_of_demo(demo_template, settings)


@pytest.mark.parametrize("width", WIDTHS)
def test_refused_promotion_and_dismissal_stay_where_the_user_is(
    live_server, browser_page, db, width
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    theme = plant_theme(db, ("992",), title="Välituntien yksinäisyys")
    sign_in(page, live_server, "johto", "demo-johto")
    page.goto(live_server + f"/teemat/{theme}")

    # A new phenomenon's name with a phone number in it.
    typed = f"Soita {PHONE} välitunnilla"
    page.get_by_label("Uuden ilmiön nimi").fill(typed)
    page.get_by_label("Vahvistan, että havainnot siirretään uuteen ilmiöön").check()
    page.get_by_role("button", name="Nosta ilmiöksi").click()
    refused_in_place(
        page, "promote-title", "Nimi: Tekstissä näyttää olevan", f"theme-promote-{width}"
    )
    expect(page.locator("#promote-title")).to_have_value(typed)
    expect(page.locator("#promote-title-marked mark")).to_have_text(PHONE)
    expect(page.locator("#promote-confirm")).to_be_checked()
    assert "merkit " not in page.locator("main").inner_text()
    expect(page.get_by_role("heading", level=1)).to_have_text("Välituntien yksinäisyys")
    page.screenshot(path=f"/tmp/theme-promote-full-{width}.png", full_page=True)

    # A dismissal with its box left unticked: the server's message, not the browser's.
    page.get_by_role("button", name="Hylkää teema").click()
    refused_in_place(page, "dismiss-confirm", "Vahvista toiminto", f"theme-dismiss-{width}")
    expect(page.locator("#dismiss-confirm")).not_to_be_checked()
    expect(page.locator("#promote-title")).to_have_value("Välituntien yksinäisyys")
    assert review.theme_decision(db, theme) == "avoin"
    page.locator("#dismiss-confirm").check()
    page.get_by_role("button", name="Hylkää teema").click()
    expect(page.get_by_role("status").first).to_contain_text("Teema hylätty")
    page.get_by_role("button", name="Palauta teema").click()
    expect(page.get_by_role("status").first).to_contain_text("Teema palautettu")
    assert review.theme_decision(db, theme) == "avoin"
