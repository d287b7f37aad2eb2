"""Forecasts, indicator signals and charts in the reader's language: the sentence builders in
Swedish (and English), and the pages and the JSON twin asked for in Swedish, on forecasts
computed by the real pipeline from the demo's Sotkanet data and on seeded ones. Finnish is
checked elsewhere (tests/test_forecast_*.py): it must stay exactly as it was."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from nakyma.config import Settings
from nakyma.db import open_db
from nakyma.forecast_areas import area_label, group_expectation
from nakyma.forecast_export import area_name
from nakyma.forecast_views import (
    area_headline,
    backtest_figures,
    expectation_sentence,
    method_name,
    verdict_sentence,
)
from nakyma.indicator_groups import missing_line_note, stale_note
from nakyma.indicators import signal_text
from nakyma.wording import join_words
from pipelines.registry import run_pipeline
from tests.conftest import TEST_SECRET, login
from tests.forecast_seed import seed_forecast, seed_indicator, seed_phenomenon
from web.charts import forecast_chart, line_chart, month_sparkline, series_lines

SV = {"Accept-Language": "sv-FI,sv;q=0.9"}
DEMO = Path(__file__).resolve().parent.parent / "nakyma" / "data" / "demo" / "sotkanet"
# Finnish words of the generated forecast and signal texts that a Swedish page must not show.
FINNISH = re.compile(
    r"pysyvän|osui|kertaa|Tilastojen|odotetaan|koetellu|havaintoja|puolivuotiskaudella|"
    r"Menetelmä|suurempi on huonompi|Toteutunut|Ennuste\b|nousee|laskee|ennallaan|"
    r"satunnaisvaihtelua|hyvinvointialue\b|koko maa\b"
)
FINNISH_MONTHS = re.compile(
    r"\b(tammi|helmi|maalis|huhti|touko|kesä|heinä|elo|syys|loka|marras|joulu) \d{4}"
)


def plain(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200, response.text
    return BeautifulSoup(response.text, "html.parser")


def record(direction: str = "ennallaan", **overrides) -> dict:
    base = {
        "forecast": [
            {"year": 2026, "forecast": 1.0, "lo80": 0.7, "hi80": 1.3},
            {"year": 2028, "forecast": 1.0, "lo80": 0.6, "hi80": 1.5},
        ],
        "unit": "%",
        "decimals": 1,
        "direction": direction,
        "history": [(2024, 0.6)],
        "method_name": method_name("drift", "sv"),
        "origins": 6,
        "mase": 0.61,
        "coverage80": 0.667,
        "coverage95": 0.889,
        "calibrated80": 4 / 9,
        "calibrated95": 1.0,
        "points": 9,
        "short_title": "Lastensuojeluilmoitukset",
    }
    base.update(overrides)
    return base


# --- sentence builders -----------------------------------------------------------------------


def test_verdict_in_swedish_counts_hits_without_the_finnish_elative() -> None:
    text = verdict_sentence(
        "naive", beats_naive=False, calibrated80=4 / 9, points=9, origins=6, language="sv"
    )
    assert text == (
        "Ingen metod förutsade tidigare år bättre än det senaste värdet, så det senaste värdet "
        "visas som prognos, och motsvarande 80\u00a0%:s intervall träffade 4 av 9 prövade värden."
    )
    drift = verdict_sentence(
        "drift", beats_naive=True, calibrated80=7 / 9, points=9, origins=6, language="sv"
    )
    assert drift.startswith("Prognosen fortsätter trenden; metoden träffade")
    assert "7 av 9 prövade värden" in drift
    short = verdict_sentence(
        "drift", beats_naive=False, calibrated80=None, points=0, origins=0, language="sv"
    )
    assert short.startswith("Prognosens träffsäkerhet kunde ännu inte prövas")
    english = verdict_sentence(
        "naive", beats_naive=False, calibrated80=4 / 9, points=9, origins=6, language="en"
    )
    assert "4 of 9 tested values" in english
    # Finnish keeps its own wording.
    finnish = verdict_sentence("naive", beats_naive=False, calibrated80=4 / 9, points=9, origins=6)
    assert "osui 4 kertaa 9:stä koetellusta arvosta" in finnish


def test_expectation_in_swedish() -> None:
    assert plain(expectation_sentence(record(), "sv")) == (
        "Enligt statistiken väntas värdet hålla sig ungefär oförändrat fram till år 2028: "
        "cirka 1,0 % (80 %:s intervall 0,6–1,5 %), då det senaste värdet var 0,6 % (2024)."
    )
    assert plain(expectation_sentence(record("nousu"), "sv")).startswith(
        "Enligt statistiken väntas värdet stiga fram till år 2028"
    )
    assert plain(expectation_sentence(record("lasku"), "en")).startswith(
        "The statistics suggest the value will fall by 2028: about 1.0 %"
    )
    assert plain(expectation_sentence(record(), "fi")) == (
        "Tilastojen perusteella arvon odotetaan pysyvän suunnilleen ennallaan vuoteen 2028: "
        "noin 1,0 % (80 %:n väli 0,6–1,5 %), kun viimeisin arvo oli 0,6 % (2024)."
    )


def test_group_expectation_in_swedish() -> None:
    text = plain(group_expectation(record("nousu", history=[]), "sv"))
    assert text == (
        "Enligt statistiken väntas värdet stiga från prognosen för år 2026 (1,0 %) fram till "
        "år 2028: cirka 1,0 % (80 %:s intervall 0,6–1,5 %)."
    )


def test_backtest_figures_in_swedish() -> None:
    lines = [plain(t) for t in backtest_figures(record(), "sv")]
    assert lines[0] == "Metod: fortsatt trend (drift)."
    assert lines[1].startswith("Metoden prövades på 6 tidigare år")
    assert lines[2].startswith("MASE 0,61 (under 1 betyder")
    assert lines[3] == (
        "Diagrammets 80 %:s intervall träffade det faktiska värdet i 4 av 9 prövade värden "
        "(mål 80 %); modellens egna, smalare intervall träffade 6 av 9."
    )
    joined = " ".join(lines)
    assert not FINNISH.search(joined), joined
    assert ":stä" not in joined and ":sta" not in joined


def test_headline_in_swedish_lists_with_och() -> None:
    forecasts = [
        {"short_title": "A", "direction": "nousu", "forecast": [{"year": 2027}]},
        {"short_title": "B", "direction": "nousu", "forecast": [{"year": 2027}]},
        {"short_title": "C", "direction": "lasku", "forecast": [{"year": 2027}]},
        {"short_title": "D", "direction": "ennallaan", "forecast": [{"year": 2027}]},
    ]
    _, where = area_label_stub()
    assert area_headline(forecasts, where, "sv") == (
        "Enligt statistiken väntas i Äänekoski fram till år 2027 en ökning i: A och B; "
        "en minskning i: C. De övriga väntas hålla sig ungefär oförändrade."
    )
    assert area_headline(forecasts[3:], "i Äänekoski", "sv") == (
        "Enligt statistiken väntas de prognostiserade indikatorerna i Äänekoski hålla sig "
        "ungefär oförändrade fram till år 2027."
    )
    assert join_words(["a", "b", "c"], "sv") == "a, b och c"
    assert join_words(["a", "b", "c"]) == "a, b ja c"


def area_label_stub() -> tuple[str, str]:
    return "Äänekoski", "i Äänekoski"


def test_area_labels_in_swedish(region) -> None:
    assert area_label(region, "kunta", "992", "sv") == ("Äänekoski", "i Äänekoski")
    assert area_label(region, "kuntaryhma", "jamsa-keuruu", "sv")[1] == (
        "i kommungruppen Jämsä–Keuruu"
    )
    assert area_label(region, "hyvinvointialue", region.code, "sv")[1] == "i välfärdsområdet"
    assert area_label(region, "kunta", "992") == ("Äänekoski", "Äänekoskella")
    assert area_name(region, "kuntaryhma", "joutsa", "sv") == "Joutsa (kommungrupp)"
    assert area_name(region, "kuntaryhma", "joutsa") == "Joutsa (kuntaryhmä)"


def test_signal_sentence_in_swedish() -> None:
    text = signal_text(
        municipality="Äänekoski",
        in_form="i Äänekoski",
        label="Lastensuojeluilmoitukset",
        unit="%",
        decimals=1,
        previous_year=2023,
        previous_value=4.0,
        year=2024,
        value=5.5,
        county_value=4.2,
        country_value=4.1,
        direction="worse",
        run_length=3,
        language="sv",
    )
    assert plain(text) == (
        "Äänekoski: lastensuojeluilmoitukset 4,0 % → 5,5 % (2023→2024); välfärdsområdet 4,2 %, "
        "hela landet 4,1 %. I Äänekoski har värdet stigit i en sämre riktning, klart mer än "
        "slumpmässig variation förklarar. Värdet har stigit 3 gånger i rad."
    )


def test_chart_notes_in_swedish(region) -> None:
    aanekoski = region.municipality("992")
    stale = {"years": [2013], "municipality": [1.0]}
    assert stale_note(stale, this_year=2026, language="sv") == (
        "Senaste värde från år 2013 – uppgiften är föråldrad."
    )
    missing = {"municipality": [None], "suppressed_years": [], "region_levels": ["Maa"]}
    assert missing_line_note(missing, aanekoski, "sv") == (
        "Diagrammet saknar Äänekoskis linje: Sotkanet publicerar denna uppgift endast för hela "
        "landet, inte per kommun."
    )
    gaps = {"municipality": [1.0], "suppressed_years": [2019, 2020], "region_levels": []}
    assert missing_line_note(gaps, aanekoski, "sv").startswith(
        "Äänekoskis värde saknas för åren 2019 och 2020:"
    )


# --- charts ----------------------------------------------------------------------------------


def test_month_sparkline_has_swedish_month_labels() -> None:
    june = date(2025, 6, 1)
    svg = str(
        month_sparkline([1, 2, 3], label="Observationer per månad", until=june, language="sv")
    )
    page = BeautifulSoup(svg, "html.parser")
    assert [t.get_text() for t in page.select("text")] == ["apr 2025", "juni 2025"]
    assert page.svg["aria-label"] == "Observationer per månad: apr 2025 1, maj 2025 2, juni 2025 3"
    assert not FINNISH_MONTHS.search(svg)
    finnish = str(month_sparkline([1, 2, 3], label="Havainnot", until=date(2025, 6, 1)))
    assert "huhti 2025" in finnish and "kesä 2025" in finnish
    english = str(month_sparkline([1], label="Observations", until=june, language="en"))
    assert "Jun 2025" in english


def test_forecast_chart_in_swedish() -> None:
    rows = [
        {"year": 2025, "forecast": 55.0, "lo80": 53.0, "hi80": 57.0, "lo95": 52.0, "hi95": 58.0}
    ]
    svg = forecast_chart(
        [(2023, 47.0), (2024, 51.0)],
        rows,
        key="k",
        title="Lastensuojeluilmoitukset",
        unit="/ 1 000",
        higher_is_worse=True,
        language="sv",
    )
    page = BeautifulSoup(str(svg), "html.parser")
    alt = page.svg["aria-label"]
    assert alt == (
        "Lastensuojeluilmoitukset (/ 1 000). Utfall: 2023 47,0, 2024 51,0. "
        "Prognos: 2025 55,0 (80 %: 53,0–57,0, 95 %: 52,0–58,0)."
    )
    assert page.select_one("text.direction").get_text() == "↑ högre är sämre"
    assert not FINNISH.search(str(svg))
    empty = forecast_chart([], [], key="e", title="t", unit="", higher_is_worse=None, language="sv")
    assert "Ingen prognos." in str(empty)


def test_indicator_chart_lines_and_alt_in_swedish() -> None:
    series = {
        "unit": "%",
        "municipality": [1.0, 2.0],
        "county": [1.5, 1.5],
        "country": [1.2, 1.3],
    }
    lines = series_lines(series, "Äänekoski", "sv")
    assert [line.label for line in lines] == ["Äänekoski", "Välfärdsområdet", "Hela landet"]
    svg = str(
        line_chart([2023, 2024], lines, title="T", unit="%", higher_is_worse=False, language="sv")
    )
    assert "Välfärdsområdet: 2023 1,5" in svg and "↓ lägre är sämre" in svg
    empty = line_chart([], [], title="T", unit="%", higher_is_worse=None, language="sv")
    assert "Inga värden." in str(empty)


# --- pages on seeded forecasts ---------------------------------------------------------------


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
            history=[1.0, 1.1, 1.2, 0.6],
            ahead=[1.0] * 3,
            width=0.4,
            method="naive",
            beats_naive=False,
            mase=1.0,
            coverage80=0.7,
            calibrated80=4 / 9,
            points=9,
        )
        seed_forecast(
            db, 1060, kind, code, history=[40.0, 44.0, 47.0, 51.0], ahead=[55.0, 59.0, 63.0]
        )
    for key in ("jamsa-keuruu", "joutsa"):
        seed_forecast(db, 1060, "kuntaryhma", key, history=[], ahead=[60.0, 66.0, 72.0])
    seed_phenomenon(
        db, 7, "Perheiden uupumus", indicator=1060, observations={"992": (8, 4)}, today=today
    )
    return today


def forecast_text(page: BeautifulSoup) -> str:
    part = page.select_one("section[aria-labelledby=ennakointi]")
    assert part is not None
    return (
        plain(part.get_text(" ", strip=True))
        + " "
        + " ".join(svg["aria-label"] for svg in part.select("svg[aria-label]"))
    )


def test_municipality_page_forecasts_in_swedish(client, make_user, seeded) -> None:
    make_user("tuki", role="tukitiimi")
    login(client, "tuki")
    text = forecast_text(soup(client.get("/kunnat/992", headers=SV)))
    assert "Enligt statistiken väntas i Äänekoski fram till år 2027 en ökning i" in text
    assert (
        "Ingen metod förutsade tidigare år bättre än det senaste värdet, så det senaste värdet "
        "visas som prognos, och motsvarande 80 %:s intervall träffade 4 av 9 prövade värden."
    ) in text
    assert "hålla sig ungefär oförändrat fram till år 2027" in text
    assert "då det senaste värdet var 0,6 % (2024)" in text
    assert "Metod: senaste värdet (naiv prognos)." in text
    assert "Observationer 8 under det senaste halvåret, <5 under halvåret innan" in text
    assert "Prognos: 2025" in text
    assert not FINNISH.search(text), FINNISH.search(text)
    # The same page in Finnish is as before.
    finnish = forecast_text(soup(client.get("/kunnat/992")))
    assert "osui 4 kertaa 9:stä koetellusta arvosta" in finnish
    assert "pysyvän suunnilleen ennallaan" in finnish


def test_county_overview_and_group_page_in_swedish(client, make_user, seeded) -> None:
    make_user("tuki", role="tukitiimi")
    login(client, "tuki")
    page = soup(client.get("/yleiskuva", headers=SV))
    text = forecast_text(page)
    assert "Enligt statistiken väntas i välfärdsområdet fram till år 2027" in text
    assert not FINNISH.search(text), FINNISH.search(text)
    tables = plain(page.select_one("section.group-forecasts").get_text(" ", strip=True))
    assert "stiger" in tables
    assert not re.search(r"\bnousee\b|\blaskee\b|\bennallaan\b|alueen tason", tables)
    group = forecast_text(soup(client.get("/kuntaryhmat/jamsa-keuruu", headers=SV)))
    assert "Enligt statistiken väntas i kommungruppen Jämsä–Keuruu fram till år 2027" in group
    assert "väntas värdet stiga från prognosen för år 2025" in group
    assert not FINNISH.search(group), FINNISH.search(group)


def test_forecast_api_sentences_follow_the_language_and_names_stay(
    client, api_headers, seeded
) -> None:
    body = client.get("/api/forecasts?municipality=992", headers={**api_headers, **SV}).json()
    finnish = client.get("/api/forecasts?municipality=992", headers=api_headers).json()
    assert body.keys() == finnish.keys()
    assert [f.keys() for f in body["forecasts"]] == [f.keys() for f in finnish["forecasts"]]
    assert body["headline"].startswith("Enligt statistiken väntas i Äänekoski")
    naive = next(f for f in body["forecasts"] if f["method"] == "naive")
    assert naive["direction"] == "ennallaan"  # a code, the same in every language
    assert "4 av 9 prövade värden" in naive["verdict"]
    assert naive["method_name"] == "senaste värdet (naiv prognos)"
    assert naive["figures"][0] == "Metod: senaste värdet (naiv prognos)."
    assert finnish["headline"].startswith("Tilastojen perusteella Äänekoskella")
    assert (
        "4 kertaa 9:stä"
        in next(f for f in finnish["forecasts"] if f["method"] == "naive")["verdict"]
    )


# --- pages on forecasts and signals computed by the pipeline ---------------------------------


@pytest.fixture(scope="module")
def computed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's Sotkanet data through `run indicators` (signals) and the forecasts that
    follow it, built once for the module; each test gets a copy."""
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path_factory.mktemp("computed"),
        secret_key=TEST_SECRET,
        scheduler_enabled=False,
    )
    db = open_db(settings.database_path)
    report = run_pipeline(db, settings, "indicators", source=DEMO, today=date(2025, 6, 1))
    assert report.status == "ok", report.errors
    assert [f.status for f in report.followed_by] == ["ok"], report.followed_by
    db.conn.execute("pragma wal_checkpoint(truncate)")
    db.close()
    return settings.database_path


