"""Page data for each role's front page: leadership's own municipalities, the frontline's
replies to its observations, and the backbone team's county overview.

Every list is built from the views the other pages use (`views.weak_signals_for`,
`emerging_views.emerging_for`, `review.work_list`, `review.what_changed`), so a front page
shows nothing its own pages would not: the same scoping (`review.can_view`) and the same
disclosure of small counts. The county overview counts signals and themes, never
observations, so it has no small counts of people to hide.

What is "new" on leadership's page is measured against the user's previous visit of the
page (`home_visits`, migration 0013): a phenomenon created, or a theme first flagged,
after it.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from nakyma import review
from nakyma.accounts import User
from nakyma.db import now_utc, write_transaction
from nakyma.emerging_views import emerging_for
from nakyma.regions import Region
from nakyma.views import weak_signals_for

log = logging.getLogger("nakyma.homes")

# Signal categories counted as current on the overview: a fading one is not news.
CURRENT_SIGNALS = frozenset({"heikko_signaali", "vahvistuva", "vakiintunut"})
CURRENT_THEMES = frozenset({"nouseva", "vahvistuva", "ennallaan"})
# What a frontline worker hears back: a leader's or the backbone team's word, and decisions.
REPLY_ACTIONS = frozenset({"comment", "status", "municipal_response"})


def last_home_visit(db: Database, user: User) -> str | None:
    """When the user last opened their front page (UTC ISO time), None the first time."""
    rows = list(db.query("select visited_at from home_visits where user_id = ?", [user.id]))
    return rows[0]["visited_at"] if rows else None


def record_home_visit(db: Database, user: User, *, at: str | None = None) -> None:
    """Remember this visit (one short write, like `review.mark_seen` on a phenomenon). A
    database too busy to take it does not fail the page: the visit is then not counted, and
    what was new stays marked new once more."""
    try:
        with write_transaction(db):
            db.table("home_visits").upsert(
                {"user_id": user.id, "visited_at": at or now_utc()}, pk="user_id"
            )
    except sqlite3.OperationalError as exc:
        log.warning("home visit of user %s not recorded: %s", user.id, exc)


@dataclass(frozen=True)
class OwnMunicipality:
    code: str
    name: str
    in_form: str
    signals: list[dict[str, Any]]
    themes: list[dict[str, Any]]


@dataclass(frozen=True)
class LeadershipHome:
    since: str | None  # the previous visit; None on the first
    municipalities: list[OwnMunicipality]
    new_count: int  # signals and themes new since the previous visit
    work_list: list[dict[str, Any]]  # the top of the work list
    work_list_total: int
    replies: list[dict[str, Any]]  # recent decisions and comments on its phenomena


def _created_at(db: Database, pids: list[int]) -> dict[int, str]:
    if not pids:
        return {}
    rows = db.execute(
        f"select id, created_at from phenomena where id in ({','.join('?' * len(pids))})", pids
    ).fetchall()
    return {r[0]: r[1] or "" for r in rows}


def leadership_home(
    db: Database,
    region: Region,
    user: User,
    *,
    since: str | None,
    k: int = 5,
    limit: int = 10,
    top: int = 5,
    language: str = "fi",
) -> LeadershipHome:
    """Leadership's "Omat kunnat": per own municipality its weak signals and emerging themes,
    those new since `since` first (each marked `new`; nothing is on the first visit), then
    the top of its work list and the latest decisions and comments on the phenomena it may
    view. Weak signals' and themes' sentences are in `language`."""
    own: list[OwnMunicipality] = []
    new_count = 0
    for code in sorted(user.municipalities, key=lambda c: region.municipality(c).name):
        m = region.municipality(code)
        signals = weak_signals_for(
            db, region, user, municipality=code, limit=limit, k=k, language=language
        )
        created = _created_at(db, [s["phenomenon_id"] for s in signals])
        for s in signals:
            s["new"] = since is not None and created.get(s["phenomenon_id"], "") > since
        themes = emerging_for(
            db, region, user, area_kind="kunta", area_code=code, k=k, language=language
        )[:limit]
        for t in themes:
            # first_seen is a run's as-of date: new when on or after the visit's day
            t["new"] = since is not None and (t["first_seen"] or "") >= since[:10]
        signals.sort(key=lambda s: not s["new"])  # stable: best first within each
        themes.sort(key=lambda t: not t["new"])
        new_count += sum(s["new"] for s in signals) + sum(t["new"] for t in themes)
        own.append(OwnMunicipality(m.code, m.name, m.in_form, signals, themes))
    work = review.work_list(db, region, user, k=k)
    return LeadershipHome(
        since=since,
        municipalities=own,
        new_count=new_count,
        work_list=work[:top],
        work_list_total=len(work),
        replies=review.what_changed(db, user, region=region, limit=top),
    )


def replies_to_observations(
    db: Database, region: Region, user: User, *, limit: int = 20
) -> list[dict[str, Any]]:
    """ "Vastaukset havaintoihisi": on the phenomena the user's own observations joined,
    comments by leadership or the backbone team and changes of status or of a
    municipality's response, newest first. Each row is a `review.what_changed` row with
    `body` (a comment's text) and `author_role` added."""
    mine = {p["id"] for p in review.my_observations_with_phenomena(db, user).values()}
    if not mine:
        return []
    out: list[dict[str, Any]] = []
    for row in review.what_changed(db, user, region=region, limit=limit * 10):
        if row["action"] not in REPLY_ACTIONS or row["phenomenon_id"] not in mine:
            continue
        row = {**row, "body": None, "author_role": None}
        if row["action"] == "comment":
            found = list(
                db.query(
                    "select c.body, u.role from comments c join users u on u.id = c.user_id "
                    "where c.id = ?",
                    [row["details"].get("comment")],
                )
            )
            if not found or found[0]["role"] == "havainnoija":
                continue  # a colleague's comment is not a reply
            row["body"], row["author_role"] = found[0]["body"], found[0]["role"]
        out.append(row)
        if len(out) >= limit:
            break
    return out


@dataclass(frozen=True)
class MunicipalityTile:
    code: str
    name: str
    group: str
    signals: int  # current weak signals the user may open
    themes: int  # open emerging themes flagged there


@dataclass(frozen=True)
class CountyOverview:
    region: str
    grouping: str
    tiles: list[MunicipalityTile]
    signals: list[dict[str, Any]]  # the county's top weak signals
    themes: list[dict[str, Any]]  # the county's top emerging themes
    totals: dict[str, int] = field(default_factory=dict)


def county_overview(
    db: Database, region: Region, user: User, *, k: int = 5, top: int = 8, language: str = "fi"
) -> CountyOverview:
    """The backbone team's front page: per municipality its number of current weak signals
    and emerging themes (counts of signals, not of observations), and the county's top
    signals and themes (their sentences in `language`)."""
    grouping = next(g for g in region.groupings if g.key == region.default_grouping)
    group_of = {code: g.name for g in grouping.groups for code in g.members}
    tiles = []
    for m in region.municipalities:
        signals = weak_signals_for(db, region, user, municipality=m.code, limit=10_000, k=k)
        themes = emerging_for(
            db, region, user, area_kind="kunta", area_code=m.code, k=k, limit=10_000
        )
        tiles.append(
            MunicipalityTile(
                code=m.code,
                name=m.name,
                group=group_of.get(m.code, ""),
                signals=sum(s["category"] in CURRENT_SIGNALS for s in signals),
                themes=sum(t["category"] in CURRENT_THEMES for t in themes),
            )
        )
    return CountyOverview(
        region=region.name,
        grouping=grouping.title,
        tiles=tiles,
        signals=weak_signals_for(db, region, user, limit=top, k=k, language=language),
        themes=emerging_for(db, region, user, k=k, limit=top, language=language),
        totals={
            "signals": sum(t.signals for t in tiles),
            "themes": sum(t.themes for t in tiles),
            "active": sum(1 for t in tiles if t.signals or t.themes),
        },
    )
