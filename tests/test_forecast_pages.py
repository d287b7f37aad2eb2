"""The "Ennakointi" section on the municipality page and the county overview: the headline,
each forecast's chart with both intervals, the verdict and its figures behind "Miten tämä on
laskettu", the leading evidence beside it as the reader may see it, and a plain note when no
forecasts have been computed."""

from __future__ import annotations

from datetime import date

import pytest
from bs4 import BeautifulSoup

from tests.conftest import login
from tests.forecast_seed import seed_forecast, seed_indicator, seed_phenomenon
from web.charts import forecast_chart


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200, response.text
    return BeautifulSoup(response.text, "html.parser")


def section(page: BeautifulSoup):
    found = page.select_one("section[aria-labelledby=ennakointi]")
    assert found is not None
    return found


@pytest.fixture
def forecasts(db, region, settings) -> date:
    today = settings.today()
    seed_indicator(db, 1050, "Kodin ulkopuolelle sijoitetut 0–17-vuotiaat")
    seed_indicator(db, 1060, "Lastensuojeluilmoitukset", unit="/ 1 000", theme="a")
    for kind, code in (("kunta", "992"), ("hyvinvointialue", region.code)):
        seed_forecast(
            db,
            1050,
            kind,
            code,
            history=[1.0, 1.1, 1.2, 1.2],
            ahead=[1.2] * 3,
            method="naive",
            beats_naive=False,
            mase=1.0,
            coverage80=0.7,
        )
        seed_forecast(
            db,
            1060,
            kind,
            code,
            history=[40.0, 44.0, 47.0, 51.0],
            ahead=[55.0, 59.0, 63.0],
            width=1.5,
            mase=0.61,
            coverage80=0.9,
        )
    seed_phenomenon(
        db,
        7,
        "Perheiden uupumus",
        indicator=1060,
        observations={"992": (8, 4), "182": (6, 0)},
        today=today,
    )
    return today


def test_municipality_page_shows_forecasts_with_verdict_and_figures(
    client, make_user, forecasts
) -> None:
    make_user("tuki", role="tukitiimi")
    login(client, "tuki")
    part = section(soup(client.get("/kunnat/992")))
    text = part.get_text(" ", strip=True)
    assert "Tilastojen perusteella Äänekoskella odotetaan vuoteen 2027 mennessä nousua" in text
    cards = part.select("article.forecast-card")
    assert [c.h3.get_text(" ", strip=True).split(" (")[0] for c in cards] == [
        "Lastensuojeluilmoitukset",
        "Kodin ulkopuolelle sijoitetut 0–17-vuotiaat",
    ]
    growing, flat = cards
    assert growing.select_one("svg.forecast-chart .band80")
    assert growing.select_one("svg.forecast-chart .band95")
    assert "Ennuste: 2025 55,0" in growing.select_one("svg")["aria-label"]
    assert growing.select_one(".verdict").get_text().startswith("Ennuste jatkaa trendiä;")
    how = growing.find("summary", string="Miten tämä on laskettu").parent
    assert "MASE 0,61" in how.get_text()
    assert "trendin jatko (drift)" in how.get_text()
    table = growing.select_one("table.forecast-table")
    assert [th.get_text() for th in table.select("tbody th")] == ["2025", "2026", "2027"]
    assert flat.select_one(".verdict").get_text().startswith("Mikään menetelmä ei ennustanut")
    evidence = growing.select_one(".leading-evidence").get_text(" ", strip=True)
    # The backbone team reads no municipality exactly: small counts as "<5".
    assert "Perheiden uupumus" in evidence
    assert "Havaintoja 8 viimeisen puolen vuoden aikana, edellisellä puolivuotiskaudella <5" in (
        evidence
    )


def test_leader_sees_own_counts_exactly(client, make_user, forecasts) -> None:
    make_user("johto-a", role="johto", municipalities=("Äänekoski",))
    login(client, "johto-a")
    part = section(soup(client.get("/kunnat/992")))
    assert "edellisellä puolivuotiskaudella 4" in part.get_text(" ", strip=True)


def test_leader_of_another_municipality_sees_no_phenomenon_it_may_not_open(
    client, make_user, forecasts
) -> None:
    # The municipality page is open to every signed-in user (web.policy: public statistics);
    # what it must not show a leader of another municipality is a phenomenon that does not
    # touch their municipalities, nor exact small counts.
    make_user("johto-k", role="johto", municipalities=("Konnevesi",))
    login(client, "johto-k")
    part = section(soup(client.get("/kunnat/992")))
    text = part.get_text(" ", strip=True)
    assert "Lastensuojeluilmoitukset" in text  # the statistics themselves are public
    assert "Perheiden uupumus" not in text
    assert not part.select("a[href^='/ilmiot/']")
    assert "edellisellä puolivuotiskaudella 4" not in text


def test_frontline_cannot_open_the_county_overview(client, make_user, forecasts) -> None:
    make_user("kentta", role="havainnoija")
    login(client, "kentta")
    assert client.get("/yleiskuva").status_code == 403


def test_county_overview_shows_the_county_forecasts(client, make_user, forecasts) -> None:
    make_user("tuki", role="tukitiimi")
    login(client, "tuki")
    part = section(soup(client.get("/yleiskuva")))
    text = part.get_text(" ", strip=True)
    assert "Tilastojen perusteella hyvinvointialueella odotetaan" in text
    assert len(part.select("article.forecast-card")) == 2
    # Counted over the whole county: 8 + 6 recent observations.
    assert "Havaintoja 14 viimeisen puolen vuoden aikana" in text


def test_empty_state_note_when_nothing_is_forecast(client, make_user) -> None:
    make_user("tuki", role="tukitiimi")
    login(client, "tuki")
    for path in ("/kunnat/992", "/yleiskuva"):
        part = section(soup(client.get(path)))
        assert "Ennusteita ei ole vielä laskettu." in part.get_text()
        assert not part.select("article, svg")


def test_forecast_chart_is_accessible_and_unique_per_card() -> None:
    rows = [
        {"year": 2025, "forecast": 2.0, "lo80": 1.8, "hi80": 2.2, "lo95": 1.6, "hi95": 2.4},
        {"year": 2026, "forecast": 2.1, "lo80": 1.7, "hi80": 2.5, "lo95": 1.4, "hi95": 2.8},
    ]
    svg = forecast_chart(
        [(2023, 1.8), (2024, 1.9)],
        rows,
        key="kunta-992-1",
        title="T",
        unit="%",
        higher_is_worse=True,
    )
    page = BeautifulSoup(svg, "html.parser")
    assert page.svg["role"] == "img"
    assert page.select_one("pattern#hatch-kunta-992-1")
    assert "2026 2,1 (80 %: 1,7–2,5, 95 %: 1,4–2,8)" in page.svg["aria-label"]
    assert page.select_one(".s-forecast path")["stroke-dasharray"] == "6 4"
