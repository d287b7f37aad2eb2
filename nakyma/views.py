"""Page data: one typed function per page, used by the HTML page and its JSON twin alike."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from sqlite_utils import Database

from nakyma.accounts import User
from nakyma.observations import count_observations, counts_by_municipality, list_observations
from nakyma.regions import Region


@dataclass(frozen=True)
class MunicipalityCount:
    code: str
    name: str
    in_form: str
    observations: int


@dataclass(frozen=True)
class GroupCounts:
    key: str
    name: str
    observations: int
    municipalities: list[MunicipalityCount]


@dataclass(frozen=True)
class RegionOverview:
    region: str
    grouping: str
    grouping_title: str
    groupings: list[dict[str, str]]
    observations: int
    groups: list[GroupCounts]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def region_overview(db: Database, region: Region, *, grouping: str | None = None) -> RegionOverview:
    """Municipalities by group, with their observation counts."""
    chosen = region.grouping(grouping)
    counts = counts_by_municipality(db)
    groups = []
    for group in chosen.groups:
        members = [
            MunicipalityCount(m.code, m.name, m.in_form, counts.get(m.code, 0))
            for m in sorted((region.municipality(c) for c in group.members), key=lambda m: m.name)
        ]
        groups.append(
            GroupCounts(group.key, group.name, sum(m.observations for m in members), members)
        )
    return RegionOverview(
        region=region.name,
        grouping=chosen.key,
        grouping_title=chosen.title,
        groupings=[{"key": g.key, "title": g.title} for g in region.groupings],
        observations=sum(counts.values()),
        groups=groups,
    )


@dataclass(frozen=True)
class MyObservations:
    total: int
    page: int
    pages: int
    observations: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def my_observations(
    db: Database, region: Region, user: User, *, page: int = 1, per_page: int = 50
) -> MyObservations:
    """The signed-in user's own submissions, newest first."""
    total = count_observations(db, created_by=user.id)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = list_observations(
        db, region, created_by=user.id, limit=per_page, offset=(page - 1) * per_page
    )
    return MyObservations(total=total, page=page, pages=pages, observations=rows)


def _headline_codes(db: Database, guids: list[str]) -> dict[str, list[str]]:
    codes: dict[str, list[str]] = {g: [] for g in guids}
    if guids:
        marks = ",".join("?" * len(guids))
        for guid, code in db.execute(
            f"select guid, municipality_code from headline_municipalities where guid in ({marks}) "
            "order by municipality_code",
            guids,
        ).fetchall():
            codes[guid].append(code)
    return codes


def latest_headlines(
    db: Database, region: Region, *, municipality: str | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    """Newest first; with `municipality` (a code), only headlines tagged with it."""
    if municipality:
        rows = list(
            db.query(
                "select h.* from headlines h join headline_municipalities m on m.guid = h.guid "
                "where m.municipality_code = ? order by h.published desc, h.guid limit ?",
                [municipality, limit],
            )
        )
    else:
        rows = list(
            db.query("select * from headlines order by published desc, guid limit ?", [limit])
        )
    codes = _headline_codes(db, [r["guid"] for r in rows])
    return [
        {
            "guid": row["guid"],
            "title": row["title"],
            "teaser": row["teaser"],
            "link": row["link"],
            "published": row["published"],
            "categories": json.loads(row["categories"] or "[]"),
            "municipalities": [region.municipality(c).name for c in codes[row["guid"]]],
        }
        for row in rows
    ]


def headlines_for_export(db: Database, region: Region, *, limit: int = 100_000) -> list[dict]:
    """Rows for `nakyma export headlines`: municipalities as nominative names joined by ';'."""
    return [
        {**h, "municipalities": ";".join(h["municipalities"]), "published": h["published"] or ""}
        for h in latest_headlines(db, region, limit=limit)
    ]


def municipality_overview(db: Database, region: Region, code: str) -> dict[str, Any]:
    """Everything the municipality page shows: counts, indicator series and signals,
    and the latest headlines tagged with the municipality. Raises KeyError if unknown."""
    from nakyma.indicators import list_signals, municipality_series

    municipality = region.municipality(code)
    group = region.group_of(code)
    observations = db.execute(
        "select count(*) from observations where municipality_code = ?", [code]
    ).fetchone()[0]
    signals = list_signals(db, region, municipality=code)
    return {
        "municipality": {
            "code": municipality.code,
            "name": municipality.name,
            "in_form": municipality.in_form,
            "from_form": municipality.from_form,
            "genitive": municipality.genitive,
            "partitive": municipality.partitive,
            "population": municipality.population,
        },
        "group": {"key": group.key, "name": group.name},
        "observations": observations,
        "signals": signals,
        "series": municipality_series(db, region, code),
        "headlines": latest_headlines(db, region, municipality=code, limit=15),
    }


def runs_overview(db: Database, *, limit: int = 50) -> dict[str, Any]:
    """The "Ajot" page: recent runs of every pipeline, newest first, and feed states."""
    from nakyma.runs import list_runs

    return {
        "runs": list_runs(db, limit=limit),
        "feeds": list(db.query("select * from feed_state order by url")),
    }
