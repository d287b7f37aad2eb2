"""Forecast accuracy and interval coverage: a simulation with known truth and the demo copy.

(a) **Simulation.** `--counties` simulated counties (default 25) of 22 municipalities each
(550 municipality series), every county with its own series length of 10-20 yearly points.
Populations are log-uniform from 700 to 150 000 and drift by -1.5 ... +1 % a year. Each
municipality's true rate (0.5-12 %) is flat, trending (+-2 ... 6 % of the rate a year), has a
level shift (+-20 ... 40 % at a random year, then flat) or wanders (a random walk, 5 % a
year), in the shares 30/30/25/15 %. Counts are Poisson around rate x population, for half of
the counties with gamma-distributed extra-Poisson noise (CV 7 %), as in registers where
years differ for reasons beyond chance. Municipalities fall into six groups by their order,
and the county is their sum. The last 3 years are held out; every method forecasts them from
the rest.

(b) **Demo.** The demo's Sotkanet copy (`nakyma/data/demo/sotkanet/`, SYNTHETIC values), read
with the pipeline's own functions, Keski-Suomi's municipalities, the region's default
grouping and the county; the last 3 years (2022-2024) are held out.

Reported per method (naive, drift, ets, theta on each series alone, with the model's own
intervals and floors; "chosen" = `forecast_indicator` with reconciler "none": the indicator's
pooled backtest choice and calibrated intervals, base forecasts; "chosen + reconciled" = what
`forecast_indicator` returns): MASE against held-out observed rates (scaled by the training
part's mean absolute yearly change), in the simulation also against the true rate, and the
share of held-out values inside the 80 % and 95 % intervals. Then by population band, and
the reconciliation variants by level (municipality, group, county).

    PYTHONPATH=. .venv/bin/python benchmarks/bench_forecast.py            # both, ~2 min
    PYTHONPATH=. .venv/bin/python benchmarks/bench_forecast.py --timing   # catalogue run time
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_T0 = time.perf_counter()
from nakyma import forecasting as fc  # noqa: E402
from nakyma.forecasting import METHODS, Point  # noqa: E402

_IMPORT_SECONDS = time.perf_counter() - _T0

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "nakyma" / "data" / "demo" / "sotkanet"
SEED = 20261202
HOLDOUT = 3
COUNTY = "15"
BANDS = ((0, 2000, "< 2 000"), (2000, 10_000, "2 000-10 000"), (10_000, 50_000, "10 000-50 000"))
BANDS += ((50_000, math.inf, ">= 50 000"),)
RECONCILERS = ("none", "bottom_up", "mint_wls_struct", "mint_ols", "mint_wls_var")
# The demo's corrective-service indicators (issue 14's list) with counts, used when the
# catalogue marks none for forecasting yet.
DEMO_IDS = (1086, 191, 1245, 5, 493, 4, 3219, 189, 74, 190)


@dataclass
class Score:
    mase: list[float]
    mase_truth: list[float]
    in80: list[bool]
    in95: list[bool]

    @classmethod
    def empty(cls) -> Score:
        return cls([], [], [], [])


# --- Evaluation of one series ----------------------------------------------------------------


def naive_scale(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    if len(known) < 2:
        return None
    s = float(np.mean(np.abs(np.diff(known))))
    return s if s > 0 else None


def record(
    score: Score,
    *,
    scale: float | None,
    mean: Sequence[float],
    lo80: Sequence[float],
    hi80: Sequence[float],
    lo95: Sequence[float],
    hi95: Sequence[float],
    actual: Sequence[float | None],
    truth: Sequence[float] | None,
) -> None:
    errs, terrs = [], []
    for i, a in enumerate(actual):
        if truth is not None:
            terrs.append(abs(mean[i] - truth[i]))
        if a is None:
            continue
        errs.append(abs(mean[i] - a))
        score.in80.append(lo80[i] - 1e-9 <= a <= hi80[i] + 1e-9)
        score.in95.append(lo95[i] - 1e-9 <= a <= hi95[i] + 1e-9)
    if scale is not None and errs:
        score.mase.append(float(np.mean(errs)) / scale)
        if terrs:
            score.mase_truth.append(float(np.mean(terrs)) / scale)


def method_rates(
    points: Sequence[Point], method: str, target: list[int], last_year: int, scale: float
) -> tuple[np.ndarray, ...] | None:
    """One method alone on a municipality's counts, as rates (mean, lo80, hi80, lo95, hi95)."""
    prep = fc._prepare(points, counts=True, scale=scale, last_year=last_year)
    if prep.observed < fc.MIN_POINTS:
        return None
    steps = target[-1] - int(prep.years[-1])
    try:
        base = fc.model_forecast(prep.y, method, steps, counts=True)
    except fc._MODEL_ERRORS:
        return None
    den = fc._denominator_forecast(prep.den, target)
    if den is None:
        return None
    f = scale / den
    m, s = base.mean[-len(target) :], base.sd[-len(target) :]
    up = 100.0

    def clip(a: np.ndarray) -> np.ndarray:
        return np.clip(a * f, 0.0, up)

    return (
        clip(m),
        clip(m - fc._Z80 * s),
        clip(m + fc._Z80 * s),
        clip(m - fc._Z95 * s),
        clip(m + fc._Z95 * s),
    )


