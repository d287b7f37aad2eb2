"""The language switcher: every page's small form posts here (works without JavaScript)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from nakyma import i18n
from nakyma.accounts import set_language
from web.deps import CsrfChecked, DbDep, OptionalUser, SettingsDep, cookie_name
from web.i18n import LANGUAGE_COOKIE
from web.routes.auth import safe_next

router = APIRouter()


@router.post("/kieli", dependencies=[CsrfChecked])
def choose_language(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    user: OptionalUser,
    kieli: Annotated[str, Form()] = "",
    seuraava: Annotated[str, Form()] = "/",
) -> Response:
    """Remember the chosen language (the user's setting when signed in, a cookie in any case,
    so the login page keeps it too) and go back to the page the form was on."""
    language = i18n.chosen(kieli)
    response = RedirectResponse(safe_next(seuraava), status_code=303)
    if language is None:
        return response
    if user is not None:
        set_language(db, user.id, language)
    response.set_cookie(
        cookie_name(settings, LANGUAGE_COOKIE),
        language,
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return response
