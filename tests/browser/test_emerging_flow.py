"""Emerging themes in a real browser: leadership follows a theme from its municipality page,
promotes it into a phenomenon, and the phenomenon and the decision survive a full run of the
phenomena pipeline; the theme and municipality pages fit a phone's width."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlite_utils import Database

from tests.browser.test_review_flow import axe_problems, sign_in
from tests.conftest import DEMO_TODAY, copy_of_demo, plant_theme

pytestmark = pytest.mark.browser

TITLE = "Välituntien puhelinkiusaaminen"


@pytest.fixture
def db(demo_template, settings) -> Iterator[Database]:
    """This test's own copy of the computed demo."""
    yield from copy_of_demo(demo_template, settings)


def overflow(page) -> int:
    """How many pixels the page is wider than its viewport (0: no sideways scrolling)."""
    return int(page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth"))


def too_wide(page) -> list[str]:
    """The innermost elements reaching past the viewport's right edge, for the message."""
    return page.evaluate(
        """() => [...document.querySelectorAll('main *')]
          .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
          .filter(e => ![...e.children].some(
              c => c.getBoundingClientRect().right > window.innerWidth + 1))
          .slice(0, 8)
          .map(e => e.tagName + ' ' + Math.round(e.getBoundingClientRect().right))"""
    )


def screenshots(page, artifacts, name: str) -> None:
    """The current page at 1280 px and at 375 px (a phone), full length, with no sideways
    overflow at either width."""
    for width, height in ((1280, 900), (375, 800)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(artifacts / f"{name}-{width}.png"), full_page=True)
        assert overflow(page) <= 0, f"{name} overflows at {width} px: {too_wide(page)}"
    page.set_viewport_size({"width": 1100, "height": 900})


def test_leadership_promotes_an_emerging_theme(
    live_server, browser_page, db, settings, artifacts
) -> None:
    from playwright.sync_api import expect

    from pipelines.registry import run_pipeline

    page = browser_page
    theme = plant_theme(db, ("992", "275"), per_municipality=3, title="Puhelimet välitunneilla")
    members = {
        r[0]
        for r in db.execute("select item_key from emerging_members where theme_id = ?", [theme])
    }
    sign_in(page, live_server, "johto", "demo-johto")
    page.goto(live_server + "/kunnat/992")
    listed = page.locator(".emerging-theme", has_text="Puhelimet välitunneilla")
    expect(listed.locator(".badge-teema")).to_have_text("Nouseva teema")
    screenshots(page, artifacts, "emerging-municipality")
    listed.get_by_role("link", name="Puhelimet välitunneilla").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Puhelimet välitunneilla")
    assert axe_problems(page) == []
    screenshots(page, artifacts, "emerging-theme")

    # The confirmation is checked by the server (tests/browser/test_theme_errors.py); ticked here.
    page.get_by_label("Uuden ilmiön nimi").fill(TITLE)
    page.get_by_label("Vahvistan, että havainnot siirretään uuteen ilmiöön").check()
    page.get_by_role("button", name="Nosta ilmiöksi").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_role("status").first).to_contain_text("nostettiin uudeksi ilmiöksi")
    pid = int(page.url.split("/ilmiot/")[1].split("?")[0])
    assert page.locator(".observation").count() == len(members)
    page.screenshot(path=str(artifacts / "emerging-promoted.png"), full_page=True)

    # A full run of the phenomena pipeline replays the decision.
    assert run_pipeline(db, settings, "phenomena", as_of=DEMO_TODAY).status == "ok"
    kept = {
        r[0]
        for r in db.execute(
            "select item_key from phenomenon_members where phenomenon_id = ?", [pid]
        )
    }
    assert kept == members
    page.goto(live_server + f"/ilmiot/{pid}")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator(".observation")).to_have_count(len(members))
    page.goto(live_server + f"/teemat/{theme}")
    expect(page.locator(".status-line")).to_contain_text("Nostettu ilmiöksi")
    expect(page.locator("#paatos").get_by_role("link", name=TITLE)).to_be_visible()
    page.goto(live_server + "/kunnat/992")
    expect(page.locator(".emerging-theme", has_text="Puhelimet välitunneilla")).to_have_count(0)
