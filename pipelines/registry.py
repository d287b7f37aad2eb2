"""The pipeline registry: every job declared once, as a typed entry, and run the same way by
the CLI, the scheduler and the tests. Every run is recorded and holds the job's lock.

An entry says what runs (`run`, one shared signature: `PipelineRun`), how long its lock may
outlive a crashed holder, and how often the scheduler runs it. Adding a source or a job is
adding an entry here; `pipelines.schedule` and `nakyma run NAME` pick it up. An entry's
`then` names the jobs that run after each of its successful runs (the forecasts after the
indicators), each recorded as a run of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlite_utils import Database

from nakyma.config import Settings
from nakyma.progress import Progress, RunProgress, combined
from nakyma.runs import (
    JobLocked,
    RunExpectation,
    RunReport,
    acquire_lock,
    finish_run,
    lock_holder,
    mark_abandoned_runs,
    release_lock,
    start_run,
)
from pipelines import forecasts, indicators, news, phenomena

log = logging.getLogger("nakyma.pipelines")


class PipelineRun(Protocol):
    """`run(db, settings, *, source=None, run_id=None, progress=None) -> RunReport`: `source`
    is a local copy instead of the network, `run_id` names the run in what the pipeline
    writes and `progress` hears how far a long run is (`nakyma.progress`). A pipeline may
    take keyword options of its own (a test's client, a fixed date) after these."""

    def __call__(
        self,
        db: Database,
        settings: Settings,
        *,
        source: str | Path | None = None,
        run_id: int | None = None,
        progress: Progress | None = None,
    ) -> RunReport: ...


@dataclass(frozen=True)
class Pipeline:
    """One job: what runs, how long its lock lasts, and its schedule."""

    name: str
    run: PipelineRun
    lock_ttl: timedelta  # a lock outlives a crashed holder by this much at most
    interval: Callable[[Settings], timedelta]  # how often the scheduler runs it
    jitter_seconds: int  # spread, so that deployments do not hit a source at the same second
    then: tuple[str, ...] = ()  # jobs run after each successful (ok or partial) run
    scheduled: bool = True  # False: runs only after another job or from the CLI


PIPELINES: dict[str, Pipeline] = {
    p.name: p
    for p in (
        Pipeline(
            "news",
            news.run,
            timedelta(minutes=30),
            lambda s: timedelta(minutes=s.news_interval_minutes),
            60,
        ),
        Pipeline(
            "indicators",
            indicators.run,
            timedelta(hours=6),
            lambda s: timedelta(days=s.indicators_interval_days),
            1800,
            then=("forecasts",),
        ),
        # Recomputed after every indicator run; not scheduled on its own.
        Pipeline(
            "forecasts",
            forecasts.run,
            timedelta(hours=1),
            lambda s: timedelta(days=s.indicators_interval_days),
            0,
            scheduled=False,
        ),
        # New items join the nearest phenomenon between full runs.
        Pipeline(
            "embed",
            phenomena.run_incremental,
            timedelta(hours=1),
            lambda s: timedelta(minutes=s.embed_interval_minutes),
            60,
        ),
        Pipeline(
            "phenomena",
            phenomena.run,
            timedelta(hours=2),
            lambda s: timedelta(hours=s.phenomena_interval_hours),
            600,
        ),
    )
}


def run_expectations(settings: Settings) -> list[RunExpectation]:
    """What monitoring expects of each scheduled job: a successful run within two of its
    intervals (one missed or failed run is tolerated) plus its jitter and its lock's life,
    and no run longer than its lock lasts."""
    return [
        RunExpectation(
            p.name,
            max_age=2 * p.interval(settings) + timedelta(seconds=p.jitter_seconds) + p.lock_ttl,
            max_duration=p.lock_ttl,
        )
        for p in PIPELINES.values()
        if p.scheduled
    ]


def run_pipeline(
    db: Database,
    settings: Settings,
    name: str,
    *,
    source: str | Path | None = None,
    trigger: str = "cli",
    progress: Progress | None = None,
    **options: Any,
) -> RunReport:
    """Run one pipeline under its lock and record the run. Raises JobLocked if it is
    already running elsewhere; an unexpected error is recorded as a failed run.

    `progress` (the CLI's bar, say) hears how far the run is; the run's own record hears
    it too, so that the "Ajot" page shows a running job's phase.

    After a run that did not fail, the jobs of the entry's `then` run, each recorded as its
    own run (trigger "after:NAME"); their failure never changes this run's report. Their
    reports are in the returned report's `followed_by` (not stored with this run)."""
    pipeline = PIPELINES[name]  # KeyError for an unknown name
    report = _run_locked(
        db, settings, pipeline, source=source, trigger=trigger, progress=progress, **options
    )
    if report.status != "failed":
        for follower in pipeline.then:
            follow = _run_follower(db, settings, follower, after=name, progress=progress)
            if follow is not None:
                report.followed_by.append(follow)
    return report


def _run_follower(
    db: Database, settings: Settings, name: str, *, after: str, progress: Progress | None
) -> RunReport | None:
    """Run `name` after `after`; None when it could not start (already running elsewhere)."""
    try:
        return run_pipeline(db, settings, name, trigger=f"after:{after}", progress=progress)
    except JobLocked as exc:
        log.info("%s after %s skipped: already running in %s", name, after, exc.holder)
    except Exception:  # e.g. the database lock: the earlier run stays as it was recorded
        log.exception("%s after %s could not run", name, after)
    return None


def _run_locked(
    db: Database,
    settings: Settings,
    pipeline: Pipeline,
    *,
    source: str | Path | None,
    trigger: str,
    progress: Progress | None,
    **options: Any,
) -> RunReport:
    name = pipeline.name
    holder = lock_holder()
    acquire_lock(db, f"pipeline:{name}", holder=holder, ttl=pipeline.lock_ttl)
    report = RunReport(name)
    try:
        # Holding the lock, no other run of this pipeline can be alive: close leftovers.
        mark_abandoned_runs(db, pipeline=name)
        run_id = start_run(db, name, trigger=trigger, source=str(source) if source else None)
        try:
            hook = combined(RunProgress(db, run_id), progress)
            report = pipeline.run(
                db, settings, source=source, run_id=run_id, progress=hook, **options
            )
        except Exception as exc:  # recorded, never silent: the run log is where admins look
            log.exception("pipeline %s crashed", name)
            report = RunReport(name)
            report.fail(f"Odottamaton virhe: {type(exc).__name__}: {exc}")
        finish_run(db, run_id, report)
    finally:
        release_lock(db, f"pipeline:{name}", holder=holder)
    return report
