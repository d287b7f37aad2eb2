"""Tests for the indicator pipeline (pipelines.indicators) and the catalogue: the Sotkanet
client over httpx.MockTransport, faults injected at the transport, the recorded copy, the CLI."""

from __future__ import annotations

import csv
import io
import json
import shutil
import tomllib
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from nakyma.cli import cli
from nakyma.config import Settings
from nakyma.indicators import DEFAULT_CATALOGUE_FILE, load_catalogue
from nakyma.regions import load_region
from pipelines.http import FetchError
from pipelines.indicators import (
    GENDERS,
    LocalSource,
    SotkanetClient,
    record_copy,
    search_indicators,
)
from pipelines.registry import run_pipeline
from tests.conftest import TEST_SECRET

DEMO = Path(__file__).resolve().parent.parent / "nakyma" / "data" / "demo" / "sotkanet"
TODAY = date(2025, 6, 1)
DATA_TABLES = ("sotkanet_regions", "indicators", "indicator_values", "indicator_signals")
# 1086 child welfare (counts), 328 KTK anxiety (survey, no counts), 189 youth unemployment.
IDS = (1086, 328, 189)


# --- Helpers -------------------------------------------------------------------------------


def write_catalogue(path: Path, ids: tuple[int, ...] = IDS) -> Path:
    """A catalogue with some of the packaged entries, in the packaged file's format."""
    with open(DEFAULT_CATALOGUE_FILE, "rb") as f:
        entries = {t["id"]: t for t in tomllib.load(f)["indicator"]}
    lines = []
    for ident in ids:
        lines.append("[[indicator]]")
        for key, value in entries[ident].items():
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        secret_key=TEST_SECRET,
        indicator_catalogue=write_catalogue(tmp_path / "catalogue.toml"),
    )


