"""Pipeline runs: what each run reports, how runs are recorded, and the lock that keeps one
job from running twice at once (two server processes, or the CLI beside the server)."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlite_utils import Database

from nakyma.db import is_busy, now_utc, write_transaction
from nakyma.progress import duration

Status = Literal["ok", "partial", "failed"]


@dataclass
class RunReport:
    """What one run of a pipeline did. Messages are Finnish: admins read them on "Ajot"."""

    pipeline: str
    status: Status = "ok"
    added: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    # Reports of the jobs run after this one (pipelines.registry `then`); not stored with it.
    followed_by: list[RunReport] = field(default_factory=list)

    def problem(self, message: str) -> None:
        """A part failed but the rest went through: the run is at best partial."""
        self.errors.append(message)
        if self.status == "ok":
            self.status = "partial"

    def fail(self, message: str) -> None:
        """Nothing useful was done."""
        self.errors.append(message)
        self.status = "failed"

    def settle(self, parts_ok: int, parts_failed: int) -> None:
        """Final status from how many independent parts (feeds, indicators) succeeded."""
        if parts_failed and not parts_ok:
            self.status = "failed"
        elif parts_failed:
            self.status = "partial"

    def count(self, *, added: int = 0, updated: int = 0, skipped: int = 0) -> None:
        self.added += added
        self.updated += updated
        self.skipped += skipped

    def summary(self) -> str:
        labels = {"ok": "onnistui", "partial": "onnistui osittain", "failed": "epäonnistui"}
        return (
            f"{self.pipeline}: {labels[self.status]} – lisätty {self.added}, "
            f"päivitetty {self.updated}, ennallaan {self.skipped}"
        )


class JobLocked(Exception):
    def __init__(self, name: str, holder: str, expires_at: str):
        super().__init__(f"{name} is running in {holder} until {expires_at}")
        self.name, self.holder, self.expires_at = name, holder, expires_at


def lock_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def acquire_lock(db: Database, name: str, *, holder: str, ttl: timedelta) -> None:
    """Take the named lock or raise JobLocked. An expired lock (a crashed holder) is taken over."""
    now = datetime.now(UTC)
    expires = (now + ttl).isoformat(timespec="seconds")
    with write_transaction(db):
        cursor = db.execute(
            "insert into job_locks (name, holder, acquired_at, expires_at) values (?, ?, ?, ?) "
            "on conflict(name) do update set holder = excluded.holder, "
            "acquired_at = excluded.acquired_at, expires_at = excluded.expires_at "
            "where job_locks.expires_at < ?",
            [name, holder, now.isoformat(timespec="seconds"), expires, now.isoformat()],
        )
        taken = cursor.rowcount == 1
    if not taken:
        row = db.execute(
            "select holder, expires_at from job_locks where name = ?", [name]
        ).fetchone()
        if row is not None and not _alive_here(row[0]):
            # The holder died on this host (killed, crashed): its lock is taken over now,
            # not hours later when it expires.
            with write_transaction(db):
                db.execute("delete from job_locks where name = ? and holder = ?", [name, row[0]])
            acquire_lock(db, name, holder=holder, ttl=ttl)
            return
        raise JobLocked(name, row[0] if row else "?", row[1] if row else "?")


def release_lock(db: Database, name: str, *, holder: str) -> None:
    with write_transaction(db):
        db.execute("delete from job_locks where name = ? and holder = ?", [name, holder])


def start_run(db: Database, pipeline: str, *, trigger: str, source: str | None) -> int:
    with write_transaction(db):
        table = db.table("runs")
        table.insert(
            {
                "pipeline": pipeline,
                "trigger": trigger,
                "source": source,
                "status": "running",
                "started_at": now_utc(),
                "added": 0,
                "updated": 0,
                "skipped": 0,
                "errors": "[]",
                "warnings": "[]",
                "details": "{}",
            }
        )
        assert table.last_pk is not None
        return int(table.last_pk)


def finish_run(db: Database, run_id: int, report: RunReport) -> None:
    """Record how the run ended. Retried beyond write_transaction's own attempts: a run
    must never stay 'running' because the database was busy at its end."""
    if db.conn.in_transaction:  # a pipeline that crashed mid-transaction must not commit it
        db.conn.rollback()
    for attempt in range(3):
        try:
            _write_finish(db, run_id, report)
            return
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or attempt == 2:
                raise
            time.sleep(1 + attempt)


def _write_finish(db: Database, run_id: int, report: RunReport) -> None:
    with write_transaction(db):
        db.table("runs").update(
            run_id,
            {
                "status": report.status,
                "finished_at": now_utc(),
                "added": report.added,
                "updated": report.updated,
                "skipped": report.skipped,
                "errors": json.dumps(report.errors, ensure_ascii=False),
                "warnings": json.dumps(report.warnings, ensure_ascii=False),
                "details": json.dumps(report.details, ensure_ascii=False, default=str),
            },
        )


def list_runs(db: Database, *, pipeline: str | None = None, limit: int = 50) -> list[dict]:
    where, params = ("where pipeline = ?", [pipeline]) if pipeline else ("", [])
    rows = db.query(f"select * from runs {where} order by id desc limit ?", [*params, limit])
    out = []
    for row in rows:
        for key in ("errors", "warnings", "details"):
            row[key] = json.loads(row[key] or ("{}" if key == "details" else "[]"))
        out.append(row)
    return out


ABANDONED = "Ajo keskeytyi (palvelu pysähtyi kesken ajon)."


def _alive_here(holder: str) -> bool:
    """False when `holder` (host:pid) names a process of this host that no longer runs."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's process: only its lock's expiry tells
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def mark_abandoned_runs(db: Database, *, pipeline: str | None = None) -> int:
    """Close as failed every run left 'running' by a process that died.

    A run is abandoned when no live process holds its pipeline's lock: the lock is gone,
    expired, or held by a process of this host that no longer runs (such a lock is
    released too). With `pipeline`, called by the lock's new holder, every 'running' run
    of that pipeline is abandoned: the lock says none of them can still be running."""
    now = now_utc()
    try:
        dead = [
            name
            for name, holder in db.execute(
                "select name, holder from job_locks where expires_at > ?", [now]
            ).fetchall()
            if not _alive_here(holder)
        ]
        with write_transaction(db):
            for name in dead:
                db.execute("delete from job_locks where name = ?", [name])
            if pipeline is not None:
                where, params = "pipeline = ?", [pipeline]
            else:
                where = (
                    "'pipeline:' || pipeline not in "
                    "(select name from job_locks where expires_at > ?)"
                )
                params = [now]
            cursor = db.execute(
                f"update runs set status = 'failed', finished_at = ?, errors = ? "
                f"where status = 'running' and {where}",
                [now, json.dumps([ABANDONED], ensure_ascii=False), *params],
            )
    except sqlite3.OperationalError:
        return 0
    return cursor.rowcount


