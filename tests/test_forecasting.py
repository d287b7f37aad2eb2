"""Forecasts: intervals, the count hierarchy, method choice by backtest (real statsforecast)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nakyma.forecasting import (
    METHOD_NAMES_FI,
    METHODS,
    MIN_POINTS,
    BacktestRow,
    ForecastRow,
    ForecastSet,
    Point,
    forecast_indicator,
)

COUNTY = "15"
YEARS = list(range(2010, 2025))  # 15 yearly points, last 2024


def count_points(rates, population, *, scale=100.0, years=YEARS, seed=0, noise=True):
    """Points of a rate indicator with Poisson counts around `rates` (one per year)."""
    rng = np.random.default_rng(seed)
    out = []
    for year, rate in zip(years, rates, strict=True):
        mu = rate * population / scale
        k = int(rng.poisson(mu)) if noise else round(mu)
        out.append(Point(year, k * scale / population, float(k)))
    return out


def summed(series_list, years=YEARS):
    """The county's points as Sotkanet gives them: counts and rates summed over members."""
    out = []
    for i, year in enumerate(years):
        k = sum(s[i].abs_value for s, _ in series_list)
        pop = sum(p for _, p in series_list)
        out.append(Point(year, k * 100 / pop, k))
    return out


POPS = {"001": 800, "002": 2500, "003": 9000, "004": 30000, "005": 60000, "006": 150000}
GROUPS = {"pieni": ["001", "002", "003"], "iso": ["004", "005", "006"]}


@pytest.fixture(scope="module")
def hierarchy() -> tuple[ForecastSet, dict[tuple[str, str], list[Point]]]:
    """Six municipalities at a flat 6 % with Poisson noise, in two groups, and the county."""
    series = {
        ("kunta", code): count_points([6.0] * len(YEARS), pop, seed=i)
        for i, (code, pop) in enumerate(POPS.items())
    }
    series[("hyvinvointialue", COUNTY)] = summed(
        [(series[("kunta", c)], p) for c, p in POPS.items()]
    )
    return forecast_indicator(series, GROUPS, county_code=COUNTY, unit="%"), series


def by_area(rows: list[ForecastRow]) -> dict[tuple[str, str], list[ForecastRow]]:
    out: dict[tuple[str, str], list[ForecastRow]] = {}
    for r in sorted(rows, key=lambda r: r.year):
        out.setdefault((r.area_kind, r.area_code), []).append(r)
    return out


def check_sane(fs: ForecastSet) -> None:
    for r in fs.rows:
        numbers = [r.forecast, r.lo80, r.hi80, r.lo95, r.hi95]
        assert all(math.isfinite(x) for x in numbers), r
        assert r.lo95 <= r.lo80 <= r.forecast <= r.hi80 <= r.hi95, r
        assert r.method in METHODS
    for b in fs.backtests:
        for x in (b.mase, b.coverage80, b.coverage95):
            assert x is None or math.isfinite(x), b


def test_method_names_cover_methods():
    assert set(METHOD_NAMES_FI) == set(METHODS)


def test_rows_for_every_area_and_year(hierarchy):
    fs, _ = hierarchy
    areas = by_area(fs.rows)
    expected = {("kunta", c) for c in POPS} | {("kuntaryhma", g) for g in GROUPS}
    expected.add(("hyvinvointialue", COUNTY))
    assert set(areas) == expected
    for rows in areas.values():
        assert [r.year for r in rows] == [2025, 2026, 2027]
    check_sane(fs)


def test_intervals_widen_with_horizon(hierarchy):
    fs, _ = hierarchy
    for area, rows in by_area(fs.rows).items():
        w80 = [r.hi80 - r.lo80 for r in rows]
        w95 = [r.hi95 - r.lo95 for r in rows]
        assert w80[0] < w80[1] < w80[2], area
        assert w95[0] < w95[1] < w95[2], area


