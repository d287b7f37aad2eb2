"""Review and dialogue: status workflow, human edits with an audit log, comment threads,
per-user work lists and the "what changed" feed. Access rules for phenomena live here too.

Every human decision on a phenomenon (status, name, summary, merge, split, move,
dismissal, indicator link, comment, a related observation) is written here and only
here: its permission check, validation, privacy check, the change and its audit row in
one transaction that takes the write lock first. The clustering run
(`nakyma.phenomena.run_clustering`) replays what they stored: pinned items
(`manual_assignments`), merges (`merged_into`), dismissals and edited titles. What the
phenomenon page shows of the review (statuses, history, thread) is gathered by
`nakyma.views.phenomenon_detail`.

Who may do what (one model, every write scoped):

- *Viewing* (`can_view`): the backbone team (`tukitiimi`) and admins see every phenomenon;
  leadership (`johto`) the phenomena touching its municipalities; frontline staff the ones
  their own observations joined. Every page, API answer, export and search applies it.
- *Region-wide curation* (`can_manage`: region status, rename, summary, merge, split, move,
  dismiss/restore, indicator-link decisions) changes what the whole county sees, so it
  belongs to the backbone team and admins, and to `johto` only when every member of the
  phenomenon (and of a merge target) lies within its own municipalities.
- *A municipality's own response* (`can_respond`, `set_municipal_response`): each
  municipality's leadership records its status and a short note for its own municipality
  ("Äänekoski: toimenpiteitä sovittu") on any phenomenon touching it; the responses are shown
  side by side on the phenomenon page and in its JSON twin. They pass the privacy guard and
  are audited like comments.
- *Items*: a move or split takes only items that exist and that the user may read
  (`item_visible`); other municipalities' items and unknown keys are refused in Finnish.
- *Emerging themes* (`can_view_theme`, `can_decide_theme`; the detector is
  `nakyma.emerging`): seen as phenomena are (the backbone team and admins all; leadership the
  themes touching its municipalities; frontline staff those their own observations joined),
  decided by the backbone team and admins, and by `johto` when every member lies within its
  own municipalities. A decision (promote into a new phenomenon, attach to an existing one,
  dismiss, restore) pins the members like a split or a move does, so later runs keep them;
  the detector keeps the theme's decision from run to run.
- *Destructive actions* (dismiss, merge, split) are confirmed in the form, audited, listed in
  "Muutokset", and undone so: a dismissal by restoring; a split by merging the new
  phenomenon back into its source; a merge by splitting the moved items (listed in the
  merge's audit row) back out. The lineage table keeps both directions on record."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlite_utils import Database

from nakyma import i18n, privacy
from nakyma import phenomena as ph
from nakyma.accounts import User
from nakyma.db import now_utc, write_transaction
from nakyma.i18n import N_
from nakyma.phenomena import Key
from nakyma.regions import Region

STATUSES: dict[str, str] = {
    "uusi": N_("Uusi"),
    "käsittelyssä": N_("Käsittelyssä"),
    "seurannassa": N_("Seurannassa"),
    "toimenpiteitä sovittu": N_("Toimenpiteitä sovittu"),
    "suljettu": N_("Suljettu"),
    "ei toimenpiteitä": N_("Ei toimenpiteitä"),
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
MAX_NOTE = 500
# Actions shown in "Muutokset": every decision that changes what others see.
CHANGE_ACTIONS = (
    "status",
    "comment",
    "rename",
    "merge",
    "split",
    "move",
    "dismiss",
    "restore",
    "municipal_response",
    "theme_promote",
    "theme_attach",
    "theme_dismiss",
    "theme_restore",
)


class ReviewError(ValueError):
    """A review action was refused, with a message safe to show. `message` is a Finnish
    message id (marked with N_), filled in with `params`; the params named in `labels` are
    message ids themselves (a status, a decision) and are translated too. `str(error)` is
    the Finnish text; `in_language` gives it in another (`late` params are written then,
    per language). `field` names the form field it is
    about (so a page can show it next to that field) and `findings` the personal data the
    privacy guard found in that field's text, to mark them there."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        findings: tuple[Any, ...] = (),
        params: dict[str, Any] | None = None,
        labels: tuple[str, ...] = (),
        late: dict[str, Callable[[str], str]] | None = None,
    ) -> None:
        self.message = message
        self.params = dict(params or {})
        self.labels = labels
        # Params written per language when the message is (e.g. the guard's own words).
        self.late = dict(late or {})
        super().__init__(self.in_language(i18n.SOURCE_LANGUAGE))
        self.field = field
        self.findings = findings

    def in_language(self, language: str) -> str:
        _ = i18n.translator(language)
        params = {k: _(v) if k in self.labels else v for k, v in self.params.items()}
        params.update({k: write(language) for k, write in self.late.items()})
        return _(self.message) % params if params else _(self.message)


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
    """Region-wide curation: the backbone team and admins, or leadership when every
    municipality the phenomenon concerns is one of its own."""
    if user.role in ("tukitiimi", "admin"):
        return True
    if user.role != "johto":
        return False
    touched = phenomenon_municipalities(db, pid)
    return bool(touched) and touched <= set(user.municipalities)


def responding_municipalities(db: Database, user: User, pid: int) -> list[str]:
    """Codes of the municipalities for which this user records the phenomenon's response:
    leadership's own municipalities that the phenomenon concerns."""
    if user.role != "johto":
        return []
    return sorted(phenomenon_municipalities(db, pid) & set(user.municipalities))


