"""Yearly indicator forecasts 1-3 years ahead: honest intervals, and the backtest behind the method.

What it does, per indicator (one call of `forecast_indicator`):

- **Models** are statsforecast's `Naive`, `RandomWalkWithDrift`, `AutoETS` and `AutoTheta`
  (yearly, no season). They are fitted through the models' own `forecast(y, h, level)` (fit
  and predict in one call, no data frame), a few milliseconds per series on 10-20 points. The
  model's 95 % interval gives a standard deviation; after the floors below, the 80 % and 95 %
  intervals are normal around the point forecast.
- **Counts where Sotkanet gives them.** When the municipalities' points carry `abs_value` (the
  count behind a rate) and the unit has a known scale (`%` -> 100, `/1000` -> 1000, ...; the
  same table as `nakyma.indicators`), the models forecast **counts**. Each year's denominator
  is derived as count x scale / value; the forecast denominator continues the straight line
  through the last (up to) five known denominators (drift), never below half the last one.
  The rate shown is forecast count / forecast denominator x scale. The denominator is treated
  as known: populations move slowly next to small-count noise. For `lkm` units the value is
  the count itself (denominator 1).
- **Hierarchy.** Municipality counts are the bottom level, the groups (a partition given as
  `groups`) and the county are sums. Each series (municipality, group, county) gets its own
  base forecast with the indicator's chosen method; the base forecasts are then reconciled with
  hierarchicalforecast (`RECONCILER`, default `BottomUp`) so that municipalities add up to
  their group and to the county. BottomUp was chosen on the simulation in benchmarks/RESULTS.md:
  it was as good as or better than MinTrace (ols, wls_struct, wls_var) at every level there.
  MinTrace wls_struct and ols spread an aggregate's correction over municipalities in absolute
  counts, which moves a 700-resident municipality's rate far (its MASE rose from 1.2 to 1.9);
  wls_var (weights from in-sample naive errors) was harmless but no better. So the group and
  county point forecasts are the sums of the municipalities'; the aggregates' own base models
  give their interval widths, and their `method` and backtest rows describe that own model
  (how well the aggregate alone is forecast, with the indicator's method), not the sum. A
  negative reconciled municipality count is set to 0 and the sums recomputed, so coherence
  holds. Intervals are the base model's widths (after the floors and calibration below) centred
  on the reconciled point: reconciliation moves the level, it does not make anyone surer. The
  county's base model uses its own series when it has counts; its rate, like a group's,
  divides the summed count by the summed municipal denominators. A municipality with no count
  in any year is outside the hierarchy.
- **Rates only.** Without counts each area's rate is forecast directly, with no
  reconciliation, and groups get no forecast (a group's rate needs its members' denominators).
- **Honest intervals.** A model fitted to 10 points can be overconfident, so the standard
  deviation behind the intervals gets two floors: for counts, the Poisson variance of the future
  count plus the uncertainty of a level estimated from n points, f(1 + h/n); and for every
  series, growth with horizon (var_h >= var_{h-1} + var_1/n), so intervals always widen. A small
  count therefore has a relatively wide interval (sd / f >= 1/sqrt(f)). Then the intervals are
  **calibrated on the backtest, per level** (`calibrate_levels`): over the indicator's
  backtests of the chosen method at one level (municipalities; or groups and county together),
  each held-out error is divided by the sd the model gave it (floors included); the 80 % (95 %)
  factor is the split-conformal quantile of these ratios divided by z (the ceil((n+1) 0.8)-th
  smallest of n ratios over 1.28), never below 1 and at most `MAX_WIDENING`, so the level's
  pooled backtest coverage reaches nominal. Aggregates with too few points take the
  municipalities' factors. The factors multiply the sd of every row of the level, so widening
  with horizon and with small denominators is kept. Intervals are normal on the modelled
  scale, clipped at 0 and, for `%`, at 100.
- **Gaps.** A suppressed point (`value` None) is missing; interior gaps are filled by linear
  interpolation for the model, leading gaps are dropped, and a series that stops early is
  forecast further so that its rows still cover last_year+1 ... last_year+horizon. A series
  with fewer than `MIN_POINTS` observed points gets no forecast rows and no backtest rows; in
  the count hierarchy it still takes part, with a flat forecast of its recent mean count, so
  that the sums stay whole.
- **Backtest and choice.** Rolling origin per series: training on the first n-k points for
  k = `BACKTEST_ORIGINS` ... 1 (never fewer than `MIN_TRAIN` points), forecasting 1 ...
  min(horizon, k) steps. MASE divides each absolute error by the mean absolute one-step change
  of that origin's training data (the in-sample naive forecast's error); coverage is the share
  of held-out values inside the interval (with the floors above). A method other than naive is
  **The choice is per indicator** (issue 14: "the method that wins its backtest"): each
  method's MASE is pooled as the median (`POOLED_MASE`) of its per-series MASEs over the
  indicator's municipality series that have a naive MASE (without municipalities: over the
  group/county series); on a series where a method cannot be backtested it counts as naive,
  the product's fallback. The median, because a few near-flat series with a tiny MASE scale
  dominate a mean. A method other than naive is chosen only if its pooled MASE is below
  1 *and* below naive's; the lowest such MASE wins. Otherwise naive is shown everywhere, with
  `beats_naive` False. The chosen method is used for every series of the indicator, groups and
  county included (a series where it cannot be fitted falls back to naive, `beats_naive`
  False). Per-series choice was noisier: 4 origins on 10-20 points picked the wrong method
  often (benchmarks/RESULTS.md). The backtest rows stay per series with every method's own
  figures; `chosen` marks the method the series is shown with and `beats_naive` is the
  indicator's verdict on that row. Their `coverage80` / `coverage95` are the model's intervals
  *before* calibration (the calibration is fitted on them); the chosen row's `calibrated80` /
  `calibrated95` are the coverage of the intervals as drawn, with factors fitted without that
  series (leave one series out), over its `points` held-out values. Reconciliation comes
  after, and is not part of the backtest. All backtest figures are on the modelled scale
  (counts, or rates without counts).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from nakyma.indicators import _scale, _unit_key

# statsforecast Naive, RandomWalkWithDrift, AutoETS, AutoTheta
METHODS = ("naive", "drift", "ets", "theta")
METHOD_NAMES_FI = {
    "naive": "viimeisin arvo (naiivi ennuste)",
    "drift": "trendin jatko (drift)",
    "ets": "eksponentiaalinen tasoitus (ETS)",
    "theta": "Theta-menetelmä",
}

MIN_POINTS = 6  # observed points a series needs for a forecast of its own
MIN_TRAIN = 5  # points a backtest origin trains on at least
BACKTEST_ORIGINS = 4  # the last k = 4, 3, 2, 1 years are held out in turn
DENOMINATOR_YEARS = 5  # the denominator's drift is the line through this many last years
RECONCILER = "bottom_up"  # see the module docstring and benchmarks/RESULTS.md
POOLED_MASE = "median"  # how an indicator's per-series MASEs are pooled (or "mean")
MIN_CALIBRATION_POINTS = 20  # pooled backtest points an interval calibration needs
MAX_WIDENING = 3.0  # the calibration widens an interval at most this many times
_Z80 = 1.2815515655446004
_Z95 = 1.959963984540054
# What statsforecast raises when a model cannot be fitted (AutoETS: "tiny datasets").
_MODEL_ERRORS = (ValueError, ArithmeticError, NotImplementedError, RuntimeError)


@dataclass(frozen=True)
class Point:
    year: int
    value: float | None
    abs_value: float | None


@dataclass(frozen=True)
class ForecastRow:
    area_kind: str
    area_code: str
    year: int
    forecast: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float
    method: str


@dataclass(frozen=True)
class BacktestRow:
    area_kind: str
    area_code: str
    method: str
    mase: float | None
    coverage80: float | None
    coverage95: float | None
    origins: int
    chosen: bool
    beats_naive: bool
    # On the chosen row only: the held-out coverage of the intervals as drawn (calibrated),
    # with the calibration fitted without this series, and how many held-out values that is.
    calibrated80: float | None = None
    calibrated95: float | None = None
    points: int = 0


@dataclass(frozen=True)
class ForecastSet:
    rows: list[ForecastRow]
    backtests: list[BacktestRow]


# --- One series ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Base:
    """A base forecast on the modelled scale: mean and the standard deviation behind intervals."""

    mean: np.ndarray
    sd: np.ndarray


@dataclass(frozen=True)
class _Score:
    mase: float | None
    coverage80: float | None
    coverage95: float | None
    origins: int
    # |error| / sd of every held-out point (the sd behind the model's interval, floors
    # included): what the indicator's interval calibration is computed from.
    ratios: tuple[float, ...] = ()


def _model(method: str):  # noqa: ANN202 - statsforecast models share no public base type
    # Imported here: statsforecast pulls in numba and pandas, which the rest of the app needn't.
    from statsforecast.models import AutoETS, AutoTheta, Naive, RandomWalkWithDrift

    return {
        "naive": Naive,
        "drift": RandomWalkWithDrift,
        "ets": AutoETS,
        "theta": AutoTheta,
    }[method]()


def model_forecast(y: np.ndarray, method: str, h: int, *, counts: bool) -> _Base:
    """One method's forecast of `y` (no gaps) h steps ahead, with the floors applied.

    Raises ValueError when the model gives no finite answer."""
    # Only the 95 % interval is asked for: it gives the sd, and each level costs statsforecast
    # a scipy distribution per call (a third of the run time with both).
    # A degenerate fit (AutoETS on a few points) divides by zero inside the library; the
    # non-finite result is caught below, so the warning only adds noise.
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = _model(method).forecast(y=np.asarray(y, dtype=float), h=h, level=[95])
    mean = np.asarray(out["mean"], dtype=float)
    sd = (np.asarray(out["hi-95"], dtype=float) - np.asarray(out["lo-95"], dtype=float)) / (
        2 * _Z95
    )
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(sd))):
        raise ValueError(f"{method}: no finite forecast")
    if counts:
        mean = np.maximum(mean, 0.0)
    return _Base(mean, _honest_sd(mean, np.maximum(sd, 0.0), y, counts=counts))


def _honest_sd(mean: np.ndarray, sd: np.ndarray, y: np.ndarray, *, counts: bool) -> np.ndarray:
    n = len(y)
    var = sd**2
    steps = np.arange(1, len(mean) + 1)
    if counts:
        var = np.maximum(var, mean * (1 + steps / n))
    else:
        # A flat history is no proof of a flat future: at least half the typical yearly change.
        typical = float(np.mean(np.abs(np.diff(y)))) if n > 1 else 0.0
        var[0] = max(var[0], (0.5 * typical) ** 2, 1e-12)
    for i in range(1, len(var)):
        var[i] = max(var[i], var[i - 1] + var[0] / n)
    return np.sqrt(var)


def backtest(y: np.ndarray, method: str, horizon: int, *, counts: bool) -> _Score:
    """Rolling-origin MASE and interval coverage of one method on one gap-free series."""
    n = len(y)
    errors: list[float] = []
    ratios: list[float] = []
    origins = 0
    for k in range(BACKTEST_ORIGINS, 0, -1):
        train = n - k
        if train < MIN_TRAIN:
            continue
        scale = float(np.mean(np.abs(np.diff(y[:train]))))
        steps = min(horizon, k)
        try:
            base = model_forecast(y[:train], method, steps, counts=counts)
        except _MODEL_ERRORS:
            return _Score(None, None, None, 0)
        origins += 1
        actual = y[train : train + steps]
        err = np.abs(actual - base.mean)
        if scale > 0:
            errors.extend((err / scale).tolist())
        for e, sd in zip(err.tolist(), base.sd.tolist(), strict=True):
            ratios.append(0.0 if e <= 1e-9 else (e / sd if sd > 0 else math.inf))
    if origins == 0:
        return _Score(None, None, None, 0)
    r = np.asarray(ratios)
    return _Score(
        float(np.mean(errors)) if errors else None,
        float(np.mean(r <= _Z80)),
        float(np.mean(r <= _Z95)),
        origins,
        tuple(ratios),
    )


def score_series(y: np.ndarray, horizon: int, *, counts: bool) -> dict[str, _Score]:
    """Every method's backtest on one gap-free series."""
    return {m: backtest(y, m, horizon, counts=counts) for m in METHODS}


