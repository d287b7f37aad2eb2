"""Page data for emerging themes (nousevat teemat): the lists beside the weak signals and the
theme page, with the same scoping and disclosure rules as phenomena.

The detector (`nakyma.emerging`) stores each theme, its members and the areas where it is
flagged; the decisions on it (promote, attach, dismiss) are made in `nakyma.review`. Here:

- a theme the user may not open (`review.can_view_theme`) appears nowhere for them, its title
  included, and the earlier phenomena it is near are listed only when the user may open them;
- counts and reasons of an area are exact only in the user's own municipalities
  (`review.exact_count_scope`); elsewhere small counts are written "<k" as in weak signals
  (`disclosure.mask_small_counts`, `published_count`), and a theme's size follows the
  phenomenon page's rule (`disclosure.disclose_line`);
- member texts are shown as `views.observation_visible` allows (`review.item_visible`).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, fields
from typing import Any

from sqlite_utils import Database

from nakyma import i18n, review
from nakyma.accounts import User
from nakyma.disclosure import (
    DisclosedLine,
    counted_numbers,
    disclose_line,
    hidden_size_text,
    mask_small_counts,
    published_count,
)
from nakyma.emerging import stored_reasons
from nakyma.i18n import N_
from nakyma.phenomena import active_phenomena
from nakyma.regions import Region
from nakyma.review import exact_count_scope

CATEGORIES = {
    "nouseva": N_("Nouseva"),
    "vahvistuva": N_("Vahvistuva"),
    "ennallaan": N_("Ennallaan"),
    "hiipuva": N_("Hiipuva"),
}
DECISIONS = {
    "avoin": N_("Avoin"),
    "ylennetty": N_("Nostettu ilmiöksi"),
    "liitetty": N_("Liitetty ilmiöön"),
    "hylätty": N_("Hylätty"),
}
# Lists rank themes by their category in the area, then by score.
CATEGORY_ORDER = {"nouseva": 0, "vahvistuva": 1, "ennallaan": 2, "hiipuva": 3}


def _list(value: str | None) -> list[Any]:
    try:
        found = json.loads(value or "[]")
    except ValueError:
        return []
    return found if isinstance(found, list) else []


def area_name(region: Region, kind: str, code: str, language: str = "fi") -> str:
    """An area of `emerging_areas` by name in `language`: a municipality, a group or the
    county."""
    _ = i18n.translator(language)
    if kind == "kunta":
        try:
            return region.municipality(code).name_in(language)
        except KeyError:
            return code
    if kind == "kuntaryhma":
        for grouping in region.groupings:
            for group in grouping.groups:
                if group.key == code:
                    return _("kuntaryhmä %(name)s") % {"name": group.name}
        return code
    return region.name_in(language)


HIDDEN_COUNT = N_("ei näytetä")


def theme_line(db: Database, user: User, theme_id: int, k: int) -> DisclosedLine:
    """The theme's observations per municipality with their total, as this user may see
    them (the phenomenon page's rule): every count of the theme shown anywhere follows it."""
    counts = Counter(
        r[0] or ""
        for r in db.execute(
            "select o.municipality_code from emerging_members m join observations o "
            "on m.item_kind = 'observation' and o.id = cast(m.item_key as integer) "
            "where m.theme_id = ?",
            [theme_id],
        )
    )
    return disclose_line(
        dict(counts), exact_count_scope(user), k, exact_total=user.sees_whole_region
    )


def _without_counts(reasons: list[str]) -> list[str]:
    """The sentences that state no count: what is left when a count would give one away."""
    return [r for r in reasons if not counted_numbers(r) and "<" not in r]


def _known_exactly(region: Region, user: User, kind: str, code: str) -> bool:
    """Does the user know this area's count anyway: every municipality in it is its own
    (`exact_count_scope`)?"""
    own = exact_count_scope(user)
    if kind == "kunta":
        return code in own
    if kind == "kuntaryhma":
        members = {
            c
            for g in region.groupings
            for group in g.groups
            if group.key == code
            for c in group.members
        }
        return bool(members) and members <= own
    return bool(own) and {m.code for m in region.municipalities} <= own


def _line_hides(line: DisclosedLine) -> bool:
    """Does the theme's line hide any municipality's count (or its total) from this user?"""
    return line.total is None or any(not text.isdigit() for text in line.shown.values())


def theme_reasons(reasons: list[str], line: DisclosedLine, user: User, k: int) -> list[str]:
    """Sentences about the theme as a whole (they count several municipalities at once, "6
    havaintoa Jämsästä, … ja 4 havaintoa Keuruulta"): as written when every municipality is
    the user's own; without small counts when the line hides nothing; else only the sentences
    that state no count, since one stated count next to the others and a total could give a
    hidden one away."""
    if set(line.shown) <= exact_count_scope(user):
        return reasons
    if _line_hides(line):
        return _without_counts(reasons)
    return [mask_small_counts(r, k) for r in reasons]


def _disclosed_area(
    region: Region,
    row: dict[str, Any],
    user: User,
    k: int,
    line: DisclosedLine,
    language: str = "fi",
) -> dict[str, Any]:
    """One area row's count and reasons as this user may see them. A municipality: exact
    when it is the user's own, else as the theme's line shows it (its sentences without a
    count the line hides). A group or the county: its sentences are the theme's
    (`theme_reasons`); its count exact when every municipality in it is the user's own,
    shown when the line hides nothing, else not at all (a partial sum next to the shown
    counts could give a hidden one away)."""
    kind, code, items = row["area_kind"], row["area_code"], row["items"]
    reasons = stored_reasons(row["reasons"], row.get("reasons_i18n"), language)
    if kind == "kunta" and code in exact_count_scope(user):
        shown = str(items)
    elif kind == "kunta":
        shown = line.shown.get(code) or published_count(items, k)
        reasons = [mask_small_counts(r, k) for r in reasons]
        if shown != str(items) and not shown.startswith("<"):
            reasons = _without_counts(reasons)
    else:
        reasons = theme_reasons(reasons, line, user, k)
        if _known_exactly(region, user, kind, code):
            shown = str(items)
        elif not _line_hides(line):
            shown = published_count(items, k)
        else:
            shown = i18n.gettext(language, HIDDEN_COUNT)
    return {
        "area_kind": kind,
        "area_code": code,
        "category": row["category"],
        "category_label": CATEGORIES.get(row["category"], row["category"]),
        "score": row["score"],
        "items": items if shown == str(items) else None,
        "items_shown": shown,
        "reasons": reasons,
        "as_of": row["as_of"],
    }


def emerging_for(
    db: Database,
    region: Region,
    user: User,
    *,
    area_kind: str = "alue",
    area_code: str | None = None,
    k: int = 5,
    limit: int = 20,
    language: str = "fi",
) -> list[dict[str, Any]]:
    """Active, undecided themes flagged in one area (`kunta` / `kuntaryhma` / `alue`; the
    county when `area_code` is None), best first by their category and score in that area:
    only themes the user may open, counts and reasons disclosed as in `_disclosed_area`, the
    reasons in `language` (Finnish for themes stored before they were translated)."""
    code = area_code or region.code
    rows = db.query(
        "select a.*, t.title, t.size, t.terms, t.first_seen, t.last_seen "
        "from emerging_areas a join emerging_themes t on t.id = a.theme_id "
        "where a.area_kind = ? and a.area_code = ? and t.active = 1 and t.decision = 'avoin'",
        [area_kind, code],
    )
    ranked = sorted(
        rows, key=lambda r: (CATEGORY_ORDER.get(r["category"], 9), -r["score"], r["theme_id"])
    )
    out: list[dict[str, Any]] = []
    for r in ranked:
        if not review.can_view_theme(db, user, r["theme_id"]):
            continue
        out.append(
            {
                "theme_id": r["theme_id"],
                "title": r["title"],
                "terms": [str(t) for t in _list(r["terms"])],
                "first_seen": r["first_seen"],
                "last_seen": r["last_seen"],
                **_disclosed_area(
                    region, r, user, k, theme_line(db, user, r["theme_id"], k), language
                ),
            }
        )
        if len(out) >= limit:
            break
    return out


def emerging_for_user(
    db: Database, region: Region, user: User, *, k: int = 5, language: str = "fi"
) -> list[dict]:
    """The work list's themes: for leadership those flagged in its own municipalities (each
    once, with its best category among them), for everyone else the county's."""
    if user.role != "johto":
        return emerging_for(db, region, user, k=k, language=language)
    best: dict[int, dict[str, Any]] = {}
    for code in sorted(user.municipalities):
        for theme in emerging_for(
            db, region, user, area_kind="kunta", area_code=code, k=k, language=language
        ):
            theme["municipality"] = area_name(region, "kunta", code, language)
            held = best.get(theme["theme_id"])
            rank = (CATEGORY_ORDER.get(theme["category"], 9), -theme["score"])
            if held is None or rank < (CATEGORY_ORDER.get(held["category"], 9), -held["score"]):
                best[theme["theme_id"]] = theme
    return sorted(
        best.values(),
        key=lambda t: (CATEGORY_ORDER.get(t["category"], 9), -t["score"], t["theme_id"]),
    )


@dataclass(frozen=True)
class ThemeTools:
    """What the theme page lets this user do."""

    can_decide: bool  # promote, attach or dismiss now (an open theme the user may decide)
    can_restore: bool  # a dismissed theme the user may decide
    targets: list[dict[str, Any]]  # active phenomena the user may manage (attach into)


@dataclass(frozen=True)
class ThemePage:
    """The theme page's data; `as_dict()` is its JSON twin (GET /api/emerging/{id})."""

    id: int
    title: str
    category: str
    category_label: str
    decision: str
    decision_label: str
    phenomenon: dict[str, Any] | None  # promoted into / attached to, if the user may open it
    active: bool
    score: float
    size: int | None  # observations and headlines; None when disclosure hides it
    size_shown: str
    observations_count: int | None  # None when disclosure hides it
    observations_shown: str
    terms: list[str]
    reasons: list[str]
    areas: list[dict[str, Any]]  # where it is flagged: name, category, disclosed count
    municipalities: list[dict[str, Any]]  # code, name, count (None if hidden), shown
    nearest: list[dict[str, Any]]  # earlier phenomena nearby that the user may open
    observations: list[dict[str, Any]]  # members the user may read, newest first
    hidden_observations: int | None  # None: some are hidden, but how many is itself hidden
    headlines: list[dict[str, Any]]
    first_seen: str | None
    last_seen: str | None
    as_of: str
    decided_at: str | None
    tools: ThemeTools

    def as_dict(self) -> dict[str, Any]:
        """The JSON twin: everything but the forms' data."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "tools"}


def _members(db: Database, theme_id: int) -> list[dict[str, Any]]:
    """The theme's existing members, newest first."""
    return list(
        db.query(
            "select m.item_kind, m.item_key, o.text, o.observed_on, o.municipality_code, "
            "o.created_by, h.title, h.link, h.published from emerging_members m "
            "left join observations o on m.item_kind = 'observation' "
            "and o.id = cast(m.item_key as integer) "
            "left join headlines h on m.item_kind = 'headline' and h.guid = m.item_key "
            "where m.theme_id = ? and (o.id is not null or h.guid is not null) "
            "order by coalesce(o.observed_on, substr(h.published, 1, 10)) desc, m.item_key",
            [theme_id],
        )
    )


def _linked(db: Database, user: User, pid: int | None) -> dict[str, Any] | None:
    if pid is None:
        return None
    row = db.execute("select id, title from phenomena where id = ?", [pid]).fetchone()
    if row is None or not review.can_view(db, user, pid):
        return None
    return {"id": row[0], "title": row[1]}


def _nearest(db: Database, user: User, stored: str | None) -> list[dict[str, Any]]:
    out = []
    for entry in _list(stored):
        try:
            pid = int(entry.get("id"))
        except (AttributeError, TypeError, ValueError):
            continue
        linked = _linked(db, user, pid)
        if linked is not None and linked not in out:
            out.append(linked)
    return out


def _tools(db: Database, user: User, theme: dict[str, Any]) -> ThemeTools:
    may = review.can_decide_theme(db, user, theme["id"])
    open_ = may and theme["decision"] == "avoin"
    targets = []
    if open_:
        targets = [
            r
            for r in active_phenomena(db, columns="id, title", order_by="title")
            if review.can_manage(db, user, r["id"])
        ]
    return ThemeTools(
        can_decide=open_, can_restore=may and theme["decision"] == "hylätty", targets=targets
    )


def theme_detail(
    db: Database, region: Region, theme_id: int, user: User, *, k: int = 5, language: str = "fi"
) -> ThemePage:
    """The theme page's data, its generated sentences and place names in `language`. Raises
    KeyError when there is no such theme, and `review.Forbidden` when the user may not open
    it."""
    rows = list(db.query("select * from emerging_themes where id = ?", [theme_id]))
    if not rows:
        raise KeyError(theme_id)
    if not review.can_view_theme(db, user, theme_id):
        raise review.Forbidden()
    t = rows[0]
    members = _members(db, theme_id)
    observations = [m for m in members if m["item_kind"] == "observation"]
    headlines = [m for m in members if m["item_kind"] == "headline"]
    by_code = Counter(o["municipality_code"] or "" for o in observations)
    line = theme_line(db, user, theme_id, k)
    # The rule of `views.observation_visible` (writer, leadership of its municipality, the
    # backbone team), read through `review.item_visible` so that views can import this module.
    visible = [
        o for o in observations if review.item_visible(db, user, ("observation", o["item_key"]))
    ]
    size = None if line.total is None else line.total + len(headlines)
    reasons = theme_reasons(
        stored_reasons(t["reasons"], t.get("reasons_i18n"), language), line, user, k
    )
    areas = [
        {
            "name": area_name(region, r["area_kind"], r["area_code"], language),
            **_disclosed_area(region, r, user, k, line, language),
        }
        for r in db.query(
            "select * from emerging_areas where theme_id = ? "
            "order by area_kind = 'kunta' desc, area_kind = 'kuntaryhma' desc, score desc",
            [theme_id],
        )
    ]
    return ThemePage(
        id=t["id"],
        title=t["title"],
        category=t["category"],
        category_label=CATEGORIES.get(t["category"], t["category"]),
        decision=t["decision"],
        decision_label=DECISIONS.get(t["decision"], t["decision"]),
        phenomenon=_linked(db, user, t["phenomenon_id"]),
        active=bool(t["active"]),
        score=t["score"],
        size=size,
        observations_count=line.total,
        observations_shown=line.total_shown,
        size_shown=str(size)
        if size is not None
        else hidden_size_text(line.total_shown, len(headlines), k),
        terms=[str(w) for w in _list(t["terms"])],
        reasons=reasons,
        areas=areas,
        municipalities=_municipalities(region, by_code, line.shown, language),
        nearest=_nearest(db, user, t["nearest"]),
        observations=[
            {
                "id": int(o["item_key"]),
                "text": o["text"],
                "observed_on": o["observed_on"],
                "municipality": area_name(region, "kunta", o["municipality_code"], language),
            }
            for o in visible
        ],
        # The number hidden is itself hidden when the total is; that some are, is not.
        hidden_observations=(
            len(observations) - len(visible)
            if line.total is not None or len(visible) == len(observations)
            else None
        ),
        headlines=[
            {"guid": h["item_key"], "title": h["title"], "link": h["link"]} for h in headlines
        ],
        first_seen=t["first_seen"],
        last_seen=t["last_seen"],
        as_of=t["as_of"],
        decided_at=t["decided_at"],
        tools=_tools(db, user, t),
    )


def _municipalities(
    region: Region, by_code: Counter[str], shown: dict[str, str], language: str = "fi"
) -> list[dict[str, Any]]:
    """The theme's municipalities by name (never by count: the order would tell hidden
    counts apart), each with its disclosed count."""
    out = []
    for code, n in sorted(
        by_code.items(), key=lambda cn: area_name(region, "kunta", cn[0], language)
    ):
        if not code:
            continue
        text = shown.get(code, "0")
        out.append(
            {
                "code": code,
                "name": area_name(region, "kunta", code, language),
                "count": n if text == str(n) else None,
                "shown": text,
            }
        )
    return out


def themes_of_phenomenon(db: Database, user: User, phenomenon_id: int) -> list[dict[str, Any]]:
    """The emerging themes leadership promoted into or attached to this phenomenon that the
    user may open: id, title, the decision in Finnish and its date, newest first."""
    rows = db.execute(
        "select id, title, decision, decided_at from emerging_themes where phenomenon_id = ? "
        "and decision in ('ylennetty', 'liitetty') order by decided_at desc, id desc",
        [phenomenon_id],
    ).fetchall()
    return [
        {
            "id": r[0],
            "title": r[1],
            "decision": DECISIONS.get(r[2], r[2]),
            "on": (r[3] or "")[:10],
        }
        for r in rows
        if review.can_view_theme(db, user, int(r[0]))
    ]
