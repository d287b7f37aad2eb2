"""Phenomena pipeline: embed what is new, re-cluster, link indicators, score weak signals.

`run` is the full run (nightly, or `nakyma run phenomena`); `run_incremental` embeds new
items and gives them the nearest phenomenon between full runs (every few minutes).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from nakyma.config import Settings
from nakyma.embedding import Embedder, embed_pending, get_embedder
from nakyma.emerging import EmergingParams, run_emerging
from nakyma.phenomena import (
    ClusterParams,
    assign_incrementally,
    ensure_indicator_vectors,
    ensure_list_vectors,
    run_clustering,
    suggest_indicator_links,
)
from nakyma.progress import Progress, tell
from nakyma.regions import load_region
from nakyma.runs import RunReport
from nakyma.signals import SignalParams, compute_weak_signals


def run(
    db: Database,
    settings: Settings,
    *,
    source: str | Path | None = None,
    as_of: date | None = None,
    embedder: Embedder | None = None,
    params: ClusterParams | None = None,
    run_id: int | None = None,
    progress: Progress | None = None,
    **_: Any,
) -> RunReport:
    """Full run. `as_of` makes the weak signals reproducible for a past date. `progress`
    hears each phase, and the embedding item by item (`nakyma.progress`)."""
    report = RunReport("phenomena")
    embedder = embedder or get_embedder(settings)
    region = load_region(settings.region_file)
    embedded = embed_pending(db, embedder, progress=progress)
    tell(progress, "indicator_vectors", 0)
    ensure_indicator_vectors(db, embedder)
    ensure_list_vectors(db, embedder)
    tell(progress, "cluster", 0)
    result = run_clustering(
        db,
        embedder.name,
        params=params or ClusterParams.from_settings(settings),
        run_id=run_id,
        embedder=embedder,
    )
    tell(progress, "links", 0)
    links = suggest_indicator_links(db, embedder.name)
    tell(progress, "signals", 0)
    signals = compute_weak_signals(
        db, region, as_of=as_of or settings.today(), params=SignalParams.from_settings(settings)
    )
    tell(progress, "emerging", 0)
    emerging = run_emerging(
        db,
        region,
        model=embedder.name,
        as_of=as_of or settings.today(),
        params=EmergingParams.from_settings(settings),
        embedder=embedder,
    )
    report.count(added=result.new, updated=result.continued)
    report.details = {
        "embedded": embedded,
        "model": embedder.name,
        **result.as_dict(),
        "indicator_links": links.suggested,
        "link_model": links.as_dict(),
        "weak_signals": signals,
        "emerging_themes": emerging,
        "as_of": (as_of or settings.today()).isoformat(),
    }
    if result.items and result.unassigned_share > 0.2:
        report.warnings.append(
            f"Ilmiöiden ulkopuolelle jäi {result.unassigned_share:.0%} aineistosta."
        )
    return report


def run_incremental(
    db: Database,
    settings: Settings,
    *,
    source: str | Path | None = None,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
    **_: Any,
) -> RunReport:
    """Embed new items and attach them to the nearest phenomenon when similar enough."""
    report = RunReport("embed")
    embedder = embedder or get_embedder(settings)
    embedded = embed_pending(db, embedder, progress=progress)
    assigned, waiting = assign_incrementally(
        db, embedder.name, params=ClusterParams.from_settings(settings)
    )
    report.count(added=assigned, skipped=waiting)
    report.details = {"embedded": embedded, "assigned": assigned, "waiting": waiting}
    return report
