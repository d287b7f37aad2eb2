"""Page data: one typed function per page, used by the HTML page and its JSON twin alike.

The phenomenon page's data, its review tools included (statuses, next statuses, history,
comments, merge targets), is one `PhenomenonPage` from `phenomenon_detail`; the
decisions its forms send are made in `nakyma.review`."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from typing import Any

from sqlite_utils import Database

from nakyma import i18n, review
from nakyma.accounts import User
from nakyma.disclosure import disclose_line, hidden_size_text
from nakyma.observations import count_observations, counts_by_municipality, list_observations
from nakyma.phenomena import active_phenomena
from nakyma.regions import Region
from nakyma.review import exact_count_scope
from nakyma.signals import CATEGORY_LABELS, stored_row_reasons


@dataclass(frozen=True)
class MunicipalityCount:
    code: str
    name: str
    in_form: str
    observations: int | None  # None when hidden by disclosure control
    shown: str  # what to print: the count, "<5" or ".."


@dataclass(frozen=True)
class GroupCounts:
    key: str
    name: str
    observations: int | None
    shown: str
    municipalities: list[MunicipalityCount]


@dataclass(frozen=True)
class RegionOverview:
    region: str
    grouping: str
    grouping_title: str
    groupings: list[dict[str, str]]
    observations: int | None
    groups: list[GroupCounts]
    disclosure_k: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def region_overview(
    db: Database,
    region: Region,
    *,
    grouping: str | None = None,
    k: int = 5,
    exact: Collection[str] = (),
) -> RegionOverview:
    """Municipalities by group with their observation counts, disclosure-controlled: this
    view reaches every user of the region, so counts 1..k-1 show as "<k" and enough other
    cells are hidden that no hidden count can be worked out from the group totals.
    `exact`: municipalities whose counts the reader knows anyway (a leader's own,
    `exact_count_scope`): shown exactly, and the others protected against them too."""
    from nakyma.disclosure import suppress

    chosen = region.grouping(grouping)
    counts = counts_by_municipality(db)
    members = [
        sorted((region.municipality(c) for c in group.members), key=lambda m: m.name)
        for group in chosen.groups
    ]
    values = [[counts.get(m.code, 0) for m in ms] for ms in members]
    known_cells = [[(0, j) for j, m in enumerate(ms) if m.code in exact] for ms in members]
    # A group total is known when all its municipalities are; the county total never is
    # (unless every municipality is).
    known_groups = [
        (0, g) for g, ms in enumerate(members) if ms and all(m.code in exact for m in ms)
    ]
    # Two levels of totals (municipalities → group, groups → county): suppress each level
    # and pass hidden group totals between them until neither level hides anything new.
    hidden_groups: set[int] = set()
    for _ in range(5):
        tables = [
            suppress(
                [row],
                k,
                hide=[(0, len(row))] if g in hidden_groups else [],
                known=known_cells[g] + ([(0, len(row))] if (0, g) in known_groups else []),
            )
            for g, row in enumerate(values)
        ]
        now_hidden = {g for g, t in enumerate(tables) if t.total.hidden}
        county = suppress(
            [[sum(row) for row in values]],
            k,
            hide=[(0, g) for g in now_hidden],
            known=known_groups,
        )
        now_hidden |= {g for g, c in enumerate(county.cells[0]) if c.hidden}
        if now_hidden == hidden_groups:
            break
        hidden_groups = now_hidden
    groups = []
    for group, ms, table in zip(chosen.groups, members, tables, strict=True):
        total = table.total
        groups.append(
            GroupCounts(
                group.key,
                group.name,
                None if total.hidden else total.value,
                total.text,
                [
                    MunicipalityCount(
                        m.code, m.name, m.in_form, None if c.hidden else c.value, c.text
                    )
                    for m, c in zip(ms, table.cells[0], strict=True)
                ],
            )
        )
    return RegionOverview(
        region=region.name,
        grouping=chosen.key,
        grouping_title=chosen.title,
        groupings=[{"key": g.key, "title": g.title} for g in region.groupings],
        observations=None if county.total.hidden else county.total.value,
        groups=groups,
        disclosure_k=k,
    )


@dataclass(frozen=True)
class MyObservations:
    total: int
    page: int
    pages: int
    observations: list[dict[str, Any]]
    filters: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _iso_date(value: str) -> str | None:
    """A date typed as 2026-11-22 or 22.11.2026, as ISO; None when it is not a date."""
    value = value.strip()
    try:
        if "." in value:
            day, month, year = value.split(".")
            return date(int(year), int(month), int(day)).isoformat()
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return None


def observation_filters(
    region: Region,
    *,
    municipality: str = "",
    date_from: str = "",
    date_to: str = "",
    contains: str = "",
) -> tuple[dict[str, str], dict[str, str]]:
    """The "Omat havainnot" filter as typed, checked: (filters as query values, with a
    municipality as its code and dates as ISO; errors in Finnish by field)."""
    filters: dict[str, str] = {}
    errors: dict[str, str] = {}
    if municipality.strip():
        found = region.resolve(municipality)
        if found is None:
            errors["kunta"] = f"Kuntaa ”{municipality.strip()}” ei ole alueella."
        else:
            filters["kunta"] = found.code
    for key, value, label in (("alkaen", date_from, "Alkupäivä"), ("asti", date_to, "Loppupäivä")):
        if value.strip():
            iso = _iso_date(value)
            if iso is None:
                errors[key] = f"{label} ei ole päivämäärä. Kirjoita muodossa 22.11.2026."
            else:
                filters[key] = iso
    if "alkaen" in filters and "asti" in filters and filters["alkaen"] > filters["asti"]:
        errors["asti"] = "Loppupäivä on ennen alkupäivää."
    text = " ".join(contains.split())
    if len(text) > 200:
        errors["sisaltaa"] = "Hakuteksti on liian pitkä (enintään 200 merkkiä)."
    elif text:
        filters["sisaltaa"] = text
    return filters, errors


def my_observations(
    db: Database,
    region: Region,
    user: User,
    *,
    page: int = 1,
    per_page: int = 50,
    filters: dict[str, str] | None = None,
) -> MyObservations:
    """The signed-in user's own submissions, newest first, narrowed by `filters` (from
    `observation_filters`: kunta, alkaen, asti, sisaltaa)."""
    f = filters or {}
    where: dict[str, Any] = {
        "created_by": user.id,
        "municipality_code": f.get("kunta"),
        "date_from": f.get("alkaen"),
        "date_to": f.get("asti"),
        "contains": f.get("sisaltaa"),
    }
    total = count_observations(db, **where)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = list_observations(db, region, **where, limit=per_page, offset=(page - 1) * per_page)
    return MyObservations(total=total, page=page, pages=pages, observations=rows, filters=dict(f))


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


def municipality_overview(
    db: Database,
    region: Region,
    code: str,
    user: User,
    *,
    k: int = 5,
    this_year: int | None = None,
    language: str = "fi",
) -> dict[str, Any]:
    """Everything the municipality page shows: counts, weak signals and emerging themes with
    the time of the last phenomena run (None: never computed), indicator signals, indicator
    series grouped by theme (`nakyma.indicator_groups`; `this_year` judges stale series,
    default the current year), and the latest headlines tagged with the municipality. Raises
    KeyError if unknown. The observation count and the weak signals follow the one scoping
    rule: exact only in the user's own municipalities (`exact_count_scope`), phenomena only
    those the user may open. The indicator signals' sentences, the charts' notes and the weak
    signals' and themes' sentences are in `language`."""
    from nakyma.disclosure import published_count
    from nakyma.emerging_views import emerging_for
    from nakyma.indicator_groups import indicator_groups
    from nakyma.indicators import list_signals, municipality_series

    municipality = region.municipality(code)
    group = region.group_of(code)
    observations = db.execute(
        "select count(*) from observations where municipality_code = ?", [code]
    ).fetchone()[0]
    signals = list_signals(db, region, municipality=code, language=language)
    series = municipality_series(db, region, code)
    worsening = [s["indicator_id"] for s in signals if s["direction"] == "worse"]
    year = this_year if this_year is not None else date.today().year
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
        "observations": observations if code in exact_count_scope(user) else None,
        "observations_shown": (
            str(observations)
            if code in exact_count_scope(user)
            else published_count(observations, k)
        ),
        "signals": signals,
        "series": series,
        "indicator_groups": indicator_groups(
            series, worsening, municipality, this_year=year, language=language
        ),
        "phenomena_computed_at": last_computed(db, "phenomena"),
        "weak_signals": weak_signals_for(
            db, region, user, municipality=code, k=k, language=language
        ),
        "emerging": emerging_for(
            db, region, user, area_kind="kunta", area_code=code, k=k, language=language
        ),
        "headlines": latest_headlines(db, region, municipality=code, limit=15),
    }


def last_computed(db: Database, pipeline: str) -> str | None:
    """When the pipeline's latest run that stored results (status ok or partial) finished;
    None if it never has."""
    row = db.execute(
        "select finished_at from runs where pipeline = ? and status in ('ok', 'partial') "
        "order by id desc limit 1",
        [pipeline],
    ).fetchone()
    return row[0] if row else None


def runs_overview(db: Database, *, limit: int = 50, language: str = "fi") -> dict[str, Any]:
    """The "Ajot" page: recent runs of every pipeline, newest first, and feed states.
    A running run carries `progress_text`, its latest progress as one line in `language`."""
    from nakyma.progress import describe
    from nakyma.runs import list_runs

    runs = list_runs(db, limit=limit)
    for run in runs:
        latest = run["details"].get("progress") if run["status"] == "running" else None
        run["progress_text"] = (
            describe(latest["phase"], latest["done"], latest["total"], language=language)
            if latest
            else None
        )
    return {"runs": runs, "feeds": list(db.query("select * from feed_state order by url"))}


# --- phenomena, weak signals and search -------------------------------------------------


def observation_visible(user: User, row: dict[str, Any]) -> bool:
    """Who may read an observation's text: its writer; leadership of its municipality;
    the backbone team and admins for the whole region."""
    if user.sees_whole_region:
        return True
    if row.get("created_by") == user.id:
        return True
    return user.role == "johto" and row.get("municipality_code") in user.municipalities


def _known(region: Region, code: str | None) -> bool:
    """Is this a municipality code of the region? (Stale rows may carry other codes.)"""
    try:
        region.municipality(code or "")
    except KeyError:
        return False
    return True


def _month_counts(dates: list[str], months: int = 12, *, until: str | None = None) -> list[int]:
    from datetime import date as _date

    end = _date.fromisoformat(until) if until else _date.today()
    keys = []
    y, m = end.year, end.month
    for _ in range(months):
        keys.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    keys.reverse()
    counts = dict.fromkeys(keys, 0)
    for d in dates:
        if d and d[:7] in counts:
            counts[d[:7]] += 1
    return [counts[k] for k in keys]


@dataclass(frozen=True)
class ReviewTools:
    """The phenomenon page's review part: what the user may do, and the thread."""

    can_manage: bool  # region-wide curation (see nakyma.review)
    respond_for: list[dict[str, str]]  # own municipalities whose response the user records
    statuses: dict[str, str]  # every status and its Finnish label
    next_statuses: tuple[str, ...]  # where the status may move from here
    history: list[dict[str, Any]]  # status changes, oldest first
    comments: list[dict[str, Any]]  # the comment thread, oldest first
    others: list[dict[str, Any]]  # active phenomena the user may merge into or move items to