def test_small_denominators_get_relatively_wider_intervals(hierarchy):
    fs, _ = hierarchy
    areas = by_area(fs.rows)
    relative = {
        code: (areas[("kunta", code)][0].hi80 - areas[("kunta", code)][0].lo80)
        / areas[("kunta", code)][0].forecast
        for code in POPS
    }
    # Same true rate everywhere: the smallest municipality is the least certain.
    assert relative["001"] > 3 * relative["006"]
    assert relative["002"] > relative["005"]


def test_counts_add_up_over_the_hierarchy(hierarchy):
    # Populations are constant, so the forecast denominator is the population itself.
    fs, _ = hierarchy
    areas = by_area(fs.rows)
    counts = {
        code: np.array([r.forecast * pop / 100 for r in areas[("kunta", code)]])
        for code, pop in POPS.items()
    }
    for group, members in GROUPS.items():
        pop = sum(POPS[c] for c in members)
        group_counts = np.array([r.forecast * pop / 100 for r in areas[("kuntaryhma", group)]])
        np.testing.assert_allclose(sum(counts[c] for c in members), group_counts, rtol=1e-9)
    county_counts = np.array(
        [r.forecast * sum(POPS.values()) / 100 for r in areas[("hyvinvointialue", COUNTY)]]
    )
    np.testing.assert_allclose(sum(counts.values()), county_counts, rtol=1e-9)


def test_backtest_rows_per_series(hierarchy):
    fs, _ = hierarchy
    areas = by_area(fs.rows)
    per_area: dict[tuple[str, str], list[BacktestRow]] = {}
    for b in fs.backtests:
        per_area.setdefault((b.area_kind, b.area_code), []).append(b)
    assert set(per_area) == set(areas)
    chosen_rows = []
    for area, rows in per_area.items():
        assert sorted(b.method for b in rows) == sorted(METHODS)
        chosen = [b for b in rows if b.chosen]
        assert len(chosen) == 1
        assert chosen[0].method == areas[area][0].method
        assert all(b.origins == 4 for b in rows)
        assert not any(b.beats_naive for b in rows if not b.chosen)
        chosen_rows.append(chosen[0])
    # One method and one verdict for the whole indicator, decided on the municipalities'
    # backtests pooled (mean of their MASEs).
    assert len({b.method for b in chosen_rows}) == 1
    assert len({b.beats_naive for b in chosen_rows}) == 1
    method, beats = chosen_rows[0].method, chosen_rows[0].beats_naive
    pooled = {
        m: np.mean([b.mase for b in fs.backtests if b.area_kind == "kunta" and b.method == m])
        for m in METHODS
    }
    if beats:
        assert pooled[method] < 1 and pooled[method] < pooled["naive"]
    else:
        assert method == "naive"


def test_pooled_choice_gives_one_method_per_indicator():
    # Trending, flat and shifted municipalities: each alone might pick another method.
    rng = np.random.default_rng(11)
    series = {}
    for i in range(8):
        shape = i % 3
        if shape == 0:
            rates = [5.0 + 0.4 * t for t in range(len(YEARS))]
        elif shape == 1:
            rates = [7.0] * len(YEARS)
        else:
            rates = [6.0] * 8 + [8.0] * (len(YEARS) - 8)
        pop = int(rng.integers(2000, 80_000))
        series[("kunta", f"{i:03d}")] = count_points(rates, pop, seed=20 + i)
    fs = forecast_indicator(
        series, {"g": [f"{i:03d}" for i in range(8)]}, county_code=COUNTY, unit="%"
    )
    check_sane(fs)
    assert len({r.method for r in fs.rows}) == 1
    chosen = [b for b in fs.backtests if b.chosen]
    assert len({b.method for b in chosen}) == 1
    assert len({(b.area_kind, b.area_code) for b in chosen}) == len(chosen) == 10


