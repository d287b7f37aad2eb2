"""Review and dialogue: status workflow, human edits with an audit log, comment threads,
per-user work lists and the "what changed" feed. Access rules for phenomena live here too."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlite_utils import Database

from nakyma import phenomena as ph
from nakyma import privacy
from nakyma.accounts import User
from nakyma.db import now_utc
from nakyma.regions import Region

STATUSES: dict[str, str] = {
    "uusi": "Uusi",
    "käsittelyssä": "Käsittelyssä",
    "seurannassa": "Seurannassa",
    "toimenpiteitä sovittu": "Toimenpiteitä sovittu",
    "suljettu": "Suljettu",
    "ei toimenpiteitä": "Ei toimenpiteitä",
}
# Allowed moves; "ei toimenpiteitä" always needs a reason. Closed items can be reopened.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "uusi": ("käsittelyssä", "ei toimenpiteitä"),
    "käsittelyssä": ("seurannassa", "toimenpiteitä sovittu", "ei toimenpiteitä"),
    "seurannassa": ("toimenpiteitä sovittu", "suljettu", "käsittelyssä"),
    "toimenpiteitä sovittu": ("seurannassa", "suljettu"),
    "suljettu": ("käsittelyssä",),
    "ei toimenpiteitä": ("käsittelyssä",),
}
MAX_COMMENT = 2000
MAX_SUMMARY = 4000


class ReviewError(ValueError):
    """A review action was refused; the message is Finnish and safe to show."""


class Forbidden(PermissionError):
    """The user may not do this to this phenomenon."""


# --- who may see and do what ------------------------------------------------------------


def phenomenon_municipalities(db: Database, pid: int) -> set[str]:
    """Municipalities a phenomenon concerns: its observations' and its headlines' tags."""
    rows = db.execute(
        "select o.municipality_code from phenomenon_members m join observations o "
        "on m.item_kind = 'observation' and o.id = cast(m.item_key as integer) "
        "where m.phenomenon_id = ? "
        "union select hm.municipality_code from phenomenon_members m "
        "join headline_municipalities hm on m.item_kind = 'headline' and hm.guid = m.item_key "
        "where m.phenomenon_id = ?",
        [pid, pid],
    ).fetchall()
    return {r[0] for r in rows}


def joined(db: Database, user: User, pid: int) -> bool:
    """Has one of the user's own observations joined this phenomenon?"""
    return bool(
        db.execute(
            "select 1 from phenomenon_members m join observations o "
            "on m.item_kind = 'observation' and o.id = cast(m.item_key as integer) "
            "where m.phenomenon_id = ? and o.created_by = ? limit 1",
            [pid, user.id],
        ).fetchone()
    )


def can_view(db: Database, user: User, pid: int) -> bool:
    if user.sees_whole_region:
        return True
    if user.role == "johto":
        return bool(phenomenon_municipalities(db, pid) & set(user.municipalities))
    return joined(db, user, pid)


def can_manage(db: Database, user: User, pid: int) -> bool:
    """Leadership of a municipality the phenomenon concerns, or the backbone team."""
    if user.role in ("tukitiimi", "admin"):
        return True
    return user.role == "johto" and bool(
        phenomenon_municipalities(db, pid) & set(user.municipalities)
    )


def require(allowed: bool) -> None:
    if not allowed:
        raise Forbidden()


# --- audit ----------------------------------------------------------------------------


def audit(db: Database, user: User | None, action: str, pid: int | None, **details: Any) -> None:
    db.table("audit_log").insert(
        {
            "at": now_utc(),
            "user_id": user.id if user else None,
            "username": user.username if user else None,
            "action": action,
            "phenomenon_id": pid,
            "details": json.dumps(details, ensure_ascii=False, default=str),
        }
    )


def audit_entries(
    db: Database, *, phenomenon_id: int | None = None, limit: int = 200
) -> list[dict]:
    where, params = ("where phenomenon_id = ?", [phenomenon_id]) if phenomenon_id else ("", [])
    rows = db.query(f"select * from audit_log {where} order by id desc limit ?", [*params, limit])
    return [{**r, "details": json.loads(r["details"] or "{}")} for r in rows]


# --- the workflow ---------------------------------------------------------------------