@dataclass(frozen=True)
class PhenomenonPage:
    """The phenomenon page's data; `as_dict()` is its JSON twin (GET /api/phenomena/{id})."""

    id: int
    title: str
    title_auto: str | None
    status: str
    dismissed: bool
    merged_into: int | None
    summary: str | None
    keywords: list[str]
    size: int | None  # None when the disclosure rule hides it from this user
    size_shown: str
    first_seen: str | None
    last_seen: str | None
    counts: dict[str, int | None]  # members per kind: observation (None if hidden), headline
    counts_shown: dict[str, str]
    # Members per month over the last 12 months, per kind; for a user who does not read the
    # whole region, only the observations they may read ("readable"), else all ("all").
    timeline: dict[str, list[int]]
    timeline_scope: str
    # code, name, count of observations (None if hidden) and shown, headlines; most first
    municipalities: list[dict[str, Any]]
    responses: list[dict[str, Any]]  # each municipality's own response, side by side
    observations: list[dict[str, Any]]  # those the user may read
    hidden_observations: int  # how many the user may not read
    headlines: list[dict[str, Any]]
    indicators: list[dict[str, Any]]  # suggested and accepted links, accepted first
    lineage: list[dict[str, Any]]  # merges and splits, newest first
    review: ReviewTools
    # The phenomenon's weak signal in each municipality and in the county: category and
    # reasons, under the disclosure rule outside the user's own municipalities.
    signals: list[dict[str, Any]] = field(default_factory=list)
    # "Sotkanetissa olisi myös": indicators outside the catalogue that would fit, when none
    # in the catalogue did (nakyma.phenomena._suggest_from_list).
    beyond: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The JSON twin: everything but the review tools, which only the page shows."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "review"}


