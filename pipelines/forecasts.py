"""Forecast step: stored indicator values -> forecasts with intervals and their backtests.

read (`indicator_values`, gender "total": each municipality of the region and the county) ->
forecast (`nakyma.forecasting.forecast_indicator`: candidate methods, rolling-origin backtests,
the municipality groups of the region's default grouping and the county reconciled) -> save
(one short write transaction per indicator replaces its rows in `forecasts` and
`forecast_backtests`).

Only catalogue indicators marked `forecast` are forecast. The computation runs outside any
transaction; an indicator whose forecast fails keeps its earlier rows untouched and the run is
`partial`. The registry runs this step after every successful indicator run (its own run in
"Ajot") and alone as `nakyma run forecasts`.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from nakyma.config import Settings
from nakyma.db import now_utc, write_transaction
from nakyma.forecasting import ForecastSet, Point, forecast_indicator
from nakyma.progress import Progress, tell
from nakyma.regions import Region, load_region
from nakyma.runs import RunReport

HORIZON = 3  # years ahead

Series = dict[tuple[str, str], list[Point]]
Forecaster = Callable[..., ForecastSet]  # forecast_indicator's signature


def forecast_indicators(
    db: Database, *, indicator_ids: Sequence[int] | None = None
) -> list[dict[str, Any]]:
    """The stored indicators marked `forecast` (id, short_title, unit), by id; only
    `indicator_ids` among them when given. Indicators Sotkanet did not know are left out."""
    rows = db.execute(
        "select id, short_title, unit from indicators where forecast = 1 "
        "and (status is null or status != 'missing') order by id"
    ).fetchall()
    wanted = set(indicator_ids or ())
    return [
        {"id": ident, "short_title": title or f"Indikaattori {ident}", "unit": unit or ""}
        for ident, title, unit in rows
        if not wanted or ident in wanted
    ]


def load_series(db: Database, region: Region, indicator_id: int) -> Series:
    """The indicator's yearly values (gender "total") of each municipality of `region` and of
    the county, as {(area_kind, area_code): [Point]} by year. A year Sotkanet suppressed
    (a row without a value) is a Point with value None, which the forecast treats as
    missing; an area without any value has no series."""
    codes = {m.code for m in region.municipalities}
    rows = db.execute(
        "select area_kind, area_code, year, value, abs_value from indicator_values "
        "where indicator_id = ? and gender = 'total' and ("
        "area_kind = 'kunta' or (area_kind = 'hyvinvointialue' and area_code = ?)) "
        "order by area_kind, area_code, year",
        [indicator_id, region.code],
    ).fetchall()
    series: Series = {}
    for kind, code, year, value, abs_value in rows:
        if kind == "kunta" and code not in codes:
            continue
        series.setdefault((kind, code), []).append(Point(year, value, abs_value))
    return {
        key: points for key, points in series.items() if any(p.value is not None for p in points)
    }


def region_groups(region: Region) -> dict[str, list[str]]:
    """The groups of the region's default grouping: {group key: municipality codes}."""
    return {g.key: list(g.members) for g in region.grouping().groups}


def save_forecasts(
    db: Database, indicator_id: int, result: ForecastSet, *, run_id: int | None
) -> tuple[int, int, int]:
    """Replace the indicator's forecasts and backtests with `result` in one transaction: all
    or nothing. Returns (added, updated, removed) forecast rows, by (area, year)."""
    computed_at = now_utc()
    forecasts = [
        {
            "indicator_id": indicator_id,
            "area_kind": r.area_kind,
            "area_code": r.area_code,
            "year": r.year,
            "forecast": r.forecast,
            "lo80": r.lo80,
            "hi80": r.hi80,
            "lo95": r.lo95,
            "hi95": r.hi95,
            "method": r.method,
            "run_id": run_id,
            "computed_at": computed_at,
        }
        for r in result.rows
    ]
    backtests = [
        {
            "indicator_id": indicator_id,
            "area_kind": b.area_kind,
            "area_code": b.area_code,
            "method": b.method,
            "mase": b.mase,
            "coverage80": b.coverage80,
            "coverage95": b.coverage95,
            "calibrated80": b.calibrated80,
            "calibrated95": b.calibrated95,
            "points": b.points,
            "origins": b.origins,
            "chosen": int(b.chosen),
            "beats_naive": int(b.beats_naive),
            "computed_at": computed_at,
        }
        for b in result.backtests
    ]
    new_keys = {(r["area_kind"], r["area_code"], r["year"]) for r in forecasts}
    with write_transaction(db):
        old_keys = set(
            db.execute(
                "select area_kind, area_code, year from forecasts where indicator_id = ?",
                [indicator_id],
            ).fetchall()
        )
        db.execute("delete from forecasts where indicator_id = ?", [indicator_id])
        db.execute("delete from forecast_backtests where indicator_id = ?", [indicator_id])
        if forecasts:
            db.table("forecasts").insert_all(forecasts)
        if backtests:
            db.table("forecast_backtests").insert_all(backtests)
    return len(new_keys - old_keys), len(new_keys & old_keys), len(old_keys - new_keys)


