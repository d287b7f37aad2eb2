"""Tests for the forecast step (pipelines.forecasts): an indicator run on the demo copy followed
by the forecasts, re-runs, failures that leave earlier rows intact, the runs table and the CSV
export (`nakyma export forecasts`)."""

from __future__ import annotations

import csv
import dataclasses
import io
import shutil
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from nakyma.cli import cli
from nakyma.config import Settings
from nakyma.db import open_db
from nakyma.forecast_export import EXPORT_COLUMNS, NO_FORECASTS
from nakyma.forecasting import MIN_POINTS, ForecastSet, forecast_indicator
from nakyma.indicators import load_catalogue
from nakyma.regions import load_region
from nakyma.runs import RunReport, list_runs
from pipelines import registry
from pipelines.registry import run_pipeline
from tests.conftest import TEST_SECRET

DEMO = Path(__file__).resolve().parent.parent / "nakyma" / "data" / "demo" / "sotkanet"
TODAY = date(2025, 6, 1)
HORIZON = 3
FORECAST_IDS = sorted(e.id for e in load_catalogue() if e.forecast)


def _settings(data_dir: Path) -> Settings:
    return Settings(
        _env_file=None, data_dir=data_dir, secret_key=TEST_SECRET, scheduler_enabled=False
    )


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database after `run indicators --source DEMO` and the forecasts that follow it,
    built once for the module; each test gets its own copy."""
    settings = _settings(tmp_path_factory.mktemp("forecasts"))
    db = open_db(settings.database_path)
    report = run_pipeline(db, settings, "indicators", source=DEMO, today=TODAY)
    assert report.status == "ok", report.errors
    assert [f.status for f in report.followed_by] == ["ok"], report.followed_by
    db.conn.execute("pragma wal_checkpoint(truncate)")
    db.close()
    return settings.database_path


@pytest.fixture
def settings(tmp_path: Path, template: Path) -> Settings:
    settings = _settings(tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    shutil.copy(template, settings.database_path)
    return settings


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = open_db(settings.database_path)
    yield database
    database.close()


def stored(db: Database, table: str, indicator_id: int | None = None) -> list[dict[str, Any]]:
    where, params = ("where indicator_id = ?", [indicator_id]) if indicator_id else ("", [])
    return list(db.query(f"select * from {table} {where} order by 1, 2, 3, 4", params))


def test_marked_indicators_are_the_corrective_service_ones():
    assert {1086, 191, 1245, 423, 4, 3219} <= set(FORECAST_IDS)


def test_indicator_run_then_forecasts_fill_every_marked_indicator(db: Database):
    region = load_region()
    groups = {g.key for g in region.grouping().groups}
    for ident in FORECAST_IDS:
        # Every municipality with data: enough points for a model (MIN_POINTS) and a count
        # above 0 somewhere, from which the core derives the denominator (a municipality
        # whose published counts are all 0 or suppressed has no rate to forecast).
        with_data = {
            code
            for (code,) in db.execute(
                "select area_code from indicator_values where indicator_id = ? "
                "and area_kind = 'kunta' and gender = 'total' and value is not null "
                "group by area_code having count(*) >= ? and max(abs_value) > 0",
                [ident, MIN_POINTS],
            )
        }
        assert len(with_data) >= len(region.municipalities) // 2, ident
        last = db.execute(
            "select max(year), count(distinct year) from indicator_values "
            "where indicator_id = ? and area_kind = 'hyvinvointialue'",
            [ident],
        ).fetchone()
        assert last[1] >= 15, f"{ident}: only {last[1]} years of history stored"
        years: dict[tuple[str, str], list[int]] = defaultdict(list)
        for row in stored(db, "forecasts", ident):
            years[(row["area_kind"], row["area_code"])].append(row["year"])
            assert row["lo95"] <= row["lo80"] <= row["forecast"] <= row["hi80"] <= row["hi95"]
        assert {c for k, c in years if k == "kunta"} == with_data, ident
        assert {c for k, c in years if k == "kuntaryhma"} == groups, ident
        assert {c for k, c in years if k == "hyvinvointialue"} == {region.code}, ident
        county_years = years[("hyvinvointialue", region.code)]
        assert county_years == [last[0] + h for h in range(1, HORIZON + 1)], ident
        assert all(len(y) == HORIZON for y in years.values()), ident
        # Exactly one chosen method per series, and it is the one stored with the forecast.
        chosen = [b for b in stored(db, "forecast_backtests", ident) if b["chosen"]]
        assert {(b["area_kind"], b["area_code"]) for b in chosen} == set(years)
        assert len(chosen) == len(years)


def test_the_runs_table_records_the_forecast_run(db: Database):
    (indicators_run,) = list_runs(db, pipeline="indicators")
    (forecast_run,) = list_runs(db, pipeline="forecasts")
    assert forecast_run["status"] == "ok"
    assert forecast_run["trigger"] == "after:indicators"
    assert forecast_run["id"] > indicators_run["id"]
    assert forecast_run["added"] == db.table("forecasts").count
    assert set(forecast_run["details"]["indicators"]) == {str(i) for i in FORECAST_IDS}
    run_ids = {r for (r,) in db.execute("select distinct run_id from forecasts")}
    assert run_ids == {forecast_run["id"]}


def test_rerun_replaces_rather_than_duplicates(db: Database, settings: Settings):
    before = {
        (r["indicator_id"], r["area_kind"], r["area_code"], r["year"])
        for r in stored(db, "forecasts")
    }
    backtests = db.table("forecast_backtests").count
    report = run_pipeline(db, settings, "forecasts")
    assert report.status == "ok", report.errors
    assert (report.added, report.updated) == (0, len(before))
    after = stored(db, "forecasts")
    assert {(r["indicator_id"], r["area_kind"], r["area_code"], r["year"]) for r in after} == (
        before
    )
    assert len(after) == len(before)
    assert db.table("forecast_backtests").count == backtests
    (latest, _) = list_runs(db, pipeline="forecasts")
    assert {r["run_id"] for r in after} == {latest["id"]}


def _fails_for(victim_unit_check: int):
    """A forecaster that breaks on its `victim_unit_check`-th call (indicators go by id)."""
    calls = {"n": 0}

    def forecaster(*args: Any, **kwargs: Any) -> ForecastSet:
        calls["n"] += 1
        if calls["n"] == victim_unit_check:
            raise RuntimeError("planted failure")
        return forecast_indicator(*args, **kwargs)

    return forecaster


def _half_written_for(victim: int):
    """A forecaster whose `victim`-th result holds a row the database refuses (no forecast):
    the save fails after the old rows were deleted, inside the transaction."""
    calls = {"n": 0}

    def forecaster(*args: Any, **kwargs: Any) -> ForecastSet:
        calls["n"] += 1
        result = forecast_indicator(*args, **kwargs)
        if calls["n"] == victim:
            broken = dataclasses.replace(result.rows[-1], forecast=None)
            result = dataclasses.replace(result, rows=[*result.rows[:-1], broken])
        return result

    return forecaster


@pytest.mark.parametrize("make_forecaster", [_fails_for, _half_written_for])
def test_one_failing_indicator_leaves_the_others_and_its_earlier_rows(
    db: Database, settings: Settings, make_forecaster
):
    victim = FORECAST_IDS[1]
    earlier = {i: stored(db, "forecasts", i) for i in FORECAST_IDS}
    earlier_backtests = stored(db, "forecast_backtests", victim)
    report = run_pipeline(db, settings, "forecasts", forecaster=make_forecaster(2))
    assert report.status == "partial"
    assert len(report.errors) == 1 and str(victim) in report.errors[0]
    assert stored(db, "forecasts", victim) == earlier[victim]
    assert stored(db, "forecast_backtests", victim) == earlier_backtests
    (latest, _) = list_runs(db, pipeline="forecasts")
    assert latest["status"] == "partial"
    for ident in FORECAST_IDS:
        if ident != victim:
            rows = stored(db, "forecasts", ident)
            assert len(rows) == len(earlier[ident])
            assert {r["run_id"] for r in rows} == {latest["id"]}


def test_a_crashing_forecast_does_not_fail_the_indicator_run(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    def broken(*args: Any, **kwargs: Any) -> RunReport:
        raise RuntimeError("forecast core crashed")

    entry = dataclasses.replace(registry.PIPELINES["forecasts"], run=broken)
    monkeypatch.setitem(registry.PIPELINES, "forecasts", entry)
    report = run_pipeline(
        db, settings, "indicators", source=DEMO, today=TODAY, indicator_ids=[1086]
    )
    assert report.status == "ok"
    assert [f.status for f in report.followed_by] == ["failed"]
    latest = list_runs(db, limit=2)
    assert [(r["pipeline"], r["status"]) for r in latest] == [
        ("forecasts", "failed"),
        ("indicators", "ok"),
    ]


def test_a_failed_indicator_run_is_not_followed_by_forecasts(
    db: Database, settings: Settings, tmp_path: Path
):
    empty = tmp_path / "empty"
    empty.mkdir()
    report = run_pipeline(db, settings, "indicators", source=empty, today=TODAY)
    assert report.status == "failed"
    assert report.followed_by == []
    assert len(list_runs(db, pipeline="forecasts")) == 1  # the template's only


# --- CLI -----------------------------------------------------------------------------------


@pytest.fixture
def run_cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NAKYMA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("NAKYMA_SECRET_KEY", TEST_SECRET)

    def invoke(*args: str):
        return CliRunner().invoke(cli, list(args))

    return invoke


def test_cli_run_forecasts(run_cli):
    result = run_cli("run", "forecasts", "--indicator", str(FORECAST_IDS[0]))
    assert result.exit_code == 0, result.output
    assert "forecasts: onnistui" in result.output


def test_export_forecasts_csv(run_cli, db: Database):
    result = run_cli("export", "forecasts", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == ",".join(EXPORT_COLUMNS)
    assert EXPORT_COLUMNS == [
        "indicator_id",
        "area",
        "year",
        "forecast",
        "lo80",
        "hi80",
        "lo95",
        "hi95",
        "method",
        "mase",
        "coverage80",
    ]
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == db.table("forecasts").count
    areas = {r["area"] for r in rows}
    assert {"Keski-Suomen hyvinvointialue", "Jyväskylä", "Jämsä–Keuruu (kuntaryhmä)"} <= areas
    county = [r for r in rows if r["indicator_id"] == "1086" and r["area"].endswith("alue")]
    (first, *_) = stored(db, "forecasts", 1086)
    want = db.execute(
        "select f.year, f.forecast, f.lo80, f.hi95, f.method, b.mase, b.calibrated80 "
        "from forecasts f join forecast_backtests b using (indicator_id, area_kind, area_code, "
        "method) where f.indicator_id = 1086 and f.area_kind = 'hyvinvointialue' "
        "order by f.year"
    ).fetchall()
    assert [int(r["year"]) for r in county] == [w[0] for w in want]
    for row, (_, forecast, lo80, hi95, method, mase, coverage80) in zip(county, want, strict=True):
        assert float(row["forecast"]) == pytest.approx(forecast, abs=1e-3)
        assert float(row["lo80"]) == pytest.approx(lo80, abs=1e-3)
        assert float(row["hi95"]) == pytest.approx(hi95, abs=1e-3)
        assert row["method"] == method
        assert float(row["mase"]) == pytest.approx(mase, abs=1e-3)
        assert float(row["coverage80"]) == pytest.approx(coverage80, abs=1e-3)
        assert "," not in row["forecast"] and "." in row["forecast"]  # dot decimals
    assert first["indicator_id"] == 1086


def test_export_with_no_forecasts_gives_the_header_and_a_note(run_cli, db: Database):
    db.execute("delete from forecasts")
    db.conn.commit()
    result = run_cli("export", "forecasts", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [",".join(EXPORT_COLUMNS)]
    assert NO_FORECASTS in result.stderr
