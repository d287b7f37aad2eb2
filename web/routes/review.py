"""Leadership's review actions on a phenomenon, comment threads, the work list, the
"what changed" feed and the audit log. Access is declared in web.policy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse

from nakyma import review
from nakyma.emerging_views import CATEGORIES, emerging_for_user
from web.deps import CsrfChecked, DbDep, PageUser, RegionDep, SettingsDep
from web.guard import page_rate_limited, rate_limit
from web.routes.observations import marked_segments
from web.routes.phenomena_pages import render_phenomenon

router = APIRouter()


def _query(message: str | None = None, error: str | None = None) -> str:
    from urllib.parse import urlencode

    return urlencode({k: v for k, v in (("viesti", message), ("virhe", error)) if v})


def _back(pid: int, message: str | None = None, error: str | None = None) -> Response:
    query = _query(message, error)
    return RedirectResponse(f"/ilmiot/{pid}{'?' + query if query else ''}#hallinta", 303)


def _act(pid: int, action: Callable[[], object], success: str) -> Response:
    try:
        action()
    except review.ReviewError as exc:
        return _back(pid, error=str(exc))
    except review.Forbidden:
        raise HTTPException(403, "Sinulla ei ole oikeutta tähän.") from None
    except KeyError:
        raise HTTPException(404, "Ilmiötä ei löydy.") from None
    return _back(pid, message=success)


def _marked(text: str, exc: review.ReviewError) -> list[dict[str, Any]] | None:
    """The refused text split into plain and marked parts, or None without findings."""
    spans = [(f.start, f.end, f.kind) for f in exc.findings]
    return marked_segments(text, spans) if spans else None


@router.post("/ilmiot/{phenomenon_id}/tila", dependencies=[CsrfChecked])
def change_status(
    request: Request,
    phenomenon_id: int,
    user: PageUser,
    db: DbDep,
    region: RegionDep,
    settings: SettingsDep,
    status: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """A refused change is shown again (422) with its error next to its field, the chosen
    status and the typed reason kept."""
    try:
        review.set_status(db, user, phenomenon_id, status, reason=reason)
    except review.ReviewError as exc:
        form = {
            "status": status,
            "reason": reason,
            "error": str(exc),
            "field": exc.field or "status",
            "segments": _marked(" ".join(reason.split()), exc),
        }
        return render_phenomenon(
            request, db, region, settings, user, phenomenon_id, status_form=form, status_code=422
        )
    except review.Forbidden:
        raise HTTPException(403, "Sinulla ei ole oikeutta tähän.") from None
    except KeyError:
        raise HTTPException(404, "Ilmiötä ei löydy.") from None
    return _back(phenomenon_id, message=f"Tila muutettu: {review.STATUSES.get(status, status)}.")


@router.post("/ilmiot/{phenomenon_id}/nimi", dependencies=[CsrfChecked])
def rename(
    phenomenon_id: int, user: PageUser, db: DbDep, title: Annotated[str, Form()] = ""
) -> Response:
    return _act(
        phenomenon_id, lambda: review.rename(db, user, phenomenon_id, title), "Nimi tallennettu."
    )


@router.post("/ilmiot/{phenomenon_id}/yhteenveto", dependencies=[CsrfChecked])
def summary(
    phenomenon_id: int, user: PageUser, db: DbDep, summary: Annotated[str, Form()] = ""
) -> Response:
    return _act(
        phenomenon_id,
        lambda: review.write_summary(db, user, phenomenon_id, summary),
        "Yhteenveto tallennettu.",
    )


CONFIRM_MISSING = "Vahvista toiminto rastittamalla vahvistusruutu."


@router.post("/ilmiot/{phenomenon_id}/yhdista", dependencies=[CsrfChecked])
def merge(
    phenomenon_id: int,
    user: PageUser,
    db: DbDep,
    target: Annotated[int, Form()] = 0,
    vahvista: Annotated[str, Form()] = "",
) -> Response:
    if not vahvista:
        return _back(phenomenon_id, error=CONFIRM_MISSING)
    try:
        review.merge(db, user, phenomenon_id, target)
    except review.ReviewError as exc:
        return _back(phenomenon_id, error=str(exc))
    except review.Forbidden:
        raise HTTPException(403, "Sinulla ei ole oikeutta tähän.") from None
    return _back(target, message=f"Ilmiö {phenomenon_id} yhdistettiin tähän ilmiöön.")


@router.post("/ilmiot/{phenomenon_id}/jaa", dependencies=[CsrfChecked])
async def split(phenomenon_id: int, request: Request, user: PageUser, db: DbDep) -> Response:
    form = await request.form()
    items = [("observation", str(v)) for v in form.getlist("havainto") if str(v).isdigit()] + [
        ("headline", str(v)) for v in form.getlist("uutinen")
    ]
    title = str(form.get("title") or "")
    if not form.get("vahvista"):
        return _back(phenomenon_id, error=CONFIRM_MISSING)
    try:
        new_id = review.split(db, user, phenomenon_id, items, title)
    except review.ReviewError as exc:
        return _back(phenomenon_id, error=str(exc))
    except review.Forbidden:
        raise HTTPException(403, "Sinulla ei ole oikeutta tähän.") from None
    return _back(new_id, message=f"Uusi ilmiö erotettiin ilmiöstä {phenomenon_id}.")


@router.post("/ilmiot/{phenomenon_id}/siirra", dependencies=[CsrfChecked])
def move(
    phenomenon_id: int,
    user: PageUser,
    db: DbDep,
    item: Annotated[str, Form()] = "",
    target: Annotated[int, Form()] = 0,
) -> Response:
    kind, _, key = item.partition(":")
    if kind not in ("observation", "headline") or not key:
        return _back(phenomenon_id, error="Valitse siirrettävä havainto tai uutinen.")
    return _act(
        phenomenon_id,
        lambda: review.move(db, user, (kind, key), target),
        f"Siirretty ilmiöön {target}.",
    )


@router.post("/ilmiot/{phenomenon_id}/hylkaa", dependencies=[CsrfChecked])
def dismiss(
    phenomenon_id: int,
    user: PageUser,
    db: DbDep,
    restore: Annotated[str, Form()] = "",
    vahvista: Annotated[str, Form()] = "",
) -> Response:
    if not restore and not vahvista:
        return _back(phenomenon_id, error=CONFIRM_MISSING)
    return _act(
        phenomenon_id,
        lambda: review.dismiss(db, user, phenomenon_id, dismissed=not restore),
        "Ilmiö palautettu." if restore else "Ilmiö hylätty: se ei näy listoilla.",
    )


@router.post("/ilmiot/{phenomenon_id}/kunnan-vastaus", dependencies=[CsrfChecked])
def municipal_response(
    request: Request,
    phenomenon_id: int,
    user: PageUser,
    db: DbDep,
    municipality: Annotated[str, Form()] = "",
    status: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """A municipality's leadership records its own response (see nakyma.review)."""
    if (wait := rate_limit(request, user, "submit")) is not None:
        return page_rate_limited(request, user, wait)
    try:
        review.set_municipal_response(db, user, phenomenon_id, municipality, status, note)
    except review.ReviewError as exc:
        return RedirectResponse(f"/ilmiot/{phenomenon_id}?{_query(error=str(exc))}#vastaukset", 303)
    except review.Forbidden:
        raise HTTPException(403, "Voit kirjata vastauksen vain omalle kunnallesi.") from None
    return RedirectResponse(
        f"/ilmiot/{phenomenon_id}?{_query(message='Kunnan vastaus tallennettu.')}#vastaukset",
        303,
    )