def pooled_scores(per_series: Iterable[Mapping[str, _Score]]) -> dict[str, _Score]:
    """Each method's backtest pooled over an indicator's series.

    The series are those where naive has a MASE. On a series where a method could not be
    backtested (AutoETS on 5 points), it counts with naive's figures: naive is what the product
    falls back to when a model cannot be fitted. The pooled MASE is the `POOLED_MASE` ("median"
    or "mean") of the series' MASEs; coverage and the error ratios are pooled over all held-out
    points; origins are summed."""
    usable = [s for s in per_series if s["naive"].mase is not None]
    out: dict[str, _Score] = {}
    for m in METHODS:
        own = [s[m] if s[m].mase is not None else s["naive"] for s in usable]
        if not own:
            out[m] = _Score(None, None, None, 0)
            continue
        ratios = tuple(r for sc in own for r in sc.ratios)
        r = np.asarray(ratios)
        mases = [float(sc.mase) for sc in own if sc.mase is not None]
        stat = np.median if POOLED_MASE == "median" else np.mean
        out[m] = _Score(
            float(stat(mases)),
            float(np.mean(r <= _Z80)) if len(r) else None,
            float(np.mean(r <= _Z95)) if len(r) else None,
            sum(sc.origins for sc in own),
            ratios,
        )
    return out


