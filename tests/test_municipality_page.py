"""The municipality page: signals first, indicator charts in theme groups (open only where
something worsened), notes on stale series and missing municipality lines, and the wording
when nothing is flagged versus when nothing has been computed."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup

from nakyma.indicator_groups import (
    GROUP_LABELS,
    indicator_groups,
    missing_line_note,
    stale_note,
)
from nakyma.runs import RunReport, finish_run, start_run
from tests.conftest import login
from web.charts import chart_key, line_chart, nice_ticks, series_lines


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200, response.text
    return BeautifulSoup(response.text, "html.parser")


def series(ident: int, **overrides: Any) -> dict[str, Any]:
    years = overrides.pop("years", [2021, 2022, 2023, 2024])
    base: dict[str, Any] = {
        "id": ident,
        "title": f"Indikaattori {ident}",
        "short_title": f"Ind {ident}",
        "unit": "%",
        "decimals": 1,
        "higher_is_worse": True,
        "context": False,
        "theme": "arjen_turvallisuus",
        "organization": "THL",
        "status": "ok",
        "range_end": years[-1],
        "region_levels": ["Kunta", "Hyvinvointialue", "Maa"],
        "suppressed_years": [],
        "years": years,
        "municipality": [1.0] * len(years),
        "county": [2.0] * len(years),
        "country": [3.0] * len(years),
    }
    base.update(overrides)
    return base


# --- grouping ----------------------------------------------------------------------------


def test_groups_follow_the_theme_and_only_worsening_groups_are_open(region) -> None:
    konnevesi = region.municipality("275")
    groups = indicator_groups(
        [
            series(1, theme="arjen_turvallisuus"),
            series(2, theme="mielen_hyvinvointi"),
            series(3, theme="mielen_hyvinvointi"),
            series(127, theme="muu", context=True, higher_is_worse=None, unit="lkm"),
            series(181, theme="muu"),
            series(1570, theme="muu"),
            series(9999, theme=""),
        ],
        worsening=[3],
        municipality=konnevesi,
        this_year=2025,
    )
    by_key = {g["key"]: g for g in groups}
    assert [g["label"] for g in groups] == [
        GROUP_LABELS[k]
        for k in ("arjen_turvallisuus", "mielen_hyvinvointi", "toimeentulo", "vaesto", "muut")
    ]
    assert by_key["mielen_hyvinvointi"]["open"] is True
    assert by_key["mielen_hyvinvointi"]["worsening"] == 1
    # The worsening chart comes first in its group.
    assert [c["series"]["id"] for c in by_key["mielen_hyvinvointi"]["charts"]] == [3, 2]
    assert [g["key"] for g in groups if g["open"]] == ["mielen_hyvinvointi"]
    assert [c["series"]["id"] for c in by_key["vaesto"]["charts"]] == [127]
    assert [c["series"]["id"] for c in by_key["toimeentulo"]["charts"]] == [181]
    assert [c["series"]["id"] for c in by_key["muut"]["charts"]] == [1570, 9999]


def test_no_worsening_means_every_group_closed(region) -> None:
    groups = indicator_groups(
        [series(1), series(2, theme="mielen_hyvinvointi")],
        worsening=[],
        municipality=region.municipality("275"),
        this_year=2025,
    )
    assert groups and not any(g["open"] for g in groups)


# --- notes ---------------------------------------------------------------------------------


def test_stale_note_after_three_years() -> None:
    old = series(3128, years=[2010, 2011, 2012, 2013])
    assert stale_note(old, this_year=2026) == (
        "Viimeisin arvo vuodelta 2013 – tieto on vanhentunut."
    )
    assert stale_note(series(1, years=[2022, 2023]), this_year=2026) is None  # 3 years: fine
    assert stale_note(series(1, years=[2021, 2022]), this_year=2026) is not None


def test_missing_line_explained_by_region_levels(region) -> None:
    konnevesi = region.municipality("275")
    county_only = series(
        5051, region_levels=["Hyvinvointialue", "koko maa"], municipality=[None] * 4
    )
    assert missing_line_note(county_only, konnevesi) == (
        "Kuvaajassa ei ole Konneveden viivaa: Sotkanet julkaisee tämän tiedon vain "
        "hyvinvointialueittain ja koko maan tasolla, ei kunnittain."
    )


def test_missing_line_explained_by_suppression(region) -> None:
    kyyjarvi = region.municipality("312")
    hidden = series(3907, municipality=[None] * 4, suppressed_years=[2021, 2022, 2023, 2024])
    note = missing_line_note(hidden, kyyjarvi)
    assert note is not None
    assert note.startswith("Kuvaajassa ei ole Kyyjärven viivaa: Sotkanet ei julkaise")
    assert "pieniä" in note
    partly = series(4, municipality=[1.0, None, None, 2.0], suppressed_years=[2022, 2023])
    assert missing_line_note(partly, kyyjarvi) == (
        "Kyyjärven arvo puuttuu vuosilta 2022 ja 2023: Sotkanet ei julkaise niin pieniä "
        "lukuja, että yksittäinen ihminen voisi tunnistua."
    )
    assert missing_line_note(series(4), kyyjarvi) is None


# --- charts -------------------------------------------------------------------------------


def test_count_series_is_charted_alone_with_an_axis_near_its_values() -> None:
    population = series(
        127,
        unit="lkm",
        decimals=0,
        municipality=[1440.0, 1400.0, 1350.0, 1296.0],
        county=[275000.0] * 4,
        country=[5600000.0] * 4,
    )
    lines = series_lines(population, "Kyyjärvi")
    assert [line.label for line in lines] == ["Kyyjärvi"]
    svg = str(
        line_chart(
            population["years"], lines, title="Väestö", unit="lkm", higher_is_worse=None, decimals=0
        )
    )
    assert "Hyvinvointialue" not in svg
    ticks = BeautifulSoup(svg, "html.parser").select("text.tick")
    values = [t.get_text() for t in ticks if len(t.get_text()) != 4 or " " in t.get_text()]
    assert values[0] != "0" and all(" " in v for v in values)  # "1 250", not from zero
    key = chart_key(population["years"], lines, decimals=0)
    assert key == [
        {
            "symbol": "●",
            "css_class": "s-municipality",
            "label": "Kyyjärvi",
            "value": "1 296",
            "year": 2024,
        }
    ]


def test_nice_ticks_are_round() -> None:
    assert nice_ticks(7.2, 9.9) == ([7.0, 8.0, 9.0, 10.0], 0)
    assert nice_ticks(7.8, 9.6) == ([7.5, 8.0, 8.5, 9.0, 9.5, 10.0], 1)
    ticks, decimals = nice_ticks(0.9, 1.4)
    assert (ticks, decimals) == ([0.8, 1.0, 1.2, 1.4], 1)


def test_chart_key_gives_each_lines_own_last_year() -> None:
    s = series(1, county=[2.0, 2.5, None, None])
    key = chart_key(s["years"], series_lines(s, "Konnevesi"), decimals=1)
    assert [(k["label"], k["value"], k["year"]) for k in key] == [
        ("Konnevesi", "1,0", 2024),
        ("Hyvinvointialue", "2,5", 2022),
        ("Koko maa", "3,0", 2024),
    ]


# --- the page -------------------------------------------------------------------------------


@pytest.fixture
def indicators_loaded(db, settings):
    from pipelines.demo import demo_sources
    from pipelines.registry import run_pipeline

    source = demo_sources()["indicators"]
    assert run_pipeline(db, settings, "indicators", source=source).status == "ok"


@pytest.fixture
def leader(client, make_user):
    make_user("johtaja", "johto", ("Äänekoski", "Konnevesi"))
    login(client, "johtaja")


def record_phenomena_run(db) -> None:
    run_id = start_run(db, "phenomena", trigger="test", source=None)
    finish_run(db, run_id, RunReport("phenomena"))


def test_before_phenomena_are_computed_the_page_says_so(client, leader) -> None:
    text = soup(client.get("/kunnat/275")).select_one("section[aria-labelledby=heikot]").get_text()
    assert "Ilmiöitä ja nousevia teemoja ei ole vielä laskettu." in text
    assert "ei ole nyt heikkoja signaaleja" not in text
    assert "nakyma run phenomena" not in text  # the command is for administrators


def test_computed_with_nothing_flagged_says_so_with_the_date(db, client, leader) -> None:
    from nakyma.wording import fi_date

    record_phenomena_run(db)
    finished = db.execute("select finished_at from runs").fetchone()[0]
    section = soup(client.get("/kunnat/275")).select_one("section[aria-labelledby=heikot]")
    text = " ".join(section.get_text().split())
    assert "Konnevedellä ei ole nyt heikkoja signaaleja eikä nousevia teemoja." in text
    assert f"laskettiin viimeksi {fi_date(finished)}" in text
    assert "ei ole vielä laskettu" not in text


def test_signals_come_before_the_grouped_charts(client, leader, indicators_loaded) -> None:
    page = soup(client.get("/kunnat/992"))
    order = [s.get("aria-labelledby") for s in page.select("main section[aria-labelledby]")]
    assert order.index("heikot") < order.index("signaalit") < order.index("indikaattorit")
    charts_section = page.select_one("section[aria-labelledby=indikaattorit]")
    groups = charts_section.select("details.indicator-group")
    assert len(groups) >= 4
    assert all(g.select_one("summary h3") for g in groups)
    assert not charts_section.select(":scope > .chart-grid")  # every chart sits in a group


def test_worsening_group_open_and_the_others_closed(db, client, leader, indicators_loaded):
    worse = {
        r[0]
        for r in db.execute(
            "select indicator_id from indicator_signals where municipality_code = '992' "
            "and direction = 'worse'"
        )
    }
    assert 1086 in worse  # Äänekoski's child-welfare notifications, planted in the demo
    page = soup(client.get("/kunnat/992"))
    groups = page.select("details.indicator-group")
    closed = [g for g in groups if not g.has_attr("open")]
    assert closed, "groups without a worsening indicator stay closed"
    for group in groups:
        ids = {int(f["id"].removeprefix("ind-")) for f in group.select("figure.chart-card")}
        assert group.has_attr("open") == bool(ids & worse), group["id"]
        assert {int(f["id"].removeprefix("ind-")) for f in group.select(".chart-worse")} == (
            ids & worse
        )
    safety = page.select_one("#teema-arjen_turvallisuus")
    assert safety.has_attr("open")
    first = safety.select_one("figure.chart-card")  # the worsening chart first in its group
    assert first["id"] == "ind-1086"
    assert first.select_one(".badge-worse").get_text() == "Huolestuttava muutos"
    assert "1 huolestuttava muutos" in safety.summary.get_text()
    # In an open group the other charts wait behind one more closed <details>.
    more = safety.select_one("details.more-charts")
    assert not more.has_attr("open")
    assert "ind-1086" not in {f["id"] for f in more.select("figure")}
    assert len(more.select("figure")) == len(safety.select("figure")) - 1


def test_stale_series_and_missing_line_notes_on_the_page(client, leader, indicators_loaded):
    page = soup(client.get("/kunnat/275"))

    def card(ident: int):
        return next(
            f for f in page.select("figure.chart-card") if f"(ind. {ident})" in f.get_text()
        )

    stale = [p.get_text() for p in card(3128).select(".chart-note")]
    assert "Viimeisin arvo vuodelta 2013 – tieto on vanhentunut." in stale
    assert not card(1086).select(".chart-note")
    county_only = " ".join(p.get_text() for p in card(5051).select(".chart-note"))
    assert "Kuvaajassa ei ole Konneveden viivaa" in county_only
    assert "ei kunnittain" in county_only


def test_suppressed_municipality_values_are_explained(client, leader, indicators_loaded):
    page = soup(client.get("/kunnat/312"))
    card = next(f for f in page.select("figure.chart-card") if "(ind. 3907)" in f.get_text())
    note = card.select_one(".chart-note").get_text()
    assert note.startswith("Kuvaajassa ei ole Kyyjärven viivaa") and "pieniä" in note


def test_series_carry_region_levels_and_suppressed_years(db, region, indicators_loaded):
    from nakyma.indicators import municipality_series

    by_id = {s["id"]: s for s in municipality_series(db, region, "312")}
    hidden = by_id[3907]
    assert all(v is None for v in hidden["municipality"])
    assert hidden["suppressed_years"] == hidden["years"]
    assert "Kunta" in hidden["region_levels"]
    assert by_id[5051]["suppressed_years"] == []
    assert "Kunta" not in by_id[5051]["region_levels"]
    assert by_id[1086]["suppressed_years"] == [] and None not in by_id[1086]["municipality"]


def test_emerging_theme_without_weak_signals_is_not_called_uncomputed(db, region, client, leader):
    from datetime import date

    from nakyma.observations import submit_observation
    from tests.conftest import plant_theme, valid_observation

    for day in ("2026-11-10", "2026-11-12", "2026-11-14"):
        raw = valid_observation(
            municipality="Konnevesi", observed_on=day, text=f"Välitunnilla puhelimet esillä {day}."
        )
        today = date(2026, 11, 20)
        stored = submit_observation(db, raw, region=region, source="api", today=today)
        assert stored.status == "stored", stored
    plant_theme(db, ("275",), title="Välituntien puhelimet")
    section = soup(client.get("/kunnat/275")).select_one("section[aria-labelledby=heikot]")
    text = " ".join(section.get_text().split())
    assert "Välituntien puhelimet" in text
    assert "ei ole vielä laskettu" not in text
    assert "Konnevedellä ei ole nyt heikkoja signaaleja." in text