def can_respond(db: Database, user: User, pid: int, code: str | None = None) -> bool:
    """May record a municipality's own response (for `code`, or for any of its own)."""
    own = responding_municipalities(db, user, pid)
    return code in own if code is not None else bool(own)


def item_visible(db: Database, user: User, item: Key) -> bool:
    """Does the item exist, and may the user read it (and so move or split it)? An
    observation: its writer, leadership of its municipality, the backbone team. A headline
    (public news): anyone who sees the whole region; leadership when it is tagged with none
    but its own municipalities."""
    kind, key = item
    if kind == "observation":
        if not key.isdigit():
            return False
        row = db.execute(
            "select municipality_code, created_by from observations where id = ?", [int(key)]
        ).fetchone()
        if row is None:
            return False
        if user.sees_whole_region or row[1] == user.id:
            return True
        return user.role == "johto" and row[0] in user.municipalities
    if kind == "headline":
        if not db.execute("select 1 from headlines where guid = ?", [key]).fetchone():
            return False
        if user.sees_whole_region:
            return True
        codes = {
            r[0]
            for r in db.execute(
                "select municipality_code from headline_municipalities where guid = ?", [key]
            )
        }
        return user.role == "johto" and codes <= set(user.municipalities)
    return False


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


# Each audit action as the verb the log page shows ("Kuka teki mitä"); translated where shown.
AUDIT_ACTIONS: dict[str, str] = {
    "status": N_("muutti tilaa"),
    "comment": N_("kommentoi"),
    "rename": N_("nimesi uudelleen"),
    "summary": N_("kirjoitti yhteenvedon"),
    "merge": N_("yhdisti"),
    "split": N_("jakoi"),
    "move": N_("siirsi"),
    "related_observation": N_("liitti havainnon"),
    "dismiss": N_("hylkäsi ilmiön"),
    "restore": N_("palautti"),
    "indicator_link": N_("päätti indikaattorilinkistä"),
    "municipal_response": N_("kirjasi kunnan vastauksen"),
    "theme_promote": N_("nosti teeman ilmiöksi"),
    "theme_attach": N_("liitti teeman ilmiöön"),
    "theme_dismiss": N_("hylkäsi teeman"),
    "theme_restore": N_("palautti teeman"),
    "indicator_add": N_("lisäsi indikaattorin luetteloon"),
}
_LINK_DECISIONS = {"accepted": N_("hyväksytty"), "rejected": N_("hylätty")}
_ITEM_KINDS = {"observation": N_("havainto"), "headline": N_("uutinen")}
_NONE = "—"


def describe_audit(
    action: str,
    details: dict[str, Any],
    region: Region | None = None,
    language: str = i18n.SOURCE_LANGUAGE,
) -> str:
    """An audit row's details as a sentence for the log page, e.g.
    "tila: Uusi → Käsittelyssä; perustelu: —" (in `language`). Unknown keys are listed as
    they are, so nothing recorded is hidden."""
    _ = i18n.translator(language)
    d = dict(details)

    def status(value: Any) -> str:
        return _(STATUSES[value]) if value in STATUSES else (str(value) if value else _NONE)

    def item(value: Any) -> str:
        """An item key ["observation", "12"] as "havainto 12"."""
        if isinstance(value, list | tuple) and len(value) == 2:
            kind = _ITEM_KINDS.get(str(value[0]))
            return f"{_(kind) if kind else value[0]} {value[1]}"
        return str(value) if value else _NONE

    def municipality(code: Any) -> str:
        if region is not None and code:
            try:
                return region.municipality(str(code)).name_in(language)
            except KeyError:
                pass
        return str(code) if code else _NONE

    def count(items: Any) -> int:
        return len(items) if isinstance(items, list | tuple) else int(items or 0)

    if action == "status":
        text = _("tila: %(old)s → %(new)s; perustelu: %(reason)s") % {
            "old": status(d.pop("old", None)),
            "new": status(d.pop("new", None)),
            "reason": d.pop("reason", None) or _NONE,
        }
    elif action == "rename":
        text = _("nimi: %(old)s → %(new)s") % {
            "old": d.pop("old", None) or _NONE,
            "new": d.pop("new", None) or _NONE,
        }
    elif action == "summary":
        text = _("yhteenvedon pituus %(n)s merkkiä") % {"n": d.pop("length", 0)}
    elif action == "comment":
        text = _("kommentti nro %(n)s") % {"n": d.pop("comment", _NONE)}
    elif action == "merge":
        moved = count(d.pop("items", []))
        text = _("yhdistetty ilmiöön %(into)s; siirrettyjä kohteita %(n)s") % {
            "into": d.pop("into", _NONE),
            "n": moved,
        }
    elif action == "split":
        text = _("uusi ilmiö %(new)s; siirrettyjä kohteita %(n)s") % {
            "new": d.pop("new", _NONE),
            "n": count(d.pop("items", 0)),
        }
    elif action in ("move", "related_observation"):
        text = _("kohde: %(item)s") % {"item": item(d.pop("item", None))}
        if action == "move":
            text += _("; aiempi ilmiö: %(previous)s") % {
                "previous": d.pop("previous", None) or _NONE
            }
    elif action in ("dismiss", "restore"):
        text = _("ilmiö hylätty") if action == "dismiss" else _("ilmiö palautettu")
    elif action == "indicator_link":
        decision = d.pop("decision", None)
        label = _LINK_DECISIONS.get(decision or "")
        text = _("indikaattori %(indicator)s: %(decision)s") % {
            "indicator": d.pop("indicator", _NONE),
            "decision": _(label) if label else (decision or _NONE),
        }
    elif action == "municipal_response":
        text = _("kunta: %(municipality)s; tila: %(status)s") % {
            "municipality": municipality(d.pop("municipality", None)),
            "status": status(d.pop("status", None)),
        }
    elif action.startswith("theme_"):
        text = _("nouseva teema %(theme)s") % {"theme": d.pop("theme", _NONE)}
        if "items" in d:
            text += _("; kohteita %(n)s") % {"n": count(d.pop("items"))}
        previous = d.pop("previous", None) or d.pop("parents", None)
        if previous:
            text += _("; aiemmat ilmiöt: %(ids)s") % {"ids": ", ".join(str(p) for p in previous)}
        d.pop("parents", None)
    else:
        text = ""
    rest = "; ".join(f"{k}: {_NONE if v is None else v}" for k, v in d.items())
    return "; ".join(part for part in (text, rest) if part) or _NONE


