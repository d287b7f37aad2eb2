"""Leadership's review actions on a phenomenon, comment threads, the work list, the
"what changed" feed and the audit log. Access is declared in web.policy."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse
from sqlite_utils import Database

from nakyma import review
from nakyma.accounts import User
from nakyma.config import Settings
from nakyma.emerging_views import CATEGORIES, emerging_for_user
from nakyma.i18n import N_
from nakyma.regions import Region
from web.deps import CsrfChecked, DbDep, PageUser, RegionDep, SettingsDep
from web.forms import Refusal, confirmed
from web.guard import page_rate_limited, rate_limit
from web.i18n import gettext_for, request_language
from web.routes.phenomena_pages import render_phenomenon

router = APIRouter()

FORBIDDEN = "Sinulla ei ole oikeutta tähän."


@dataclasses.dataclass(frozen=True)
class Context:
    """What a refused form needs to show the phenomenon page again."""

    request: Request
    user: User
    db: Database
    region: Region
    settings: Settings


def _context(
    request: Request, user: PageUser, db: DbDep, region: RegionDep, settings: SettingsDep
) -> Context:
    return Context(request, user, db, region, settings)


ContextDep = Annotated[Context, Depends(_context)]


def _back(
    ctx: Context,
    pid: int,
    message: str,
    params: dict[str, Any] | None = None,
    anchor: str = "#hallinta",
) -> Response:
    """Back to the phenomenon page with `message` (a Finnish message id, filled in with
    `params`) in the reader's language."""
    text = gettext_for(ctx.request)(message)
    if params:
        text %= params
    return RedirectResponse(f"/ilmiot/{pid}?{urlencode({'viesti': text})}{anchor}", 303)


def _act(
    ctx: Context,
    pid: int,
    form: str,
    sent: dict[str, Any],
    action: Callable[[], Response],
    *,
    field: str,
    guarded: str = "",
    forbidden: str = FORBIDDEN,
) -> Response:
    """Run one of the page's actions. A refusal shows the page again (422) with the error
    next to its field in `form` (`field` unless the error names its own), what was `sent`
    kept and the guard's findings marked in `guarded`, the text as the guard checked it."""
    try:
        return action()
    except review.ReviewError as exc:
        refused = Refusal.of(exc, form, sent, field=field, guarded=guarded)
        refused.error = exc.in_language(request_language(ctx.request))
        return render_phenomenon(
            ctx.request, ctx.db, ctx.region, ctx.settings, ctx.user, pid, refused=refused
        )
    except review.Forbidden:
        raise HTTPException(403, forbidden) from None
    except KeyError:
        raise HTTPException(404, N_("Ilmiötä ei löydy.")) from None


