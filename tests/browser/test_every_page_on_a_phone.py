"""Every page a user can reach, as each role, on a phone (375 px) and a desktop (1280 px): no
sideways scrolling and no serious or critical axe-core violation. Error pages (403, 404, a
search with no hits, a refused form) are pages too."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlite_utils import Database

from nakyma.accounts import get_user
from nakyma.review import my_observations_with_phenomena
from tests.browser.test_emerging_flow import overflow, too_wide
from tests.browser.test_review_flow import axe_problems, sign_in
from tests.conftest import copy_of_demo, plant_theme

pytestmark = pytest.mark.browser

WIDTHS = [pytest.param(375, id="phone"), pytest.param(1280, id="desktop")]


@pytest.fixture
def db(demo_template, settings) -> Iterator[Database]:
    yield from copy_of_demo(demo_template, settings)


def pages(db: Database) -> dict[str, list[str]]:
    """Per role, the pages it can open (and a few it cannot: their 403 and 404 pages)."""
    theme = plant_theme(db, ("992", "275"), title="Puhelimet välitunneilla")
    worker = get_user(db, "havainnoija")
    assert worker is not None
    pid = min(p["id"] for p in my_observations_with_phenomena(db, worker).values())
    common = [f"/ilmiot/{pid}", "/haku?q=kiusaaminen", "/haku?q=xyzxyz", "/ei-tallaista-sivua"]
    return {
        "havainnoija": [
            "/havainnot/uusi",
            "/havainnot/omat",
            "/havainnot/omat?sivu=2",
            "/vastaukset",
            "/tyolista",  # 403
            *common,
        ],
        "johto": [
            "/omat-kunnat",
            "/kunnat/992",
            "/kunnat/275",
            "/alue",
            f"/teemat/{theme}",
            "/tyolista",
            "/muutokset",
            *common,
        ],
        "tukitiimi": [
            "/yleiskuva",
            "/kunnat/179",
            "/viennit",
            "/viennit/muistio",
            *common,
        ],
        "admin": ["/yleiskuva", "/ajot", "/tapahtumaloki", "/kunnat/312"],
    }


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways_or_fails_axe(live_server, browser_page, db, width) -> None:
    page = browser_page
    page.set_viewport_size({"width": width, "height": 800})
    problems = []
    seen = 0
    for role, paths in pages(db).items():
        page.context.clear_cookies()
        sign_in(page, live_server, role, f"demo-{role}")
        page.wait_for_load_state()
        for path in paths:
            page.goto(live_server + path)
            seen += 1
            if (extra := overflow(page)) > 0:
                problems.append(f"{role} {path}: {extra} px too wide {too_wide(page)}")
            problems += [f"{role} {path}: {p}" for p in axe_problems(page)]
    assert seen >= 30
    assert problems == [], "\n".join(problems)