def phenomenon_detail(
    db: Database,
    region: Region,
    phenomenon_id: int,
    user: User,
    *,
    today: str | None = None,
    k: int = 5,
    language: str = "fi",
) -> PhenomenonPage:
    """The phenomenon page's data. Raises KeyError when there is no such phenomenon.
    Members whose item no longer exists are left out; counts per municipality follow
    the disclosure rule outside the user's own municipalities (`exact_count_scope`)."""
    rows = list(db.query("select * from phenomena where id = ?", [phenomenon_id]))
    if not rows:
        raise KeyError(phenomenon_id)
    p = rows[0]
    members = _members(db, phenomenon_id)
    observations = [m for m in members if m["item_kind"] == "observation"]
    headlines = [m for m in members if m["item_kind"] == "headline"]
    by_code = Counter(m["municipality_code"] for m in observations)
    news_by_code: Counter[str] = Counter()
    for guid_codes in _headline_codes(db, [h["item_key"] for h in headlines]).values():
        news_by_code.update(guid_codes)
    visible = [o for o in observations if observation_visible(user, o)]
    # Observation counts outside the user's own municipalities follow the region page's rule,
    # the phenomenon's own total included (a total minus the shown counts must not give a
    # hidden one away); `review.disclosed_sizes` applies the same line to lists. Headlines
    # are public: their counts are exact.
    line = disclose_line(
        {c or "": n for c, n in by_code.items()},
        exact_count_scope(user),
        k,
        exact_total=user.sees_whole_region,
    )
    known = {c: by_code.get(c, 0) for c in {*by_code, *news_by_code} if c and _known(region, c)}
    n_obs = len(observations) if user.sees_whole_region else line.total
    n_obs_shown = str(n_obs) if n_obs is not None else line.total_shown
    size_shown = (
        str(n_obs + len(headlines))
        if n_obs is not None
        else hidden_size_text(line.total_shown, len(headlines), k)
    )
    timeline_obs = observations if user.sees_whole_region else visible
    return PhenomenonPage(
        id=p["id"],
        title=p["title"],
        title_auto=p["title_auto"],
        status=p["status"],
        dismissed=bool(p["dismissed"]),
        merged_into=p["merged_into"],
        summary=p["summary"],
        keywords=json.loads(p["keywords"] or "[]"),
        size=None if n_obs is None else n_obs + len(headlines),
        size_shown=size_shown,
        first_seen=p["first_seen"],
        last_seen=p["last_seen"],
        counts={"observation": n_obs, "headline": len(headlines)},
        counts_shown={"observation": n_obs_shown, "headline": str(len(headlines))},
        timeline={
            "observation": _month_counts([o["observed_on"] for o in timeline_obs], until=today),
            "headline": _month_counts(
                [(h["published"] or "")[:10] for h in headlines], until=today
            ),
        },
        timeline_scope="all" if user.sees_whole_region else "readable",
        municipalities=[
            {
                "code": c,
                "name": region.municipality(c).name,
                "count": n if line.shown.get(c, "0") == str(n) else None,
                "shown": line.shown.get(c, "0"),
                "headlines": news_by_code.get(c, 0),
            }
            for c, n in sorted(
                known.items(), key=lambda cn: (-cn[1], -news_by_code.get(cn[0], 0), cn[0])
            )
        ],
        responses=_responses(db, region, phenomenon_id),
        observations=[
            {
                "id": int(o["item_key"]),
                "text": o["text"],
                "observed_on": o["observed_on"],
                "municipality": region.municipality(o["municipality_code"]).name,
                "origin": o["origin"],
            }
            for o in visible
        ],
        hidden_observations=len(observations) - len(visible),
        headlines=[
            {
                "guid": h["item_key"],
                "title": h["title"],
                "link": h["link"],
                "published": h["published"],
            }
            for h in headlines
        ],
        indicators=_indicator_links(
            db, region, phenomenon_id, [c for c, _ in by_code.most_common() if c], language
        ),
        lineage=_lineage(db, phenomenon_id),
        review=_review_tools(db, region, user, phenomenon_id, p["status"]),
        signals=phenomenon_signals(db, region, user, phenomenon_id, k=k, language=language),
        beyond=_beyond_catalogue(db, phenomenon_id, language),
    )


