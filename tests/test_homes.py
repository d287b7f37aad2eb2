"""Each role's front page: where sign-in lands, what each home shows, and its scoping."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from sqlite_utils import Database

from nakyma import homes, review
from nakyma.accounts import get_user
from nakyma.regions import load_region
from nakyma.views import weak_signals_for
from tests.conftest import copy_of_demo, login, plant_theme

DEMO = {
    "havainnoija": "demo-havainnoija",
    "johto": "demo-johto",
    "tukitiimi": "demo-tukitiimi",
    "admin": "demo-admin",
}


@pytest.fixture
def db(demo_template, settings) -> Iterator[Database]:
    yield from copy_of_demo(demo_template, settings)


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def _user(db: Database, name: str):
    user = get_user(db, name)
    assert user is not None
    return user


@pytest.mark.parametrize(
    ("role", "home"),
    [
        ("havainnoija", "/havainnot/uusi"),
        ("johto", "/omat-kunnat"),
        ("tukitiimi", "/yleiskuva"),
        ("admin", "/yleiskuva"),
    ],
)
def test_sign_in_lands_on_the_role_home_and_nav_links_it(client, db, role, home) -> None:
    login(client, role, DEMO[role])
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == home
    page = soup(client.get(home))
    etusivu = [a for a in page.select("nav a") if a.get_text(strip=True) == "Etusivu"]
    assert etusivu and etusivu[0]["href"] == home


def test_leadership_home_shows_only_its_municipalities(client, db) -> None:
    region = load_region()
    boss = _user(db, "johto")
    outside = plant_theme(db, ("179",), title="Jyväskylän oma teema")
    inside = plant_theme(db, ("992",), title="Äänekosken oma teema")
    data = homes.leadership_home(db, region, boss, since=None)
    assert [m.code for m in data.municipalities] == ["275", "992"]  # Konnevesi, Äänekoski
    own = {s["phenomenon_id"] for m in data.municipalities for s in m.signals}
    expected = {
        s["phenomenon_id"]
        for code in boss.municipalities
        for s in weak_signals_for(db, region, boss, municipality=code, limit=10)
    }
    assert own == expected
    themes = {t["theme_id"] for m in data.municipalities for t in m.themes}
    assert inside in themes and outside not in themes
    login(client, "johto", DEMO["johto"])
    page = soup(client.get("/omat-kunnat"))
    text = page.get_text(" ")
    assert "Äänekosken oma teema" in text and "Jyväskylän oma teema" not in text
    assert [h.get_text(strip=True) for h in page.select("main h2")][:2] == [
        "Konnevesi",
        "Äänekoski",
    ]
    assert "Heikot signaalit Äänekoskella" in text or "Ei heikkoja signaaleja Äänekoskella" in text
    assert page.find("a", href="/tyolista") is not None


def test_leadership_home_puts_what_is_new_since_the_last_visit_first(client, db) -> None:
    region = load_region()
    boss = _user(db, "johto")
    assert homes.last_home_visit(db, boss) is None
    login(client, "johto", DEMO["johto"])
    client.get("/omat-kunnat")
    first = homes.last_home_visit(db, boss)
    assert first is not None
    again = homes.leadership_home(db, region, boss, since=first)
    assert again.new_count == 0
    assert not any(s["new"] for m in again.municipalities for s in m.signals)
    # A theme flagged after the visit is new and comes first in its municipality.
    fresh = plant_theme(db, ("992",), title="Tuore teema", as_of="2999-01-01")
    after = homes.leadership_home(db, region, boss, since=first)
    aanekoski = next(m for m in after.municipalities if m.code == "992")
    assert aanekoski.themes[0]["theme_id"] == fresh and aanekoski.themes[0]["new"]
    assert after.new_count == 1
    page = soup(client.get("/omat-kunnat"))
    assert "Uusi" in page.get_text() and "Edellinen käyntisi" in page.get_text()


def test_frontline_sees_replies_only_on_phenomena_its_observations_joined(client, db) -> None:
    region = load_region()
    worker, boss, team = _user(db, "havainnoija"), _user(db, "johto"), _user(db, "tukitiimi")
    mine = {p["id"] for p in review.my_observations_with_phenomena(db, worker).values()}
    assert mine
    pid = min(mine)
    others = [
        r[0]
        for r in db.execute("select id from phenomena where dismissed = 0 and merged_into is null")
        if r[0] not in mine
    ]
    assert others
    review.add_comment(db, boss, pid, "Kiitos, otamme asian esille johtoryhmässä.")
    review.add_comment(db, worker, pid, "Kollegan oma kommentti, ei vastaus.")
    review.add_comment(db, team, others[0], "Tämä koskee toista ilmiötä.")
    review.set_municipal_response(db, boss, pid, "992", "käsittelyssä")
    replies = homes.replies_to_observations(db, region, worker)
    assert {r["phenomenon_id"] for r in replies} == {pid}
    bodies = [r["body"] for r in replies if r["action"] == "comment"]
    assert bodies == ["Kiitos, otamme asian esille johtoryhmässä."]
    assert replies[0]["action"] == "municipal_response"  # newest first
    login(client, "havainnoija", DEMO["havainnoija"])
    form = soup(client.get("/havainnot/uusi"))
    box = form.select_one(".replies-box")
    assert box is not None and box.find("form") is None
    assert "Vastaukset havaintoihisi" in box.get_text()
    assert "Äänekoski vastasi – Käsittelyssä" in box.get_text(" ", strip=True)
    assert box.find("a", href=f"/ilmiot/{pid}") is not None
    assert form.find("textarea") is not None  # the form is still there
    full = soup(client.get("/vastaukset")).get_text(" ")
    assert "otamme asian esille" in full
    assert "Kollegan oma kommentti" not in full and "toista ilmiötä" not in full


def test_county_overview_grid_counts_signals_per_municipality(client, db) -> None:
    region = load_region()
    team = _user(db, "tukitiimi")
    plant_theme(db, ("179",), title="Jyväskylän teema")
    data = homes.county_overview(db, region, team)
    assert len(data.tiles) == len(region.municipalities) == 22
    jkl = next(t for t in data.tiles if t.code == "179")
    assert jkl.themes >= 1
    assert jkl.signals == sum(
        s["category"] in homes.CURRENT_SIGNALS
        for s in weak_signals_for(db, region, team, municipality="179", limit=10_000)
    )
    login(client, "tukitiimi", DEMO["tukitiimi"])
    page = soup(client.get("/yleiskuva"))
    svg = page.select_one("svg.county-grid")
    assert svg is not None
    links = svg.find_all("a")
    assert sorted(a["href"] for a in links) == sorted(
        f"/kunnat/{m.code}" for m in region.municipalities
    )
    label = next(a.title.get_text() for a in links if a["href"] == "/kunnat/179")
    assert label.startswith("Jyväskylä: ") and "teema" in label and "signaali" in label
    # Readable without colour: every tile writes its numbers, an active one has a marker.
    assert len(svg.select("text.tile-name")) == 22
    active = [t for t in data.tiles if t.signals or t.themes]
    assert len(svg.select("path.tile-marker")) == len(active)
    assert "Jyväskylän teema" in page.get_text()


def test_homes_are_refused_to_other_roles(client, db) -> None:
    login(client, "havainnoija", DEMO["havainnoija"])
    assert client.get("/omat-kunnat").status_code == 403
    assert client.get("/yleiskuva").status_code == 403
    login(client, "johto", DEMO["johto"])
    assert client.get("/yleiskuva").status_code == 403
    login(client, "tukitiimi", DEMO["tukitiimi"])
    assert client.get("/omat-kunnat").status_code == 403