_backtest = fc.backtest
_backtests: dict[tuple[bytes, str, int, bool], fc._Score] = {}


def _memo_backtest(y: np.ndarray, method: str, horizon: int, *, counts: bool) -> fc._Score:
    """The same backtest for the five reconcilers (a benchmark shortcut: the product backtests
    each series once per call anyway)."""
    key = (np.asarray(y, dtype=float).tobytes(), method, horizon, counts)
    if key not in _backtests:
        _backtests[key] = _backtest(y, method, horizon, counts=counts)
    return _backtests[key]


fc.backtest = _memo_backtest  # type: ignore[assignment]


def band_of(pop: float) -> str:
    return next(label for lo, hi, label in BANDS if lo <= pop < hi)


# --- One county (simulated or demo) ----------------------------------------------------------


def evaluate_county(
    series: Mapping[tuple[str, str], list[Point]],
    groups: Mapping[str, Sequence[str]],
    *,
    unit: str,
    pops: Mapping[str, float],
    truth: Mapping[tuple[str, str], Mapping[int, float]] | None,
    methods: dict[tuple[str, str], Score],
    levels: dict[tuple[str, str], Score],
) -> None:
    """Hold out the last HOLDOUT years of `series` and add the scores to methods / levels.

    methods: (method, population band or "all") -> Score for municipalities;
    levels: (reconciler, area kind) -> Score."""
    last = max(p.year for pts in series.values() for p in pts if p.value is not None)
    cut = last - HOLDOUT
    target = list(range(cut + 1, last + 1))
    scale = fc._scale(unit)
    assert scale is not None
    train = {k: [p for p in pts if p.year <= cut] for k, pts in series.items()}
    held = {k: {p.year: p.value for p in pts if p.year > cut} for k, pts in series.items()}

    # Observed rates of groups: sums of member counts over sums of member denominators.
    def group_rates(members: Sequence[str], years: Sequence[int]) -> dict[int, float | None]:
        out: dict[int, float | None] = {}
        for y in years:
            k = d = 0.0
            for c in members:
                p = next((p for p in series.get(("kunta", c), ()) if p.year == y), None)
                if p is None or p.value is None or p.abs_value is None or p.value <= 0:
                    out[y] = None
                    break
                k += p.abs_value
                d += p.abs_value * scale / p.value
            else:
                out[y] = k * scale / d if d else None
        return out

    all_years = sorted({p.year for pts in series.values() for p in pts})
    observed: dict[tuple[str, str], dict[int, float | None]] = {
        k: {p.year: p.value for p in pts} for k, pts in series.items()
    }
    for g, members in groups.items():
        observed[("kuntaryhma", g)] = group_rates(members, all_years)
    for k, pts in held.items():
        observed.setdefault(k, {}).update(pts)

    def truth_of(key: tuple[str, str]) -> list[float] | None:
        return None if truth is None else [truth[key][y] for y in target]

    for (kind, code), pts in train.items():
        if kind != "kunta":
            continue
        s = naive_scale([p.value for p in pts])
        actual = [held[(kind, code)].get(y) for y in target]
        for method in METHODS:
            out = method_rates(pts, method, target, cut, scale)
            if out is None:
                continue
            for band in ("all", band_of(pops[code])):
                record(
                    methods[(method, band)],
                    scale=s,
                    mean=out[0],
                    lo80=out[1],
                    hi80=out[2],
                    lo95=out[3],
                    hi95=out[4],
                    actual=actual,
                    truth=truth_of((kind, code)),
                )

    for reconciler in RECONCILERS:
        fs = fc._forecast_indicator(
            train,
            groups,
            county_code=COUNTY,
            unit=unit,
            horizon=HOLDOUT,
            last_year=cut,
            reconciler=reconciler,
        )
        rows: dict[tuple[str, str], list[fc.ForecastRow]] = defaultdict(list)
        for r in fs.rows:
            rows[(r.area_kind, r.area_code)].append(r)
        for key, rs in rows.items():
            rs.sort(key=lambda r: r.year)
            hist = [v for y, v in sorted(observed[key].items()) if y <= cut]
            actual = [observed[key].get(y) for y in target]
            kw = dict(
                scale=naive_scale(hist),
                mean=[r.forecast for r in rs],
                lo80=[r.lo80 for r in rs],
                hi80=[r.hi80 for r in rs],
                lo95=[r.lo95 for r in rs],
                hi95=[r.hi95 for r in rs],
                actual=actual,
                truth=truth_of(key),
            )
            record(levels[(reconciler, key[0])], **kw)  # type: ignore[arg-type]
            if key[0] == "kunta" and reconciler in ("none", fc.RECONCILER):
                name = "chosen" if reconciler == "none" else "chosen + reconciled"
                for band in ("all", band_of(pops[key[1]])):
                    record(methods[(name, band)], **kw)  # type: ignore[arg-type]


