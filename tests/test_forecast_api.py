"""`GET /api/forecasts`, the JSON twin of the "Ennakointi" section: the same data per indicator
for a municipality, a municipality group or the county; the leading evidence as the caller may
see it; the API's own sign-in and error shapes; and its entry in the OpenAPI description."""

from __future__ import annotations

from datetime import date

import pytest
from bs4 import BeautifulSoup

from nakyma.accounts import create_api_token
from tests.conftest import login
from tests.forecast_seed import seed_forecast, seed_indicator, seed_phenomenon

FORECAST_KEYS = {
    "indicator_id",
    "title",
    "short_title",
    "unit",
    "decimals",
    "higher_is_worse",
    "history",
    "forecast",
    "method",
    "method_name",
    "backtest",
    "figures",
    "verdict",
    "expectation",
    "direction",
    "sotkanet_url",
    "evidence",
}


@pytest.fixture
def seeded(db, region, settings) -> date:
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
            calibrated80=7 / 9,
            calibrated95=8 / 9,
            points=9,
        )
    seed_forecast(
        db, 1060, "kuntaryhma", "jamsa-keuruu", history=[], ahead=[60.0, 66.0, 72.0], width=1.0
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


def bearer(db, make_user, username: str, role: str, *places: str) -> dict[str, str]:
    make_user(username, role=role, municipalities=places)
    return {"Authorization": f"Bearer {create_api_token(db, username)}"}


def test_municipality_forecasts_carry_what_the_section_shows(client, db, make_user, seeded):
    api = bearer(db, make_user, "johto-a", "johto", "Äänekoski")
    response = client.get("/api/forecasts", params={"municipality": "Äänekoski"}, headers=api)
    assert response.status_code == 200, response.text
    data = response.json()
    assert (data["area_kind"], data["area_code"], data["area_name"]) == (
        "kunta",
        "992",
        "Äänekoski",
    )
    assert data["history_published"] is True
    assert data["headline"].startswith("Tilastojen perusteella Äänekoskella odotetaan")
    assert [f["indicator_id"] for f in data["forecasts"]] == [1060, 1050]
    growing = data["forecasts"][0]
    assert set(growing) == FORECAST_KEYS
    assert growing["history"][-1] == {"year": 2024, "value": 51.0}
    assert growing["forecast"][0] == pytest.approx(
        {"year": 2025, "forecast": 55.0, "lo80": 53.5, "hi80": 56.5, "lo95": 52.6, "hi95": 57.4}
    )
    assert growing["method_name"] == "trendin jatko (drift)"
    assert growing["backtest"] == {
        "mase": 0.61,
        "coverage80": pytest.approx(7 / 9),  # the intervals as given (calibrated)
        "coverage95": pytest.approx(8 / 9),
        "points": 9,
        "model_coverage80": 0.9,
        "model_coverage95": 1.0,
        "origins": 6,
        "beats_naive": True,
    }
    assert growing["direction"] == "nousu"
    assert growing["verdict"].startswith("Ennuste jatkaa trendiä;")
    assert any("MASE 0,61" in line for line in growing["figures"])
    assert growing["sotkanet_url"].endswith("/1060")
    # The leader's own municipality: exact counts.
    (phenomenon,) = growing["evidence"]["phenomena"]
    assert (phenomenon["title"], phenomenon["recent"], phenomenon["before"]) == (
        "Perheiden uupumus",
        8,
        4,
    )
    # The same sentences as the page's section.
    login(client, "johto-a")
    page = BeautifulSoup(client.get("/kunnat/992").text, "html.parser")
    card = page.select_one("#ennuste-1060")
    assert card.select_one(".expectation").get_text() == growing["expectation"]
    assert card.select_one(".verdict").get_text() == growing["verdict"]


def test_group_and_county_forecasts(client, db, make_user, region, seeded):
    api = bearer(db, make_user, "tuki", "tukitiimi")
    group = client.get("/api/forecasts?group=jamsa-keuruu", headers=api).json()
    assert (group["area_kind"], group["area_code"], group["area_name"]) == (
        "kuntaryhma",
        "jamsa-keuruu",
        "Kuntaryhmä Jämsä–Keuruu",
    )
    assert group["history_published"] is False
    (forecast,) = group["forecasts"]
    assert forecast["history"] == []
    assert forecast["direction"] == "nousu"
    assert "vuoden 2025 ennusteesta" in forecast["expectation"]
    # Observations counted over the group's municipalities (Jämsä's 6), as published.
    (phenomenon,) = forecast["evidence"]["phenomena"]
    assert phenomenon["recent_shown"] == "6"
    county = client.get("/api/forecasts", headers=api).json()
    assert (county["area_kind"], county["area_code"]) == ("alue", region.code)
    assert len(county["forecasts"]) == 2
    nothing = client.get("/api/forecasts?municipality=275", headers=api).json()
    assert nothing["forecasts"] == [] and nothing["headline"] == ""


def test_another_municipality_reads_the_statistics_but_not_what_it_may_not_open(
    client, db, make_user, seeded
):
    # Statistics are open to every signed-in caller (as /kunnat/{code} is); the leading
    # evidence is not: no phenomenon outside the caller's municipalities, no exact small count.
    api = bearer(db, make_user, "johto-k", "johto", "Konnevesi")
    data = client.get("/api/forecasts?municipality=992", headers=api).json()
    assert [f["indicator_id"] for f in data["forecasts"]] == [1060, 1050]
    assert all(f["evidence"]["phenomena"] == [] for f in data["forecasts"])
    assert "Perheiden uupumus" not in str(data)
    backbone = bearer(db, make_user, "tuki", "tukitiimi")
    (phenomenon,) = client.get("/api/forecasts?municipality=992", headers=backbone).json()[
        "forecasts"
    ][0]["evidence"]["phenomena"]
    assert (phenomenon["before"], phenomenon["before_shown"]) == (None, "<5")


def test_signed_out_caller_is_refused(client, seeded):
    response = client.get("/api/forecasts?municipality=992")
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Kirjautuminen vaaditaan")
    assert response.headers["www-authenticate"] == "Bearer"
    wrong = client.get("/api/forecasts", headers={"Authorization": "Bearer nky_vaara"})
    assert wrong.status_code == 401


def test_bad_parameters_get_finnish_errors_in_the_api_shape(client, db, make_user, seeded):
    api = bearer(db, make_user, "tuki", "tukitiimi")
    unknown = client.get("/api/forecasts?municipality=Atlantis", headers=api)
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "Tuntematon kunta."})
    group = client.get("/api/forecasts?group=ei-ole", headers=api)
    assert (group.status_code, group.json()) == (404, {"detail": "Tuntematon kuntaryhmä."})
    both = client.get("/api/forecasts?municipality=992&group=joutsa", headers=api)
    assert both.status_code == 422
    (error,) = both.json()["detail"]
    assert (error["field"], error["code"]) == ("group", "invalid")
    assert "ei molempia" in error["message"]


def test_forecasts_are_in_the_api_description(client):
    operation = client.get("/api/openapi.json").json()["paths"]["/api/forecasts"]["get"]
    assert "Ennakointi" in operation["description"]
    assert {p["name"] for p in operation["parameters"]} == {"municipality", "group"}
    example = operation["responses"]["200"]["content"]["application/json"]["example"]
    assert set(example["forecasts"][0]) == FORECAST_KEYS