def _members(db: Database, phenomenon_id: int) -> list[dict[str, Any]]:
    """A phenomenon's observations and headlines, newest first."""
    return list(
        db.query(
            "select m.item_kind, m.item_key, m.similarity, m.origin, o.text, o.observed_on, "
            "o.municipality_code, o.created_by, o.target_group, o.role, h.title, h.link, "
            "h.published from phenomenon_members m "
            "left join observations o on m.item_kind = 'observation' "
            "and o.id = cast(m.item_key as integer) "
            "left join headlines h on m.item_kind = 'headline' and h.guid = m.item_key "
            "where m.phenomenon_id = ? and (o.id is not null or h.guid is not null) "
            "order by coalesce(o.observed_on, substr(h.published, 1, 10)) desc, m.item_key",
            [phenomenon_id],
        )
    )


def _responses(db: Database, region: Region, phenomenon_id: int) -> list[dict[str, Any]]:
    return [
        {**r, "municipality": region.municipality(r["municipality_code"]).name}
        for r in review.municipal_responses(db, phenomenon_id)
        if _known(region, r["municipality_code"])
    ]


# How many of a phenomenon's municipalities a suggested indicator's latest values are shown for.
LINK_VALUE_AREAS = 3


def _indicator_links(
    db: Database,
    region: Region,
    phenomenon_id: int,
    codes: Sequence[str],
    language: str = "fi",
) -> list[dict[str, Any]]:
    """The phenomenon's accepted and suggested indicators, each with why it was suggested (the
    scoring's reasons in `language`, when the run stored them) and its latest values where
    the phenomenon is: its municipalities with most observations, then the county."""
    links = [
        dict(r)
        for r in db.query(
            "select l.*, i.title, i.short_title, i.title_sv, i.title_en, i.short_title_sv, "
            "i.short_title_en, i.unit, i.decimals "
            "from phenomenon_indicator_links l join indicators i on i.id = l.indicator_id "
            "where l.phenomenon_id = ? and l.decision != 'rejected' "
            "order by l.decision = 'accepted' desc, l.score is null, l.score desc, "
            "l.similarity desc",
            [phenomenon_id],
        )
    ]
    areas = [
        ("kunta", c, region.municipality(c).name_in(language)) for c in codes if _known(region, c)
    ]
    areas = areas[:LINK_VALUE_AREAS] + [("hyvinvointialue", region.code, region.name_in(language))]
    for link in links:
        # The stored JSON stays behind: readers (the page, the API) get the sentences.
        link["why"] = _link_reasons(link.pop("reasons", None), language)
        link.pop("features", None)
        link["latest"] = _latest_values(db, link, areas, language)
    return links


