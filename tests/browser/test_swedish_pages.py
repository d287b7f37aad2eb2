"""The main pages in Swedish in a real browser, on a phone (375 px) and a desktop (1280 px):
Swedish words are longer than Finnish ones in places, so no page may scroll sideways or fail
axe-core; each page is saved as a screenshot (test-artifacts/sv-*.png) to be looked at."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlite_utils import Database

from nakyma.accounts import get_user, set_language
from tests.browser.test_emerging_flow import overflow, too_wide
from tests.browser.test_review_flow import axe_problems, sign_in
from tests.conftest import copy_of_demo, plant_theme

pytestmark = pytest.mark.browser


@pytest.fixture
def db(demo_template, settings) -> Iterator[Database]:
    yield from copy_of_demo(demo_template, settings)


def test_main_pages_in_swedish_fit_a_phone_and_a_desktop(
    live_server, browser_page, db, artifacts
) -> None:
    theme = plant_theme(db, ("992", "275"), title="Puhelimet välitunneilla")
    pid = db.execute(
        "select id from phenomena where size > 0 order by size desc limit 1"
    ).fetchone()[0]
    pages = {
        "etusivu": "/",
        "kunta": "/kunnat/992",
        "ilmio": f"/ilmiot/{pid}",
        "teema": f"/teemat/{theme}",
        "yleiskuva": "/yleiskuva",
        "kuntaryhma": "/kuntaryhmat/jamsa-keuruu",
        "alue": "/alue",
        "tyolista": "/tyolista",
        "muutokset": "/muutokset",
        "viennit": "/viennit",
        "muistio": "/viennit/muistio",
        "havainto": "/havainnot/uusi",
        "omat": "/havainnot/omat",
        "haku": "/haku?q=kiusaaminen",
        "ajot": "/ajot",
        "loki": "/tapahtumaloki",
    }
    admin = get_user(db, "admin")
    assert admin is not None
    set_language(db, admin.id, "sv")
    page = browser_page
    sign_in(page, live_server, "admin", "demo-admin")
    page.wait_for_load_state()
    problems = []
    for name, path in pages.items():
        page.goto(live_server + path)
        assert page.get_attribute("html", "lang") == "sv", path
        for width, height in ((375, 800), (1280, 900)):
            page.set_viewport_size({"width": width, "height": height})
            page.screenshot(path=str(artifacts / f"sv-{name}-{width}.png"), full_page=True)
            if (extra := overflow(page)) > 0:
                problems.append(f"{path} at {width} px: {extra} px too wide {too_wide(page)}")
        problems += [f"{path}: {p}" for p in axe_problems(page)]
    assert problems == [], "\n".join(problems)
