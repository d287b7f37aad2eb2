"""Beyond the catalogue: Sotkanet's whole indicator list, kept in the database, and the
indicators an administrator adds to this installation's catalogue.

The indicator run stores the list whenever its source gives it (the API's /indicators, or
`indicators.json` in a directory recorded with `nakyma indicators record`). An administrator
finds an indicator in it (`search`) and adds it with its direction (`add`); the next
indicator run fetches its metadata and values like a packaged catalogue indicator's
(`added_entries`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from sqlite_utils import Database

from nakyma.accounts import User
from nakyma.db import now_utc, write_transaction
from nakyma.i18n import N_
from nakyma.indicators import CatalogueEntry

MAX_HITS = 30


class ListError(ValueError):
    """An add was refused; the message is a Finnish message id, safe to show."""


def _title(value: Any, language: str) -> str | None:
    if isinstance(value, Mapping):
        text = value.get(language)
        return str(text).strip() or None if text else None
    return str(value).strip() or None if language == "fi" and value else None


def parse_list(payload: Any) -> list[dict[str, Any]]:
    """Rows of the `sotkanet_indicators` table from an /indicators response (a JSON list of
    {id, title{fi,sv,en}, organization{title{…}}, classifications{region{values}}}); an
    element without an integer id or a Finnish title is left out."""
    rows = []
    for item in payload if isinstance(payload, list) else []:
        if not isinstance(item, Mapping):
            continue
        ident, title = item.get("id"), _title(item.get("title"), "fi")
        if not isinstance(ident, int) or isinstance(ident, bool) or not title:
            continue
        organization = item.get("organization")
        # A "translation" that is the Finnish text again (untranslated indicators) is none.
        title_sv, title_en = (
            t if t != title else None
            for t in (_title(item.get("title"), "sv"), _title(item.get("title"), "en"))
        )
        levels = (item.get("classifications") or {}).get("region") or {}
        rows.append(
            {
                "id": ident,
                "title": title,
                "title_sv": title_sv,
                "title_en": title_en,
                "organization": _title(
                    organization.get("title") if isinstance(organization, Mapping) else None, "fi"
                )
                or "",
                "municipal": int("Kunta" in (levels.get("values") or [])),
            }
        )
    return rows


def store_list(db: Database, payload: Any) -> int:
    """Replace the stored list with this response's (one short transaction); how many rows.
    An empty or unreadable response leaves the stored list as it was."""
    rows = parse_list(payload)
    if not rows:
        return 0
    now = now_utc()
    with write_transaction(db):
        db.execute("delete from sotkanet_indicators")
        db.table("sotkanet_indicators").insert_all({**r, "recorded_at": now} for r in rows)
    return len(rows)


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"\w+", text.casefold()) if len(w) > 1]


def search(db: Database, query: str, *, limit: int = MAX_HITS) -> list[dict[str, Any]]:
    """Indicators of the stored list whose title (in any language) or id matches every word of
    `query` as the start of a word or inside a compound ("nuuska" finds "nuuskaa";
    "tupak" finds "nuuskaa tai tupakkaa"), municipal ones first, then by id. Each hit is the
    list's row (titles in the `indicators` table's column names, for `title_in`) with
    `in_catalogue` and `added`."""
    words = _words(query)
    if not words:
        return []
    where, params = [], []
    for word in words:
        like = f"%{word}%"
        where.append(
            "(lower(s.title) like ? or lower(coalesce(s.title_sv, '')) like ? "
            "or lower(coalesce(s.title_en, '')) like ? or cast(s.id as text) = ?)"
        )
        params += [like, like, like, word]
    rows = db.query(
        "select s.*, i.in_catalogue, a.id is not null as added from sotkanet_indicators s "
        "left join indicators i on i.id = s.id left join added_indicators a on a.id = s.id "
        f"where {' and '.join(where)} order by s.municipal desc, s.id limit ?",
        [*params, limit],
    )
    return [{**r, "in_catalogue": bool(r["in_catalogue"]), "added": bool(r["added"])} for r in rows]


DIRECTIONS = {"higher": 1, "lower": 0, "context": None}


def add(
    db: Database, user: User, indicator_id: int, direction: str, *, catalogue: Iterable[int]
) -> None:
    """Add an indicator of the stored list to this installation's catalogue (administrators
    only): `direction` "higher" (a higher value is worse), "lower" or "context" (no
    direction: a background figure). The next indicator run fetches it."""
    from nakyma.review import audit

    if user.role != "admin":
        raise PermissionError("admin only")
    if direction not in DIRECTIONS:
        raise ListError(N_("Valitse, onko suurempi arvo huonompi, parempi vai taustatieto."))
    with write_transaction(db):
        listed = db.execute(
            "select title from sotkanet_indicators where id = ?", [indicator_id]
        ).fetchone()
        if listed is None:
            raise ListError(N_("Indikaattoria ei ole tallennetussa Sotkanetin luettelossa."))
        if (
            indicator_id in set(catalogue)
            or db.execute("select 1 from added_indicators where id = ?", [indicator_id]).fetchone()
        ):
            raise ListError(N_("Indikaattori on jo luettelossa."))
        db.table("added_indicators").insert(
            {
                "id": indicator_id,
                "higher_is_worse": DIRECTIONS[direction],
                "added_by": user.id,
                "added_at": now_utc(),
            }
        )
        audit(db, user, "indicator_add", None, indicator=indicator_id, direction=direction)


def list_status(db: Database) -> tuple[int, str | None]:
    """How many indicators the stored list has and when it was stored (None: never)."""
    count, recorded = db.execute(
        "select count(*), max(recorded_at) from sotkanet_indicators"
    ).fetchone()
    return int(count), recorded


def added(db: Database) -> list[dict[str, Any]]:
    """The indicators administrators added, newest first, with their titles and whether a
    run has fetched them yet."""
    return list(
        db.query(
            "select a.*, s.title, s.title_sv, s.title_en, i.status, i.checked_at "
            "from added_indicators a left join sotkanet_indicators s on s.id = a.id "
            "left join indicators i on i.id = a.id order by a.added_at desc, a.id"
        )
    )


def added_entries(db: Database, catalogue: Iterable[int]) -> list[CatalogueEntry]:
    """Catalogue entries for the added indicators that the packaged catalogue does not have:
    titles from the stored list (the run replaces them with Sotkanet's metadata), direction as
    the administrator chose (a context figure has no signals)."""
    known = set(catalogue)
    out = []
    for r in added(db):
        if r["id"] in known:
            continue
        title = r["title"] or str(r["id"])
        out.append(
            CatalogueEntry(
                id=r["id"],
                title=title,
                short_title=title,
                higher_is_worse=bool(r["higher_is_worse"]),
                title_sv=r["title_sv"] or "",
                title_en=r["title_en"] or "",
                source="added",
                context=r["higher_is_worse"] is None,
            )
        )
    return out
