"""Tests for indicator signals (nakyma.indicators): constructed series in a fresh database,
the noise tests, directions, missing values and the Finnish sentences."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from nakyma.indicators import (
    binomial_tail,
    compute_signals,
    format_number,
    format_value,
    hypergeometric_tail,
    list_signals,
    municipality_series,
    signal_text,
)
from nakyma.regions import Region

YEARS = range(2019, 2025)
CHILD_SHARE = 0.185  # 0-17-year-olds per resident, for denominators


def add_indicator(
    db: Database,
    ident: int = 1086,
    *,
    higher_is_worse: bool = True,
    unit: str = "%",
    short_title: str = "Lastensuojeluilmoituksen saaneet 0–17-vuotiaat",
    decimals: int | None = 1,
) -> None:
    db.table("indicators").insert(
        {
            "id": ident,
            "title": short_title,
            "short_title": short_title,
            "higher_is_worse": int(higher_is_worse),
            "in_catalogue": 1,
            "unit": unit,
            "decimals": decimals,
            "status": "ok",
        }
    )


def add_values(
    db: Database,
    ident: int,
    code: str,
    values: dict[int, tuple[float | None, float | None]],
    *,
    kind: str = "kunta",
) -> None:
    db.table("indicator_values").upsert_all(
        (
            {
                "indicator_id": ident,
                "area_kind": kind,
                "area_code": code,
                "year": year,
                "gender": "total",
                "value": value,
                "abs_value": count,
            }
            for year, (value, count) in values.items()
        ),
        pk=("indicator_id", "area_kind", "area_code", "year", "gender"),
    )


def children(region: Region, code: str) -> int:
    return round((region.municipality(code).population or 0) * CHILD_SHARE)


def rates(counts: dict[int, int], n: int, scale: float = 100.0) -> dict[int, tuple[float, float]]:
    """{year: count} -> {year: (rate rounded to 0.1, count)} for a denominator n."""
    return {y: (round(k * scale / n, 1), float(k)) for y, k in counts.items()}


def fill_background(
    db: Database,
    region: Region,
    ident: int,
    rate: float,
    *,
    skip: Iterable[str] = (),
    years: Iterable[int] = YEARS,
    counts: bool = True,
    swing: float = 0.0,
    seed: int = 1,
) -> None:
    """Every other municipality: a steady rate with sampling noise (and `swing`, a relative
    year-to-year wobble beyond it); counts stored unless `counts` is False."""
    rng = random.Random(seed)
    for m in region.municipalities:
        if m.code in skip:
            continue
        n = children(region, m.code)
        values: dict[int, tuple[float | None, float | None]] = {}
        for i, year in enumerate(years):
            p = rate / 100 * (1 + (swing if i % 2 else -swing))
            k = max(0, round(rng.gauss(n * p, math.sqrt(n * p * (1 - p)))))
            values[year] = (round(100 * k / n, 1), float(k) if counts else None)
        add_values(db, ident, m.code, values)


def context(db: Database, ident: int, county: float, country: float, year: int = 2024) -> None:
    add_values(db, ident, "15", {year: (county, None)}, kind="hyvinvointialue")
    add_values(db, ident, "FI", {year: (country, None)}, kind="maa")


def signal_for(db: Database, region: Region, code: str, ident: int = 1086) -> dict | None:
    return next(
        (s for s in list_signals(db, region, municipality=code) if s["indicator_id"] == ident),
        None,
    )


# --- A real rise, and the same swing in a small municipality --------------------------------


@pytest.fixture
def child_welfare(db: Database, region: Region) -> Database:
    add_indicator(db)
    fill_background(db, region, 1086, 8.5, skip=("992", "435"))
    n = children(region, "992")  # Äänekoski, c. 3 370 children
    add_values(
        db,
        1086,
        "992",
        rates({2019: 303, 2020: 307, 2021: 303, 2022: 307, 2023: 307, 2024: round(n * 0.114)}, n),
    )
    small = children(region, "435")  # Luhanka, c. 130 children: same relative swing
    add_values(
        db,
        1086,
        "435",
        rates({2019: 12, 2020: 11, 2021: 12, 2022: 12, 2023: 12, 2024: 15}, small),
    )
    context(db, 1086, county=8.7, country=8.2)
    return db


def test_real_rise_in_a_large_municipality_is_flagged_with_its_sentence(
    child_welfare: Database, region: Region
):
    assert compute_signals(child_welfare, region) >= 1
    signal = signal_for(child_welfare, region, "992")
    assert signal is not None
    assert signal["direction"] == "worse"
    assert (signal["year"], signal["value"], signal["previous_value"]) == (2024, 11.4, 9.1)
    assert (signal["county_value"], signal["country_value"]) == (8.7, 8.2)
    assert signal["strength"] > 3  # -log10 p
    assert signal["method"].startswith("fisher")
    assert signal["text"] == (
        "Äänekoski: lastensuojeluilmoituksen saaneet 0–17-vuotiaat 9,1 % → 11,4 % (2023→2024); "
        "hyvinvointialue 8,7 %, koko maa 8,2 %. Äänekoskella nousu on huonompaan suuntaan ja "
        "selvästi satunnaisvaihtelua suurempi."
    )
    assert signal["municipality"] == "Äänekoski" and signal["municipality_code"] == "992"
    assert signal["title"] and signal["unit"] == "%"


def test_same_swing_in_a_700_resident_municipality_is_not_flagged(
    child_welfare: Database, region: Region
):
    assert region.municipality("435").population == 700
    compute_signals(child_welfare, region)
    luhanka = child_welfare.execute(
        "select value from indicator_values where area_code = '435' and year in (2023, 2024) "
        "order by year"
    ).fetchall()
    before, after = luhanka[0][0], luhanka[1][0]
    assert after / before - 1 > 0.2  # a bigger relative swing than Äänekoski's
    assert signal_for(child_welfare, region, "435") is None


def test_even_a_doubling_of_a_tiny_count_is_noise(db: Database, region: Region):
    add_indicator(db)
    fill_background(db, region, 1086, 8.5, skip=("435",))
    small = children(region, "435")
    add_values(db, 1086, "435", rates({2021: 5, 2022: 4, 2023: 5, 2024: 10}, small))
    compute_signals(db, region)
    assert signal_for(db, region, "435") is None


# --- Directions ----------------------------------------------------------------------------


def test_drop_in_a_higher_is_worse_indicator_is_better(db: Database, region: Region):
    add_indicator(db)
    fill_background(db, region, 1086, 8.0, skip=("179",))
    n = children(region, "179")  # Jyväskylä
    k = round(n * 0.08)
    add_values(db, 1086, "179", rates({2021: k, 2022: k + 20, 2023: k, 2024: round(n * 0.065)}, n))
    compute_signals(db, region)
    signal = signal_for(db, region, "179")
    assert signal is not None and signal["direction"] == "better"
    assert "Jyväskylässä lasku on parempaan suuntaan" in signal["text"]


def test_drop_in_a_higher_is_better_indicator_is_worse(db: Database, region: Region):
    add_indicator(db, 1570, higher_is_worse=False, short_title="Kotona asuvat 75 vuotta täyttäneet")
    rng = random.Random(3)
    for m in region.municipalities:
        n = round((m.population or 0) * 0.12)
        at_home = {y: round(n * 0.91 + rng.gauss(0, math.sqrt(n * 0.08))) for y in YEARS}
        if m.code == "729":  # Saarijärvi
            at_home[2024] = round(n * 0.855)
        add_values(db, 1570, m.code, rates(at_home, n))
    compute_signals(db, region)
    signal = signal_for(db, region, "729", 1570)
    assert signal is not None and signal["direction"] == "worse"
    assert signal["text"].startswith("Saarijärvi: kotona asuvat 75 vuotta täyttäneet ")
    assert "Saarijärvellä lasku on huonompaan suuntaan" in signal["text"]


def test_small_relative_change_in_a_big_municipality_is_not_a_signal(db: Database, region: Region):
    add_indicator(db)
    fill_background(db, region, 1086, 8.0, skip=("179",))
    n = children(region, "179")
    k = round(n * 0.08)
    # +6 %: statistically clear with 27 000 children, but below MIN_RELATIVE_CHANGE.
    add_values(db, 1086, "179", rates({2021: k, 2022: k, 2023: k, 2024: round(k * 1.06)}, n))
    compute_signals(db, region)
    assert signal_for(db, region, "179") is None


def test_overdispersion_in_history_widens_the_test(db: Database, region: Region):
    def jump_flagged(swing: float) -> bool:
        db.execute("delete from indicator_values")
        db.execute("delete from indicator_signals")
        db.execute("delete from indicators")
        add_indicator(db)
        fill_background(db, region, 1086, 8.0, skip=("182",), swing=swing)
        n = children(region, "182")  # Jämsä
        k = round(n * 0.08)
        add_values(db, 1086, "182", rates({2021: k, 2022: k, 2023: k, 2024: round(k * 1.25)}, n))
        compute_signals(db, region)
        return signal_for(db, region, "182") is not None

    assert jump_flagged(0.0)
    # Every municipality wobbling +-20 % a year: a +25 % year is nothing unusual.
    assert not jump_flagged(0.20)


# --- Without counts: the robust method ------------------------------------------------------


def test_survey_values_without_counts_use_the_robust_scale(db: Database, region: Region):
    add_indicator(db, 328, short_title="Ahdistuneisuus, 8.–9.-lk")
    survey_years = (2017, 2019, 2021, 2023)
    rng = random.Random(7)
    for m in region.municipalities:
        pupils = max(5, round((m.population or 0) * 0.0154))
        sd = 100 * math.sqrt(0.12 * 0.88 / pupils)
        values = {y: round(max(0.0, 12 + rng.gauss(0, sd)), 1) for y in survey_years}
        if m.code == "182":  # Jämsä: a jump far beyond its sampling noise
            values.update({2021: 12.5, 2023: 24.0})
        if m.code == "265":  # Kivijärvi (1 000 residents): a big swing, noise for its size
            values.update({2021: 12.0, 2023: 20.0})
        add_values(db, 328, m.code, {y: (v, None) for y, v in values.items()})
    context(db, 328, county=12.6, country=11.9, year=2023)
    compute_signals(db, region)
    jamsa = signal_for(db, region, "182", 328)
    assert jamsa is not None and jamsa["direction"] == "worse"
    assert jamsa["method"].startswith("mad")
    assert jamsa["text"].startswith(
        "Jämsä: ahdistuneisuus, 8.–9.-lk 12,5 % → 24,0 % (2021→2023); hyvinvointialue 12,6 %"
    )
    assert signal_for(db, region, "265", 328) is None


# --- Missing values ------------------------------------------------------------------------


def test_missing_values_are_handled(db: Database, region: Region):
    add_indicator(db)
    fill_background(db, region, 1086, 8.0, skip=("992", "179", "410", "077"))
    n = children(region, "992")
    # Äänekoski: latest year suppressed -> nothing current to say.
    add_values(db, 1086, "992", {**rates({2021: 300, 2022: 300, 2023: 300}, n), 2024: (None, None)})
    # Jyväskylä: counts missing in the baseline -> falls back to the robust scale.
    big = children(region, "179")
    add_values(
        db,
        1086,
        "179",
        {2021: (8.0, None), 2022: (8.0, None), 2023: (8.0, None), 2024: (12.0, None)},
    )
    # Laukaa: one observation only.
    add_values(db, 1086, "410", {2024: (15.0, 500.0)})
    # Hankasalmi: only nulls.
    add_values(db, 1086, "077", {y: (None, None) for y in YEARS})
    compute_signals(db, region)
    assert signal_for(db, region, "992") is None
    assert signal_for(db, region, "410") is None
    assert signal_for(db, region, "077") is None
    jyvaskyla = signal_for(db, region, "179")
    assert big > 0 and jyvaskyla is not None and jyvaskyla["method"].startswith("mad")
    # No county or country value: the sentence leaves them out.
    assert "hyvinvointialue" not in jyvaskyla["text"]
    assert jyvaskyla["text"].startswith(
        "Jyväskylä: lastensuojeluilmoituksen saaneet 0–17-vuotiaat 8,0 % → 12,0 % (2023→2024)."
    )


def test_empty_database_gives_no_signals(db: Database, region: Region):
    assert compute_signals(db, region) == 0
    add_indicator(db)
    assert compute_signals(db, region) == 0
    assert list_signals(db, region) == []


# --- Storage -------------------------------------------------------------------------------


def test_recompute_keeps_unchanged_signals_and_drops_stale_ones(
    child_welfare: Database, region: Region
):
    compute_signals(child_welfare, region)
    child_welfare.execute("update indicator_signals set computed_at = 'sentinel'")
    compute_signals(child_welfare, region)
    assert {r[0] for r in child_welfare.execute("select computed_at from indicator_signals")} == {
        "sentinel"
    }
    n = children(region, "992")
    add_values(child_welfare, 1086, "992", rates({2024: 307}, n))
    compute_signals(child_welfare, region)
    assert signal_for(child_welfare, region, "992") is None


def test_list_signals_orders_and_filters(child_welfare: Database, region: Region):
    n = children(region, "179")
    k = round(n * 0.085)
    add_values(
        child_welfare, 1086, "179", rates({2021: k, 2022: k, 2023: k, 2024: round(k * 0.8)}, n)
    )
    compute_signals(child_welfare, region)
    signals = list_signals(child_welfare, region)
    directions = [s["direction"] for s in signals]
    assert directions == sorted(directions, key=lambda d: d != "worse")
    assert {"Äänekoski", "Jyväskylä"} <= {s["municipality"] for s in signals}
    for written in ("992", "Äänekoski", "äänekoskella"):
        assert [
            s["municipality"] for s in list_signals(child_welfare, region, municipality=written)
        ] == ["Äänekoski"]
    assert list_signals(child_welfare, region, municipality="Tampere") == []
    assert set(signals[0]) >= {
        "indicator_id",
        "municipality",
        "municipality_code",
        "year",
        "value",
        "previous_value",
        "county_value",
        "country_value",
        "direction",
        "strength",
        "text",
        "title",
        "short_title",
        "unit",
    }


def test_municipality_series_aligns_years(child_welfare: Database, region: Region):
    add_values(child_welfare, 1086, "FI", {2023: (8.0, None)}, kind="maa")
    series = municipality_series(child_welfare, region, "992")
    assert len(series) == 1
    s = series[0]
    assert s["id"] == 1086 and s["higher_is_worse"] is True and s["unit"] == "%"
    assert s["years"] == list(YEARS)
    assert s["municipality"][-2:] == [9.1, 11.4]
    assert s["county"] == [None] * 5 + [8.7]
    assert s["country"] == [None] * 4 + [8.0, 8.2]
    assert {"title", "short_title", "organization"} <= set(s)


# --- Sentences and numbers -----------------------------------------------------------------


def test_finnish_number_formatting():
    assert format_number(9.14) == "9,1"
    assert format_number(147700, 0) == "147 700"
    assert format_number(-1.25, 2) == "−1,25"
    assert format_value(4.2, "/1000") == "4,2 / 1 000"
    assert format_value(11.4, "%") == "11,4 %"
    assert format_value(147700, "lkm", 0) == "147 700"
    assert format_value(None, "%") == "–"


def test_signal_text_variants():
    text = signal_text(
        municipality="Laukaa",
        in_form="Laukaassa",
        label="Psykiatrinen sairaalahoito 0–17-v.",
        unit="/1000",
        decimals=1,
        previous_year=2022,
        previous_value=5.0,
        year=2024,
        value=3.2,
        county_value=None,
        country_value=4.4,
        direction="better",
        run_length=3,
    )
    assert text == (
        "Laukaa: psykiatrinen sairaalahoito 0–17-v. 5,0 / 1 000 → 3,2 / 1 000 (2022→2024); "
        "koko maa 4,4 / 1 000. Laukaassa lasku on parempaan suuntaan ja selvästi "
        "satunnaisvaihtelua suurempi. Arvo on laskenut 3 kertaa peräkkäin."
    )
    acronym = signal_text(
        municipality="Jämsä",
        in_form="Jämsässä",
        label="KTK: ahdistuneisuus",
        unit="%",
        decimals=1,
        previous_year=2021,
        previous_value=1,
        year=2023,
        value=2,
        county_value=None,
        country_value=None,
        direction="worse",
    )
    assert acronym.startswith(
        "Jämsä: KTK: ahdistuneisuus 1,0 % → 2,0 % (2021→2023). Jämsässä nousu"
    )


# --- Exact tests ---------------------------------------------------------------------------


def test_binomial_and_hypergeometric_tails():
    assert binomial_tail(8, 10, 0.5, upper=True) == pytest.approx(56 / 1024)
    assert binomial_tail(2, 10, 0.5, upper=False) == pytest.approx(56 / 1024)
    assert binomial_tail(0, 10, 0.3, upper=True) == 1.0
    # Fisher's tea-tasting: 8 cups, 4 with milk first, all 4 guessed right.
    assert hypergeometric_tail(4, 8, 4, 4, upper=True) == pytest.approx(1 / 70)
    assert hypergeometric_tail(3, 8, 4, 4, upper=True) == pytest.approx(17 / 70)
    assert hypergeometric_tail(1, 8, 4, 4, upper=False) == pytest.approx(17 / 70)
    # Large counts stay fast and sane.
    p = binomial_tail(16_500, 30_000, 0.5, upper=True)
    assert 0 <= p < 1e-50


# Values of the hand-written tails this module used before scipy.stats, over a grid of
# arguments that includes every edge (k outside the support, p = 0 or 1, n = 0).
TAILS_REFERENCE = Path(__file__).parent / "data" / "tails_reference.json"
# Callers floor a p-value here before taking its logarithm, so below it values need not agree.
MIN_P = 1e-300


def reference_rows(name: str) -> list[list[Any]]:
    return json.loads(TAILS_REFERENCE.read_text(encoding="utf-8"))[name]["rows"]


def agrees(actual: float, expected: float) -> bool:
    return max(actual, MIN_P) == pytest.approx(max(expected, MIN_P), rel=1e-9)


def test_binomial_tail_matches_the_hand_written_original() -> None:
    rows = reference_rows("binomial_tail")
    assert len(rows) > 3000
    for k, n, p, upper, expected in rows:
        actual = binomial_tail(k, n, p, upper=upper)
        outside = k <= 0 or k > n if upper else k < 0 or k >= n
        if outside or p <= 0.0 or p >= 1.0:
            assert actual == expected, (k, n, p, upper)  # edges are exact 0 or 1
        else:
            assert agrees(actual, expected), (k, n, p, upper, actual, expected)


def test_hypergeometric_tail_matches_the_hand_written_original() -> None:
    rows = reference_rows("hypergeometric_tail")
    assert len(rows) > 300
    for k, total, successes, draws, upper, expected in rows:
        actual = hypergeometric_tail(k, total, successes, draws, upper=upper)
        lo, hi = max(0, draws - (total - successes)), min(successes, draws)
        if (k <= lo or k > hi) if upper else (k < lo or k >= hi):
            assert actual == expected, (k, total, successes, draws, upper)
        else:
            assert agrees(actual, expected), (k, total, successes, draws, upper, actual, expected)