def _beyond_catalogue(db: Database, phenomenon_id: int, language: str) -> list[dict[str, Any]]:
    """The stored list's indicators suggested for the phenomenon, best first, with reasons."""
    rows = db.query(
        "select b.indicator_id, b.score, b.reasons, s.title, s.title_sv, s.title_en "
        "from phenomenon_list_suggestions b join sotkanet_indicators s on s.id = b.indicator_id "
        "where b.phenomenon_id = ? and b.indicator_id not in (select id from indicators) "
        "order by b.score desc, b.indicator_id",
        [phenomenon_id],
    )
    return [{**r, "why": _link_reasons(r.pop("reasons"), language)} for r in rows]


def _link_reasons(stored: str | None, language: str) -> list[str]:
    """A link's stored reasons ({"fi": [...], "sv": [...]}) in `language`, else Finnish."""
    if not stored:
        return []
    try:
        by_language = json.loads(stored)
    except ValueError:
        return []
    if not isinstance(by_language, dict):
        return []
    chosen = by_language.get(language) or by_language.get(i18n.SOURCE_LANGUAGE) or []
    return [str(r) for r in chosen]


def _latest_values(
    db: Database, link: Mapping[str, Any], areas: Sequence[tuple[str, str, str]], language: str
) -> list[dict[str, str]]:
    """The indicator's newest value in each area that has one, with the year before it: a
    leader sees where it stands and which way it went ("12,3 % (2024; 2023: 11,2 %)")."""
    from nakyma.indicators import format_value

    decimals = link["decimals"] if link["decimals"] is not None else 1
    out = []
    for kind, code, name in areas:
        rows = db.execute(
            "select year, value from indicator_values where indicator_id = ? and area_kind = ? "
            "and area_code = ? and gender = 'total' and value is not null "
            "order by year desc limit 2",
            [link["indicator_id"], kind, code],
        ).fetchall()
        if not rows:
            continue
        entry = {
            "area": name,
            "year": str(rows[0][0]),
            "value": format_value(rows[0][1], link["unit"], decimals, language),
        }
        if len(rows) > 1:
            entry["previous_year"] = str(rows[1][0])
            entry["previous"] = format_value(rows[1][1], link["unit"], decimals, language)
        out.append(entry)
    return out


