"""The municipality page in a real browser, on a desktop and a phone: no sideways scrolling,
chart text at least 14 px as rendered (SVG text scales with the viewBox), no serious axe
findings, and only the theme groups with a worsening indicator open."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlite_utils import Database

from tests.browser.test_review_flow import axe_problems, sign_in
from tests.conftest import copy_of_demo

pytestmark = pytest.mark.browser

WIDTHS = [pytest.param(1280, id="desktop"), pytest.param(375, id="phone")]
MIN_TEXT_PX = 14

# The rendered size of every visible chart text: its CSS font size times the SVG's scale.
CHART_TEXT_SIZES = """() => [...document.querySelectorAll('svg.chart text')]
  .filter(t => t.getBoundingClientRect().width > 0)
  .map(t => [t.textContent, parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a])"""


@pytest.fixture
def db(demo_template, settings) -> Iterator[Database]:
    """This test's own copy of the computed demo."""
    yield from copy_of_demo(demo_template, settings)


def worsening_ids(db: Database, code: str) -> set[int]:
    return {
        r[0]
        for r in db.execute(
            "select indicator_id from indicator_signals where municipality_code = ? "
            "and direction = 'worse'",
            [code],
        )
    }


def assert_no_horizontal_overflow(page) -> None:
    wide = page.evaluate(
        "() => [...document.querySelectorAll('body *')].filter(e => "
        "e.getBoundingClientRect().right > window.innerWidth + 1 && "
        "!e.closest('details:not([open])')).map(e => e.tagName + '.' + e.className).slice(0, 5)"
    )
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), wide


def assert_chart_text_readable(page) -> int:
    sizes = page.evaluate(CHART_TEXT_SIZES)
    small = [(text, round(size, 1)) for text, size in sizes if size < MIN_TEXT_PX]
    assert not small, small[:5]
    return len(sizes)


@pytest.mark.parametrize("width", WIDTHS)
def test_municipality_page_reads_on_desktop_and_phone(live_server, browser_page, db, width) -> None:
    from playwright.sync_api import expect

    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "johto", "demo-johto")
    worse = worsening_ids(db, "992")
    assert 1086 in worse

    page.goto(live_server + "/kunnat/992")
    expect(page.get_by_role("heading", name="Ilmiöt ja heikot signaalit")).to_be_visible()
    page.screenshot(path=f"/tmp/muni-aanekoski-{width}.png", full_page=True)
    assert_no_horizontal_overflow(page)
    groups = page.locator("details.indicator-group")
    states = groups.evaluate_all(
        "gs => gs.map(g => [g.id, g.open, [...g.querySelectorAll('figure.chart-card')]"
        ".map(f => Number(f.id.replace('ind-', '')))])"
    )
    assert any(not is_open for _, is_open, _ in states), "groups without worsening stay closed"
    for group_id, is_open, ids in states:
        assert is_open == bool(set(ids) & worse), group_id
    expect(page.locator("#teema-arjen_turvallisuus")).to_have_attribute("open", "")
    assert assert_chart_text_readable(page) > 0
    assert axe_problems(page) == []

    # Every group opened: all charts fit the width and their text stays readable.
    page.locator("details.indicator-group:not([open]) > summary").first.click()
    page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    assert_no_horizontal_overflow(page)
    assert assert_chart_text_readable(page) >= 25
    page.screenshot(path=f"/tmp/muni-aanekoski-{width}-all.png", full_page=True)

    # Konnevesi: computed, nothing flagged, every group closed.
    page.goto(live_server + "/kunnat/275")
    expect(page.locator(".nothing-flagged")).to_contain_text(
        "Konnevedellä ei ole nyt heikkoja signaaleja eikä nousevia teemoja."
    )
    if not worsening_ids(db, "275"):
        assert page.locator("details.indicator-group[open]").count() == 0
    assert_no_horizontal_overflow(page)
    assert axe_problems(page) == []
    page.screenshot(path=f"/tmp/muni-konnevesi-{width}.png", full_page=True)
