"""The pipeline registry: one place that maps names to `run`, used by the CLI, the
scheduler and the tests alike. Every run is recorded and holds the job's lock."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from nakyma.config import Settings
from nakyma.runs import (
    RunReport,
    acquire_lock,
    finish_run,
    lock_holder,
    release_lock,
    start_run,
)
from pipelines import indicators, news, phenomena

log = logging.getLogger("nakyma.pipelines")

PIPELINES: dict[str, Callable[..., RunReport]] = {
    "news": news.run,
    "indicators": indicators.run,
    "phenomena": phenomena.run,
    "embed": phenomena.run_incremental,
}

# A lock outlives a crashed holder by this much at most.
LOCK_TTL: dict[str, timedelta] = {
    "news": timedelta(minutes=30),
    "indicators": timedelta(hours=6),
    "phenomena": timedelta(hours=2),
    "embed": timedelta(hours=1),
}


def run_pipeline(
    db: Database,
    settings: Settings,
    name: str,
    *,
    source: str | Path | None = None,
    trigger: str = "cli",
    **options: Any,
) -> RunReport:
    """Run one pipeline under its lock and record the run. Raises JobLocked if it is
    already running elsewhere; an unexpected error is recorded as a failed run."""
    if name not in PIPELINES:
        raise KeyError(name)
    holder = lock_holder()
    acquire_lock(db, f"pipeline:{name}", holder=holder, ttl=LOCK_TTL.get(name, timedelta(hours=1)))
    report = RunReport(name)
    try:
        run_id = start_run(db, name, trigger=trigger, source=str(source) if source else None)
        try:
            fn = PIPELINES[name]
            if "run_id" in inspect.signature(fn).parameters:
                options["run_id"] = run_id  # what the pipeline writes can name its run
            report = fn(db, settings, source=source, **options)
        except Exception as exc:  # recorded, never silent: the run log is where admins look
            log.exception("pipeline %s crashed", name)
            report = RunReport(name)
            report.fail(f"Odottamaton virhe: {type(exc).__name__}: {exc}")
        finish_run(db, run_id, report)
    finally:
        release_lock(db, f"pipeline:{name}", holder=holder)
    return report