@router.post("/ilmiot/{phenomenon_id}/tila", dependencies=[CsrfChecked])
def change_status(
    ctx: ContextDep,
    phenomenon_id: int,
    status: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    def act() -> Response:
        review.set_status(ctx.db, ctx.user, phenomenon_id, status, reason=reason)
        label = review.STATUSES.get(status)
        shown = gettext_for(ctx.request)(label) if label else status
        return _back(ctx, phenomenon_id, N_("Tila muutettu: %(status)s."), {"status": shown})

    sent = {"status": status, "reason": reason}
    guarded = " ".join(reason.split())
    return _act(ctx, phenomenon_id, "status", sent, act, field="status", guarded=guarded)


@router.post("/ilmiot/{phenomenon_id}/nimi", dependencies=[CsrfChecked])
def rename(ctx: ContextDep, phenomenon_id: int, title: Annotated[str, Form()] = "") -> Response:
    def act() -> Response:
        review.rename(ctx.db, ctx.user, phenomenon_id, title)
        return _back(ctx, phenomenon_id, N_("Nimi tallennettu."))

    sent = {"title": title}
    return _act(ctx, phenomenon_id, "title", sent, act, field="title", guarded=title)


@router.post("/ilmiot/{phenomenon_id}/yhteenveto", dependencies=[CsrfChecked])
def summary(ctx: ContextDep, phenomenon_id: int, summary: Annotated[str, Form()] = "") -> Response:
    def act() -> Response:
        review.write_summary(ctx.db, ctx.user, phenomenon_id, summary)
        return _back(ctx, phenomenon_id, N_("Yhteenveto tallennettu."))

    sent = {"summary": summary}
    guarded = summary.strip()
    return _act(ctx, phenomenon_id, "summary", sent, act, field="summary", guarded=guarded)


@router.post("/ilmiot/{phenomenon_id}/yhdista", dependencies=[CsrfChecked])
def merge(
    ctx: ContextDep,
    phenomenon_id: int,
    target: Annotated[int, Form()] = 0,
    vahvista: Annotated[str, Form()] = "",
) -> Response:
    def act() -> Response:
        confirmed(vahvista)
        review.merge(ctx.db, ctx.user, phenomenon_id, target)
        message = N_("Ilmiö %(id)s yhdistettiin tähän ilmiöön.")
        return _back(ctx, target, message, {"id": phenomenon_id})

    sent = {"target": target, "vahvista": bool(vahvista)}
    return _act(ctx, phenomenon_id, "merge", sent, act, field="target")


@router.post("/ilmiot/{phenomenon_id}/jaa", dependencies=[CsrfChecked])
async def split(ctx: ContextDep, phenomenon_id: int) -> Response:
    form = await ctx.request.form()
    observations = [str(v) for v in form.getlist("havainto")]
    headlines = [str(v) for v in form.getlist("uutinen")]
    items = [("observation", v) for v in observations if v.isdigit()] + [
        ("headline", v) for v in headlines
    ]
    title = str(form.get("title") or "")

    def act() -> Response:
        confirmed(form.get("vahvista"))
        new_id = review.split(ctx.db, ctx.user, phenomenon_id, items, title)
        message = N_("Uusi ilmiö erotettiin ilmiöstä %(id)s.")
        return _back(ctx, new_id, message, {"id": phenomenon_id})

    sent = {
        "observations": observations,
        "headlines": headlines,
        "title": title,
        "vahvista": bool(form.get("vahvista")),
    }
    return _act(ctx, phenomenon_id, "split", sent, act, field="items", guarded=title)


@router.post("/ilmiot/{phenomenon_id}/siirra", dependencies=[CsrfChecked])
def move(
    ctx: ContextDep,
    phenomenon_id: int,
    item: Annotated[str, Form()] = "",
    target: Annotated[int, Form()] = 0,
    vahvista: Annotated[str, Form()] = "",
) -> Response:
    def act() -> Response:
        kind, _, key = item.partition(":")
        if kind not in ("observation", "headline") or not key:
            raise review.ReviewError(N_("Valitse siirrettävä havainto tai uutinen."), field="item")
        confirmed(vahvista)
        review.move(ctx.db, ctx.user, (kind, key), target)
        return _back(ctx, phenomenon_id, N_("Siirretty ilmiöön %(id)s."), {"id": target})

    sent = {"item": item, "target": target, "vahvista": bool(vahvista)}
    return _act(ctx, phenomenon_id, "move", sent, act, field="item")


@router.post("/ilmiot/{phenomenon_id}/hylkaa", dependencies=[CsrfChecked])
def dismiss(
    ctx: ContextDep,
    phenomenon_id: int,
    restore: Annotated[str, Form()] = "",
    vahvista: Annotated[str, Form()] = "",
) -> Response:
    """Dismissing asks for confirmation; restoring does not (it undoes a dismissal)."""

    def act() -> Response:
        if not restore:
            confirmed(vahvista)
        review.dismiss(ctx.db, ctx.user, phenomenon_id, dismissed=not restore)
        done = N_("Ilmiö palautettu.") if restore else N_("Ilmiö hylätty: se ei näy listoilla.")
        return _back(ctx, phenomenon_id, done)

    return _act(ctx, phenomenon_id, "dismiss", {}, act, field="vahvista")


@router.post("/ilmiot/{phenomenon_id}/kunnan-vastaus", dependencies=[CsrfChecked])
def municipal_response(
    ctx: ContextDep,
    phenomenon_id: int,
    municipality: Annotated[str, Form()] = "",
    status: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """A municipality's leadership records its own response (see nakyma.review)."""
    if (wait := rate_limit(ctx.request, ctx.user, "submit")) is not None:
        return page_rate_limited(ctx.request, ctx.user, wait)

    def act() -> Response:
        review.set_municipal_response(ctx.db, ctx.user, phenomenon_id, municipality, status, note)
        return _back(ctx, phenomenon_id, N_("Kunnan vastaus tallennettu."), anchor="#vastaukset")

    sent = {"municipality": municipality, "status": status, "note": note}
    return _act(
        ctx,
        phenomenon_id,
        "response",
        sent,
        act,
        field="note",
        guarded=" ".join(note.split()),
        forbidden=N_("Voit kirjata vastauksen vain omalle kunnallesi."),
    )


@router.post("/ilmiot/{phenomenon_id}/indikaattorit", dependencies=[CsrfChecked])
def decide_indicator(
    ctx: ContextDep,
    phenomenon_id: int,
    indicator: Annotated[int, Form()] = 0,
    decision: Annotated[str, Form()] = "",
) -> Response:
    def act() -> Response:
        review.decide_link(ctx.db, ctx.user, phenomenon_id, indicator, decision)
        message = N_("Indikaattoripäätös tallennettu.")
        return _back(ctx, phenomenon_id, message, anchor="#indikaattorit")

    sent = {"indicator": indicator, "decision": decision}
    return _act(ctx, phenomenon_id, "indicator", sent, act, field="decision")


@router.post("/ilmiot/{phenomenon_id}/kommentit", dependencies=[CsrfChecked])
def comment(ctx: ContextDep, phenomenon_id: int, body: Annotated[str, Form()] = "") -> Response:
    """Anyone who may view the phenomenon may comment; a refused comment is shown again."""
    if (wait := rate_limit(ctx.request, ctx.user, "submit")) is not None:
        return page_rate_limited(ctx.request, ctx.user, wait)

    def act() -> Response:
        review.add_comment(ctx.db, ctx.user, phenomenon_id, body)
        return RedirectResponse(f"/ilmiot/{phenomenon_id}?kommentoitu=1#keskustelu", 303)

    sent = {"body": body}
    return _act(ctx, phenomenon_id, "comment", sent, act, field="body", guarded=body.strip())


@router.get("/tyolista")
def work_list(
    request: Request, user: PageUser, db: DbDep, region: RegionDep, settings: SettingsDep
) -> Response:
    items = review.work_list(db, region, user, k=settings.disclosure_k)
    themes = emerging_for_user(
        db, region, user, k=settings.disclosure_k, language=request_language(request)
    )
    return request.app.state.templates.TemplateResponse(
        request,
        "worklist.html",
        {"user": user, "items": items, "themes": themes, "categories": CATEGORIES},
    )


@router.get("/muutokset")
def changes(request: Request, user: PageUser, db: DbDep, region: RegionDep) -> Response:
    return request.app.state.templates.TemplateResponse(
        request,
        "changes.html",
        {
            "user": user,
            "items": review.what_changed(db, user, region=region),
            "statuses": review.STATUSES,
        },
    )


@router.get("/tapahtumaloki")
def audit_log(request: Request, user: PageUser, db: DbDep, region: RegionDep) -> Response:
    return request.app.state.templates.TemplateResponse(
        request,
        "audit.html",
        {
            "user": user,
            "entries": review.audit_log_page(db, region=region, language=request_language(request)),
        },
    )