class FakeSotkanet:
    """Serves a recorded directory at https://sotkanet.fi/rest/1.1 the way the API would;
    `faults` may replace any answer. Records every request."""

    def __init__(self, directory: Path = DEMO):
        self.directory = directory
        self.requests: list[httpx.Request] = []
        self.faults: list[Callable[[httpx.Request], httpx.Response | None]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for fault in self.faults:
            response = fault(request)
            if response is not None:
                return response
        return self.answer(request)

    def answer(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/rest/1.1")
        if path in ("/regions", "/indicators"):
            return self._file(path.strip("/") + ".json")
        if path.startswith("/indicators/"):
            return self._file(f"indicators/{path.rsplit('/', 1)[1]}.json")
        if path == "/json":
            params = request.url.params
            file = self.directory / "data" / f"{params['indicator']}.json"
            if not file.exists():
                return httpx.Response(404, text="Not Found")
            years = {int(y) for y in params.get_list("years")}
            genders = set(params.get_list("genders"))
            rows = [
                r
                for r in json.loads(file.read_text("utf-8"))
                if r["year"] in years and r["gender"] in genders
            ]
            return httpx.Response(200, json=rows)
        return httpx.Response(404, text="Not Found")

    def _file(self, relative: str) -> httpx.Response:
        file = self.directory / relative
        if not file.exists():
            return httpx.Response(404, text="Not Found")
        return httpx.Response(
            200, content=file.read_bytes(), headers={"content-type": "application/json"}
        )

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]


@pytest.fixture
def api() -> FakeSotkanet:
    return FakeSotkanet()


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def make_client(
    settings: Settings, api: FakeSotkanet, waits: list[float]
) -> Iterator[Callable[[], SotkanetClient]]:
    clients: list[SotkanetClient] = []

    def make() -> SotkanetClient:
        c = SotkanetClient(settings, transport=httpx.MockTransport(api), sleep=waits.append)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


def run(db: Database, settings: Settings, client: SotkanetClient | None = None, **kw: Any):
    return run_pipeline(db, settings, "indicators", client=client, today=TODAY, **kw)


def snapshot(db: Database, *, ignore: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    out = {}
    for table in DATA_TABLES:
        columns = [c.name for c in db.table(table).columns if c.name not in ignore]
        rows = db.execute(f"select {', '.join(columns)} from {table}").fetchall()
        out[table] = sorted(rows, key=repr)
    return out


def last_run(db: Database) -> dict[str, Any]:
    """The latest indicator run (the forecasts run after it is a run of its own)."""
    return next(
        db.query("select * from runs where pipeline = 'indicators' order by id desc limit 1")
    )


# --- Client --------------------------------------------------------------------------------


def test_client_sends_documented_requests(make_client, api: FakeSotkanet, settings: Settings):
    client = make_client()
    rows = client.data(1086, [2023, 2024], GENDERS)
    regions = client.regions()
    meta = client.indicator(1086)
    request = api.requests[0]
    assert request.url.host == "sotkanet.fi"
    assert request.url.path == "/rest/1.1/json"
    assert request.url.params.get_list("indicator") == ["1086"]
    assert request.url.params.get_list("years") == ["2023", "2024"]
    assert request.url.params.get_list("genders") == ["total", "male", "female"]
    assert "years=2023&years=2024&genders=total&genders=male&genders=female" in str(request.url)
    for r in api.requests:
        assert r.headers["user-agent"] == settings.user_agent
        assert "nakyma" in r.headers["user-agent"]
        assert r.headers["accept"] == "application/json"
    assert api.paths()[1:] == ["/rest/1.1/regions", "/rest/1.1/indicators/1086"]
    assert {r["year"] for r in rows} == {2023, 2024}
    assert any(r["id"] == 965 and r["category"] == "HYVINVOINTIALUE" for r in regions)
    assert meta["id"] == 1086


def test_client_reports_missing_indicator_as_404(make_client):
    from pipelines.indicators import IndicatorMissing

    with pytest.raises(IndicatorMissing, match="404"):
        make_client().indicator(999999)


# --- Runs ----------------------------------------------------------------------------------


def test_run_fills_fresh_db_over_the_api(db: Database, settings: Settings, make_client):
    report = run(db, settings, make_client())
    assert report.status == "ok", report.errors
    assert report.added > 0 and report.updated == 0 and report.skipped == 0
    assert last_run(db)["status"] == "ok"
    region = load_region()
    codes = {
        r[0]
        for r in db.execute(
            "select distinct area_code from indicator_values where area_kind = 'kunta'"
        )
    }
    assert codes == {m.code for m in region.municipalities}  # Kuhmoinen, Helsinki filtered out
    kinds = dict(
        db.execute(
            "select area_kind, group_concat(distinct area_code) from indicator_values "
            "group by area_kind"
        ).fetchall()
    )
    assert kinds == {"kunta": kinds["kunta"], "hyvinvointialue": "15", "maa": "FI"}
    # The county's value is the HYVINVOINTIALUE row (id 965), not the maakunta (499, code 13).
    recorded = json.loads((DEMO / "data" / "1086.json").read_text("utf-8"))
    county_2024 = next(
        r for r in recorded if r["region"] == 965 and r["year"] == 2024 and r["gender"] == "total"
    )
    stored = db.execute(
        "select value, abs_value from indicator_values where indicator_id = 1086 and "
        "area_kind = 'hyvinvointialue' and year = 2024 and gender = 'total'"
    ).fetchone()
    assert stored == (county_2024["value"], county_2024["absValue"])
    genders = {r[0] for r in db.execute("select distinct gender from indicator_values")}
    assert genders == {"total", "male", "female"}
    # The last 12 years within each indicator's range (range ends 2024 for 189); 20 for an
    # indicator marked `forecast` (1086), whose forecast and backtest need a longer history.
    years = {
        ident: [
            r[0]
            for r in db.execute(
                "select distinct year from indicator_values where indicator_id = ? order by year",
                [ident],
            )
        ]
        for ident in (189, 1086)
    }
    assert years == {189: list(range(2013, 2025)), 1086: list(range(2005, 2025))}
    assert db.table("sotkanet_regions").count == len(
        json.loads((DEMO / "regions.json").read_text("utf-8"))
    )
    statuses = dict(db.execute("select id, status from indicators").fetchall())
    assert statuses == {1086: "ok", 328: "ok", 189: "ok"}
    assert report.details["signals"] >= 1


def test_rerun_adds_nothing(db: Database, settings: Settings, make_client):
    first = run(db, settings, make_client())
    before = snapshot(db, ignore=("checked_at",))
    second = run(db, settings, make_client())
    assert second.status == "ok"
    assert (second.added, second.updated, second.skipped) == (0, 0, first.added)
    assert snapshot(db, ignore=("checked_at",)) == before


def test_source_dir_fills_fresh_db_with_packaged_catalogue(tmp_path: Path):
    settings = Settings(_env_file=None, data_dir=tmp_path / "d", secret_key=TEST_SECRET)
    from nakyma.db import open_db

    db = open_db(settings.database_path)
    report = run_pipeline(db, settings, "indicators", source=DEMO, today=TODAY)
    assert report.status == "ok", report.errors
    catalogue = load_catalogue()
    stored = {r[0] for r in db.execute("select id from indicators")}
    assert stored == {e.id for e in catalogue}
    # The demo's stale indicator and the ones without municipality data are reported.
    assert any("3128" in w and "vanhentunut" in w for w in report.warnings)
    assert any("5051" in w and "kuntatason" in w for w in report.warnings)
    again = run_pipeline(db, settings, "indicators", source=DEMO, today=TODAY)
    assert (again.added, again.updated) == (0, 0)
    db.close()


def test_local_source_reads_the_layout_and_filters_like_the_api():
    source = LocalSource(DEMO)
    rows = source.data(1086, [2024], ["total"])
    assert rows and all(r["year"] == 2024 and r["gender"] == "total" for r in rows)
    assert source.indicator(1086)["id"] == 1086
    with pytest.raises(FetchError):
        LocalSource(DEMO / "nonexistent").regions()


# --- Faults --------------------------------------------------------------------------------


def test_timeout_everywhere_fails_and_leaves_data_intact(
    db: Database, settings: Settings, make_client, api: FakeSotkanet, waits: list[float]
):
    run(db, settings, make_client())
    before = snapshot(db)

    def timeout(request: httpx.Request) -> None:
        raise httpx.ReadTimeout("timed out", request=request)

    api.faults.append(timeout)
    report = run(db, settings, make_client())
    assert report.status == "failed"
    assert last_run(db)["status"] == "failed"
    assert any("Aikakatkaisu" in e for e in report.errors)
    assert snapshot(db) == before
    # Back-off 2, 4, 8, 16 s per request (no real sleeping), capped by max_retry_wait.
    assert waits[:4] == [2.0, 4.0, 8.0, 16.0]
    assert len(waits) == settings.sotkanet_retries * (1 + len(IDS))


def test_5xx_then_success_retries_and_completes(
    db: Database, settings: Settings, make_client, api: FakeSotkanet, waits: list[float], tmp_path
):
    clean_db_settings = settings.model_copy(update={"data_dir": tmp_path / "clean"})
    from nakyma.db import open_db

    clean = open_db(clean_db_settings.database_path)
    run(clean, clean_db_settings, make_client())
    expected = snapshot(clean, ignore=("checked_at", "fetched_at", "computed_at"))
    clean.close()
    waits.clear()

    failed_once: set[str] = set()

    def flaky(request: httpx.Request) -> httpx.Response | None:
        key = str(request.url)
        if key not in failed_once:
            failed_once.add(key)
            return httpx.Response(503, text="Service Unavailable")
        return None

    api.faults.append(flaky)
    report = run(db, settings, make_client())
    assert report.status == "ok", report.errors
    assert waits == [2.0] * len(failed_once)
    assert snapshot(db, ignore=("checked_at", "fetched_at", "computed_at")) == expected


def test_429_retry_after_is_honoured(
    db: Database, settings: Settings, make_client, api: FakeSotkanet, waits: list[float]
):
    limited: list[str] = []

    def rate_limit(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/json") and not limited:
            limited.append(str(request.url))
            return httpx.Response(429, headers={"Retry-After": "7"}, text="Too Many Requests")
        return None

    api.faults.append(rate_limit)
    report = run(db, settings, make_client())
    assert report.status == "ok"
    assert waits == [7.0]
    assert api.paths().count("/rest/1.1/json") == len(IDS) + 1


def test_invalid_json_fails_that_indicator_only(
    db: Database, settings: Settings, make_client, api: FakeSotkanet
):
    def broken(request: httpx.Request) -> httpx.Response | None:
        if request.url.params.get("indicator") == "328":
            return httpx.Response(200, content=b'[{"indicator":328,"region":', headers={})
        return None

    api.faults.append(broken)
    report = run(db, settings, make_client())
    assert report.status == "partial"
    assert last_run(db)["status"] == "partial"
    assert any("328" in e and "JSON" in e for e in report.errors)
    # Nothing half-written for 328; the others complete.
    assert (
        db.execute("select count(*) from indicator_values where indicator_id = 328").fetchone()[0]
        == 0
    )
    assert not db.execute("select 1 from indicators where id = 328").fetchone()
    # 189 keeps the last 12 years; 1086, marked `forecast`, the last 20.
    for ident, first in ((1086, 2005), (189, 2013)):
        assert db.execute(
            "select count(*) from indicator_values where indicator_id = ?", [ident]
        ).fetchone()[0] == len(
            [
                r
                for r in json.loads((DEMO / "data" / f"{ident}.json").read_text("utf-8"))
                if r["region"] in {m.sotkanet_id for m in load_region().municipalities} | {965, 658}
                and first <= r["year"] <= 2024
            ]
        )
    api.faults.clear()
    assert run(db, settings, make_client()).status == "ok"  # the next run recovers


def test_huge_body_is_refused_and_data_kept(
    db: Database, settings: Settings, make_client, api: FakeSotkanet
):
    run(db, settings, make_client())
    # The other indicators are fetched again and stamped when; on a slow machine the second
    # run falls in a later second. The data itself must be exactly as it was.
    stamps = ("checked_at", "fetched_at", "computed_at")
    before = snapshot(db, ignore=stamps)

    def huge(request: httpx.Request) -> httpx.Response | None:
        if request.url.params.get("indicator") == "1086":
            chunk = b" " * 65536
            return httpx.Response(200, content=iter([chunk] * 800))  # 50 MiB, streamed
        return None

    api.faults.append(huge)
    report = run(db, settings, make_client())
    assert report.status == "partial"
    assert any("1086" in e and "liian suuri" in e for e in report.errors)
    assert snapshot(db, ignore=stamps) == before


def test_redirect_to_disallowed_host_is_refused(
    db: Database, settings: Settings, make_client, api: FakeSotkanet, waits: list[float]
):
    def redirect(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "https://evil.example/rest/1.1/x"})

    api.faults.append(redirect)
    report = run(db, settings, make_client())
    assert report.status == "failed"
    assert any("evil.example" in e for e in report.errors)
    assert all(r.url.host == "sotkanet.fi" for r in api.requests)
    assert waits == []
    assert all(rows == [] for rows in snapshot(db).values())


def test_regions_cache_is_used_when_regions_fail(
    db: Database, settings: Settings, make_client, api: FakeSotkanet
):
    run(db, settings, make_client())

    def no_regions(request: httpx.Request) -> httpx.Response | None:
        return httpx.Response(404) if request.url.path.endswith("/regions") else None

    api.faults.append(no_regions)
    report = run(db, settings, make_client())
    assert report.status == "ok"
    assert any("tallennettua luetteloa" in w for w in report.warnings)


# --- Catalogue checks: stale, missing, no municipal data ------------------------------------


def test_stale_missing_and_regional_only_ids_are_reported(
    db: Database, tmp_path: Path, make_client, api: FakeSotkanet
):
    copy = tmp_path / "copy"
    shutil.copytree(DEMO, copy)
    (copy / "indicators" / "189.json").unlink()  # -> HTTP 404
    meta_328 = json.loads((copy / "indicators" / "328.json").read_text("utf-8"))
    meta_328["range"] = {"start": 2011, "end": 2015}
    (copy / "indicators" / "328.json").write_text(json.dumps(meta_328), "utf-8")
    meta_1086 = json.loads((copy / "indicators" / "1086.json").read_text("utf-8"))
    meta_1086["classifications"]["region"] = {"title": {"fi": "Hyvinvointialue"}, "values": []}
    (copy / "indicators" / "1086.json").write_text(json.dumps(meta_1086), "utf-8")
    api.directory = copy
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        secret_key=TEST_SECRET,
        indicator_catalogue=write_catalogue(tmp_path / "c.toml"),
    )
    report = run(db, settings, make_client())
    assert report.status == "partial"
    assert any("189" in e and "404" in e for e in report.errors)
    assert any("328" in w and "vanhentunut" in w and "2015" in w for w in report.warnings)
    assert any("1086" in w and "ei kuntatason" in w for w in report.warnings)
    statuses = dict(db.execute("select id, status from indicators").fetchall())
    assert statuses == {189: "missing", 328: "stale", 1086: "no_municipal_data"}
    # Stale data is still stored (within its range); the regional-only one keeps county values.
    years_328 = {
        r[0] for r in db.execute("select year from indicator_values where indicator_id=328")
    }
    assert years_328 and max(years_328) == 2015


# --- --indicator restriction ----------------------------------------------------------------


def test_indicator_restriction_and_direction_of_unknown_id(
    db: Database, settings: Settings, make_client, api: FakeSotkanet
):
    small = settings.model_copy(
        update={
            "indicator_catalogue": write_catalogue(settings.data_dir.parent / "one.toml", (1086,))
        }
    )
    report = run(db, small, make_client(), indicator_ids=[189], higher_is_worse=False)
    assert report.status == "ok", report.errors
    assert all("1086" not in p for p in map(str, api.requests))
    row = next(db.query("select * from indicators"))
    assert (row["id"], row["in_catalogue"], row["higher_is_worse"]) == (189, 0, 0)
    assert row["title"].startswith("Nuorisotyöttömät")
    assert row["unit"] == "%"
    # Laukaa's planted fall in youth unemployment is bad news when higher is better.
    laukaa = db.execute(
        "select direction from indicator_signals where indicator_id = 189 and "
        "municipality_code = '410'"
    ).fetchone()
    assert laukaa == ("worse",)


def test_unknown_catalogue_file_fails_run_clearly(db: Database, settings: Settings, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[[indicator]]\nid = 1\ntitle = 'x'\n", "utf-8")
    report = run(db, settings.model_copy(update={"indicator_catalogue": bad}))
    assert report.status == "failed"
    assert "bad.toml" in report.errors[0] and "higher_is_worse" in report.errors[0]


# --- Catalogue file ------------------------------------------------------------------------


def test_packaged_catalogue_loads():
    catalogue = load_catalogue()
    assert len(catalogue) >= 25
    assert len({e.id for e in catalogue}) == len(catalogue)
    child_welfare = next(e for e in catalogue if e.id == 1086)
    assert child_welfare.higher_is_worse and child_welfare.unit == "%"


@pytest.mark.parametrize(
    "body, message",
    [
        (
            "[[indicator]]\nid = 1\ntitle = 'a'\nhigher_is_worse = true\n"
            "[[indicator]]\nid = 1\ntitle = 'b'\nhigher_is_worse = true\n",
            "duplicate id 1",
        ),
        ("[[indicator]]\nid = 1\ntitle = 'a'\nhigher_is_worse = 'yes'\n", "higher_is_worse"),
        (
            "[[indicator]]\nid = 1\ntitle = 'a'\nhigher_is_worse = true\ncolour = 'red'\n",
            "unknown key",
        ),
        ("[[indicator]]\nid = 'x'\ntitle = 'a'\nhigher_is_worse = true\n", "'id'"),
        ("[[indicator]]\nid = 2\ntitle = ''\nhigher_is_worse = true\n", "'title'"),
        ("indicator = 3\n", "array of tables"),
        ("[[indicator]\n", "not valid TOML"),
    ],
)
def test_invalid_catalogue_names_the_file(tmp_path: Path, body: str, message: str):
    path = tmp_path / "luettelo.toml"
    path.write_text(body, "utf-8")
    with pytest.raises(ValueError, match="luettelo.toml") as exc:
        load_catalogue(path)
    assert message in str(exc.value)


def test_missing_catalogue_file_is_a_value_error(tmp_path: Path):
    with pytest.raises(ValueError, match="nope.toml"):
        load_catalogue(tmp_path / "nope.toml")


# --- The recorded copy ---------------------------------------------------------------------


def test_demo_copy_covers_the_catalogue_in_documented_shapes():
    regions = json.loads((DEMO / "regions.json").read_text("utf-8"))
    region = load_region()
    kunta = {r["code"]: r["id"] for r in regions if r["category"] == "KUNTA"}
    assert all(m.code in kunta for m in region.municipalities)
    assert {(r["id"], r["code"]) for r in regions if r["category"] == "HYVINVOINTIALUE"} >= {
        (965, "15")
    }
    assert any(r["id"] == 658 and r["category"] == "MAA" for r in regions)
    assert len({r["category"] for r in regions}) >= 6
    for entry in load_catalogue():
        meta = json.loads((DEMO / "indicators" / f"{entry.id}.json").read_text("utf-8"))
        assert {"id", "range", "title", "classifications", "organization"} <= set(meta)
        rows = json.loads((DEMO / "data" / f"{entry.id}.json").read_text("utf-8"))
        assert rows and set(rows[0]) <= {
            "indicator",
            "region",
            "year",
            "gender",
            "value",
            "absValue",
        }
    size = sum(p.stat().st_size for p in DEMO.rglob("*") if p.is_file())
    assert size < 3_000_000
    assert "SYNTHETIC" in (DEMO / "README.md").read_text("utf-8")


def test_fixture_script_is_deterministic(tmp_path: Path):
    from tests.data.make_sotkanet_fixture import main

    main(["--out", str(tmp_path / "copy")])
    for file in (tmp_path / "copy").rglob("*.json"):
        assert file.read_bytes() == (DEMO / file.relative_to(tmp_path / "copy")).read_bytes()


def test_record_copy_writes_the_source_layout(tmp_path: Path, settings: Settings, make_client, db):
    notes = record_copy(settings, tmp_path / "rec", client=make_client(), today=TODAY)
    assert notes == []
    assert (tmp_path / "rec" / "regions.json").exists()
    report = run_pipeline(db, settings, "indicators", source=tmp_path / "rec", today=TODAY)
    assert report.status == "ok" and report.added > 0


# --- Search --------------------------------------------------------------------------------


def test_search_is_case_and_diacritic_insensitive(settings: Settings):
    hits = search_indicators(settings, "LASTENSUOJELUN", source=DEMO)
    assert [h["id"] for h in hits] == [1245]
    assert hits[0]["organization"].startswith("Terveyden ja hyvinvoinnin laitos")
    ktk = {h["id"] for h in search_indicators(settings, "luokan oppilaista", source=DEMO)}
    assert {328, 286, 3904} <= ktk  # 286 and 3904 are outside the catalogue
    assert search_indicators(settings, "tyottomat", source=DEMO)[0]["id"] in (181, 189)


def test_search_over_the_api(settings: Settings, make_client, api: FakeSotkanet):
    hits = search_indicators(settings, "nuorisotyöttömät", client=make_client())
    assert [h["id"] for h in hits] == [189]
    assert api.paths() == ["/rest/1.1/indicators"]


# --- CLI -----------------------------------------------------------------------------------


@pytest.fixture
def run_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NAKYMA_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setenv("NAKYMA_SECRET_KEY", TEST_SECRET)

    def invoke(*args: str):
        return CliRunner().invoke(cli, list(args))

    return invoke


def test_cli_run_search_and_export(run_cli):
    result = run_cli("run", "indicators", "--source", str(DEMO))
    assert result.exit_code == 0, result.output
    assert "indicators: onnistui" in result.output
    again = run_cli("run", "indicators", "--source", str(DEMO))
    assert "lisätty 0, päivitetty 0" in again.output

    search = run_cli("indicators", "search", "ahdistuneisuus", "--source", str(DEMO))
    assert search.exit_code == 0, search.output
    assert "328" in search.output and "1 osumaa." in search.output

    export = run_cli("export", "indicator-signals", "--format", "csv")
    assert export.exit_code == 0, export.output
    rows = list(csv.DictReader(io.StringIO(export.output)))
    assert list(rows[0]) == [
        "indicator_id",
        "municipality",
        "year",
        "value",
        "previous_value",
        "county_value",
        "country_value",
        "direction",
        "strength",
        "text",
    ]
    aanekoski = next(r for r in rows if r["indicator_id"] == "1086")
    assert aanekoski["municipality"] == "Äänekoski"
    assert aanekoski["direction"] == "worse"
    assert aanekoski["text"].startswith(
        "Äänekoski: lastensuojeluilmoituksen saaneet 0–17-v. 9,1 % → 11,4 % (2023→2024);"
    )
    assert not any(r["municipality"] == "Luhanka" and r["indicator_id"] == "1086" for r in rows)


def test_cli_run_with_indicator_restriction(run_cli):
    result = run_cli(
        "run", "indicators", "--source", str(DEMO), "--indicator", "189", "--higher-is-better"
    )
    assert result.exit_code == 0, result.output
    export = run_cli("export", "indicator-signals", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(export.output)))
    assert {r["indicator_id"] for r in rows} == {"189"}


def test_cli_run_with_missing_source_data_fails(run_cli, tmp_path: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli("run", "indicators", "--source", str(empty))
    assert result.exit_code == 1
    assert "Alueluetteloa ei saatu" in result.output


def test_cli_indicators_record_reports_network_failure(settings, tmp_path) -> None:
    """`nakyma indicators record DIR` writes the --source layout; a network fault is a
    Finnish error, not a traceback."""
    from click.testing import CliRunner

    from nakyma.cli import cli
    from tests.conftest import TEST_SECRET

    env = {
        "NAKYMA_DATA_DIR": str(settings.data_dir),
        "NAKYMA_SECRET_KEY": TEST_SECRET,
        # A closed port on loopback: refused at once, nothing leaves the machine.
        "NAKYMA_SOTKANET_BASE_URL": "https://127.0.0.1:9/rest/1.1",
        "NAKYMA_SOTKANET_RETRIES": "0",
        "NAKYMA_HTTP_TIMEOUT_SECONDS": "0.5",
    }
    result = CliRunner().invoke(cli, ["indicators", "record", str(tmp_path / "rec")], env=env)
    assert result.exit_code == 1
    assert "Tallennus epäonnistui" in result.output