def audit_log_page(
    db: Database,
    *,
    region: Region | None = None,
    limit: int = 200,
    language: str = i18n.SOURCE_LANGUAGE,
) -> list[dict[str, Any]]:
    """The admin "Tapahtumaloki": every audit row, newest first, with the actor's display
    name, the phenomenon's title, the action as a verb and the details as a sentence
    (`describe_audit`), in `language`."""
    rows = db.query(
        "select a.*, coalesce(u.display_name, a.username) as display_name, p.title "
        "from audit_log a left join users u on u.id = a.user_id "
        "left join phenomena p on p.id = a.phenomenon_id order by a.id desc limit ?",
        [limit],
    )
    out = []
    for r in rows:
        details = json.loads(r["details"] or "{}")
        verb = AUDIT_ACTIONS.get(r["action"])
        out.append(
            {
                **r,
                "details": details,
                "action_label": i18n.gettext(language, verb) if verb else r["action"],
                "description": describe_audit(r["action"], details, region, language),
            }
        )
    return out


# --- decisions: each one transaction, its audit row included --------------------------
# A decision is checked, made and audited in one transaction, so that what it was checked
# against cannot change before it is written, and no decision is ever kept without its
# audit row. Each is stored so that the next clustering run replays it (nakyma.phenomena).


def review_status(db: Database, pid: int) -> str | None:
    """The phenomenon's review status; None when there is no such phenomenon."""
    row = db.execute("select status from phenomena where id = ?", [pid]).fetchone()
    return None if row is None else str(row[0])


def _phenomenon(db: Database, pid: int) -> dict[str, Any]:
    rows = list(db.query("select * from phenomena where id = ?", [pid]))
    if not rows:
        raise KeyError(pid)
    return rows[0]


def _refresh_size(db: Database, pid: int) -> None:
    db.execute(
        "update phenomena set size = (select count(*) from phenomenon_members "
        "where phenomenon_id = ?) where id = ?",
        [pid, pid],
    )


def _pin(db: Database, items: Sequence[Key], target: int) -> None:
    """Put items in a phenomenon and pin them there: every later run keeps them there."""
    now = now_utc()
    for kind, key in items:
        old = db.execute(
            "select phenomenon_id from phenomenon_members where item_kind = ? and item_key = ?",
            [kind, key],
        ).fetchone()
        db.table("manual_assignments").upsert(
            {"item_kind": kind, "item_key": key, "phenomenon_id": target, "created_at": now},
            pk=("item_kind", "item_key"),
        )
        db.table("phenomenon_members").upsert(
            {
                "item_kind": kind,
                "item_key": key,
                "phenomenon_id": target,
                "similarity": None,
                "origin": "manual",
                "assigned_at": now,
            },
            pk=("item_kind", "item_key"),
        )
        if old:
            _refresh_size(db, int(old[0]))
    _refresh_size(db, target)


def set_status(
    db: Database, user: User, pid: int, status: str, *, reason: str | None = None
) -> None:
    with write_transaction(db):
        require(can_manage(db, user, pid))
        current = _phenomenon(db, pid)["status"]
        if status not in STATUSES:
            raise ReviewError(N_("Tuntematon tila."), field="status")
        if status == current:
            return
        if status not in TRANSITIONS.get(current, ()):
            raise ReviewError(
                N_("Tilasta ”%(old)s” ei voi siirtyä tilaan ”%(new)s”."),
                field="status",
                params={"old": STATUSES.get(current, current), "new": STATUSES[status]},
                labels=("old", "new"),
            )
        reason = " ".join((reason or "").split())
        if status == "ei toimenpiteitä" and len(reason) < 5:
            raise ReviewError(
                N_("Kirjoita perustelu, miksi toimenpiteitä ei tarvita."), field="reason"
            )
        _refuse_personal_data(reason, N_("Perustelu"), field="reason")
        now = now_utc()
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
    """A title set by hand: later runs keep it (`title_edited`)."""
    with write_transaction(db):
        require(can_manage(db, user, pid))
        _refuse_personal_data(title, "Nimi", field="title")
        old = _phenomenon(db, pid)["title"]
        title = " ".join(title.split())
        if not 3 <= len(title) <= 120:
            raise ReviewError(N_("Nimen on oltava 3–120 merkkiä."), field="title")
        db.table("phenomena").update(
            pid, {"title": title, "title_edited": 1, "updated_at": now_utc()}
        )
        audit(db, user, "rename", pid, old=old, new=title)


