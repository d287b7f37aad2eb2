"""Indicator pipeline (THL Sotkanet) — placeholder until the client lands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlite_utils import Database

from nakyma.config import Settings
from nakyma.runs import RunReport


def run(
    db: Database, settings: Settings, *, source: str | Path | None = None, **options: Any
) -> RunReport:
    report = RunReport("indicators")
    report.fail("Indikaattoriputkea ei ole vielä toteutettu.")
    return report