def test_nothing_beats_naive_shows_naive_everywhere():
    # Flat for ten years, then a step up every year: every method's backtest errors are large
    # against the flat history's small yearly change (MASE far above 1).
    series = {}
    for i, step in enumerate((3.0, 5.0, 4.0)):
        values = [10.0 + 0.1 * (t % 2) for t in range(10)] + [10.0 + step * k for k in range(1, 6)]
        series[("kunta", f"00{i + 1}")] = [
            Point(y, v, None) for y, v in zip(YEARS, values, strict=True)
        ]
    fs = forecast_indicator(series, {}, county_code=COUNTY, unit="/1000")
    check_sane(fs)
    assert fs.rows and all(r.method == "naive" for r in fs.rows)
    assert not any(b.beats_naive for b in fs.backtests)
    assert all(b.method == "naive" for b in fs.backtests if b.chosen)


def test_calibration_widens_an_under_covering_interval_and_never_narrows():
    from nakyma.forecasting import MAX_WIDENING, _Score, calibration

    # Every held-out error was 3 sd: the model's 80 and 95 % intervals covered nothing.
    wide80, wide95 = calibration(_Score(2.0, 0.0, 0.0, 40, (3.0,) * 40))
    assert wide80 == pytest.approx(3.0 / 1.2815515655446004)
    assert wide95 == pytest.approx(3.0 / 1.959963984540054)
    # Over-covering: no narrowing. Too few points: nothing. Infinite ratios: capped.
    assert calibration(_Score(0.5, 1.0, 1.0, 40, (0.2,) * 40)) == (1.0, 1.0)
    assert calibration(_Score(2.0, 0.0, 0.0, 3, (3.0,) * 5)) == (1.0, 1.0)
    assert calibration(_Score(2.0, 0.0, 0.0, 40, (math.inf,) * 40)) == (MAX_WIDENING,) * 2


def test_calibration_is_applied_to_the_forecast_intervals(monkeypatch):
    import nakyma.forecasting as fc

    points = count_points([6.0] * len(YEARS), 20_000, seed=12)
    monkeypatch.setattr(fc, "calibration_of", lambda ratios: (1.0, 1.0))
    plain, _ = single(points)
    monkeypatch.setattr(fc, "calibration_of", lambda ratios: (2.0, 1.5))
    wider, _ = single(points)
    for p, w in zip(plain, wider, strict=True):
        assert w.forecast == pytest.approx(p.forecast)
        assert w.hi80 - w.lo80 == pytest.approx(2.0 * (p.hi80 - p.lo80))
        assert w.hi95 - w.lo95 == pytest.approx(1.5 * (p.hi95 - p.lo95))
    widths = [r.hi95 - r.lo95 for r in wider]
    assert widths[0] < widths[1] < widths[2]


def _scores(ratios):
    """A series' backtests where every method had these held-out |error| / sd ratios."""
    from nakyma.forecasting import _Score

    return {m: _Score(0.9, None, None, 4, tuple(ratios)) for m in METHODS}


def test_calibration_is_per_level_and_aggregates_get_their_own_factor():
    from nakyma.forecasting import _Z80, calibrate_levels

    # Municipalities' errors are small next to their (Poisson-floored) sd; the aggregates'
    # are large: one pooled factor would leave the county under-covered.
    scores = {("kunta", f"00{i}"): _scores([0.5] * 9) for i in range(1, 5)}
    for g in ("a", "b"):
        scores[("kuntaryhma", g)] = _scores([2.0] * 9)
    scores[("hyvinvointialue", COUNTY)] = _scores([2.0] * 9)
    cal = calibrate_levels(scores, "ets")
    assert cal[("kunta", "001")].widen == (1.0, 1.0)
    county = cal[("hyvinvointialue", COUNTY)]
    assert county.widen[0] == pytest.approx(2.0 / _Z80)
    assert cal[("kuntaryhma", "a")].widen == county.widen
    assert county.points == 9


def test_aggregates_with_too_few_points_take_the_municipalities_factor():
    from nakyma.forecasting import _Z80, calibrate_levels

    scores = {("kunta", f"00{i}"): _scores([1.5] * 9) for i in range(1, 5)}
    scores[("hyvinvointialue", COUNTY)] = _scores([0.1] * 9)  # alone: 9 < 20 points
    cal = calibrate_levels(scores, "ets")
    assert cal[("hyvinvointialue", COUNTY)].widen == cal[("kunta", "001")].widen
    assert cal[("kunta", "001")].widen[0] == pytest.approx(1.5 / _Z80)