# --- Simulation ------------------------------------------------------------------------------


def simulate_county(
    rng: np.random.Generator, overdispersed: bool
) -> tuple[
    dict[tuple[str, str], list[Point]],
    dict[str, list[str]],
    dict[str, float],
    dict[tuple[str, str], dict[int, float]],
    dict[str, str],
]:
    n_years = int(rng.integers(10, 21))
    years = list(range(2025 - n_years, 2025))
    t = np.arange(n_years)
    codes = [f"{i:03d}" for i in range(1, 23)]
    series: dict[tuple[str, str], list[Point]] = {}
    truth: dict[tuple[str, str], dict[int, float]] = {}
    pops: dict[str, float] = {}
    shapes: dict[str, str] = {}
    true_counts: dict[str, np.ndarray] = {}
    dens: dict[str, np.ndarray] = {}
    for code in codes:
        pop0 = math.exp(rng.uniform(math.log(700), math.log(150_000)))
        den = pop0 * (1 + rng.uniform(-0.015, 0.01)) ** t
        base = rng.uniform(0.5, 12.0)
        shape = str(rng.choice(["flat", "trend", "shift", "wander"], p=[0.3, 0.3, 0.25, 0.15]))
        if shape == "flat":
            rate = np.full(n_years, base)
        elif shape == "trend":
            rate = base * (1 + rng.choice([-1, 1]) * rng.uniform(0.02, 0.06)) ** t
        elif shape == "shift":
            at = int(rng.integers(3, n_years - 1))
            jump = 1 + rng.choice([-1, 1]) * rng.uniform(0.2, 0.4)
            rate = np.where(t >= at, base * jump, base)
        else:
            rate = base * np.exp(np.cumsum(rng.normal(0, 0.05, n_years)))
        rate = np.clip(rate, 0.05, 60.0)
        mu = rate * den / 100
        if overdispersed:
            mu = mu * rng.gamma(1 / 0.07**2, 0.07**2, n_years)
        k = rng.poisson(mu).astype(float)
        series[("kunta", code)] = [
            Point(y, float(k[i] * 100 / den[i]), float(k[i])) for i, y in enumerate(years)
        ]
        truth[("kunta", code)] = {y: float(rate[i]) for i, y in enumerate(years)}
        pops[code] = float(pop0)
        shapes[code] = shape
        true_counts[code] = rate * den / 100
        dens[code] = den
        # Leave the counts in `series`; the county is their sum, as in Sotkanet.
    groups = {f"g{j}": codes[j::6] for j in range(6)}

    def aggregate(members: Sequence[str]) -> tuple[list[Point], dict[int, float]]:
        k = np.sum([[p.abs_value for p in series[("kunta", c)]] for c in members], axis=0)
        d = np.sum([dens[c] for c in members], axis=0)
        tc = np.sum([true_counts[c] for c in members], axis=0)
        pts = [Point(y, float(k[i] * 100 / d[i]), float(k[i])) for i, y in enumerate(years)]
        return pts, {y: float(tc[i] * 100 / d[i]) for i, y in enumerate(years)}

    for g, members in groups.items():
        truth[("kuntaryhma", g)] = aggregate(members)[1]
    series[("hyvinvointialue", COUNTY)], truth[("hyvinvointialue", COUNTY)] = aggregate(codes)
    return series, groups, pops, truth, shapes


