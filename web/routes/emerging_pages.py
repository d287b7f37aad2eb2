"""Emerging themes (nousevat teemat): the theme page and the decisions its forms send
(promote into a phenomenon, attach to one, dismiss or restore). Access is declared in
web.policy; the decisions themselves are checked again in nakyma.review."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse
from sqlite_utils import Database

from nakyma import review
from nakyma.accounts import User
from nakyma.emerging_views import theme_detail
from web.deps import CsrfChecked, DbDep, PageUser

router = APIRouter()

CONFIRM_MISSING = "Vahvista toiminto rastittamalla vahvistusruutu."


def _page(
    request: Request,
    db: Database,
    user: User,
    theme_id: int,
    *,
    errors: dict[str, str] | None = None,
    sent: dict[str, str] | None = None,
) -> Response:
    """The theme page; after a refused decision, with the error next to its form and what
    was typed kept (status 422)."""
    state = request.app.state
    try:
        page = theme_detail(db, state.region, theme_id, user, k=state.settings.disclosure_k)
    except KeyError:
        raise HTTPException(404, "Teemaa ei löydy.") from None
    except review.Forbidden:
        raise HTTPException(403, "Sinulla ei ole oikeutta tähän.") from None
    return state.templates.TemplateResponse(
        request,
        "theme.html",
        {
            "user": user,
            "t": page,
            "message": request.query_params.get("viesti"),
            "errors": errors or {},
            "sent": sent or {},
        },
        status_code=422 if errors else 200,
    )


def _decide(
    request: Request,
    db: Database,
    user: User,
    theme_id: int,
    form: str,
    sent: dict[str, str],
    action: Callable[[], str],
) -> Response:
    """Run a decision; on a refusal show the page again with the message by `form`."""
    try:
        target = action()
    except review.ReviewError as exc:
        return _page(request, db, user, theme_id, errors={form: str(exc)}, sent=sent)
    except review.Forbidden:
        raise HTTPException(403, "Sinulla ei ole oikeutta tähän.") from None
    except KeyError:
        raise HTTPException(404, "Teemaa ei löydy.") from None
    return RedirectResponse(target, 303)


def _to(path: str, message: str, anchor: str = "") -> str:
    return f"{path}?{urlencode({'viesti': message})}{anchor}"


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
        if not vahvista:
            raise review.ReviewError(CONFIRM_MISSING)
        new_id = review.promote_theme(db, user, theme_id, title)
        return _to(f"/ilmiot/{new_id}", "Nouseva teema nostettiin uudeksi ilmiöksi.")

    return _decide(request, db, user, theme_id, "nosta", {"title": title}, act)


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
            raise review.ReviewError("Valitse ilmiö, johon teema liitetään.")
        if not vahvista:
            raise review.ReviewError(CONFIRM_MISSING)
        review.attach_theme(db, user, theme_id, int(target))
        return _to(f"/teemat/{theme_id}", "Teeman havainnot liitettiin ilmiöön.", "#paatos")

    sent = {"target": target, "vahvista": vahvista}
    return _decide(request, db, user, theme_id, "liita", sent, act)


@router.post("/teemat/{theme_id}/hylkaa", dependencies=[CsrfChecked])
def dismiss(
    request: Request,
    theme_id: int,
    user: PageUser,
    db: DbDep,
    restore: Annotated[str, Form()] = "",
    vahvista: Annotated[str, Form()] = "",
) -> Response:
    def act() -> str:
        if not restore and not vahvista:
            raise review.ReviewError(CONFIRM_MISSING)
        review.dismiss_theme(db, user, theme_id, dismissed=not restore)
        message = "Teema palautettu." if restore else "Teema hylätty: se ei näy listoilla."
        return _to(f"/teemat/{theme_id}", message, "#paatos")

    return _decide(request, db, user, theme_id, "hylkaa", {}, act)