def test_reported_coverage_leaves_the_series_out_of_its_own_calibration():
    from nakyma.forecasting import calibrate_levels

    # Three calm municipalities (errors 0.5 sd) and one wild one (errors 3 sd). Calibrated on
    # all four, the wild one would look covered by its own errors; left out, the others'
    # factor is 1 and its intervals miss every time: that is what the reader must be told.
    scores = {("kunta", f"00{i}"): _scores([0.5] * 9) for i in range(1, 4)}
    scores[("kunta", "004")] = _scores([3.0] * 9)
    cal = calibrate_levels(scores, "ets")
    assert cal[("kunta", "004")].widen[0] > 1.0  # drawn wider: its errors are in the pool
    assert cal[("kunta", "004")].coverage == (0.0, 0.0)
    assert cal[("kunta", "001")].coverage == (1.0, 1.0)


def test_chosen_backtest_rows_carry_the_calibrated_coverage(hierarchy):
    fs, _ = hierarchy
    for b in fs.backtests:
        if b.chosen:
            assert b.points == 9  # 4 origins: 3 + 3 + 2 + 1 held-out values
            assert b.calibrated80 is not None and 0.0 <= b.calibrated80 <= 1.0
            assert b.calibrated95 is not None and b.calibrated95 >= b.calibrated80
        else:
            assert b.calibrated80 is None and b.points == 0


def single(points, unit="%", **options):
    fs = forecast_indicator(
        {("kunta", "001"): points}, {}, county_code=COUNTY, unit=unit, **options
    )
    check_sane(fs)
    rows = [r for r in fs.rows if r.area_kind == "kunta"]
    bt = {b.method: b for b in fs.backtests if b.area_kind == "kunta"}
    return rows, bt


def test_level_shift_is_not_extrapolated_into_a_trend():
    rates = [10.0] * 9 + [14.0] * 6  # a jump in 2019 that then stays
    rows, bt = single(count_points(rates, 100_000, seed=3))
    assert [r.year for r in rows] == [2025, 2026, 2027]
    for r in rows:
        assert r.lo95 <= 14.0 <= r.hi95
        assert abs(r.forecast - 14.0) < 0.5
    # Continuing the jump's slope would add about 4 points a year.
    assert rows[-1].forecast - rows[0].forecast < 0.5


def test_linear_trend_is_followed():
    rates = [5.0 + 0.5 * i for i in range(len(YEARS))]  # 5 -> 12 %
    rows, bt = single(count_points(rates, 50_000, seed=4))
    chosen = next(b for b in bt.values() if b.chosen)
    assert chosen.method in ("drift", "ets", "theta")
    assert chosen.beats_naive
    assert bt["naive"].mase > chosen.mase
    # Three years past 12 % at +0.5 a year: about 13.5 %.
    assert rows[-1].forecast == pytest.approx(13.5, abs=0.6)
    assert rows[0].forecast < rows[1].forecast < rows[2].forecast


def test_white_noise_gets_a_flat_forecast():
    rng = np.random.default_rng(5)
    rates = list(8.0 + rng.normal(0, 0.8, len(YEARS)))
    rows, bt = single(count_points(rates, 40_000, seed=5))
    chosen = next(b for b in bt.values() if b.chosen)
    spread = max(r.forecast for r in rows) - min(r.forecast for r in rows)
    assert chosen.method == "naive" or spread < 0.2
    assert not (chosen.method == "drift" and chosen.beats_naive)


def test_too_short_series_get_no_rows():
    short = count_points([6.0] * (MIN_POINTS - 1), 10_000, years=YEARS[-(MIN_POINTS - 1) :])
    rows, bt = single(short)
    assert rows == [] and bt == {}
    enough = count_points([6.0] * MIN_POINTS, 10_000, years=YEARS[-MIN_POINTS:])
    rows, bt = single(enough)
    assert len(rows) == 3 and len(bt) == len(METHODS)