def write_summary(db: Database, user: User, pid: int, summary: str) -> None:
    with write_transaction(db):
        require(can_manage(db, user, pid))
        summary = summary.strip()
        if len(summary) > MAX_SUMMARY:
            raise ReviewError(
                N_("Yhteenveto on liian pitkä (enintään %(max)s merkkiä)."),
                field="summary",
                params={"max": MAX_SUMMARY},
            )
        _refuse_personal_data(summary, N_("Yhteenveto"), field="summary")
        db.table("phenomena").update(pid, {"summary": summary or None, "updated_at": now_utc()})
        audit(db, user, "summary", pid, length=len(summary))


def merge(db: Database, user: User, source: int, target: int) -> None:
    """Merge `source` into `target`: its members move now, and later runs keep them there
    (`merged_into`)."""
    with write_transaction(db):
        require(can_manage(db, user, source) and can_manage(db, user, target))
        if source == target:
            raise ReviewError(N_("Ilmiötä ei voi yhdistää itseensä."), field="target")
        try:
            _phenomenon(db, source)
            merged = _phenomenon(db, target)["merged_into"]
        except KeyError:
            raise ReviewError(N_("Ilmiötä ei löydy."), field="target") from None
        if merged:
            raise ReviewError(N_("Kohdeilmiö on jo yhdistetty toiseen."), field="target")
        now = now_utc()
        moved = [
            [r[0], r[1]]
            for r in db.execute(
                "select item_kind, item_key from phenomenon_members where phenomenon_id = ?",
                [source],
            )
        ]
        db.execute(
            "update phenomenon_members set phenomenon_id = ? where phenomenon_id = ?",
            [target, source],
        )
        db.execute(
            "update manual_assignments set phenomenon_id = ? where phenomenon_id = ?",
            [target, source],
        )
        db.execute("update phenomena set merged_into = ? where merged_into = ?", [target, source])
        db.table("phenomena").update(source, {"merged_into": target, "size": 0, "updated_at": now})
        _refresh_size(db, target)
        db.table("phenomenon_lineage").insert(
            {"kind": "manual_merge", "from_id": source, "to_id": target, "created_at": now}
        )
        # The moved items are kept with the audit row: splitting them back out undoes it.
        audit(db, user, "merge", source, into=target, items=moved)