# --- Demo ------------------------------------------------------------------------------------


def demo_indicators() -> tuple[
    list[tuple[int, str, dict[tuple[str, str], list[Point]]]],
    dict[str, list[str]],
    dict[str, float],
]:
    from nakyma.indicators import load_catalogue
    from nakyma.regions import load_region
    from pipelines.indicators import LocalSource, parse_regions, parse_values, resolve_areas

    region = load_region()
    source = LocalSource(DEMO)
    regions, _ = parse_regions(source.regions())
    areas = resolve_areas(regions, region)
    groups = {g.key: list(g.members) for g in region.grouping().groups}
    catalogue = {e.id: e for e in load_catalogue()}
    ids = [e.id for e in catalogue.values() if e.forecast] or list(DEMO_IDS)
    years = range(1990, 2040)
    out = []
    for indicator_id in ids:
        rows, _ = parse_values(
            source.data(indicator_id, years, ["total"]),
            indicator_id,
            areas,
            years=years,
            genders=["total"],
        )
        series: dict[tuple[str, str], list[Point]] = defaultdict(list)
        for r in rows:
            if r["area_kind"] in ("kunta", "hyvinvointialue"):
                series[(r["area_kind"], r["area_code"])].append(
                    Point(r["year"], r["value"], r["abs_value"])
                )
        for pts in series.values():
            pts.sort(key=lambda p: p.year)
        out.append((indicator_id, catalogue[indicator_id].unit, dict(series)))
    return out, groups, region.populations()


# --- Tables ----------------------------------------------------------------------------------


def fmt(x: float | None, digits: int = 2) -> str:
    return "–" if x is None or not math.isfinite(x) else f"{x:.{digits}f}"


def summary(score: Score) -> tuple[str, ...]:
    mase = score.mase
    return (
        fmt(statistics.fmean(mase)) if mase else "–",
        fmt(statistics.median(mase)) if mase else "–",
        fmt(statistics.fmean(score.mase_truth)) if score.mase_truth else "–",
        fmt(100 * statistics.fmean(score.in80), 0) if score.in80 else "–",
        fmt(100 * statistics.fmean(score.in95), 0) if score.in95 else "–",
        str(len(mase)),
    )


