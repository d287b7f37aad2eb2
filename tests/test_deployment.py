"""Production operation (issue 15, item 4): proxy headers believed only from the configured
proxies, backups with retention, the restore drill, and the pipeline-run check for monitoring."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlite_utils import Database

from nakyma.cli import cli
from nakyma.config import Settings
from nakyma.db import (
    BackupError,
    applied_migrations,
    backup,
    backup_files,
    backup_to_directory,
    migrations,
    now_utc,
    open_db,
    restore,
)
from nakyma.runs import RunExpectation, run_problems
from pipelines.registry import run_expectations
from tests.conftest import TEST_SECRET, csrf_from
from web.app import create_app

T0 = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def run_cli(settings, monkeypatch, tmp_path):
    """Invoke `nakyma …` against the same database file as the `db` fixture."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NAKYMA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("NAKYMA_SECRET_KEY", TEST_SECRET)

    def run(*args: str, input: str | None = None):
        return CliRunner().invoke(cli, list(args), input=input)

    return run


def add_attempt(db: Database, username: str) -> None:
    db.table("login_attempts").insert(
        {"username": username, "client": "10.0.0.1", "attempted_at": now_utc(), "succeeded": 0}
    )


def usernames(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("select username from login_attempts order by id")]
    finally:
        conn.close()


# --- Proxy headers -------------------------------------------------------------------------


def failed_login_client(settings: Settings, peer: str, forwarded_for: str) -> str:
    """The client address the login throttle records for a failed login that arrives from
    `peer` carrying `X-Forwarded-For: forwarded_for`."""
    app = create_app(settings)
    with TestClient(app, client=(peer, 40000)) as client:
        token = csrf_from(client, "/kirjaudu")
        response = client.post(
            "/kirjaudu",
            data={"username": "eiole", "password": "väärä", "csrf_token": token},
            headers={"X-Forwarded-For": forwarded_for},
        )
        assert response.status_code == 400
    database = open_db(settings.database_path)
    try:
        (client_address,) = [r[0] for r in database.execute("select client from login_attempts")]
    finally:
        database.close()
    return client_address


def test_forged_forwarded_for_from_an_untrusted_peer_is_ignored(settings, db) -> None:
    settings = settings.model_copy(update={"trusted_proxies": ["127.0.0.1"]})
    assert failed_login_client(settings, "198.51.100.9", "203.0.113.7") == "198.51.100.9"


def test_forwarded_for_is_ignored_when_no_proxy_is_trusted(settings, db) -> None:
    assert settings.trusted_proxies == []
    assert failed_login_client(settings, "127.0.0.1", "203.0.113.7") == "127.0.0.1"


def test_forwarded_for_from_a_trusted_proxy_names_the_client(settings, db) -> None:
    settings = settings.model_copy(update={"trusted_proxies": ["10.0.0.0/24"]})
    # nginx appends the peer it saw; an address the browser forged sits further left.
    assert failed_login_client(settings, "10.0.0.5", "6.6.6.6, 203.0.113.7") == "203.0.113.7"


