"""Signing in and out of the browser UI."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from nakyma.accounts import LoginThrottled, authenticate, create_session, end_session
from web.deps import (
    SESSION_COOKIE,
    CsrfChecked,
    DbDep,
    OptionalUser,
    SettingsDep,
    cookie_name,
    session_cookie,
)
from web.i18n import gettext_for

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would make phishing links look like ours."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/kirjaudu")
def login_page(request: Request, user: OptionalUser, seuraava: str | None = None) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(seuraava), status_code=303)
    return request.app.state.templates.TemplateResponse(
        request,
        "login.html",
        {"user": None, "next": safe_next(seuraava), "error": None, "username": ""},
    )


@router.post("/kirjaudu", dependencies=[CsrfChecked])
def login(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    seuraava: Annotated[str, Form()] = "/",
) -> Response:
    _ = gettext_for(request)
    client = request.client.host if request.client else "unknown"
    status = 400
    try:
        user = authenticate(
            db,
            username,
            password,
            client=client,
            max_failures=settings.login_max_failures,
            window_minutes=settings.login_window_minutes,
            secret_key=settings.secret_key,
        )
        error = _("Käyttäjätunnus tai salasana on väärin.")
    except LoginThrottled as exc:
        user = None
        status = 429
        error = _(
            "Liian monta epäonnistunutta kirjautumisyritystä. Yritä uudelleen "
            "%(minutes)s minuutin kuluttua."
        ) % {"minutes": exc.retry_after_seconds // 60}
    if user is None:
        return request.app.state.templates.TemplateResponse(
            request,
            "login.html",
            {"user": None, "next": safe_next(seuraava), "error": error, "username": username},
            status_code=status,
        )
    token = create_session(db, user, hours=settings.session_hours)
    response = RedirectResponse(safe_next(seuraava), status_code=303)
    response.set_cookie(
        cookie_name(settings, SESSION_COOKIE),
        token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return response


@router.post("/kirjaudu-ulos", dependencies=[CsrfChecked])
def logout(request: Request, db: DbDep, settings: SettingsDep) -> Response:
    token = session_cookie(request)
    if token:
        end_session(db, token)
    response = RedirectResponse("/kirjaudu", status_code=303)
    response.delete_cookie(
        cookie_name(settings, SESSION_COOKIE), secure=settings.secure_cookies, httponly=True
    )
    return response