def set_status(
    db: Database, user: User, pid: int, status: str, *, reason: str | None = None
) -> None:
    require(can_manage(db, user, pid))
    current = ph._phenomenon(db, pid)["status"]
    if status not in STATUSES:
        raise ReviewError("Tuntematon tila.")
    if status == current:
        return
    if status not in TRANSITIONS.get(current, ()):
        old, new = STATUSES.get(current, current), STATUSES[status]
        raise ReviewError(f"Tilasta ”{old}” ei voi siirtyä tilaan ”{new}”.")
    reason = " ".join((reason or "").split())
    if status == "ei toimenpiteitä" and len(reason) < 5:
        raise ReviewError("Kirjoita perustelu, miksi toimenpiteitä ei tarvita.")
    _refuse_personal_data(reason, "Perustelu")
    now = now_utc()
    with db.atomic():
        db.table("phenomena").update(
            pid, {"status": status, "status_reason": reason or None, "updated_at": now}
        )
        db.table("phenomenon_status_history").insert(
            {
                "phenomenon_id": pid,
                "status": status,
                "reason": reason or None,
                "user_id": user.id,
                "at": now,
            }
        )
        audit(db, user, "status", pid, old=current, new=status, reason=reason or None)


def status_history(db: Database, pid: int) -> list[dict]:
    return list(
        db.query(
            "select h.status, h.reason, h.at, u.display_name from phenomenon_status_history h "
            "left join users u on u.id = h.user_id where h.phenomenon_id = ? order by h.id",
            [pid],
        )
    )


def rename(db: Database, user: User, pid: int, title: str) -> None:
    require(can_manage(db, user, pid))
    _refuse_personal_data(title, "Nimi")
    old = ph._phenomenon(db, pid)["title"]
    try:
        ph.rename_phenomenon(db, pid, title)
    except ValueError as exc:
        raise ReviewError(str(exc)) from None
    with db.atomic():
        audit(db, user, "rename", pid, old=old, new=" ".join(title.split()))


def write_summary(db: Database, user: User, pid: int, summary: str) -> None:
    require(can_manage(db, user, pid))
    summary = summary.strip()
    if len(summary) > MAX_SUMMARY:
        raise ReviewError(f"Yhteenveto on liian pitkä (enintään {MAX_SUMMARY} merkkiä).")
    _refuse_personal_data(summary, "Yhteenveto")
    with db.atomic():
        db.table("phenomena").update(pid, {"summary": summary or None, "updated_at": now_utc()})
        audit(db, user, "summary", pid, length=len(summary))


def merge(db: Database, user: User, source: int, target: int) -> None:
    require(can_manage(db, user, source) and can_manage(db, user, target))
    try:
        ph.merge_phenomena(db, source, target)
    except (ValueError, KeyError) as exc:
        raise ReviewError(
            str(exc) if isinstance(exc, ValueError) else "Ilmiötä ei löydy."
        ) from None
    with db.atomic():
        audit(db, user, "merge", source, into=target)


def split(db: Database, user: User, pid: int, items: Sequence[tuple[str, str]], title: str) -> int:
    require(can_manage(db, user, pid))
    _refuse_personal_data(title, "Nimi")
    try:
        new_id = ph.split_phenomenon(db, pid, items, title=" ".join(title.split()) or "Uusi ilmiö")
    except ValueError as exc:
        raise ReviewError(str(exc)) from None
    with db.atomic():
        audit(db, user, "split", pid, new=new_id, items=len(items))
    return new_id


def move(db: Database, user: User, item: tuple[str, str], target: int) -> None:
    current = db.execute(
        "select phenomenon_id from phenomenon_members where item_kind = ? and item_key = ?",
        list(item),
    ).fetchone()
    require(can_manage(db, user, target) and (current is None or can_manage(db, user, current[0])))
    ph.move_items(db, [item], target)
    with db.atomic():
        audit(db, user, "move", target, item=list(item), previous=current[0] if current else None)


def dismiss(db: Database, user: User, pid: int, *, dismissed: bool = True) -> None:
    require(can_manage(db, user, pid))
    ph.dismiss_phenomenon(db, pid, dismissed=dismissed)
    with db.atomic():
        audit(db, user, "dismiss" if dismissed else "restore", pid)


def decide_link(db: Database, user: User, pid: int, indicator_id: int, decision: str) -> None:
    require(can_manage(db, user, pid))
    if decision not in ("accepted", "rejected"):
        raise ReviewError("Tuntematon päätös.")
    ph.decide_indicator_link(db, pid, indicator_id, decision, user.id)
    with db.atomic():
        audit(db, user, "indicator_link", pid, indicator=indicator_id, decision=decision)


# --- dialogue -------------------------------------------------------------------------


def _refuse_personal_data(text: str, what: str) -> None:
    findings = privacy.find_personal_data(text or "")
    if findings:
        raise ReviewError(f"{what}: {findings[0].message()}")


