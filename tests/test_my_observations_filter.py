"""'Omat havainnot': filter by municipality, dates and text, with paging that keeps them."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from nakyma.observations import submit_observation
from nakyma.views import my_observations, observation_filters
from tests.conftest import valid_observation


@pytest.fixture
def seeded(db, region, today, frontline):
    for text, town, day in (
        ("Nuorisotilalla puhuttiin energiajuomista.", "Äänekoski", "2026-01-10"),
        ("Koulussa kiusaaminen lisääntynyt välitunneilla.", "Laukaa", "2026-01-12"),
        ("Energiajuomia myydään alaikäisille kaupassa.", "Laukaa", "2026-01-14"),
    ):
        submit_observation(
            db,
            valid_observation(text=text, municipality=town, observed_on=day),
            region=region,
            source="lomake",
            today=today,
            created_by=frontline.id,
        )
    return frontline


def texts(response) -> list[str]:
    page = BeautifulSoup(response.text, "html.parser")
    return [p.get_text() for p in page.select(".observation-text")]


def test_filters_narrow_the_list(client: TestClient, seeded) -> None:
    assert len(texts(client.get("/havainnot/omat"))) == 3
    assert texts(client.get("/havainnot/omat?kunta=410")) == [
        "Energiajuomia myydään alaikäisille kaupassa.",
        "Koulussa kiusaaminen lisääntynyt välitunneilla.",
    ]
    assert texts(client.get("/havainnot/omat?alkaen=11.1.2026&asti=2026-01-13")) == [
        "Koulussa kiusaaminen lisääntynyt välitunneilla."
    ]
    response = client.get("/havainnot/omat?sisaltaa=energiajuom")
    assert len(texts(response)) == 2
    assert "Rajausta vastaa 2 havaintoa." in response.text
    nothing = client.get("/havainnot/omat?sisaltaa=ei+tällaista")
    assert "Rajausta vastaavia havaintoja ei ole." in nothing.text


def test_bad_filter_input_gets_a_finnish_message(client: TestClient, seeded) -> None:
    response = client.get("/havainnot/omat?alkaen=eilen&kunta=Tampere&sivu=x")
    assert response.status_code == 400
    page = BeautifulSoup(response.text, "html.parser")
    text = page.get_text()
    assert "Alkupäivä ei ole päivämäärä. Kirjoita muodossa 22.11.2026." in text
    assert "Kuntaa ”Tampere” ei ole alueella." in text
    assert page.find(id="alkaen")["aria-invalid"] == "true"
    reversed_dates = client.get("/havainnot/omat?alkaen=2026-02-01&asti=2026-01-01")
    assert "Loppupäivä on ennen alkupäivää." in reversed_dates.text


def test_paging_keeps_the_filter(db, region, seeded) -> None:
    filters, errors = observation_filters(region, municipality="Laukaa")
    assert not errors and filters == {"kunta": "410"}
    first = my_observations(db, region, seeded, page=1, per_page=1, filters=filters)
    second = my_observations(db, region, seeded, page=2, per_page=1, filters=filters)
    assert (first.total, first.pages) == (2, 2)
    assert first.observations[0]["text"] != second.observations[0]["text"]


def test_pager_links_carry_the_filter(client: TestClient, db, region, today, frontline) -> None:
    for i in range(51):
        submit_observation(
            db,
            valid_observation(text=f"Havainto numero {i} nuorisotilalta.", municipality="Laukaa"),
            region=region,
            source="lomake",
            today=today,
            created_by=frontline.id,
        )
    page = BeautifulSoup(client.get("/havainnot/omat?kunta=410").text, "html.parser")
    link = page.find("a", string="Seuraava sivu")
    assert link["href"] == "?kunta=410&sivu=2"