def _lineage(db: Database, phenomenon_id: int) -> list[dict[str, Any]]:
    return list(
        db.query(
            "select kind, from_id, to_id, created_at from phenomenon_lineage "
            "where from_id = ? or to_id = ? order by id desc limit 20",
            [phenomenon_id, phenomenon_id],
        )
    )


def _review_tools(
    db: Database, region: Region, user: User, phenomenon_id: int, status: str
) -> ReviewTools:
    """The review part of the phenomenon page for this user; `status` is the current one."""
    can_manage = review.can_manage(db, user, phenomenon_id)
    others = []
    if can_manage:
        others = [
            r
            for r in active_phenomena(
                db, columns="id, title", order_by="title", exclude=phenomenon_id
            )
            if review.can_manage(db, user, r["id"])
        ]
    return ReviewTools(
        can_manage=can_manage,
        respond_for=[
            {"code": c, "name": region.municipality(c).name}
            for c in review.responding_municipalities(db, user, phenomenon_id)
            if _known(region, c)
        ],
        statuses=review.STATUSES,
        next_statuses=review.TRANSITIONS.get(status, ()),
        history=review.status_history(db, phenomenon_id),
        comments=review.comments(db, phenomenon_id),
        others=others,
    )


def weak_signals_for(
    db: Database,
    region: Region,
    user: User,
    *,
    municipality: str | None = None,
    limit: int = 20,
    k: int = 5,
    language: str = "fi",
) -> list[dict[str, Any]]:
    """Stored weak signals for a municipality (or the county), best first, page-ready: only
    of phenomena the user may open (`review.can_view`), and outside the user's own
    municipalities with their counts under the disclosure rule (`_disclosed_signal`); the
    sentences in `language` (Finnish for rows stored before they were translated)."""
    kind, code = ("kunta", municipality) if municipality else ("alue", region.code)
    rows = db.query(
        "select w.*, p.title from weak_signals w join phenomena p on p.id = w.phenomenon_id "
        "where w.area_kind = ? and w.area_code = ? and p.dismissed = 0 "
        "order by w.score desc, w.phenomenon_id",
        [kind, code],
    )
    scope = exact_count_scope(user)
    out: list[dict[str, Any]] = []
    for r in rows:
        if not review.can_view(db, user, r["phenomenon_id"]):
            continue
        out.append(_signal_row(r, exact=kind == "kunta" and code in scope, k=k, language=language))
        if len(out) >= limit:
            break
    return out