def add_comment(db: Database, user: User, pid: int, body: str) -> int:
    """Anyone who may view the phenomenon may comment; the privacy guard applies."""
    require(can_view(db, user, pid))
    body = body.strip()
    if len(body) < 2:
        raise ReviewError("Kirjoita kommentti.")
    if len(body) > MAX_COMMENT:
        raise ReviewError(f"Kommentti on liian pitkä (enintään {MAX_COMMENT} merkkiä).")
    _refuse_personal_data(body, "Kommentti")
    with db.atomic():
        table = db.table("comments")
        table.insert(
            {"phenomenon_id": pid, "user_id": user.id, "body": body, "created_at": now_utc()}
        )
        comment_id = int(table.last_pk)  # type: ignore[arg-type]
        db.table("phenomena").update(pid, {"updated_at": now_utc()})
        audit(db, user, "comment", pid, comment=comment_id)
    return comment_id


def comments(db: Database, pid: int) -> list[dict]:
    return list(
        db.query(
            "select c.id, c.body, c.created_at, u.display_name, u.role from comments c "
            "join users u on u.id = c.user_id where c.phenomenon_id = ? order by c.id",
            [pid],
        )
    )


def mark_seen(db: Database, user: User, pid: int) -> None:
    with db.atomic():
        db.table("phenomenon_views").upsert(
            {"user_id": user.id, "phenomenon_id": pid, "seen_at": now_utc()},
            pk=("user_id", "phenomenon_id"),
        )


# --- work list and "what changed" -----------------------------------------------------


def work_list(db: Database, region: Region, user: User) -> list[dict[str, Any]]:
    """Phenomena in my municipalities that are new or changed since I last looked,
    weak signals first."""
    seen = {
        r[0]: r[1]
        for r in db.execute(
            "select phenomenon_id, seen_at from phenomenon_views where user_id = ?", [user.id]
        )
    }
    categories = {
        r[0]: r[1]
        for r in db.execute(
            "select phenomenon_id, category from weak_signals where area_kind = 'alue'"
        )
    }
    ranking = {"heikko_signaali": 0, "vahvistuva": 1, "vakiintunut": 3, "hiipuva": 4}
    out = []
    for p in ph.active_phenomena(db):
        if not can_view(db, user, p["id"]):
            continue
        if user.role in ("johto", "tukitiimi", "admin") and not can_manage(db, user, p["id"]):
            continue
        last = seen.get(p["id"])
        changed = last is None or (p["updated_at"] or "") > last
        if not changed:
            continue
        mine = phenomenon_municipalities(db, p["id"])
        if user.role == "johto":
            mine &= set(user.municipalities)
        out.append(
            {
                "id": p["id"],
                "title": p["title"],
                "status": p["status"],
                "status_label": STATUSES.get(p["status"], p["status"]),
                "size": p["size"],
                "category": categories.get(p["id"]),
                "new": last is None,
                "municipalities": sorted(region.municipality(c).name for c in mine if c),
            }
        )
    out.sort(key=lambda w: (ranking.get(w["category"] or "", 2), -w["size"], w["id"]))
    return out


def what_changed(db: Database, user: User, *, limit: int = 50) -> list[dict[str, Any]]:
    """Status changes and comments on phenomena the user may view, newest first."""
    rows = db.query(
        "select a.at, a.action, a.phenomenon_id, a.details, a.username, p.title "
        "from audit_log a join phenomena p on p.id = a.phenomenon_id "
        "where a.action in ('status', 'comment', 'rename', 'merge', 'split') "
        "order by a.id desc limit ?",
        [limit * 5],
    )
    out = []
    for r in rows:
        if not can_view(db, user, r["phenomenon_id"]):
            continue
        out.append({**r, "details": json.loads(r["details"] or "{}")})
        if len(out) >= limit:
            break
    return out


def my_observations_with_phenomena(db: Database, user: User) -> dict[int, dict[str, Any]]:
    """For the frontline "my observations" page: each own observation's phenomenon."""
    rows = db.execute(
        "select o.id, p.id, p.title, p.status from observations o "
        "join phenomenon_members m on m.item_kind = 'observation' "
        "and m.item_key = cast(o.id as text) join phenomena p on p.id = m.phenomenon_id "
        "where o.created_by = ?",
        [user.id],
    ).fetchall()
    return {
        r[0]: {"id": r[1], "title": r[2], "status": r[3], "status_label": STATUSES.get(r[3], r[3])}
        for r in rows
    }
