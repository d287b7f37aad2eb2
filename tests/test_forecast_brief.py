"""The meeting brief's "Ennakointi" page: the forecasts, for the brief's area, of the
indicators linked to the chosen phenomena, next to the phenomena that lead them, in the HTML
brief (chart and table), its JSON, Markdown and PDF; nothing when there is none."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from sqlite_utils import Database

from nakyma import review
from nakyma.accounts import get_user
from tests.conftest import copy_of_demo, login
from tests.forecast_seed import seed_forecast
from tests.test_exports import WINDOW, brief_for, planted


@pytest.fixture
def db(demo_template, settings) -> Iterator[Database]:
    yield from copy_of_demo(demo_template, settings)


@pytest.fixture
def linked(db, region, make_user) -> tuple[int, str, int]:
    """The planted "tili" phenomenon with an accepted indicator forecast for the county."""
    make_user("tuki", role="tukitiimi")
    tili = planted(db, "tili")
    title = db.execute("select title from phenomena where id = ?", [tili]).fetchone()[0]
    indicator = db.execute("select min(id) from indicators").fetchone()[0]
    tuki = get_user(db, "tuki")
    assert tuki is not None
    review.decide_link(db, tuki, tili, indicator, "accepted")
    db.execute("update indicators set forecast = 1 where id = ?", [indicator])
    seed_forecast(
        db,
        indicator,
        "hyvinvointialue",
        region.code,
        history=[],
        ahead=[5.0, 5.5],
        mase=0.7,
        coverage80=0.8,
    )
    return tili, title, indicator


def test_brief_has_the_forecasts_of_linked_indicators(db, region, linked) -> None:
    tili, title, indicator = linked
    brief = brief_for(db, region, ilmio=str(tili))
    (forecast,) = brief.forecasts
    assert forecast.id == indicator
    assert forecast.phenomena == (title,)
    assert forecast.verdict.startswith("Ennuste jatkaa trendiä;")
    assert [r.year for r in forecast.rows] == [p["year"] for p in forecast.points]
    assert brief.as_dict()["forecasts"][0]["expectation"] == forecast.expectation
    # An area without forecasts gets no page (the demo computes some for Jyväskylä: gone).
    db.execute("delete from forecasts where area_code = '179'")
    assert brief_for(db, region, ilmio=str(tili), alue="kunta:179").forecasts == ()


def test_brief_without_linked_forecasts_has_no_forecast_page(db, region) -> None:
    tili = planted(db, "tili")
    assert brief_for(db, region, ilmio=str(tili)).forecasts == ()


def test_every_format_carries_the_forecast_page(client, db, region, linked) -> None:
    tili, title, _ = linked
    login(client, "tuki")
    query = {**WINDOW, "ilmio": [str(tili)]}
    html = client.get("/viennit/muistio", params=query)
    assert html.status_code == 200
    page = BeautifulSoup(html.text, "html.parser")
    part = page.select_one("section.forecasts")
    assert part is not None
    assert part.select_one("svg.forecast-chart[role=img]")
    assert title in part.get_text()
    assert "Ennuste jatkaa trendiä" in part.get_text()
    markdown = client.get("/viennit/muistio.md", params=query)
    assert "## Ennakointi: tilastojen ennusteet" in markdown.text
    pdf = client.get("/viennit/muistio.pdf", params=query)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