def print_tables(title: str, methods: dict, levels: dict, *, truth: bool) -> None:
    head = "| method | MASE mean | MASE median | MASE vs truth | cover 80 % | cover 95 % | series |"
    sep = "|---|---:|---:|---:|---:|---:|---:|"
    names = (*METHODS, "chosen", "chosen + reconciled")
    print(f"\n### {title}: municipalities, all\n\n{head}\n{sep}")
    for m in names:
        print(f"| {m} | " + " | ".join(summary(methods[(m, "all")])) + " |")
    print(f"\n### {title}: MASE mean / 95 % coverage by population\n")
    print("| method | " + " | ".join(label for *_, label in BANDS) + " |")
    print("|---|" + "---:|" * len(BANDS))
    for m in names:
        cells = []
        for *_, label in BANDS:
            s = summary(methods[(m, label)])
            cells.append(f"{s[0]} / {s[4]} % (n={s[5]})")
        print(f"| {m} | " + " | ".join(cells) + " |")
    print(f"\n### {title}: chosen method, by reconciliation and level\n\n{head}\n{sep}")
    for r in RECONCILERS:
        for kind in ("kunta", "kuntaryhma", "hyvinvointialue"):
            print(f"| {r} / {kind} | " + " | ".join(summary(levels[(r, kind)])) + " |")
    if not truth:
        print("\n(no truth for the demo: 'MASE vs truth' is empty)")


def run(label: str, counties: Callable[[], list], *, truth: bool) -> None:
    methods: dict = defaultdict(Score.empty)
    levels: dict = defaultdict(Score.empty)
    start = time.perf_counter()
    for series, groups, unit, pops, tr in counties():
        evaluate_county(
            series, groups, unit=unit, pops=pops, truth=tr, methods=methods, levels=levels
        )
    print(f"\n{label}: {time.perf_counter() - start:.0f} s")
    print_tables(label, methods, levels, truth=truth)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=25, help="simulated counties of 22")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--skip-sim", action="store_true", help="demo only")
    parser.add_argument("--skip-demo", action="store_true", help="simulation only")
    parser.add_argument("--timing", action="store_true", help="time a catalogue-sized run only")
    args = parser.parse_args()
    print(f"import of nakyma.forecasting: {_IMPORT_SECONDS:.2f} s; seed {args.seed}")

    if args.timing:
        indicators, groups, _ = demo_indicators()
        start = time.perf_counter()
        first = None
        n_rows = n_series = 0
        for indicator_id, unit, series in indicators:
            t = time.perf_counter()
            fs = fc.forecast_indicator(series, groups, county_code=COUNTY, unit=unit)
            first = first or time.perf_counter() - t
            n_rows += len(fs.rows)
            n_series += len({(r.area_kind, r.area_code) for r in fs.rows})
            print(f"  {indicator_id}: {time.perf_counter() - t:.2f} s, {len(fs.rows)} rows")
        total = time.perf_counter() - start
        print(
            f"catalogue-sized run: {len(indicators)} indicators, {n_series} series, "
            f"{n_rows} rows in {total:.1f} s (first indicator {first:.2f} s; "
            f"plus {_IMPORT_SECONDS:.1f} s import)"
        )
        return

    if not args.skip_sim:
        rng = np.random.default_rng(args.seed)

        def simulated() -> list:
            out = []
            for i in range(args.counties):
                series, groups, pops, truth, _ = simulate_county(rng, overdispersed=i % 2 == 1)
                out.append((series, groups, "%", pops, truth))
            return out

        run(f"Simulation ({args.counties * 22} municipality series)", simulated, truth=True)

    if args.skip_demo:
        return

    def demo() -> list:
        indicators, groups, pops = demo_indicators()
        print(f"demo indicators: {[i for i, *_ in indicators]}")
        return [(series, groups, unit, pops, None) for _, unit, series in indicators]

    run("Demo copy (synthetic)", demo, truth=False)


if __name__ == "__main__":
    main()