def calibration(score: _Score | None) -> tuple[float, float]:
    """Widening factors of the sd behind the 80 % and 95 % intervals (never below 1), from a
    backtest's held-out |error| / sd ratios (`calibration_of`)."""
    return calibration_of(score.ratios if score is not None else ())


def calibration_of(ratios: Sequence[float]) -> tuple[float, float]:
    """Widening factors of the sd behind the 80 % and 95 % intervals (never below 1).

    Split-conformal on the backtest: the factor makes the pooled backtest coverage of the
    method at least nominal, i.e. z x factor is the ceil((n+1) x level)-th smallest of the n
    held-out |error| / sd ratios. Fewer than `MIN_CALIBRATION_POINTS` points: no widening.
    Capped at `MAX_WIDENING` (a few series whose sd is 0 would otherwise make it infinite)."""
    if len(ratios) < MIN_CALIBRATION_POINTS:
        return 1.0, 1.0
    r = np.sort(np.asarray(ratios, dtype=float))
    n = len(r)
    out = []
    for z, level in ((_Z80, 0.80), (_Z95, 0.95)):
        q = float(r[min(math.ceil((n + 1) * level), n) - 1])
        out.append(float(min(max(q / z, 1.0), MAX_WIDENING)))
    return out[0], out[1]


def _z(widen: tuple[float, float]) -> tuple[float, float]:
    """The 80 % and 95 % half-widths in sds after widening (the 95 % never inside the 80 %)."""
    z80 = _Z80 * widen[0]
    return z80, max(_Z95 * widen[1], z80)