def forecast_one(
    db: Database,
    region: Region,
    indicator: Mapping[str, Any],
    *,
    horizon: int = HORIZON,
    forecaster: Forecaster = forecast_indicator,
) -> tuple[ForecastSet, int]:
    """The forecast of one indicator from its stored values, and how many series it had."""
    series = load_series(db, region, indicator["id"])
    if not series:
        return ForecastSet(rows=[], backtests=[]), 0
    result = forecaster(
        series,
        region_groups(region),
        county_code=region.code,
        unit=indicator["unit"],
        horizon=horizon,
    )
    return result, len(series)


def run(
    db: Database,
    settings: Settings,
    *,
    source: str | Path | None = None,  # (no outside source: forecasts read the database)
    run_id: int | None = None,
    progress: Progress | None = None,
    indicator_ids: Sequence[int] | None = None,
    horizon: int = HORIZON,
    forecaster: Forecaster = forecast_indicator,
) -> RunReport:
    """Forecast every stored indicator marked `forecast` (or those of `indicator_ids`)
    `horizon` years ahead for each municipality with data, each group of the region's
    default grouping and the county, and replace the stored forecasts indicator by
    indicator. `progress` is told ("forecasts", done, total) after each indicator;
    `forecaster` stands in for `forecast_indicator` (a test's failing one, say).

    A failing indicator is reported and keeps its earlier rows; the others are saved and
    the run is `partial`. An indicator without stored values is skipped (a warning)."""
    report = RunReport("forecasts")
    region = load_region(settings.region_file)
    indicators = forecast_indicators(db, indicator_ids=indicator_ids)
    report.details["indicators"] = {}
    if not indicators:
        report.warnings.append(
            "Ennustettavia indikaattoreita ei ole tallennettu: aja ensin nakyma run indicators."
        )
        return report
    ok = failed = 0
    tell(progress, "forecasts", 0, len(indicators))
    for done, indicator in enumerate(indicators, start=1):
        result = _run_indicator(
            db, region, indicator, report, run_id=run_id, horizon=horizon, forecaster=forecaster
        )
        report.details["indicators"][str(indicator["id"])] = result
        if result["status"] == "failed":
            failed += 1
        elif result["status"] == "ok":
            ok += 1
        tell(progress, "forecasts", done, len(indicators))
    report.settle(ok, failed)
    return report


def _run_indicator(
    db: Database,
    region: Region,
    indicator: Mapping[str, Any],
    report: RunReport,
    *,
    run_id: int | None,
    horizon: int,
    forecaster: Forecaster,
) -> dict[str, Any]:
    name = f"Indikaattori {indicator['id']} ({indicator['short_title']})"
    try:
        result, series = forecast_one(db, region, indicator, horizon=horizon, forecaster=forecaster)
    except Exception as exc:  # one indicator's failure must not stop the others
        report.problem(f"{name}: ennustetta ei voitu laskea – {type(exc).__name__}: {exc}")
        return {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
    if not series:
        report.warnings.append(f"{name}: ei tallennettuja arvoja, ei ennustetta.")
        report.count(skipped=1)
        return {"status": "no_data"}
    try:
        added, updated, removed = save_forecasts(db, indicator["id"], result, run_id=run_id)
    except sqlite3.Error as exc:  # rolled back: the earlier forecasts stay as they were
        report.problem(f"{name}: ennustetta ei voitu tallentaa – {type(exc).__name__}: {exc}")
        return {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
    report.count(added=added, updated=updated)
    methods = Counter(b.method for b in result.backtests if b.chosen)
    return {
        "status": "ok",
        "series": series,
        "forecasts": len(result.rows),
        "backtests": len(result.backtests),
        "removed": removed,
        "methods": dict(sorted(methods.items())),
        "beats_naive": sum(1 for b in result.backtests if b.chosen and b.beats_naive),
    }
