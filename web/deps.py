"""Request dependencies: the request's database connection, settings, region, the signed-in
user (worked out once, by the access check) and CSRF checks."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlite_utils import Database

from nakyma.accounts import User
from nakyma.config import Settings
from nakyma.db import open_db
from nakyma.i18n import N_
from nakyma.regions import Region

SESSION_COOKIE = "nakyma_session"
CSRF_COOKIE = "nakyma_csrf"
CSRF_FIELD = "csrf_token"
# A Secure cookie named __Host-… is refused by browsers unless it came over HTTPS from this
# very host with Path=/ and no Domain: another subdomain cannot plant or overwrite it.
SECURE_PREFIX = "__Host-"


def cookie_name(settings: Settings, name: str) -> str:
    """The cookie's name in this deployment: with the __Host- prefix when cookies are Secure."""
    return SECURE_PREFIX + name if settings.secure_cookies else name


def session_cookie(request: Request) -> str | None:
    """The browser's session token, if it sent one."""
    return request.cookies.get(cookie_name(request.app.state.settings, SESSION_COOKIE))


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_region(request: Request) -> Region:
    region: Region = request.app.state.region
    return region


def get_db(request: Request) -> Iterator[Database]:
    """The request's one connection. FastAPI caches a dependency within a request, so the
    access check (`web.policy.enforce_policy`) and the route share it."""
    db = open_db(request.app.state.settings.database_path, migrate=False)
    try:
        yield db
    finally:
        db.close()


SettingsDep = Annotated[Settings, Depends(get_settings)]
RegionDep = Annotated[Region, Depends(get_region)]
DbDep = Annotated[Database, Depends(get_db)]


class LoginRequired(Exception):
    """Raised by page dependencies; the app turns it into a redirect to the login page."""


def current_user(request: Request) -> User | None:
    """The caller, as `web.policy.enforce_policy` worked it out once for this request
    (a bearer token on /api/, the session cookie elsewhere; None when signed out)."""
    user: User | None = getattr(request.state, "user", None)
    return user


def page_user(user: Annotated[User | None, Depends(current_user)]) -> User:
    if user is None:
        raise LoginRequired()
    return user


def api_user(user: Annotated[User | None, Depends(current_user)]) -> User:
    if user is None:
        raise HTTPException(
            status_code=401,
            # A Finnish message id: the error handler answers in the request's language.
            detail=N_(
                "Kirjautuminen vaaditaan: lähetä henkilökohtainen API-avain "
                "otsakkeessa 'Authorization: Bearer …'."
            ),
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


OptionalUser = Annotated[User | None, Depends(current_user)]
PageUser = Annotated[User, Depends(page_user)]
ApiUser = Annotated[User, Depends(api_user)]


def csrf_token(request: Request) -> str:
    """The token forms must echo. Signed in, it is bound to the server-side session (an HMAC
    of the session token, which only the HttpOnly session cookie carries), so a token seen
    in one session is worthless in any other; signed out (the login form), it is bound to
    this browser's CSRF cookie."""
    key = request.app.state.settings.secret_key.encode()
    session = session_cookie(request)
    if session and getattr(request.state, "user", None) is not None:
        bound = "session:" + hashlib.sha256(session.encode()).hexdigest()
    else:
        bound = "browser:" + request.state.csrf_seed
    return hmac.new(key, bound.encode(), hashlib.sha256).hexdigest()


def new_csrf_seed() -> str:
    return secrets.token_urlsafe(32)


class CsrfFailed(Exception):
    """A form post without a valid CSRF token."""


async def check_csrf(request: Request) -> None:
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(
        sent.encode("utf-8"), csrf_token(request).encode("utf-8")
    ):
        raise CsrfFailed()


CsrfChecked = Depends(check_csrf)
