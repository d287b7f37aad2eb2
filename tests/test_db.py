"""Tests for nakyma.db: opening, migrations, `nakyma db upgrade` and verified backups."""

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from nakyma.cli import cli
from nakyma.db import BackupError, applied_migrations, backup, now_utc, open_db, upgrade
from tests.conftest import TEST_SECRET

TABLES = {
    "_sqlite_migrations",
    "users",
    "user_municipalities",
    "api_tokens",
    "sessions",
    "login_attempts",
    "observations",
}


@pytest.fixture
def run_cli(settings, monkeypatch, tmp_path):
    """Invoke `nakyma …` against the same database file as the `db` fixture."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NAKYMA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("NAKYMA_SECRET_KEY", TEST_SECRET)

    def run(*args: str):
        return CliRunner().invoke(cli, list(args))

    return run


def add_attempt(db: Database, username: str) -> None:
    db.table("login_attempts").insert(
        {"username": username, "client": "10.0.0.1", "attempted_at": now_utc(), "succeeded": 0}
    )


def rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_fresh_database_has_every_table(db):
    assert TABLES <= set(db.table_names())
    assert "0001_initial" in applied_migrations(db)


def test_fresh_database_is_in_wal_mode_with_foreign_keys(db, settings):
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert settings.database_path.is_file()


def test_foreign_keys_are_enforced(db):
    with pytest.raises(sqlite3.IntegrityError):
        db.table("sessions").insert(
            {"token_hash": "x", "user_id": 999, "created_at": now_utc(), "expires_at": now_utc()}
        )


def test_open_db_creates_missing_parent_directories(tmp_path):
    path = tmp_path / "a" / "b" / "nakyma.db"
    database = open_db(path)
    try:
        assert path.is_file()
        assert TABLES <= set(database.table_names())
    finally:
        database.close()


def test_open_without_migrating_leaves_the_schema_alone(tmp_path):
    database = open_db(tmp_path / "n.db", migrate=False)
    try:
        assert "users" not in database.table_names()
        assert applied_migrations(database) == []
    finally:
        database.close()


def test_upgrade_applies_pending_then_nothing(tmp_path):
    database = open_db(tmp_path / "n.db", migrate=False)
    try:
        first = upgrade(database)
        assert first[0] == "0001_initial"
        assert applied_migrations(database) == first
        assert upgrade(database) == []
        assert applied_migrations(database) == first
    finally:
        database.close()


def test_reopening_keeps_data_and_applies_nothing(db, settings):
    add_attempt(db, "maija")
    again = open_db(settings.database_path)
    try:
        assert upgrade(again) == []
        assert again.table("login_attempts").count == 1
    finally:
        again.close()


def test_cli_db_upgrade_reports_in_finnish(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NAKYMA_DATA_DIR", str(tmp_path / "tila"))
    monkeypatch.setenv("NAKYMA_SECRET_KEY", TEST_SECRET)
    database_path = tmp_path / "tila" / "nakyma.db"

    first = CliRunner().invoke(cli, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert "Päivitetty: 0001_initial" in first.output
    assert f"Tietokanta: {database_path}" in first.output
    assert database_path.is_file()

    second = CliRunner().invoke(cli, ["db", "upgrade"])
    assert second.exit_code == 0, second.output
    assert "Tietokanta on jo ajan tasalla." in second.output
    assert "Päivitetty" not in second.output


def test_backup_is_a_verified_standalone_copy(db, tmp_path, make_user):
    make_user("maija")
    for name in ("a", "b", "c"):
        add_attempt(db, name)
    target = tmp_path / "varmuus" / "kopio.db"

    assert backup(db, target) == target

    assert target.is_file()
    assert not target.with_name("kopio.db.partial").exists()
    assert not target.with_name("kopio.db-wal").exists()
    assert rows(target, "PRAGMA integrity_check") == [("ok",)]
    assert rows(target, "PRAGMA journal_mode") == [("delete",)]
    assert rows(target, "select username, role from users") == [("maija", "havainnoija")]
    assert rows(target, "select username from login_attempts order by id") == [
        ("a",),
        ("b",),
        ("c",),
    ]
    copy = Database(target)
    try:
        assert applied_migrations(copy) == applied_migrations(db)
        assert set(copy.table_names()) == set(db.table_names())
    finally:
        copy.close()


def test_backup_refuses_an_existing_target(db, tmp_path):
    target = tmp_path / "kopio.db"
    target.write_bytes(b"vanha")
    with pytest.raises(BackupError, match="Kohde on jo olemassa"):
        backup(db, target)
    assert target.read_bytes() == b"vanha"


def test_backup_overwrites_when_asked(db, tmp_path):
    add_attempt(db, "uusi")
    target = tmp_path / "kopio.db"
    target.write_bytes(b"vanha")
    backup(db, target, overwrite=True)
    assert rows(target, "select username from login_attempts") == [("uusi",)]


def test_backup_refuses_a_directory_even_with_overwrite(db, tmp_path):
    with pytest.raises(BackupError, match="Kohde on hakemisto"):
        backup(db, tmp_path, overwrite=True)


def test_backup_replaces_a_stale_partial_file(db, tmp_path):
    target = tmp_path / "kopio.db"
    partial = tmp_path / "kopio.db.partial"
    partial.write_bytes(b"keskeytynyt edellinen yritys")
    backup(db, target)
    assert not partial.exists()
    assert rows(target, "PRAGMA integrity_check") == [("ok",)]


def test_backup_during_an_open_write_transaction_has_only_committed_rows(db, settings, tmp_path):
    add_attempt(db, "tallennettu")
    writer = sqlite3.connect(settings.database_path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute(
            "insert into login_attempts (username, client, attempted_at, succeeded) "
            "values ('kesken', 'x', '2026-01-01T00:00:00+00:00', 0)"
        )
        target = backup(db, tmp_path / "kopio.db")
        writer.execute("COMMIT")
    finally:
        writer.close()

    assert rows(target, "PRAGMA integrity_check") == [("ok",)]
    assert rows(target, "select username from login_attempts") == [("tallennettu",)]
    assert db.table("login_attempts").count == 2


def test_cli_backup_refuses_existing_file_then_overwrites_with_force(db, run_cli, tmp_path):
    add_attempt(db, "maija")
    target = tmp_path / "kopio.db"
    target.write_bytes(b"vanha")

    refused = run_cli("db", "backup", str(target))
    assert refused.exit_code == 1
    assert f"Kohde on jo olemassa: {target}" in refused.output
    assert "Traceback" not in refused.output
    assert target.read_bytes() == b"vanha"

    forced = run_cli("db", "backup", str(target), "--force")
    assert forced.exit_code == 0, forced.output
    assert "Varmuuskopio tehty ja tarkistettu (integrity_check: ok)" in forced.output
    assert rows(target, "select username from login_attempts") == [("maija",)]
    assert not (tmp_path / "kopio.db.partial").exists()


def test_cli_backup_to_a_new_file(db, run_cli, tmp_path):
    target = tmp_path / "uusi" / "kopio.db"
    result = run_cli("db", "backup", str(target))
    assert result.exit_code == 0, result.output
    assert str(target) in result.output
    assert rows(target, "PRAGMA integrity_check") == [("ok",)]


def test_failed_backup_leaves_no_partial_file(settings, tmp_path):
    broken = open_db(settings.database_path)
    broken.conn.close()
    target = tmp_path / "kopio.db"
    with pytest.raises(BackupError, match="Varmuuskopiointi epäonnistui"):
        backup(broken, target)
    assert not target.exists()
    assert not (tmp_path / "kopio.db.partial").exists()
