"""Page data: one typed function per page, used by the HTML page and its JSON twin alike."""

from __future__ import annotations

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