@pytest.fixture
def real_settings(settings: Settings, computed: Path) -> Settings:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(computed, settings.database_path)
    return settings


@pytest.mark.parametrize("page", ["/kunnat/{code}", "/yleiskuva"])
def test_computed_forecasts_and_signals_in_swedish(
    real_settings, page, client, make_user, db
) -> None:
    # The municipality with the most indicator signals, so its page has sentences to read.
    code = db.execute(
        "select municipality_code from indicator_signals group by 1 order by count(*) desc"
    ).fetchone()[0]
    make_user("tuki", role="tukitiimi")
    login(client, "tuki")
    html = soup(client.get(page.format(code=code), headers=SV))
    text = forecast_text(html)
    assert "Enligt statistiken väntas" in text
    assert "Metod:" in text and "Prognos:" in text
    assert not FINNISH.search(text), FINNISH.search(text)
    if page.startswith("/kunnat"):
        signals = [
            plain(li.get_text(" ", strip=True))
            for li in html.select("li.signal-worse, li.signal-better")
        ]
        assert signals and all("klart mer än slumpmässig variation" in s for s in signals)
        assert not any(FINNISH.search(s) for s in signals), signals
        charts = " ".join(svg["aria-label"] for svg in html.select("svg.chart"))
        assert "Välfärdsområdet:" in charts and "Hyvinvointialue:" not in charts
        notes = " ".join(p.get_text() for p in html.select(".chart-note"))
        assert "Kuvaajassa" not in notes and "vanhentunut" not in notes


def test_phenomenon_page_month_charts_in_swedish(client, make_user, seeded) -> None:
    make_user("tuki", role="tukitiimi")
    login(client, "tuki")
    page = soup(client.get("/ilmiot/7", headers=SV))
    charts = page.select("svg.month-sparkline")
    assert charts
    labels = " ".join(svg["aria-label"] + " " + svg.get_text(" ") for svg in charts)
    assert "Observationer per månad:" in labels
    assert not FINNISH_MONTHS.search(labels), labels
    swedish = r"\b(jan|feb|mars|apr|maj|juni|juli|aug|sep|okt|nov|dec) \d{4}"
    assert re.search(swedish, labels)
