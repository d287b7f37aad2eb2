"""The meeting brief's "Ennakointi" page: the forecasts, for the brief's area, of the
indicators linked to the chosen phenomena, next to the phenomena that lead them, in the HTML
brief (chart and table), its JSON, Markdown and PDF, the XLSX's sheet "Ennusteet" and the CSV's
forecast rows; nothing when there is none."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook
from sqlite_utils import Database

from nakyma import review
from nakyma.accounts import get_user
from nakyma.exports.csv_format import render_csv
from nakyma.exports.xlsx import render_xlsx
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
    brief = brief_for(db, region, ilmio=str(tili))
    assert brief.forecasts == ()
    # Nor a sheet or rows of forecasts the page does not show.
    assert "Ennusteet" not in load_workbook(io.BytesIO(render_xlsx(brief))).sheetnames
    assert "Ennuste" not in [row[4] for row in csv_rows(brief)]


def csv_rows(brief) -> list[list[str]]:
    return list(csv.reader(io.StringIO(render_csv(brief).decode("utf-8-sig")), delimiter=";"))


def rounded(value: float, decimals: int) -> float | int:
    return round(value, decimals) if decimals else int(round(value))


def fi(value: float, decimals: int) -> str:
    """A number as the Finnish-locale CSV writes it: decimal comma."""
    return str(rounded(value, decimals)).replace(".", ",")


# The seeded county forecast's first year: 5.0 with its intervals (width 0.2).
FIRST = {"forecast": 5.0, "lo80": 5.0 - 0.2, "hi80": 5.0 + 0.2, "lo95": 5.0 - 1.6 * 0.2}
FIRST["hi95"] = 5.0 + 1.6 * 0.2


def test_xlsx_has_the_forecast_sheet_with_finnish_headers(db, region, linked) -> None:
    tili, title, indicator = linked
    brief = brief_for(db, region, ilmio=str(tili))
    (forecast,) = brief.forecasts
    workbook = load_workbook(io.BytesIO(render_xlsx(brief)))
    assert workbook.sheetnames[-2:] == ["Ennusteet", "Tietoja"]
    sheet = workbook["Ennusteet"]
    assert [c.value for c in sheet[1]] == [
        "Indikaattori",
        "Indikaattorin tunnus",
        "Alue",
        "Yksikkö",
        "Vuosi",
        "Ennuste",
        "Ennusteväli 80 %, alaraja",
        "Ennusteväli 80 %, yläraja",
        "Ennusteväli 95 %, alaraja",
        "Ennusteväli 95 %, yläraja",
        "Menetelmä",
        "Osuvuus aiempina vuosina",
        "Liittyvät ilmiöt",
    ]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [r[4] for r in rows] == [p["year"] for p in forecast.points]
    first = next(r for r in rows if r[4] == 2025)
    d = forecast.decimals
    assert first[:3] == [forecast.title, indicator, "Koko hyvinvointialue"]
    assert (first[3] or "") == forecast.unit
    assert first[5:10] == [
        rounded(FIRST[k], d) for k in ("forecast", "lo80", "hi80", "lo95", "hi95")
    ]
    assert first[10:] == ["trendin jatko (drift)", forecast.verdict, title]
    assert first[11].startswith("Ennuste jatkaa trendiä;")
    shown = sheet.cell(row=rows.index(first) + 2, column=6).number_format
    assert shown == ("0." + "0" * d if d else "0")
    notes = {r[0].value: r[1].value for r in workbook["Tietoja"].iter_rows()}
    assert "eivätkä havaintomääriä" in notes["Ennusteet"]


def test_csv_has_the_forecast_rows_last(db, region, linked) -> None:
    tili, _, indicator = linked
    brief = brief_for(db, region, ilmio=str(tili))
    (forecast,) = brief.forecasts
    table = csv_rows(brief)
    header = table[0]
    assert header[-9:] == [
        "indikaattori_id",
        "yksikko",
        "vuosi",
        "ennuste",
        "ala80",
        "yla80",
        "ala95",
        "yla95",
        "menetelma",
    ]
    rows = [dict(zip(header, row, strict=True)) for row in table[1:]]
    forecasts = [r for r in rows if r["tila"] == "Ennuste"]
    assert len(forecasts) == len(forecast.points)
    assert rows[-len(forecasts) :] == forecasts
    assert all(r["vuosi"] == "" for r in rows if r["tila"] != "Ennuste")
    first = next(r for r in forecasts if r["vuosi"] == "2025")
    d = forecast.decimals
    assert (first["alue"], first["otsikko"], first["ilmio_id"]) == (
        "Koko hyvinvointialue",
        forecast.title,
        "",
    )
    assert first["indikaattori_id"] == str(indicator)
    assert [first[c] for c in ("ennuste", "ala80", "yla80", "ala95", "yla95")] == [
        fi(FIRST[k], d) for k in ("forecast", "lo80", "hi80", "lo95", "hi95")
    ]
    assert first["menetelma"] == "trendin jatko (drift)"
    assert first["perustelut"] == forecast.verdict
    assert first["yhteenveto"] == forecast.expectation


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
    xlsx = client.get("/viennit/muistio.xlsx", params=query)
    assert "Ennusteet" in load_workbook(io.BytesIO(xlsx.content)).sheetnames
    table = client.get("/viennit/muistio.csv", params=query).content.decode("utf-8-sig")
    assert ";Ennuste;" in table
