"""403 and 404 pages: the normal layout, the user's menu when signed in, a Finnish reason."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from sqlite_utils import Database

from tests.conftest import copy_of_demo, login

HTML = {"accept": "text/html"}


@pytest.fixture
def db(demo_template, settings) -> Iterator[Database]:
    """This test's own copy of the computed demo."""
    yield from copy_of_demo(demo_template, settings)


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def test_404_has_the_layout_and_a_link_home(client, make_user) -> None:
    anonymous = client.get("/ei-tallaista-sivua", headers=HTML)
    assert anonymous.status_code == 404
    html = page(anonymous)
    assert html.find("h1").get_text(strip=True) == "Sivua ei löytynyt."
    assert html.find("a", href="/") is not None
    assert "Not Found" not in anonymous.text
    make_user("tuki", "tukitiimi")
    login(client, "tuki")
    signed_in = page(client.get("/ei-tallaista-sivua", headers=HTML))
    assert signed_in.find("a", href="/tyolista") is not None  # the user's own menu
    missing = page(client.get("/ilmiot/999999", headers=HTML))
    assert "Ilmiötä ei löydy." in missing.get_text()


def test_403_says_why_in_finnish_with_the_menu(client, db, make_user) -> None:
    make_user("kayttaja", "havainnoija")
    login(client, "kayttaja")
    response = client.get("/tapahtumaloki", headers=HTML)
    assert response.status_code == 403
    html = page(response)
    assert html.find("h1").get_text(strip=True) == "Sinulla ei ole oikeutta tähän sivuun."
    assert "Sivu ei kuulu käyttäjäroolisi tehtäviin." in html.get_text()
    assert html.find(class_="who") is not None


def test_403_for_a_phenomenon_outside_ones_municipalities(client, db, make_user) -> None:
    other = db.execute(
        "select p.id from phenomena p where p.size > 0 and not exists ("
        " select 1 from phenomenon_members m join observations o"
        " on o.id = cast(m.item_key as integer) where m.phenomenon_id = p.id"
        " and o.municipality_code = '410') and not exists ("
        " select 1 from phenomenon_members m join headline_municipalities h"
        " on h.guid = m.item_key where m.phenomenon_id = p.id and h.municipality_code = '410')"
        " order by p.id limit 1"
    ).fetchone()[0]
    make_user("laukaa", "johto", ("Laukaa",))
    login(client, "laukaa")
    response = client.get(f"/ilmiot/{other}", headers=HTML)
    assert response.status_code == 403
    assert "Ilmiö ei koske kuntiasi." in page(response).get_text()
