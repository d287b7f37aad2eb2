"""Pipeline runs: what each run reports, how runs are recorded, and the lock that keeps one
job from running twice at once (two server processes, or the CLI beside the server)."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlite_utils import Database

from nakyma.db import now_utc

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
    with db.atomic():
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
        raise JobLocked(name, row[0], row[1])


def release_lock(db: Database, name: str, *, holder: str) -> None:
    with db.atomic():
        db.execute("delete from job_locks where name = ? and holder = ?", [name, holder])


def start_run(db: Database, pipeline: str, *, trigger: str, source: str | None) -> int:
    with db.atomic():
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
    if db.conn.in_transaction:  # a pipeline that crashed mid-transaction must not commit it
        db.conn.rollback()
    with db.atomic():
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


def mark_abandoned_runs(db: Database) -> int:
    """Runs left 'running' by a process that died are closed as failed at start-up."""
    try:
        with db.atomic():
            cursor = db.execute(
                "update runs set status = 'failed', finished_at = ?, errors = ? "
                "where status = 'running' and 'pipeline:' || pipeline not in "
                "(select name from job_locks where expires_at > ?)",
                [
                    now_utc(),
                    json.dumps(["Ajo keskeytyi (palvelu pysähtyi kesken ajon)."]),
                    now_utc(),
                ],
            )
    except sqlite3.OperationalError:
        return 0
    return cursor.rowcount