@dataclass(frozen=True)
class RunExpectation:
    """How fresh a scheduled pipeline's runs should be, for monitoring (`nakyma runs --check`):
    its latest successful run no older than `max_age`, and no run `running` for longer than
    `max_duration` (its lock's lifetime)."""

    pipeline: str
    max_age: timedelta
    max_duration: timedelta


def _age(started_at: str, now: datetime) -> timedelta:
    return now - datetime.fromisoformat(started_at)


def run_problems(
    db: Database, expectations: list[RunExpectation], *, now: datetime | None = None
) -> list[str]:
    """What a monitor should hear about the pipeline runs, in Finnish; empty when all is well.

    Per expected pipeline: its latest run failed; it has no successful (ok or partial) run
    within `max_age`, or none at all; or a run has been `running` longer than its lock lasts
    (a process that hangs; a dead one is closed by `mark_abandoned_runs`)."""
    now = now or datetime.now(UTC)
    problems = []
    for expected in expectations:
        name = expected.pipeline
        latest = db.execute(
            "select started_at, status, errors from runs where pipeline = ? and status != "
            "'running' order by id desc limit 1",
            [name],
        ).fetchone()
        if latest is not None and latest[1] == "failed":
            first = (json.loads(latest[2] or "[]") or ["ei virheilmoitusta"])[0]
            problems.append(f"{name}: viimeisin ajo ({latest[0]}) epäonnistui: {first}")
        good = db.execute(
            "select max(started_at) from runs where pipeline = ? and status in ('ok', 'partial')",
            [name],
        ).fetchone()[0]
        if good is None:
            problems.append(f"{name}: ei yhtään onnistunutta ajoa")
        elif _age(good, now) > expected.max_age:
            ago = duration(_age(good, now).total_seconds())
            limit = duration(expected.max_age.total_seconds())
            problems.append(f"{name}: viimeisin onnistunut ajo {good}, {ago} sitten (raja {limit})")
        for run_id, started in db.execute(
            "select id, started_at from runs where pipeline = ? and status = 'running'", [name]
        ).fetchall():
            if _age(started, now) > expected.max_duration:
                problems.append(
                    f"{name}: ajo {run_id} on ollut käynnissä {started} alkaen, yli "
                    f"{duration(expected.max_duration.total_seconds())}"
                )
    return problems