@pytest.mark.parametrize(
    ("trusted", "seen"),
    [("", "127.0.0.1"), ("10.9.9.9", "127.0.0.1"), ("127.0.0.1", "203.0.113.7")],
)
def test_nakyma_serve_believes_forwarded_for_only_from_trusted_proxies(tmp_path, trusted, seen):
    """The real server: uvicorn alone would trust X-Forwarded-For from 127.0.0.1 by default;
    `nakyma serve` must not, unless NAKYMA_TRUSTED_PROXIES says so. Its access log names
    the client it settled on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NAKYMA_")},
        "NAKYMA_DEMO": "true",
        "NAKYMA_DATA_DIR": str(tmp_path / "data"),
        "NAKYMA_SCHEDULER_ENABLED": "false",
        "NAKYMA_TRUSTED_PROXIES": trusted,
        "PYTHONPATH": str(ROOT),
    }
    server = subprocess.Popen(
        [sys.executable, "-c", "from nakyma.cli import cli; cli()", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                answer = httpx.get(
                    f"http://127.0.0.1:{port}/healthz",
                    headers={"X-Forwarded-For": "203.0.113.7"},
                    timeout=2,
                )
                if answer.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.3)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    (line,) = [ln for ln in output.splitlines() if '"GET /healthz' in ln and " 200" in ln]
    assert line.split()[1].startswith(f"{seen}:"), line


def test_trusted_proxies_are_read_comma_separated(monkeypatch) -> None:
    monkeypatch.setenv("NAKYMA_TRUSTED_PROXIES", " 127.0.0.1, 10.0.0.1/24 ,::1")
    settings = Settings(_env_file=None, secret_key=TEST_SECRET)
    assert settings.trusted_proxies == ["127.0.0.1", "10.0.0.0/24", "::1"]


def test_a_trusted_proxy_that_is_not_an_address_stops_the_start(monkeypatch) -> None:
    monkeypatch.setenv("NAKYMA_TRUSTED_PROXIES", "127.0.0.1,nginx")
    with pytest.raises(ValidationError, match="NAKYMA_TRUSTED_PROXIES: 'nginx'"):
        Settings(_env_file=None, secret_key=TEST_SECRET)


# --- Backups with retention ----------------------------------------------------------------


def test_directory_backups_keep_the_newest_n(db, tmp_path) -> None:
    directory = tmp_path / "varmuus"
    made = []
    for day in range(5):
        add_attempt(db, f"päivä{day}")
        result = backup_to_directory(db, directory, keep=3, now=T0 + timedelta(days=day))
        made.append(result.path)
        assert result.path.name == f"nakyma-2026120{day + 1}T023000Z.db"
    assert backup_files(directory) == made[-3:]
    assert result.removed == [made[1]]
    assert usernames(made[-1]) == [f"päivä{d}" for d in range(5)]
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(made[-1].stat().st_mode) == 0o600


def test_retention_leaves_other_files_alone_and_clears_leftover_partials(db, tmp_path) -> None:
    directory = tmp_path / "varmuus"
    directory.mkdir()
    (directory / "muistiinpano.txt").write_text("älä poista")
    (directory / "nakyma-20200101T000000Z.db.partial").write_bytes(b"keskeytynyt")
    backup_to_directory(db, directory, keep=1, now=T0)
    assert sorted(p.name for p in directory.iterdir()) == [
        "muistiinpano.txt",
        "nakyma-20261201T023000Z.db",
    ]


def test_the_new_backup_is_kept_even_when_older_names_sort_after_it(db, tmp_path) -> None:
    directory = tmp_path / "varmuus"
    future = backup_to_directory(db, directory, keep=2, now=T0 + timedelta(days=365)).path
    new = backup_to_directory(db, directory, keep=1, now=T0).path  # the clock went back
    assert backup_files(directory) == [new]
    assert not future.exists()


def test_a_failed_backup_removes_none_of_the_old_ones(settings, db, tmp_path) -> None:
    directory = tmp_path / "varmuus"
    for day in range(3):
        backup_to_directory(db, directory, keep=3, now=T0 + timedelta(days=day))
    before = backup_files(directory)
    broken = open_db(settings.database_path)
    broken.conn.close()
    with pytest.raises(BackupError, match="Varmuuskopiointi epäonnistui"):
        backup_to_directory(broken, directory, keep=1, now=T0 + timedelta(days=9))
    assert backup_files(directory) == before
    assert not list(directory.glob("*.partial"))


def test_keep_must_be_at_least_one(db, tmp_path) -> None:
    with pytest.raises(BackupError, match="vähintään 1"):
        backup_to_directory(db, tmp_path / "varmuus", keep=0)


def test_cli_backup_into_the_configured_directory_with_keep(db, run_cli, monkeypatch, tmp_path):
    directory = tmp_path / "yölliset"
    monkeypatch.setenv("NAKYMA_BACKUP_DIR", str(directory))
    for day in range(3):
        backup_to_directory(db, directory, keep=5, now=T0 + timedelta(days=day))
    oldest = backup_files(directory)[0]
    result = run_cli("db", "backup", "--keep", "3")
    assert result.exit_code == 0, result.output
    assert "Varmuuskopio tehty ja tarkistettu (integrity_check: ok)" in result.output
    assert f"Poistettu vanha: {oldest}" in result.output
    assert len(backup_files(directory)) == 3 and not oldest.exists()


def test_cli_backup_into_an_existing_directory_given_as_path(db, run_cli, tmp_path) -> None:
    directory = tmp_path / "kopiot"
    directory.mkdir()
    result = run_cli("db", "backup", str(directory))
    assert result.exit_code == 0, result.output
    assert len(backup_files(directory)) == 1


def test_cli_backup_copies_the_database_as_it_is_without_migrating(settings, run_cli, tmp_path):
    # The backup before an upgrade is made with the new version installed: it must hold
    # the old schema, so that restoring it really goes back.
    settings.data_dir.mkdir(parents=True)
    old = Database(settings.database_path)
    migrations.apply(old, stop_before="0016_auto_titles")
    old.close()
    result = run_cli("db", "backup", str(tmp_path / "ennen.db"))
    assert result.exit_code == 0, result.output
    for path in (tmp_path / "ennen.db", settings.database_path):
        copy = Database(path)
        assert "0016_auto_titles" not in applied_migrations(copy)
        copy.close()


def test_cli_backup_without_path_or_backup_dir_says_what_to_do(db, run_cli) -> None:
    result = run_cli("db", "backup")
    assert result.exit_code == 2
    assert "NAKYMA_BACKUP_DIR" in result.output


# --- Restore drill ---------------------------------------------------------------------------


def test_backup_then_restore_round_trip(settings, db, make_user, tmp_path) -> None:
    make_user("maija")
    add_attempt(db, "ennen")
    copy = backup(db, tmp_path / "kopio.db")
    add_attempt(db, "jälkeen")  # written after the backup: the restore takes it away
    db.close()

    result = restore(copy, settings.database_path, now=T0)

    restored = open_db(settings.database_path)
    try:
        assert restored.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert restored.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert [r[0] for r in restored.execute("select username from users")] == ["maija"]
        assert [r[0] for r in restored.execute("select username from login_attempts")] == ["ennen"]
        assert result.migrated == []
        backup_copy = Database(copy)
        assert applied_migrations(restored) == applied_migrations(backup_copy)
        backup_copy.close()
    finally:
        restored.close()
    # The replaced database was saved first, so the restore itself can be undone.
    assert result.saved_previous == settings.data_dir / "nakyma-before-restore-20261201T023000Z.db"
    assert usernames(result.saved_previous) == ["ennen", "jälkeen"]


def test_restore_brings_an_older_backup_up_to_date(settings, db, tmp_path) -> None:
    old = tmp_path / "vanha.db"
    copy = Database(old)
    migrations.apply(copy, stop_before="0016_auto_titles")
    copy.close()
    db.close()
    result = restore(old, settings.database_path, now=T0)
    full = Database(memory=True)
    migrations.apply(full)
    names = applied_migrations(full)
    assert result.migrated == names[names.index("0016_auto_titles") :]  # every later one


def test_restore_replaces_a_damaged_database_and_keeps_its_bytes(settings, db, tmp_path):
    add_attempt(db, "ennen")
    copy = backup(db, tmp_path / "kopio.db")
    db.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{settings.database_path}{suffix}").unlink(missing_ok=True)
    settings.database_path.write_bytes(b"levy hajosi" * 100)

    result = restore(copy, settings.database_path, now=T0)

    assert usernames(settings.database_path) == ["ennen"]
    assert result.saved_previous is not None
    assert result.saved_previous.read_bytes() == b"levy hajosi" * 100


def test_restore_refuses_a_damaged_file_and_leaves_the_database(settings, db, tmp_path) -> None:
    add_attempt(db, "elossa")
    damaged = tmp_path / "rikki.db"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    with pytest.raises(BackupError):
        restore(damaged, settings.database_path)
    not_ours = tmp_path / "muu.db"
    other = Database(not_ours)
    other["t"].insert({"a": 1})
    other.close()
    with pytest.raises(BackupError, match="Näkymän"):
        restore(not_ours, settings.database_path)
    assert usernames(settings.database_path) == ["elossa"]
    assert not list(settings.data_dir.glob("nakyma-before-restore-*"))


def test_cli_restore_drill(settings, db, run_cli, tmp_path) -> None:
    add_attempt(db, "varmuuskopiossa")
    directory = tmp_path / "varmuus"
    assert run_cli("db", "backup", str(directory), "--keep", "2").exit_code == 0
    (latest,) = backup_files(directory)
    add_attempt(db, "myöhemmin")
    db.close()

    refused = run_cli("db", "restore", str(latest), input="n\n")
    assert refused.exit_code == 1
    assert "Palautus peruttu; mitään ei muutettu." in refused.output
    assert usernames(settings.database_path) == ["varmuuskopiossa", "myöhemmin"]

    result = run_cli("db", "restore", str(latest), "--yes")
    assert result.exit_code == 0, result.output
    assert "Palautettu ja tarkistettu (integrity_check: ok)" in result.output
    assert "Edellinen tietokanta tallennettu:" in result.output
    assert usernames(settings.database_path) == ["varmuuskopiossa"]

    missing = run_cli("db", "restore", str(tmp_path / "eiole.db"), "--yes")
    assert missing.exit_code == 1 and "Varmuuskopiota ei löydy" in missing.output


# --- Pipeline runs for monitoring -------------------------------------------------------------


def add_run(db: Database, pipeline: str, status: str, started: datetime, errors=()) -> None:
    db.table("runs").insert(
        {
            "pipeline": pipeline,
            "trigger": "schedule",
            "status": status,
            "started_at": started.isoformat(timespec="seconds"),
            "finished_at": None if status == "running" else started.isoformat(),
            "added": 0,
            "updated": 0,
            "skipped": 0,
            "errors": json.dumps(list(errors)),
            "warnings": "[]",
            "details": "{}",
        }
    )


NEWS = [RunExpectation("news", max_age=timedelta(hours=1), max_duration=timedelta(minutes=30))]


def test_fresh_successful_runs_are_no_problem(db) -> None:
    add_run(db, "news", "ok", T0 - timedelta(minutes=20))
    assert run_problems(db, NEWS, now=T0) == []


def test_a_pipeline_that_never_succeeded_is_reported(db) -> None:
    assert run_problems(db, NEWS, now=T0) == ["news: ei yhtään onnistunutta ajoa"]


def test_a_stale_pipeline_is_reported(db) -> None:
    add_run(db, "news", "partial", T0 - timedelta(hours=3))
    (problem,) = run_problems(db, NEWS, now=T0)
    assert problem.startswith("news: viimeisin onnistunut ajo") and "3 h 0 min sitten" in problem


def test_a_failed_latest_run_is_reported_with_its_error(db) -> None:
    add_run(db, "news", "ok", T0 - timedelta(minutes=40))
    add_run(db, "news", "failed", T0 - timedelta(minutes=10), ["Syöte ei vastannut"])
    (problem,) = run_problems(db, NEWS, now=T0)
    assert "epäonnistui: Syöte ei vastannut" in problem


def test_a_hung_run_is_reported(db) -> None:
    add_run(db, "news", "ok", T0 - timedelta(minutes=50))
    add_run(db, "news", "running", T0 - timedelta(minutes=45))
    (problem,) = run_problems(db, NEWS, now=T0)
    assert "on ollut käynnissä" in problem


def test_every_scheduled_pipeline_is_expected(settings) -> None:
    expected = {e.pipeline: e for e in run_expectations(settings)}
    assert set(expected) == {"news", "indicators", "embed", "phenomena"}
    assert expected["phenomena"].max_age > timedelta(hours=48)


def test_cli_runs_check_exit_codes(db, run_cli) -> None:
    now = datetime.now(UTC)
    for name in ("news", "indicators", "embed", "phenomena"):
        add_run(db, name, "ok", now - timedelta(minutes=5))
    ok = run_cli("runs", "--check")
    assert ok.exit_code == 0, ok.output
    assert ok.output.startswith("Ajot kunnossa:")

    add_run(db, "phenomena", "failed", now - timedelta(minutes=1), ["Odottamaton virhe"])
    bad = run_cli("runs", "--check")
    assert bad.exit_code == 1
    failed_at = (now - timedelta(minutes=1)).isoformat(timespec="seconds")
    assert bad.output.splitlines() == [
        f"VIRHE phenomena: viimeisin ajo ({failed_at}) epäonnistui: Odottamaton virhe"
    ]
    assert run_cli("runs", "--check", "--pipeline", "news").exit_code == 0
    unknown = run_cli("runs", "--check", "--pipeline", "forecasts")  # runs after indicators
    assert unknown.exit_code == 2 and "forecasts ei ole ajastettu putki." in unknown.output


# --- The shipped deployment files --------------------------------------------------------------

DEPLOY = ROOT / "deploy"


def unit_values(path: Path, key: str) -> list[str]:
    return [
        line.split("=", 1)[1].strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith(f"{key}=")
    ]


@pytest.mark.parametrize("unit", sorted(p.name for p in DEPLOY.glob("*.service")))
def test_each_unit_runs_a_real_command_with_the_settings_file(unit) -> None:
    path = DEPLOY / unit
    (command,) = unit_values(path, "ExecStart")
    program, *args = command.split()
    assert program == "/opt/nakyma/venv/bin/nakyma"
    words = [a for a in args if not a.startswith("-") and not a.isdigit()]
    result = CliRunner().invoke(cli, [*words, "--help"])
    assert result.exit_code == 0, result.output
    assert unit_values(path, "EnvironmentFile") == ["/etc/nakyma/nakyma.env"]
    assert unit_values(path, "User") == ["nakyma"]
    assert unit_values(path, "NoNewPrivileges") == ["true"]


def test_units_may_write_where_the_settings_file_points() -> None:
    env = dict(
        line.split("=", 1)
        for line in (DEPLOY / "nakyma.env").read_text(encoding="utf-8").splitlines()
        if line.startswith("NAKYMA_")
    )
    service = unit_values(DEPLOY / "nakyma.service", "ReadWritePaths")
    backup_unit = unit_values(DEPLOY / "nakyma-backup.service", "ReadWritePaths")
    assert service == [env["NAKYMA_DATA_DIR"]]
    assert backup_unit == [f"{env['NAKYMA_DATA_DIR']} {env['NAKYMA_BACKUP_DIR']}"]
    assert env["NAKYMA_TRUSTED_PROXIES"] == "127.0.0.1"
    assert unit_values(DEPLOY / "nakyma.service", "ProtectSystem") == ["strict"]
    assert unit_values(DEPLOY / "nakyma.service", "StateDirectoryMode") == ["0700"]


def test_deployment_guide_names_every_shipped_file() -> None:
    guide = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    for path in DEPLOY.iterdir():
        assert path.name in guide, f"docs/deployment.md does not mention deploy/{path.name}"
    assert "docs/deployment.md" in (ROOT / "README.md").read_text(encoding="utf-8")