def choose_method(scores: Mapping[str, _Score]) -> tuple[str, bool]:
    """The method to show and whether it beats naive (see the module docstring)."""
    naive = scores.get("naive")
    naive_mase = naive.mase if naive is not None and naive.mase is not None else math.inf
    best, best_mase = "naive", math.inf
    for method in METHODS:
        score = scores.get(method)
        if method == "naive" or score is None or score.mase is None:
            continue
        if score.mase < 1 and score.mase < naive_mase and score.mase < best_mase:
            best, best_mase = method, score.mase
    return best, best != "naive"


@dataclass(frozen=True)
class _Fit:
    method: str
    beats_naive: bool
    scores: dict[str, _Score]
    base: _Base


def fit_series(
    y: np.ndarray, steps: int, horizon: int, *, counts: bool, method: str | None = None
) -> _Fit:
    """Backtest every method on y and forecast `steps` ahead with `method` (default: the
    method this series' own backtest chooses)."""
    scores = score_series(y, horizon, counts=counts)
    if method is None:
        method, beats = choose_method(scores)
    else:
        beats = method != "naive"
    return _forecast_with(y, steps, method, beats, scores, counts=counts)


def _forecast_with(
    y: np.ndarray,
    steps: int,
    method: str,
    beats: bool,
    scores: dict[str, _Score],
    *,
    counts: bool,
) -> _Fit:
    try:
        base = model_forecast(y, method, steps, counts=counts)
    except _MODEL_ERRORS:
        method, beats = "naive", False
        base = model_forecast(y, "naive", steps, counts=counts)
    return _Fit(method, beats, scores, base)


# --- Preparing the points ------------------------------------------------------------------


@dataclass(frozen=True)
class _Prepared:
    """An area's modelled quantity over consecutive years; gaps filled for the model."""

    years: np.ndarray  # first ... last observed year
    y: np.ndarray  # counts (count mode) or rates
    observed: int  # how many of those years were observed
    den: dict[int, float]  # year -> denominator, where derivable (count mode)


def _prepare(points: Sequence[Point], *, counts: bool, scale: float, last_year: int) -> _Prepared:
    obs: dict[int, float] = {}
    den: dict[int, float] = {}
    for p in points:
        if p.year > last_year or p.value is None or not math.isfinite(p.value):
            continue
        if not counts:
            obs[p.year] = float(p.value)
            continue
        if p.abs_value is None or not math.isfinite(p.abs_value) or p.abs_value < 0:
            continue
        obs[p.year] = float(p.abs_value)
        if scale == 1.0:
            den[p.year] = 1.0
        elif p.value > 0 and p.abs_value > 0:
            den[p.year] = p.abs_value * scale / p.value
    if not obs:
        return _Prepared(np.array([], dtype=int), np.array([]), 0, den)
    known = sorted(obs)
    years = np.arange(known[0], known[-1] + 1)
    y = np.interp(years, known, [obs[k] for k in known])
    return _Prepared(years, y, len(known), den)