def phenomenon_signals(
    db: Database,
    region: Region,
    user: User,
    phenomenon_id: int,
    *,
    k: int = 5,
    language: str = "fi",
) -> list[dict[str, Any]]:
    """The stored weak signals of one phenomenon for the phenomenon page: the county's row
    first, then each municipality's by score, with the area's name; disclosed as in
    `weak_signals_for` (exact only in the user's own municipalities). Group rows are left
    out, as on the municipality pages. The caller has checked the user may view it."""
    rows = db.query(
        "select w.*, p.title from weak_signals w join phenomena p on p.id = w.phenomenon_id "
        "where w.phenomenon_id = ? and w.area_kind in ('alue', 'kunta') "
        "order by w.area_kind = 'kunta', w.score desc, w.area_code",
        [phenomenon_id],
    )
    scope = exact_count_scope(user)
    out = []
    for r in rows:
        if r["area_kind"] == "alue":
            if r["area_code"] != region.code:
                continue
            name = region.name_in(language)
        elif _known(region, r["area_code"]):
            name = region.municipality(r["area_code"]).name_in(language)
        else:
            continue
        exact = r["area_kind"] == "kunta" and r["area_code"] in scope
        out.append(
            {
                **_signal_row(r, exact=exact, k=k, language=language),
                "area_kind": r["area_kind"],
                "area_code": r["area_code"],
                "area_name": name,
                "category_label": CATEGORY_LABELS.get(r["category"], r["category"]),
            }
        )
    return out


def _signal_row(r: dict[str, Any], *, exact: bool, k: int, language: str = "fi") -> dict[str, Any]:
    """One stored weak-signal row, page-ready: plain and technical reasons apart (old rows
    split on reading) in `language`, disclosed outside the user's own municipalities."""
    plain, technical = stored_row_reasons(r, language)
    signal = {
        "phenomenon_id": r["phenomenon_id"],
        "title": r["title"],
        "category": r["category"],
        "score": r["score"],
        "reasons": plain,
        "technical": technical,
        "trend": json.loads(r["trend"] or "[]"),
        "sources": json.loads(r["sources"] or "{}"),
        "as_of": r["as_of"],
    }
    return signal if exact else _disclosed_signal(signal, k)


def _disclosed_signal(signal: dict[str, Any], k: int) -> dict[str, Any]:
    """A signal as it may be shown outside the user's own municipalities: counts 1..k-1 in
    its reasons written "<k", its supporting counts likewise, and its trend left out when
    any period holds such a small count (a bar chart would show it)."""
    from nakyma.disclosure import mask_small_counts, published_count

    trend = signal["trend"]
    return {
        **signal,
        "reasons": [mask_small_counts(str(t), k) for t in signal["reasons"]],
        "technical": [mask_small_counts(str(t), k) for t in signal["technical"]],
        "trend": [] if any(0 < int(v) < k for v in trend) else trend,
        "sources": {
            kind: n if not 0 < int(n) < k else published_count(int(n), k)
            for kind, n in signal["sources"].items()
        },
    }


