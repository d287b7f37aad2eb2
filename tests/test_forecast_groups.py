"""The municipality groups' forecasts: on the county overview one table per indicator (each
group's last-year forecast, its 80 % interval, its level against the county and its direction
over the forecast years, the county's row under them), and a group's own page with forecast-only
charts that say why there is no history (nakyma.forecast_areas, web.forecast_section)."""

from __future__ import annotations

from datetime import date

import pytest
from bs4 import BeautifulSoup

from nakyma.forecast_areas import (
    area_records,
    forecast_period_direction,
    group_comparison,
    group_expectation,
)
from tests.conftest import login
from tests.forecast_seed import seed_forecast, seed_indicator, seed_phenomenon


def plain(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200, response.text
    return BeautifulSoup(response.text, "html.parser")


@pytest.fixture
def grouped(db, region, settings) -> date:
    """Two indicators forecast for the county; the second also for three groups: one rising
    above the county, one flat below it, and Äänekoski (a one-member group) around it."""
    today = settings.today()
    seed_indicator(db, 1050, "Kodin ulkopuolelle sijoitetut 0–17-vuotiaat")
    seed_indicator(db, 1060, "Lastensuojeluilmoitukset", unit="/ 1 000", theme="a")
    seed_forecast(db, 1050, "hyvinvointialue", region.code, history=[1.0, 1.2], ahead=[1.2] * 3)
    seed_forecast(
        db,
        1060,
        "hyvinvointialue",
        region.code,
        history=[40.0, 44.0, 47.0, 51.0],
        ahead=[55.0, 59.0, 63.0],
        width=1.5,
    )
    for key, ahead, width in (
        ("jamsa-keuruu", [60.0, 66.0, 72.0], 1.0),
        ("joutsa", [50.0, 50.0, 50.0], 1.0),
        ("aanekoski", [55.0, 55.0, 55.0], 3.0),
    ):
        seed_forecast(db, 1060, "kuntaryhma", key, history=[], ahead=ahead, width=width)
    seed_phenomenon(
        db,
        7,
        "Perheiden uupumus",
        indicator=1060,
        observations={"992": (8, 4), "182": (6, 0)},
        today=today,
    )
    return today


def test_group_direction_runs_from_the_first_forecast_year() -> None:
    rising = [
        {"year": 2025, "forecast": 60.0, "lo80": 59.0, "hi80": 61.0},
        {"year": 2027, "forecast": 72.0, "lo80": 69.0, "hi80": 75.0},
    ]
    assert forecast_period_direction(rising, 1) == "nousu"
    assert forecast_period_direction([{**rising[0], "forecast": 80.0}, rising[1]], 1) == "lasku"
    assert forecast_period_direction(rising[:1], 1) == "ennallaan"
    wide = [rising[0], {**rising[1], "lo80": 59.5}]
    assert forecast_period_direction(wide, 1) == "ennallaan"
    # Read at the precision shown: 60.04 is printed as 60,0, the first year's value.
    assert forecast_period_direction([rising[0], {**rising[1], "lo80": 60.04}], 1) == "ennallaan"


def test_group_records_say_their_direction_and_its_base(db, region, grouped) -> None:
    (record,) = area_records(db, region, area_kind="kuntaryhma", area_code="jamsa-keuruu")
    assert record["history"] == []
    assert record["direction"] == "nousu"
    assert plain(record["expectation"]) == (
        "Tilastojen perusteella arvon odotetaan nousevan vuoden 2025 ennusteesta "
        "(60,0 / 1 000) vuoteen 2027: noin 72,0 / 1 000 (80 %:n väli 69,0–75,0 / 1 000)."
    )
    (flat,) = area_records(db, region, area_kind="kuntaryhma", area_code="joutsa")
    assert flat["direction"] == "ennallaan"
    assert "pysyvän suunnilleen ennallaan vuosina 2025–2027: vuonna 2027 noin 50,0" in plain(
        group_expectation(flat)
    )
    # A municipality's records are forecast_views' own: direction against its newest value.
    (county, _) = area_records(db, region, area_kind="hyvinvointialue", area_code=region.code)
    assert "kun viimeisin arvo oli" in county["expectation"]


def test_group_comparison_places_each_group_against_the_county(db, region, grouped) -> None:
    (table,) = group_comparison(db, region)  # 1050 has no group forecasts: no table
    assert (table["id"], table["year"], table["first_year"]) == (1060, 2027, 2025)
    assert table["county"]["forecast"] == 63.0
    rows = {g["key"]: g for g in table["groups"]}
    assert [g["key"] for g in table["groups"]] == ["jamsa-keuruu", "joutsa", "aanekoski"]
    assert (rows["jamsa-keuruu"]["direction"], rows["jamsa-keuruu"]["level"]) == (
        "nousu",
        "korkeampi",
    )
    assert (rows["joutsa"]["direction"], rows["joutsa"]["level"]) == ("ennallaan", "matalampi")
    # 46–64 holds the county's 63: no difference worth a word.
    assert rows["aanekoski"]["level"] is None


def test_county_overview_shows_the_groups_forecasts(client, make_user, grouped) -> None:
    make_user("tuki", role="tukitiimi")
    login(client, "tuki")
    page = soup(client.get("/yleiskuva"))
    part = page.select_one("section[aria-labelledby=ennakointi] section.group-forecasts")
    assert part is not None
    assert "Sotkanet ei julkaise kuntaryhmien lukuja" in part.get_text()
    assert "HYTE-kuntaryhmät" in part.get_text()
    (table,) = part.select("table.group-table")
    assert plain(table.caption.get_text()) == "Lastensuojeluilmoitukset (/ 1 000)"
    assert [plain(th.get_text(" ")) for th in table.select("thead th")] == [
        "Kuntaryhmä",
        "Ennuste 2027 80 %:n väli",
        "Suunta 2025–2027",
    ]
    rows = table.select("tbody tr")
    assert [r.th.a.get_text() for r in rows] == ["Jämsä–Keuruu", "Joutsa", "Äänekoski"]
    first = rows[0]
    assert first.th.a["href"] == "/kuntaryhmat/jamsa-keuruu"
    assert "Jämsä, Keuruu, Multia, Petäjävesi" in first.th.get_text()
    assert plain(first.select("td")[0].get_text(" ")) == ("72,0 69,0–75,0 yli alueen tason")
    assert plain(first.select("td")[1].get_text(" ")) == "↑ nousee"
    assert "alle alueen tason" in rows[1].get_text()
    assert plain(rows[1].select("td")[1].get_text(" ")) == "→ ennallaan"
    # A one-member group leads to its municipality's page, which has the history.
    assert rows[2].th.a["href"] == "/kunnat/992"
    assert not rows[2].select(".level")
    assert plain(table.select_one("tfoot").get_text(" ")).startswith(
        "Koko hyvinvointialue 63,0 58,5–67,5"
    )
    # The county's card links to its group table; the indicator without groups has neither.
    assert page.select_one("#ennuste-1060 a[href='#ryhmat-1060']")
    assert page.select_one("#ryhmat-1060 table")
    assert not page.select_one("#ennuste-1050 a[href^='#ryhmat']")
    assert not page.select_one("#ryhmat-1050")


def test_no_group_tables_without_group_forecasts(client, make_user, db, region) -> None:
    seed_indicator(db, 1060, "Lastensuojeluilmoitukset")
    seed_forecast(db, 1060, "hyvinvointialue", region.code, history=[1.0, 1.2], ahead=[1.3])
    make_user("tuki", role="tukitiimi")
    login(client, "tuki")
    page = soup(client.get("/yleiskuva"))
    assert page.select_one("article.forecast-card")
    assert not page.select_one(".group-forecasts")


def test_group_page_has_forecast_charts_that_say_why_there_is_no_history(
    client, make_user, grouped
) -> None:
    make_user("tuki", role="tukitiimi")
    login(client, "tuki")
    page = soup(client.get("/kuntaryhmat/jamsa-keuruu"))
    assert page.h1.get_text() == "Kuntaryhmä Jämsä–Keuruu: ennakointi"
    assert [a["href"] for a in page.select("p.lead a")] == [
        "/kunnat/182",
        "/kunnat/249",
        "/kunnat/495",
        "/kunnat/592",
    ]
    part = page.select_one("section[aria-labelledby=ennakointi]")
    text = plain(part.get_text(" "))
    assert text.count("Sotkanet ei julkaise kuntaryhmien lukuja") == 1  # one card
    assert "toteutunut" not in part.select_one(".forecast-legend").get_text()
    (card,) = part.select("article.forecast-card")
    assert card.select_one("svg.forecast-chart .band80")
    assert not card.select_one("svg .s-history")
    assert "nousevan vuoden 2025 ennusteesta" in plain(card.select_one(".expectation").get_text())
    assert text.startswith(
        "Ennakointi Tilastojen perusteella kuntaryhmässä Jämsä–Keuruu odotetaan vuoteen 2027"
    )
    # The leading evidence counts the group's own municipalities: Jämsä's 6, not Äänekoski's.
    evidence = plain(card.select_one(".leading-evidence").get_text(" "))
    assert "Havainnot kuntaryhmässä Jämsä–Keuruu" in evidence
    assert "Havaintoja 6 viimeisen puolen vuoden aikana, edellisellä puolivuotiskaudella 0" in (
        evidence
    )


def test_group_page_of_an_unknown_group_is_not_found(client, make_user) -> None:
    make_user("tuki", role="tukitiimi")
    login(client, "tuki")
    response = client.get("/kuntaryhmat/ei-ole", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert "Tuntematon kuntaryhmä." in response.text