def _denominator_forecast(den: Mapping[int, float], years: Sequence[int]) -> np.ndarray | None:
    if not den:
        return None
    known = sorted(den)[-DENOMINATOR_YEARS:]
    last = den[known[-1]]
    slope = 0.0
    if len(known) > 1:
        slope = (last - den[known[0]]) / (known[-1] - known[0])
    return np.array([max(last + slope * (yr - known[-1]), 0.5 * last) for yr in years])


def _sum_known(arrays: Iterable[np.ndarray | None]) -> np.ndarray | None:
    """Sum of the known arrays (a member without a derivable denominator adds nothing)."""
    known = [a for a in arrays if a is not None]
    return np.sum(known, axis=0) if known else None


def _history_on(prep: _Prepared, years: np.ndarray) -> np.ndarray:
    """The series on a common year range, extended flat beyond its own (for sums only)."""
    if prep.observed == 0:
        return np.zeros(len(years))
    return np.interp(years, prep.years, prep.y)


# --- The indicator -------------------------------------------------------------------------


def forecast_indicator(
    series: Mapping[tuple[str, str], Sequence[Point]],
    groups: Mapping[str, Sequence[str]],
    *,
    county_code: str,
    unit: str,
    horizon: int = 3,
    last_year: int | None = None,
) -> ForecastSet:
    """Forecasts and backtests for one indicator's municipalities, groups and county.

    Args:
        series: yearly points (gender 'total') keyed by ("kunta", municipality code) and
            ("hyvinvointialue", county_code); other keys are ignored.
        groups: group key -> member municipality codes, a partition of the municipalities.
            Members without a series are skipped.
        county_code: the county's code, as in `series`' keys and in the rows.
        unit: the indicator's unit ("%", "/1000", "lkm", ...): decides whether counts can be
            modelled and where intervals are clipped.
        horizon: years ahead (rows for last_year+1 ... last_year+horizon).
        last_year: the last year of data to use; later points are ignored. Default: the
            latest year with a value in any series.
    """
    return _forecast_indicator(
        series,
        groups,
        county_code=county_code,
        unit=unit,
        horizon=horizon,
        last_year=last_year,
    )


def _forecast_indicator(
    series: Mapping[tuple[str, str], Sequence[Point]],
    groups: Mapping[str, Sequence[str]],
    *,
    county_code: str,
    unit: str,
    horizon: int,
    last_year: int | None,
    reconciler: str = RECONCILER,
) -> ForecastSet:
    if horizon < 1:
        raise ValueError("horizon must be at least 1")
    kunta = {code: pts for (kind, code), pts in series.items() if kind == "kunta"}
    county_pts = series.get(("hyvinvointialue", county_code), ())
    if last_year is None:
        years_seen = [
            p.year for pts in [*kunta.values(), county_pts] for p in pts if p.value is not None
        ]
        if not years_seen:
            return ForecastSet([], [])
        last_year = max(years_seen)
    scale = _scale(unit)
    counts = (
        scale is not None and any(p.abs_value is not None for pts in kunta.values() for p in pts)
    ) or (_unit_key(unit) == "lkm" and bool(kunta))
    if _unit_key(unit) == "lkm":
        scale = 1.0
    target = list(range(last_year + 1, last_year + horizon + 1))
    upper = 100.0 if _unit_key(unit) == "%" else math.inf
    if counts:
        assert scale is not None
        return _count_hierarchy(
            kunta,
            county_pts,
            groups,
            county_code,
            scale,
            last_year,
            target,
            horizon,
            upper,
            reconciler,
        )
    return _rates_only(kunta, county_pts, county_code, last_year, target, horizon, upper)


def _scores_prepared(prep: _Prepared, horizon: int, *, counts: bool) -> dict[str, _Score] | None:
    if prep.observed < MIN_POINTS:
        return None
    return score_series(prep.y, horizon, counts=counts)


@dataclass(frozen=True)
class _Choice:
    """The indicator's method and whether it beats naive."""

    method: str
    beats_naive: bool


def _indicator_choice(
    bottom: Sequence[Mapping[str, _Score]], others: Sequence[Mapping[str, _Score]]
) -> _Choice:
    """Choose on the municipalities' backtests pooled (the aggregates' when there are none)."""
    method, beats = choose_method(pooled_scores(bottom if bottom else others))
    return _Choice(method, beats)


@dataclass(frozen=True)
class _Calibrated:
    """One series' interval widening (80, 95), and the held-out coverage of intervals widened
    by factors fitted without that series (what a reader may expect of the drawn intervals)."""

    widen: tuple[float, float]
    coverage: tuple[float | None, float | None]
    points: int