def test_short_municipality_still_counted_in_its_group():
    series = {
        ("kunta", "001"): count_points([6.0] * 4, 5000, years=YEARS[-4:], seed=1),
        ("kunta", "002"): count_points([6.0] * len(YEARS), 20_000, seed=2),
    }
    fs = forecast_indicator(series, {"g": ["001", "002"]}, county_code=COUNTY, unit="%")
    check_sane(fs)
    areas = by_area(fs.rows)
    assert ("kunta", "001") not in areas
    assert ("kunta", "002") in areas and ("kuntaryhma", "g") in areas
    # The group's count is bigger than its one forecast member's: 001's ~300 a year are in it.
    group = areas[("kuntaryhma", "g")][0].forecast * 25_000 / 100
    member = areas[("kunta", "002")][0].forecast * 20_000 / 100
    assert group - member == pytest.approx(300, rel=0.3)


def test_suppressed_values_are_handled():
    points = count_points([6.0] * len(YEARS), 3000, seed=6)
    # Suppressed in two interior years and in the last year.
    for i in (4, 5, len(points) - 1):
        points[i] = Point(points[i].year, None, None)
    rows, bt = single(points, last_year=2024)  # the default would be 2023, the last value
    assert [r.year for r in rows] == [2025, 2026, 2027]
    assert 3.0 < rows[0].forecast < 9.0


def test_rates_without_counts_are_forecast_per_area_without_groups():
    rng = np.random.default_rng(7)
    series = {
        ("kunta", c): [Point(y, 20 + rng.normal(0, 1), None) for y in YEARS] for c in ("001", "002")
    }
    series[("hyvinvointialue", COUNTY)] = [Point(y, 20 + rng.normal(0, 0.3), None) for y in YEARS]
    fs = forecast_indicator(series, {"g": ["001", "002"]}, county_code=COUNTY, unit="/1000")
    check_sane(fs)
    assert set(by_area(fs.rows)) == {
        ("kunta", "001"),
        ("kunta", "002"),
        ("hyvinvointialue", COUNTY),
    }


def test_percent_is_clipped_at_0_and_100():
    near_top = [Point(y, 99.5, 199.0) for y in YEARS[:-1]] + [Point(2024, 100.0, 200.0)]
    rows, _ = single(near_top)
    assert all(r.hi95 <= 100.0 for r in rows)
    near_zero = count_points([0.2] * len(YEARS), 1500, seed=8)
    rows, _ = single(near_zero)
    assert all(r.lo95 >= 0.0 for r in rows)
    assert any(r.lo95 == 0.0 for r in rows)


def test_last_year_ignores_later_points():
    rates = [6.0] * 10 + [30.0] * 5
    points = count_points(rates, 50_000, seed=9)
    rows, _ = single(points[:10])
    fs = forecast_indicator(
        {("kunta", "001"): points}, {}, county_code=COUNTY, unit="%", last_year=2019
    )
    cut = [r for r in fs.rows if r.area_kind == "kunta"]
    assert [r.year for r in cut] == [2020, 2021, 2022]
    assert [r.forecast for r in cut] == pytest.approx([r.forecast for r in rows])


def test_a_smooth_small_count_still_gets_poisson_wide_widening_intervals():
    # Four cases a year, every year: a model sees no noise at all, but next year's count is
    # still a Poisson draw. The 95 % interval must hold at least +-1.96 sqrt(4) cases.
    points = [Point(y, 4 * 100 / 1000, 4.0) for y in YEARS]
    rows, _ = single(points)
    half_widths = [(r.hi95 - r.forecast) * 1000 / 100 for r in rows]
    assert half_widths[0] >= 1.96 * 2 * 0.99
    assert half_widths[0] < half_widths[1] < half_widths[2]


def test_a_flat_rate_without_counts_still_gets_widening_intervals():
    rows, _ = single([Point(y, 12.0, None) for y in YEARS[:-1]] + [Point(2024, 12.5, None)])
    widths = [r.hi95 - r.lo95 for r in rows]
    assert 0 < widths[0] < widths[1] < widths[2]
