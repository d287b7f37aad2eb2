"""Each role's front page in a real browser: signing in lands there, it passes axe-core, and
it fits a phone's width (screenshots at 1280 px and 375 px into tests/artifacts/)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlite_utils import Database

from nakyma import review
from nakyma.accounts import get_user
from tests.browser.test_emerging_flow import screenshots
from tests.browser.test_review_flow import axe_problems, sign_in
from tests.conftest import copy_of_demo, plant_theme

pytestmark = pytest.mark.browser

HOMES = [
    ("havainnoija", "/havainnot/uusi", "Vastaukset havaintoihisi"),
    ("johto", "/omat-kunnat", "Omat kunnat"),
    ("tukitiimi", "/yleiskuva", "Yleiskuva"),
    ("admin", "/yleiskuva", "Yleiskuva"),
]


@pytest.fixture
def db(demo_template, settings) -> Iterator[Database]:
    yield from copy_of_demo(demo_template, settings)


def test_each_role_lands_on_its_home(live_server, browser_page, db, artifacts) -> None:
    from playwright.sync_api import expect

    plant_theme(db, ("992", "275"), title="Puhelimet välitunneilla")
    plant_theme(db, ("179",), title="Iltapäivien yksinäisyys")
    worker, boss = get_user(db, "havainnoija"), get_user(db, "johto")
    assert worker is not None and boss is not None
    pid = min(p["id"] for p in review.my_observations_with_phenomena(db, worker).values())
    review.add_comment(db, boss, pid, "Kiitos havainnoista, asia on johtoryhmän listalla.")
    review.set_municipal_response(db, boss, pid, "992", "käsittelyssä")

    page = browser_page
    for role, home, text in HOMES:
        page.context.clear_cookies()
        sign_in(page, live_server, role, f"demo-{role}")
        page.wait_for_url(live_server + home)
        expect(page.locator("main")).to_contain_text(text)
        expect(page.get_by_role("link", name="Etusivu")).to_have_attribute("href", home)
        assert axe_problems(page) == [], role
        screenshots(page, artifacts, f"home-{role}")