def _level(key: tuple[str, str]) -> str:
    return "kunta" if key[0] == "kunta" else "aggregate"


def _chosen_ratios(scores: Mapping[str, _Score], method: str) -> tuple[float, ...]:
    """The held-out ratios of `method` on one series; naive's where it could not be
    backtested (the product falls back to naive there, as `pooled_scores` counts it)."""
    own = scores.get(method)
    if own is not None and own.mase is not None:
        return own.ratios
    return scores["naive"].ratios if scores["naive"].mase is not None else ()


def calibrate_levels(
    scores: Mapping[tuple[str, str], Mapping[str, _Score]], method: str
) -> dict[tuple[str, str], _Calibrated]:
    """Interval calibration per level of the hierarchy, and its honest coverage per series.

    Two levels: municipalities, and the aggregates (groups and county) together. A level's
    factors are `calibration_of` its series' pooled held-out ratios with `method`; the
    aggregates, when they have fewer than `MIN_CALIBRATION_POINTS` ratios (rates only: the
    county alone), take the municipalities' factors. Per level, because the Poisson floor
    makes a small municipality's interval wide while a county's count varies for reasons beyond
    chance (the simulation's county was covered 80 / 87 % with the municipalities' factors).

    Each series' `coverage` is the share of its own held-out values inside intervals widened
    by the factors fitted *without* it (leave one series out), so that it is not flattered by
    its own errors; that is the coverage quoted to the reader and exported."""
    ratios = {k: _chosen_ratios(sc, method) for k, sc in scores.items()}
    by_level: dict[str, list[tuple[str, str]]] = {"kunta": [], "aggregate": []}
    for key in ratios:
        by_level[_level(key)].append(key)

    def pooled(level: str, without: tuple[str, str] | None = None) -> list[float]:
        return [r for k in by_level[level] if k != without for r in ratios[k]]

    kunta = calibration_of(pooled("kunta"))

    def factors(level: str, without: tuple[str, str] | None = None) -> tuple[float, float]:
        own = pooled(level, without)
        if level == "aggregate" and len(own) < MIN_CALIBRATION_POINTS:
            return kunta
        return calibration_of(own)

    out = {}
    for key, own in ratios.items():
        level = _level(key)
        z80, z95 = _z(factors(level, without=key))
        r = np.asarray(own, dtype=float)
        coverage = (float(np.mean(r <= z80)), float(np.mean(r <= z95))) if len(r) else (None, None)
        out[key] = _Calibrated(factors(level), coverage, len(r))
    return out


def _fit_prepared(
    prep: _Prepared,
    target: list[int],
    choice: _Choice,
    scores: dict[str, _Score],
    *,
    counts: bool,
) -> _Fit:
    steps = target[-1] - int(prep.years[-1])
    fit = _forecast_with(prep.y, steps, choice.method, choice.beats_naive, scores, counts=counts)
    keep = slice(steps - len(target), None)
    return _Fit(
        fit.method, fit.beats_naive, fit.scores, _Base(fit.base.mean[keep], fit.base.sd[keep])
    )


def _backtest_rows(kind: str, code: str, fit: _Fit, cal: _Calibrated) -> list[BacktestRow]:
    return [
        BacktestRow(
            area_kind=kind,
            area_code=code,
            method=m,
            mase=fit.scores[m].mase,
            coverage80=fit.scores[m].coverage80,
            coverage95=fit.scores[m].coverage95,
            origins=fit.scores[m].origins,
            chosen=m == fit.method,
            beats_naive=fit.beats_naive and m == fit.method,
            calibrated80=cal.coverage[0] if m == fit.method else None,
            calibrated95=cal.coverage[1] if m == fit.method else None,
            points=cal.points if m == fit.method else 0,
        )
        for m in METHODS
    ]


def _rows(
    kind: str,
    code: str,
    target: list[int],
    mean: np.ndarray,
    sd: np.ndarray,
    method: str,
    factor: np.ndarray | float,
    upper: float,
    widen: tuple[float, float] = (1.0, 1.0),
) -> list[ForecastRow]:
    """Rows on the indicator's scale: the modelled quantity times `factor`, clipped; the 80 %
    and 95 % half-widths are z x sd times the indicator's widening factors."""
    factor = np.broadcast_to(np.asarray(factor, dtype=float), mean.shape)
    z80, z95 = _z(widen)
    out = []
    for i, year in enumerate(target):
        f = float(factor[i])

        def clip(v: float, f: float = f) -> float:
            return float(min(max(v * f, 0.0), upper))

        m, s = float(mean[i]), float(sd[i])
        out.append(
            ForecastRow(
                area_kind=kind,
                area_code=code,
                year=year,
                forecast=clip(m),
                lo80=clip(m - z80 * s),
                hi80=clip(m + z80 * s),
                lo95=clip(m - z95 * s),
                hi95=clip(m + z95 * s),
                method=method,
            )
        )
    return out