# Below this cosine score (centred, bundled e5-small model) a hit is noise, not a match.
# Chosen on the demo (tests/conftest.py demo_template) from the best hit's score of each
# query: twelve real Finnish queries score 0.236-0.480 ("asunnottomuus" 0.236, "ikäihmisten
# kaatumiset" 0.246, "vanhusten kaatumiset" 0.253, "nuorten päihteet" 0.336, "lasten
# ylipaino" 0.480); nonsense scores 0.138-0.229 ("aaa bbb" 0.138, "asdf" 0.142, "abc" 0.194,
# "lorem ipsum" 0.198, "qwerty" 0.222, "hjkl" 0.229) except "xyz123" at 0.242. No single
# value separates them all: 0.23 drops every nonsense query but xyz123 and keeps every real
# one but the lone word "kaatumiset" (0.217). Re-measure when the model changes.
SEARCH_MIN_SCORE = 0.23


def search_results(
    db: Database,
    region: Region,
    embedder: Any,
    query: str,
    user: User,
    *,
    limit: int = 30,
    k: int = 5,
) -> list[dict[str, Any]]:
    """Semantic search over observations (those the user may read), headlines, phenomena;
    hits scoring below `SEARCH_MIN_SCORE` are left out, so nonsense finds nothing."""
    from nakyma.phenomena import search

    out: list[dict[str, Any]] = []
    for hit in search(db, embedder, query, limit=limit * 2):
        if hit.score < SEARCH_MIN_SCORE:
            break  # hits come best first
        if hit.kind == "observation":
            rows = list(db.query("select * from observations where id = ?", [int(hit.key)]))
            if not rows or not observation_visible(user, rows[0]):
                continue
            r = rows[0]
            out.append(
                {
                    "kind": "observation",
                    "score": hit.score,
                    "text": r["text"],
                    "municipality": region.municipality(r["municipality_code"]).name,
                    "date": r["observed_on"],
                    "phenomenon": _phenomenon_of(db, "observation", hit.key, user),
                }
            )
        elif hit.kind == "headline":
            rows = list(db.query("select * from headlines where guid = ?", [hit.key]))
            if rows:
                out.append(
                    {
                        "kind": "headline",
                        "score": hit.score,
                        "text": rows[0]["title"],
                        "link": rows[0]["link"],
                        "date": (rows[0]["published"] or "")[:10],
                        "phenomenon": _phenomenon_of(db, "headline", hit.key, user),
                    }
                )
        else:
            rows = list(
                db.query("select id, title, size from phenomena where id = ?", [int(hit.key)])
            )
            if rows and review.can_view(db, user, rows[0]["id"]):
                size, size_shown = review.disclosed_sizes(db, user, [rows[0]["id"]], k)[
                    rows[0]["id"]
                ]
                out.append(
                    {
                        "kind": "phenomenon",
                        "score": hit.score,
                        "text": rows[0]["title"],
                        "phenomenon": {"id": rows[0]["id"], "title": rows[0]["title"]},
                        "size": size,
                        "size_shown": size_shown,
                    }
                )
        if len(out) >= limit:
            break
    return out


def _phenomenon_of(db: Database, kind: str, key: str, user: User) -> dict[str, Any] | None:
    rows = list(
        db.query(
            "select p.id, p.title from phenomenon_members m join phenomena p "
            "on p.id = m.phenomenon_id where m.item_kind = ? and m.item_key = ?",
            [kind, key],
        )
    )
    if not rows or not review.can_view(db, user, rows[0]["id"]):
        return None
    return {"id": rows[0]["id"], "title": rows[0]["title"]}


def related_phenomenon(
    db: Database, user: User, phenomenon: str | int | None
) -> dict[str, Any] | None:
    """The phenomenon a new observation is written for ("Kirjoita havainto tähän ilmiöön"),
    as {"id", "title"}, if it exists and the user may see it; None otherwise."""
    try:
        pid = int(phenomenon or 0)
    except ValueError:
        return None
    row = db.execute("select id, title from phenomena where id = ?", [pid]).fetchone()
    if row is None or not review.can_view(db, user, pid):
        return None
    return {"id": row[0], "title": row[1]}
