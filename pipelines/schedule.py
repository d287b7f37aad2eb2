"""The schedule: APScheduler jobs built from the registry, started inside `nakyma serve`.

Wiring only. Each job opens its own database connection and goes through
`run_pipeline`, whose lock keeps two server processes from running the same job at once.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from nakyma.config import Settings
from nakyma.db import open_db
from nakyma.runs import JobLocked, RunReport
from pipelines.registry import PIPELINES, run_pipeline

log = logging.getLogger("nakyma.schedule")

# First runs after start-up: the first job after FIRST_DELAY, each next one STAGGER later.
FIRST_DELAY = timedelta(seconds=30)
STAGGER = timedelta(seconds=90)


def run_scheduled(settings: Settings, name: str) -> RunReport | None:
    """One scheduled run; None when another process holds the job's lock."""
    db = open_db(settings.database_path)
    try:
        report = run_pipeline(db, settings, name, trigger="schedule")
    except JobLocked as exc:
        log.info("%s skipped: already running in %s", name, exc.holder)
        return None
    finally:
        db.close()
    log.info("%s", report.summary())
    return report


def _last_success(settings: Settings, name: str) -> datetime | None:
    db = open_db(settings.database_path)
    try:
        row = db.execute(
            "select max(started_at) from runs where pipeline = ? and status in ('ok', 'partial')",
            [name],
        ).fetchone()
    finally:
        db.close()
    return datetime.fromisoformat(row[0]) if row and row[0] else None


def build_scheduler(settings: Settings, *, now: datetime | None = None) -> BackgroundScheduler:
    """Every pipeline of the registry at its interval (news every `news_interval_minutes`,
    indicators every `indicators_interval_days`, ...).

    Jobs coalesce missed runs into one, never overlap (max_instances=1) and carry
    jitter so that several deployments do not hit the sources at the same second.
    The first run comes soon after start-up unless a recent successful run exists.

    The jobs run one after another on a single worker thread: the writing jobs (news,
    indicators, embed, phenomena) never compete with each other for the write lock, only
    with the web's short writes. First runs are staggered, not all at start-up at once.
    """
    now = now or datetime.now(UTC)
    scheduler = BackgroundScheduler(
        timezone=settings.timezone, executors={"default": ThreadPoolExecutor(max_workers=1)}
    )
    scheduled = [(name, p) for name, p in PIPELINES.items() if p.scheduled]
    for position, (name, pipeline) in enumerate(scheduled):
        interval, jitter = pipeline.interval(settings), pipeline.jitter_seconds
        last = _last_success(settings, name)
        soonest = now + FIRST_DELAY + position * STAGGER
        first = max(soonest, last + interval) if last else soonest
        scheduler.add_job(
            run_scheduled,
            IntervalTrigger(seconds=int(interval.total_seconds()), jitter=jitter),
            args=[settings, name],
            id=name,
            name=name,
            next_run_time=first,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,  # a run queued behind another still runs
        )
    return scheduler