def _rates_only(
    kunta: Mapping[str, Sequence[Point]],
    county_pts: Sequence[Point],
    county_code: str,
    last_year: int,
    target: list[int],
    horizon: int,
    upper: float,
) -> ForecastSet:
    areas = [("kunta", c, pts) for c, pts in sorted(kunta.items())]
    areas.append(("hyvinvointialue", county_code, county_pts))
    scored = []
    for kind, code, pts in areas:
        prep = _prepare(pts, counts=False, scale=1.0, last_year=last_year)
        scores = _scores_prepared(prep, horizon, counts=False)
        if scores is not None:
            scored.append((kind, code, prep, scores))
    choice = _indicator_choice(
        [sc for kind, _, _, sc in scored if kind == "kunta"], [sc for *_, sc in scored]
    )
    cal = calibrate_levels({(kind, code): sc for kind, code, _, sc in scored}, choice.method)
    rows: list[ForecastRow] = []
    backtests: list[BacktestRow] = []
    for kind, code, prep, scores in scored:
        fit = _fit_prepared(prep, target, choice, scores, counts=False)
        b = fit.base
        c = cal[(kind, code)]
        rows += _rows(kind, code, target, b.mean, b.sd, fit.method, 1.0, upper, c.widen)
        backtests += _backtest_rows(kind, code, fit, c)
    return ForecastSet(rows, backtests)


def _count_hierarchy(
    kunta: Mapping[str, Sequence[Point]],
    county_pts: Sequence[Point],
    groups: Mapping[str, Sequence[str]],
    county_code: str,
    scale: float,
    last_year: int,
    target: list[int],
    horizon: int,
    upper: float,
    reconciler: str,
) -> ForecastSet:
    preps = {
        c: _prepare(pts, counts=True, scale=scale, last_year=last_year)
        for c, pts in sorted(kunta.items())
    }
    bottom = [c for c, p in preps.items() if p.observed > 0]
    if not bottom:
        return ForecastSet([], [])
    start = min(int(preps[c].years[0]) for c in bottom)
    hist_years = np.arange(start, last_year + 1)
    hist = {c: _history_on(preps[c], hist_years) for c in bottom}
    h = len(target)

    # Backtests of every series first: the indicator's method is chosen on the municipalities'.
    county_key = ("hyvinvointialue", county_code)
    group_members = {g: [c for c in members if c in hist] for g, members in sorted(groups.items())}
    group_members = {g: m for g, m in group_members.items() if m}
    modelled: dict[tuple[str, str], _Prepared] = {("kunta", c): preps[c] for c in bottom}
    for g, members in group_members.items():
        y = np.sum([hist[c] for c in members], axis=0)
        modelled[("kuntaryhma", g)] = _Prepared(hist_years, y, len(hist_years), {})
    county_prep = _prepare(county_pts, counts=True, scale=scale, last_year=last_year)
    if not (county_prep.observed >= MIN_POINTS and int(county_prep.years[-1]) == last_year):
        y = np.sum([hist[c] for c in bottom], axis=0)
        county_prep = _Prepared(hist_years, y, len(hist_years), {})
    modelled[county_key] = county_prep
    scores = {k: _scores_prepared(p, horizon, counts=True) for k, p in modelled.items()}
    choice = _indicator_choice(
        [sc for k, sc in scores.items() if k[0] == "kunta" and sc is not None],
        [sc for sc in scores.values() if sc is not None],
    )
    cal = calibrate_levels({k: sc for k, sc in scores.items() if sc is not None}, choice.method)

    def fit_of(key: tuple[str, str]) -> _Fit | None:
        sc = scores[key]
        if sc is None:
            return None
        return _fit_prepared(modelled[key], target, choice, sc, counts=True)

    # Base forecasts, bottom level first.
    fits: dict[tuple[str, str], _Fit | None] = {}
    base_mean: dict[tuple[str, str], np.ndarray] = {}
    base_sd: dict[tuple[str, str], np.ndarray] = {}
    den: dict[tuple[str, str], np.ndarray | None] = {}
    for c in bottom:
        key = ("kunta", c)
        fit = fit_of(key)
        fits[key] = fit
        if fit is not None:
            base_mean[key], base_sd[key] = fit.base.mean, fit.base.sd
        else:
            recent = float(np.mean(preps[c].y[-3:]))
            base_mean[key] = np.full(h, recent)
            base_sd[key] = np.sqrt(np.maximum(recent, 1.0) * (1 + np.arange(1, h + 1) / 3))
        den[key] = _denominator_forecast(preps[c].den, target)

    for g, members in group_members.items():
        key = ("kuntaryhma", g)
        fits[key] = fit_of(key)
        den[key] = _sum_known(den[("kunta", c)] for c in members)
    fits[county_key] = fit_of(county_key)
    # The county's count is the sum of the municipalities in the hierarchy, so its rate divides
    # by their denominators too (a municipality suppressed in every year is in neither).
    den[county_key] = _sum_known(den[("kunta", c)] for c in bottom)
    for key in [*(("kuntaryhma", g) for g in group_members), county_key]:
        fit = fits[key]
        if fit is None:  # too short even summed: build up from the members
            members = bottom if key == county_key else group_members[key[1]]
            base_mean[key] = np.sum([base_mean[("kunta", c)] for c in members], axis=0)
            base_sd[key] = np.sqrt(np.sum([base_sd[("kunta", c)] ** 2 for c in members], axis=0))
        else:
            base_mean[key], base_sd[key] = fit.base.mean, fit.base.sd

    # Reconcile: S maps the bottom counts to [county, groups..., municipalities].
    order = [
        county_key,
        *(("kuntaryhma", g) for g in group_members),
        *(("kunta", c) for c in bottom),
    ]
    S = _summing_matrix(bottom, group_members)
    y_hat = np.vstack([base_mean[k] for k in order])
    insample = S @ np.vstack([hist[c] for c in bottom])
    reconciled = reconcile(S, y_hat, reconciler, y_insample=insample)

    rows: list[ForecastRow] = []
    backtests: list[BacktestRow] = []
    for i, key in enumerate(order):
        fit = fits.get(key)
        d = den.get(key)
        if fit is None or d is None or np.any(d <= 0):
            continue
        rows += _rows(
            key[0],
            key[1],
            target,
            reconciled[i],
            base_sd[key],
            fit.method,
            scale / d,
            upper,
            cal[key].widen,
        )
        backtests += _backtest_rows(key[0], key[1], fit, cal[key])
    return ForecastSet(rows, backtests)