def split(db: Database, user: User, pid: int, items: Sequence[Key], title: str) -> int:
    """Split the chosen members off into a new phenomenon (pinned there); returns its id."""
    with write_transaction(db):
        require(can_manage(db, user, pid))
        _refuse_personal_data(title, "Nimi", field="title")
        title = " ".join(title.split()) or "Uusi ilmiö"
        source = _phenomenon(db, pid)
        members = {
            (r[0], r[1])
            for r in db.execute(
                "select item_kind, item_key from phenomenon_members where phenomenon_id = ?",
                [pid],
            )
        }
        chosen = [(kind, key) for kind, key in items]
        if not chosen or any(i not in members for i in chosen):
            raise ReviewError(
                N_("Valitse jaettavat jäsenet tämän ilmiön jäsenistä."), field="items"
            )
        if not all(item_visible(db, user, i) for i in chosen):
            raise ReviewError(
                N_("Valituista jäsenistä osaa ei ole olemassa tai et voi nähdä niitä."),
                field="items",
            )
        if len(chosen) == len(members):
            raise ReviewError(
                N_("Kaikkia jäseniä ei voi siirtää: ilmiö jäisi tyhjäksi."), field="items"
            )
        now = now_utc()
        table = db.table("phenomena")
        table.insert(
            {
                "title": title,
                "title_auto": title,
                "title_edited": 1,
                "status": "uusi",
                "dismissed": 0,
                "model": source["model"],
                "centroid": source["centroid"],
                "size": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
        new_id = int(table.last_pk)  # type: ignore[arg-type]
        _pin(db, chosen, new_id)
        db.table("phenomenon_lineage").insert(
            {"kind": "manual_split", "from_id": pid, "to_id": new_id, "created_at": now}
        )
        audit(db, user, "split", pid, new=new_id, items=len(items))
    return new_id


def move(db: Database, user: User, item: Key, target: int) -> None:
    """Move one item to another phenomenon, pinned there."""
    with write_transaction(db):
        if not db.execute("select 1 from phenomena where id = ?", [target]).fetchone():
            raise ReviewError(N_("Kohdeilmiötä ei löydy."), field="target")
        if not item_visible(db, user, item):
            raise ReviewError(
                N_(
                    "Siirrettävää havaintoa tai uutista ei löydy, tai sinulla ei ole oikeutta "
                    "siihen."
                ),
                field="item",
            )
        current = db.execute(
            "select phenomenon_id from phenomenon_members where item_kind = ? and item_key = ?",
            list(item),
        ).fetchone()
        require(
            can_manage(db, user, target) and (current is None or can_manage(db, user, current[0]))
        )
        _pin(db, [item], target)
        audit(db, user, "move", target, item=list(item), previous=current[0] if current else None)


def add_related_observation(db: Database, user: User, pid: int, observation_id: int) -> None:
    """Pin an observation written for a phenomenon ("Kirjaa tähän liittyvä uusi havainto")
    to it; the writer must be able to view the phenomenon."""
    key = ("observation", str(observation_id))
    with write_transaction(db):
        require(can_view(db, user, pid))
        _phenomenon(db, pid)
        _pin(db, [key], pid)
        audit(db, user, "related_observation", pid, item=list(key))


def dismiss(db: Database, user: User, pid: int, *, dismissed: bool = True) -> None:
    """Dismiss (or restore) a phenomenon: later runs keep it dismissed."""
    with write_transaction(db):
        require(can_manage(db, user, pid))
        _phenomenon(db, pid)
        db.table("phenomena").update(pid, {"dismissed": int(dismissed), "updated_at": now_utc()})
        audit(db, user, "dismiss" if dismissed else "restore", pid)


def decide_link(db: Database, user: User, pid: int, indicator_id: int, decision: str) -> None:
    """Accept or reject an indicator link; later suggestion runs keep the decision."""
    with write_transaction(db):
        require(can_manage(db, user, pid))
        if decision not in ("accepted", "rejected"):
            raise ReviewError(N_("Tuntematon päätös."), field="decision")
        _phenomenon(db, pid)
        db.table("phenomenon_indicator_links").upsert(
            {
                "phenomenon_id": pid,
                "indicator_id": indicator_id,
                "decision": decision,
                "decided_by": user.id,
                "decided_at": now_utc(),
            },
            pk=("phenomenon_id", "indicator_id"),
        )
        audit(db, user, "indicator_link", pid, indicator=indicator_id, decision=decision)


# --- each municipality's own response ---------------------------------------------------


def set_municipal_response(
    db: Database, user: User, pid: int, code: str, status: str, note: str = ""
) -> None:
    """Record a municipality's own response to a phenomenon: its leadership's status and a
    short note, one per municipality (the latest replaces the previous; the audit log keeps
    them all)."""
    with write_transaction(db):
        _phenomenon(db, pid)
        require(can_respond(db, user, pid, code))
        if status not in STATUSES:
            raise ReviewError(N_("Tuntematon tila."), field="status")
        note = " ".join((note or "").split())
        if len(note) > MAX_NOTE:
            raise ReviewError(
                N_("Huomio on liian pitkä (enintään %(max)s merkkiä)."),
                field="note",
                params={"max": MAX_NOTE},
            )
        if status == "ei toimenpiteitä" and len(note) < 5:
            raise ReviewError(
                N_("Kirjoita perustelu, miksi toimenpiteitä ei tarvita."), field="note"
            )
        _refuse_personal_data(note, N_("Huomio"), field="note")
        now = now_utc()
        db.table("municipal_responses").upsert(
            {
                "phenomenon_id": pid,
                "municipality_code": code,
                "status": status,
                "note": note or None,
                "user_id": user.id,
                "updated_at": now,
            },
            pk=("phenomenon_id", "municipality_code"),
        )
        db.table("phenomena").update(pid, {"updated_at": now})
        audit(db, user, "municipal_response", pid, municipality=code, status=status)


def municipal_responses(db: Database, pid: int) -> list[dict[str, Any]]:
    """The municipalities' own responses to a phenomenon, by municipality code."""
    return [
        {**r, "status_label": STATUSES.get(r["status"], r["status"])}
        for r in db.query(
            "select r.municipality_code, r.status, r.note, r.updated_at, u.display_name "
            "from municipal_responses r left join users u on u.id = r.user_id "
            "where r.phenomenon_id = ? order by r.municipality_code",
            [pid],
        )
    ]


# --- dialogue -------------------------------------------------------------------------


def _refuse_personal_data(text: str, what: str, *, field: str | None = None) -> None:
    """Refuse a text with personal data: the message names the first finding's kind, and the
    error carries every finding's span in `text` so that a page can mark them."""
    findings = privacy.find_personal_data(text or "")
    if findings:
        first = findings[0]
        raise ReviewError(
            N_("%(what)s: %(finding)s"),
            field=field,
            findings=tuple(findings),
            params={"what": what},
            labels=("what",),
            late={
                "finding": lambda language: first.message(offsets=field is None, language=language)
            },
        )


def add_comment(db: Database, user: User, pid: int, body: str) -> int:
    """Anyone who may view the phenomenon may comment; the privacy guard applies."""
    with write_transaction(db):
        require(can_view(db, user, pid))
        body = body.strip()
        if len(body) < 2:
            raise ReviewError(N_("Kirjoita kommentti."), field="body")
        if len(body) > MAX_COMMENT:
            raise ReviewError(
                N_("Kommentti on liian pitkä (enintään %(max)s merkkiä)."),
                field="body",
                params={"max": MAX_COMMENT},
            )
        _refuse_personal_data(body, N_("Kommentti"), field="body")
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
    with write_transaction(db):
        db.table("phenomenon_views").upsert(
            {"user_id": user.id, "phenomenon_id": pid, "seen_at": now_utc()},
            pk=("user_id", "phenomenon_id"),
        )


# --- emerging themes: who may see and decide them, and the decisions -------------------

THEME_DECISIONS: dict[str, str] = {
    "avoin": N_("Avoin"),
    "ylennetty": N_("Nostettu ilmiöksi"),
    "liitetty": N_("Liitetty ilmiöön"),
    "hylätty": N_("Hylätty"),
}


def theme_municipalities(db: Database, theme_id: int) -> set[str]:
    """Municipalities an emerging theme concerns: its observations' (the stored code when an
    observation no longer exists) and its headlines' tags."""
    rows = db.execute(
        "select coalesce(o.municipality_code, m.municipality_code) from emerging_members m "
        "left join observations o on o.id = cast(m.item_key as integer) "
        "where m.theme_id = ? and m.item_kind = 'observation' "
        "union select hm.municipality_code from emerging_members m "
        "join headline_municipalities hm on m.item_kind = 'headline' and hm.guid = m.item_key "
        "where m.theme_id = ?",
        [theme_id, theme_id],
    ).fetchall()
    return {r[0] for r in rows if r[0]}


def theme_decision(db: Database, theme_id: int) -> str | None:
    """The theme's decision; None when there is no such theme."""
    row = db.execute("select decision from emerging_themes where id = ?", [theme_id]).fetchone()
    return None if row is None else str(row[0])


def can_view_theme(db: Database, user: User, theme_id: int) -> bool:
    """As `can_view` for phenomena: the backbone team and admins every theme, leadership
    those touching its municipalities, frontline staff those their own observations joined."""
    if user.sees_whole_region:
        return True
    if user.role == "johto":
        return bool(theme_municipalities(db, theme_id) & set(user.municipalities))
    return bool(
        db.execute(
            "select 1 from emerging_members m join observations o "
            "on m.item_kind = 'observation' and o.id = cast(m.item_key as integer) "
            "where m.theme_id = ? and o.created_by = ? limit 1",
            [theme_id, user.id],
        ).fetchone()
    )


def can_decide_theme(db: Database, user: User, theme_id: int) -> bool:
    """Promote, attach, dismiss or restore: the backbone team and admins, or leadership when
    every member of the theme lies within its own municipalities."""
    if user.role in ("tukitiimi", "admin"):
        return True
    if user.role != "johto":
        return False
    touched = theme_municipalities(db, theme_id)
    return bool(touched) and touched <= set(user.municipalities)


def _theme(db: Database, theme_id: int) -> dict[str, Any]:
    rows = list(db.query("select * from emerging_themes where id = ?", [theme_id]))
    if not rows:
        raise KeyError(theme_id)
    return rows[0]


def _theme_items(db: Database, theme_id: int) -> list[Key]:
    """The theme's members that still exist (vanished ones are skipped)."""
    return [
        (r[0], r[1])
        for r in db.execute(
            "select m.item_kind, m.item_key from emerging_members m "
            "left join observations o on m.item_kind = 'observation' "
            "and o.id = cast(m.item_key as integer) "
            "left join headlines h on m.item_kind = 'headline' and h.guid = m.item_key "
            "where m.theme_id = ? and (o.id is not null or h.guid is not null) "
            "order by m.item_kind, m.item_key",
            [theme_id],
        )
    ]


def _theme_decided(decision: str) -> ReviewError:
    label = THEME_DECISIONS.get(decision, decision)
    return ReviewError(
        N_("Teemasta on jo päätetty (%(decision)s)."),
        late={"decision": lambda language: i18n.gettext(language, label).lower()},
    )


def _open_theme(db: Database, user: User, theme_id: int) -> tuple[dict[str, Any], list[Key]]:
    """The theme and its existing members, checked for a decision: the user may decide it,
    nobody has decided it yet, and some member is left. Inside the caller's transaction."""
    theme = _theme(db, theme_id)
    require(can_decide_theme(db, user, theme_id))
    if theme["decision"] != "avoin":
        raise _theme_decided(theme["decision"])
    items = _theme_items(db, theme_id)
    if not items:
        raise ReviewError(N_("Teeman havaintoja ei enää ole, joten siitä ei voi päättää."))
    if not all(item_visible(db, user, i) for i in items):
        raise ReviewError(N_("Teemassa on havaintoja, joita sinulla ei ole oikeutta siirtää."))
    return theme, items


def _current_phenomena(db: Database, items: Sequence[Key]) -> list[int]:
    """The phenomena the items sit in now, in id order."""
    found: set[int] = set()
    for kind, key in items:
        row = db.execute(
            "select phenomenon_id from phenomenon_members where item_kind = ? and item_key = ?",
            [kind, key],
        ).fetchone()
        if row is not None:
            found.add(int(row[0]))
    return sorted(found)


def _record_theme_decision(
    db: Database, user: User, theme_id: int, decision: str, pid: int | None
) -> None:
    now = now_utc()
    db.table("emerging_themes").update(
        theme_id,
        {
            "decision": decision,
            "phenomenon_id": pid,
            "decided_by": user.id if decision != "avoin" else None,
            "decided_at": now if decision != "avoin" else None,
            "updated_at": now,
        },
    )


def promote_theme(db: Database, user: User, theme_id: int, title: str) -> int:
    """Promote an emerging theme into a new phenomenon: its existing members move out of
    their phenomena into it, pinned there (`manual_assignments`) so later runs keep them,
    with a lineage row from each phenomenon they left. Returns the new phenomenon's id.
    Leadership may take its own municipalities' items out of a shared phenomenon here: that
    is what deciding the theme permits."""
    with write_transaction(db):
        _, items = _open_theme(db, user, theme_id)
        _refuse_personal_data(title, "Nimi", field="title")
        title = " ".join(title.split())
        if not 3 <= len(title) <= 120:
            raise ReviewError(N_("Nimen on oltava 3–120 merkkiä."), field="title")
        parents = _current_phenomena(db, items)
        template = db.execute(
            "select model, centroid from phenomena where model is not null "
            "order by id in (" + ",".join("?" * len(parents)) + ") desc, size desc limit 1",
            parents,
        ).fetchone() or (None, None)
        now = now_utc()
        table = db.table("phenomena")
        table.insert(
            {
                "title": title,
                "title_auto": title,
                "title_edited": 1,
                "status": "uusi",
                "dismissed": 0,
                "model": template[0],
                "centroid": template[1],
                "size": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
        new_id = int(table.last_pk)  # type: ignore[arg-type]
        _pin(db, items, new_id)
        db.table("phenomenon_lineage").insert_all(
            {"kind": "manual_split", "from_id": p, "to_id": new_id, "created_at": now}
            for p in parents
        )
        _record_theme_decision(db, user, theme_id, "ylennetty", new_id)
        audit(
            db,
            user,
            "theme_promote",
            new_id,
            theme=theme_id,
            items=[list(i) for i in items],
            parents=parents,
        )
    return new_id


def attach_theme(db: Database, user: User, theme_id: int, phenomenon_id: int) -> None:
    """Attach an emerging theme to an existing active phenomenon the user may manage: its
    existing members move there, pinned."""
    with write_transaction(db):
        _, items = _open_theme(db, user, theme_id)
        target = db.execute(
            "select id from phenomena where id = ? and " + ph.active_where(), [phenomenon_id]
        ).fetchone()
        if target is None:
            raise ReviewError(
                N_("Kohdeilmiötä ei löydy, tai se on hylätty tai yhdistetty."), field="target"
            )
        if not can_manage(db, user, phenomenon_id):
            raise ReviewError(
                N_("Voit liittää teeman vain ilmiöön, jota voit käsitellä."), field="target"
            )
        previous = [p for p in _current_phenomena(db, items) if p != phenomenon_id]
        _pin(db, items, phenomenon_id)
        db.table("phenomena").update(phenomenon_id, {"updated_at": now_utc()})
        _record_theme_decision(db, user, theme_id, "liitetty", phenomenon_id)
        audit(
            db,
            user,
            "theme_attach",
            phenomenon_id,
            theme=theme_id,
            items=[list(i) for i in items],
            previous=previous,
        )


def dismiss_theme(db: Database, user: User, theme_id: int, *, dismissed: bool = True) -> None:
    """Dismiss an open theme (it leaves every list; the detector keeps it dismissed), or
    restore a dismissed one."""
    with write_transaction(db):
        theme = _theme(db, theme_id)
        require(can_decide_theme(db, user, theme_id))
        if dismissed and theme["decision"] != "avoin":
            raise _theme_decided(theme["decision"])
        if not dismissed and theme["decision"] != "hylätty":
            raise ReviewError(N_("Vain hylätyn teeman voi palauttaa."))
        _record_theme_decision(db, user, theme_id, "hylätty" if dismissed else "avoin", None)
        audit(db, user, "theme_dismiss" if dismissed else "theme_restore", None, theme=theme_id)


# --- work list and "what changed" -----------------------------------------------------


def exact_count_scope(user: User | None) -> set[str]:
    """Municipalities whose counts this user sees exactly: leadership's own ones (it reads
    their observations anyway). Everywhere else, for every role, counts follow the region
    page's disclosure rule (1..k-1 as "<k", with complementary suppression in tables)."""
    if user is not None and user.role == "johto":
        return set(user.municipalities)
    return set()


def disclosed_sizes(
    db: Database, user: User, pids: Sequence[int], k: int = 5
) -> dict[int, tuple[int | None, str]]:
    """Each phenomenon's size (members) as this user may see it: exact for a user who reads
    the whole region; for others its observation total follows the disclosure rule of the
    phenomenon page (`disclosure.disclose_line`), so that a list's size and a page's counts
    never give a hidden count away together."""
    from nakyma.disclosure import disclose_line, hidden_size_text

    sizes: dict[int, tuple[int | None, str]] = {}
    if not pids:
        return sizes
    marks = ",".join("?" * len(pids))
    observations: dict[int, dict[str, int]] = {pid: {} for pid in pids}
    headlines: dict[int, int] = dict.fromkeys(pids, 0)
    for pid, kind, code, n in db.execute(
        "select m.phenomenon_id, m.item_kind, o.municipality_code, count(*) "
        "from phenomenon_members m left join observations o on m.item_kind = 'observation' "
        "and o.id = cast(m.item_key as integer) left join headlines h "
        "on m.item_kind = 'headline' and h.guid = m.item_key "
        f"where m.phenomenon_id in ({marks}) and (o.id is not null or h.guid is not null) "
        "group by 1, 2, 3",
        list(pids),
    ).fetchall():
        if kind == "headline":
            headlines[pid] += n
        else:
            observations[pid][code or ""] = n
    exact = exact_count_scope(user)
    for pid in pids:
        line = disclose_line(observations[pid], exact, k, exact_total=user.sees_whole_region)
        if line.total is not None:
            sizes[pid] = (line.total + headlines[pid], str(line.total + headlines[pid]))
        else:
            sizes[pid] = (None, hidden_size_text(line.total_shown, headlines[pid], k))
    return sizes


# How a list of phenomena ranks weak-signal categories (none: between growing and steady).
SIGNAL_RANKING = {"heikko_signaali": 0, "vahvistuva": 1, "vakiintunut": 3, "hiipuva": 4}


def work_list_categories(db: Database, region: Region, user: User) -> dict[int, str]:
    """Each phenomenon's weak-signal category where this user works: for leadership the best
    one among its own municipalities, for everyone else the county's."""
    if user.role == "johto":
        own = sorted(user.municipalities)
        rows = db.execute(
            "select phenomenon_id, category from weak_signals where area_kind = 'kunta' "
            f"and area_code in ({','.join('?' * len(own))})",
            own,
        ).fetchall()
    else:
        rows = db.execute(
            "select phenomenon_id, category from weak_signals "
            "where area_kind = 'alue' and area_code = ?",
            [region.code],
        ).fetchall()
    best: dict[int, str] = {}
    for pid, category in rows:
        if pid not in best or SIGNAL_RANKING.get(category, 2) < SIGNAL_RANKING.get(best[pid], 2):
            best[pid] = category
    return best


# What takes a phenomenon off the work list: someone acted on it. Opening it is no act.
ACTS = (
    "status",
    "comment",
    "municipal_response",
    "indicator_link",
    "rename",
    "summary",
    "merge",
    "split",
    "move",
    "dismiss",
    "restore",
)


def last_acts(db: Database) -> dict[int, str]:
    """When someone last acted on each phenomenon (`ACTS`), from the audit log."""
    return {
        r[0]: r[1]
        for r in db.execute(
            "select phenomenon_id, max(at) from audit_log "
            f"where phenomenon_id is not null and action in ({','.join('?' * len(ACTS))}) "
            "group by phenomenon_id",
            list(ACTS),
        )
    }


def work_list(db: Database, region: Region, user: User, *, k: int = 5) -> list[dict[str, Any]]:
    """Phenomena in my municipalities that nobody has acted on since they last changed
    (`ACTS`: a status change, comment or reply, municipal response or decision; opening the
    page is not one), weak signals first by the category where I work
    (`work_list_categories`); `new` marks those this user has not opened ("uusi sinulle").
    Sizes as `disclosed_sizes` lets this user see them."""
    seen = {
        r[0]: r[1]
        for r in db.execute(
            "select phenomenon_id, seen_at from phenomenon_views where user_id = ?", [user.id]
        )
    }
    acted = last_acts(db)
    categories = work_list_categories(db, region, user)
    ranking = SIGNAL_RANKING
    out = []
    for p in ph.active_phenomena(db):
        if not can_view(db, user, p["id"]):
            continue
        last_act = acted.get(p["id"])
        # An act also touches updated_at, in the same second or before its audit row.
        if last_act is not None and (p["updated_at"] or "") <= last_act:
            continue
        last = seen.get(p["id"])
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
                "changed_since_seen": last is not None and (p["updated_at"] or "") > last,
                "municipalities": sorted(region.municipality(c).name for c in mine if c),
            }
        )
    out.sort(key=lambda w: (ranking.get(w["category"] or "", 2), -w["size"], w["id"]))
    sizes = disclosed_sizes(db, user, [w["id"] for w in out], k)
    for w in out:
        w["size"], w["size_shown"] = sizes[w["id"]]
    return out


def what_changed(
    db: Database, user: User, *, region: Region | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Decisions on phenomena and emerging themes the user may view, newest first: who
    (display name) and, for a municipality's response, which municipality by name (with
    `region`). A theme's decision is listed only to those who may view the theme (and the
    phenomenon it went into)."""
    rows = db.query(
        "select a.at, a.action, a.phenomenon_id, a.details, a.username, p.title, "
        "t.id as theme_id, t.title as theme_title, "
        "coalesce(u.display_name, a.username) as display_name "
        "from audit_log a left join phenomena p on p.id = a.phenomenon_id "
        "left join emerging_themes t on a.action like 'theme!_%' escape '!' "
        "and t.id = json_extract(a.details, '$.theme') "
        "left join users u on u.id = a.user_id "
        f"where a.action in ({','.join('?' * len(CHANGE_ACTIONS))}) "
        "and (p.id is not null or t.id is not null) "
        "order by a.id desc limit ?",
        [*CHANGE_ACTIONS, limit * 5],
    )
    out = []
    for r in rows:
        if r["phenomenon_id"] is not None and not can_view(db, user, r["phenomenon_id"]):
            continue
        if r["action"].startswith("theme_") and (
            r["theme_id"] is None or not can_view_theme(db, user, r["theme_id"])
        ):
            continue
        details = json.loads(r["details"] or "{}")
        code = details.get("municipality")
        if region is not None and code:
            try:
                details["municipality_name"] = region.municipality(code).name
            except KeyError:
                pass
        out.append({**r, "details": details})
        if len(out) >= limit:
            break
    return out


def my_observations_with_phenomena(db: Database, user: User) -> dict[int, dict[str, Any]]:
    """For the frontline "my observations" page: each own observation's phenomenon, with
    the status its own municipality's leadership recorded (else the region status)."""
    rows = db.execute(
        "select o.id, p.id, p.title, coalesce(r.status, p.status) from observations o "
        "join phenomenon_members m on m.item_kind = 'observation' "
        "and m.item_key = cast(o.id as text) join phenomena p on p.id = m.phenomenon_id "
        "left join municipal_responses r on r.phenomenon_id = p.id "
        "and r.municipality_code = o.municipality_code "
        "where o.created_by = ?",
        [user.id],
    ).fetchall()
    return {
        r[0]: {"id": r[1], "title": r[2], "status": r[3], "status_label": STATUSES.get(r[3], r[3])}
        for r in rows
    }