@router.post("/ilmiot/{phenomenon_id}/indikaattorit", dependencies=[CsrfChecked])
def decide_indicator(
    phenomenon_id: int,
    user: PageUser,
    db: DbDep,
    indicator: Annotated[int, Form()] = 0,
    decision: Annotated[str, Form()] = "",
) -> Response:
    return _act(
        phenomenon_id,
        lambda: review.decide_link(db, user, phenomenon_id, indicator, decision),
        "Indikaattoripäätös tallennettu.",
    )


@router.post("/ilmiot/{phenomenon_id}/kommentit", dependencies=[CsrfChecked])
def comment(
    request: Request,
    phenomenon_id: int,
    user: PageUser,
    db: DbDep,
    region: RegionDep,
    settings: SettingsDep,
    body: Annotated[str, Form()] = "",
) -> Response:
    """A refused comment is shown again (422): the typed text kept in the textarea, the
    error once next to it, the personal data the guard found marked in a preview."""
    if (wait := rate_limit(request, user, "submit")) is not None:
        return page_rate_limited(request, user, wait)
    try:
        review.add_comment(db, user, phenomenon_id, body)
    except review.ReviewError as exc:
        form = {"text": body, "error": str(exc), "segments": _marked(body.strip(), exc)}
        return render_phenomenon(
            request, db, region, settings, user, phenomenon_id, comment_form=form, status_code=422
        )
    except review.Forbidden:
        raise HTTPException(403, "Sinulla ei ole oikeutta tähän.") from None
    return RedirectResponse(f"/ilmiot/{phenomenon_id}?kommentoitu=1#keskustelu", 303)


@router.get("/tyolista")
def work_list(
    request: Request, user: PageUser, db: DbDep, region: RegionDep, settings: SettingsDep
) -> Response:
    items = review.work_list(db, region, user, k=settings.disclosure_k)
    themes = emerging_for_user(db, region, user, k=settings.disclosure_k)
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
        {"user": user, "entries": review.audit_log_page(db, region=region)},
    )