def _summing_matrix(
    bottom: Sequence[str], group_members: Mapping[str, Sequence[str]]
) -> np.ndarray:
    """S of the hierarchy: rows [county, groups..., municipalities], columns the municipalities."""
    S = np.zeros((1 + len(group_members) + len(bottom), len(bottom)))
    S[0, :] = 1.0
    index = {c: j for j, c in enumerate(bottom)}
    for i, g in enumerate(group_members, start=1):
        for c in group_members[g]:
            S[i, index[c]] = 1.0
    S[1 + len(group_members) :, :] = np.eye(len(bottom))
    return S


def reconcile(
    S: np.ndarray, y_hat: np.ndarray, method: str, *, y_insample: np.ndarray | None = None
) -> np.ndarray:
    """Coherent, non-negative counts for every row of S from base forecasts y_hat (rows x h).

    method: "bottom_up", "mint_wls_struct", "mint_ols" or "mint_wls_var" (hierarchicalforecast;
    wls_var weighs each series by the variance of its in-sample one-step naive errors, from
    `y_insample`, rows x years), or "none" (the base forecasts as they are, not coherent: for
    the benchmark's comparison only)."""
    from hierarchicalforecast.methods import BottomUp, MinTrace

    n_bottom = S.shape[1]
    if method == "none":
        return np.maximum(y_hat, 0.0)
    if method == "bottom_up":
        out = BottomUp().fit_predict(S=S, y_hat=y_hat)
    elif method == "mint_wls_var":
        if y_insample is None:
            raise ValueError("mint_wls_var needs y_insample")
        lagged = np.full_like(y_insample, np.nan)
        lagged[:, 1:] = y_insample[:, :-1]
        out = MinTrace(method="wls_var").fit_predict(
            S=S, y_hat=y_hat, y_insample=y_insample, y_hat_insample=lagged
        )
    else:
        mint = MinTrace(method={"mint_wls_struct": "wls_struct", "mint_ols": "ols"}[method])
        out = mint.fit_predict(S=S, y_hat=y_hat)
    bottom = np.asarray(out["mean"], dtype=float)[-n_bottom:]
    return S @ np.maximum(bottom, 0.0)
