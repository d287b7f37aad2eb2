"""Emerging themes (nousevat teemat): the theme page and the decisions its forms send
(promote into a phenomenon, attach to one, dismiss or restore). Access is declared in
web.policy; the decisions themselves are checked again in nakyma.review."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse
from sqlite_utils import Database

from nakyma import review
from nakyma.accounts import User
from nakyma.emerging_views import theme_detail
from nakyma.i18n import N_
from web.deps import CsrfChecked, DbDep, PageUser
from web.forms import Refusal, confirmed
from web.i18n import gettext_for, request_language

router = APIRouter()


def _page(
    request: Request,
    db: Database,
    user: User,
    theme_id: int,
    *,
    refused: Refusal | None = None,
) -> Response:
    """The theme page; with `refused` a refused decision is shown again (422), its error
    next to its field, what was typed or chosen kept and the guard's findings marked."""
    state = request.app.state
    try:
        page = theme_detail(
            db,
            state.region,
            theme_id,
            user,
            k=state.settings.disclosure_k,
            language=request_language(request),
        )
    except KeyError:
        raise HTTPException(404, N_("Teemaa ei löydy.")) from None
    except review.Forbidden:
        raise HTTPException(403, N_("Sinulla ei ole oikeutta tähän.")) from None
    return state.templates.TemplateResponse(
        request,
        "theme.html",
        {
            "user": user,
            "t": page,
            "message": request.query_params.get("viesti"),
            "refused": refused or Refusal(),
        },
        status_code=422 if refused else 200,
    )


def _decide(
    request: Request,
    db: Database,
    user: User,
    theme_id: int,
    form: str,
    sent: dict[str, Any],
    action: Callable[[], str],
    *,
    guarded: str = "",
) -> Response:
    """Run a decision. A refusal shows the page again with the error next to the field of
    `form` it names; an error about the whole theme (already decided, members gone) names
    none and is shown once above the page. The guard's findings are marked in `guarded`."""
    try:
        target = action()
    except review.ReviewError as exc:
        refused = Refusal.of(exc, form, sent, guarded=guarded)
        refused.error = exc.in_language(request_language(request))
        return _page(request, db, user, theme_id, refused=refused)
    except review.Forbidden:
        raise HTTPException(403, N_("Sinulla ei ole oikeutta tähän.")) from None
    except KeyError:
        raise HTTPException(404, N_("Teemaa ei löydy.")) from None
    return RedirectResponse(target, 303)


def _to(request: Request, path: str, message: str, anchor: str = "") -> str:
    """`path` with `message` (a Finnish message id) in the reader's language."""
    text = gettext_for(request)(message)
    return f"{path}?{urlencode({'viesti': text})}{anchor}"


@router.get("/teemat/{theme_id}")
def theme_page(request: Request, theme_id: int, user: PageUser, db: DbDep) -> Response:
    return _page(request, db, user, theme_id)


@router.post("/teemat/{theme_id}/nosta", dependencies=[CsrfChecked])
def promote(
    request: Request,
    theme_id: int,
    user: PageUser,
    db: DbDep,
    title: Annotated[str, Form()] = "",
    vahvista: Annotated[str, Form()] = "",
) -> Response:
    def act() -> str:
        confirmed(vahvista)
        new_id = review.promote_theme(db, user, theme_id, title)
        message = N_("Nouseva teema nostettiin uudeksi ilmiöksi.")
        return _to(request, f"/ilmiot/{new_id}", message)

    sent = {"title": title, "vahvista": bool(vahvista)}
    return _decide(request, db, user, theme_id, "promote", sent, act, guarded=title)


@router.post("/teemat/{theme_id}/liita", dependencies=[CsrfChecked])
def attach(
    request: Request,
    theme_id: int,
    user: PageUser,
    db: DbDep,
    target: Annotated[str, Form()] = "",
    vahvista: Annotated[str, Form()] = "",
) -> Response:
    """Attaching moves the theme's observations, so it asks for confirmation like moving
    an item on the phenomenon page."""

    def act() -> str:
        if not target.isdigit():
            raise review.ReviewError(N_("Valitse ilmiö, johon teema liitetään."), field="target")
        confirmed(vahvista)
        review.attach_theme(db, user, theme_id, int(target))
        message = N_("Teeman havainnot liitettiin ilmiöön.")
        return _to(request, f"/teemat/{theme_id}", message, "#paatos")

    sent = {"target": target, "vahvista": bool(vahvista)}
    return _decide(request, db, user, theme_id, "attach", sent, act)


@router.post("/teemat/{theme_id}/hylkaa", dependencies=[CsrfChecked])
def dismiss(
    request: Request,
    theme_id: int,
    user: PageUser,
    db: DbDep,
    restore: Annotated[str, Form()] = "",
    vahvista: Annotated[str, Form()] = "",
) -> Response:
    """Dismissing asks for confirmation; restoring does not (it undoes a dismissal), and a
    refused restore has no field: its error is shown above the page."""

    def act() -> str:
        if not restore:
            confirmed(vahvista)
        review.dismiss_theme(db, user, theme_id, dismissed=not restore)
        message = N_("Teema palautettu.") if restore else N_("Teema hylätty: se ei näy listoilla.")
        return _to(request, f"/teemat/{theme_id}", message, "#paatos")

    form = "restore" if restore else "dismiss"
    return _decide(request, db, user, theme_id, form, {}, act)
