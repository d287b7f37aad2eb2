"""Signing in and out of the browser UI: local accounts and single sign-on (OpenID Connect,
nakyma/oidc.py for the protocol and nakyma/sso.py for what the claims grant)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse
from sqlite_utils import Database

from nakyma.accounts import LoginThrottled, User, authenticate, create_session, end_session
from nakyma.config import Settings
from nakyma.i18n import N_
from nakyma.oidc import (
    PENDING_LOGIN_SECONDS,
    OidcClient,
    OidcError,
    PendingLogin,
    open_pending,
    redirect_uri_for,
    seal_pending,
)
from nakyma.regions import Region
from nakyma.sso import SsoRefused, sign_in_sso_user
from web.deps import (
    SESSION_COOKIE,
    CsrfChecked,
    DbDep,
    OptionalUser,
    RegionDep,
    SettingsDep,
    cookie_name,
    session_cookie,
)
from web.i18n import gettext_for

router = APIRouter()
log = logging.getLogger("nakyma.web.sso")
# The pending single sign-on (state, nonce, code verifier), sealed, for the few minutes the
# provider's login takes; SameSite=Lax so that the provider's redirect back brings it.
PENDING_COOKIE = "nakyma_oidc"


def safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would make phishing links look like ours."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/kirjaudu")
def login_page(request: Request, user: OptionalUser, seuraava: str | None = None) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(seuraava), status_code=303)
    return _login_page(request, next_path=safe_next(seuraava))


def _login_page(
    request: Request,
    *,
    next_path: str,
    error: str | None = None,
    username: str = "",
    status_code: int = 200,
) -> Response:
    settings: Settings = request.app.state.settings
    return request.app.state.templates.TemplateResponse(
        request,
        "login.html",
        {
            "user": None,
            "next": next_path,
            "error": error,
            "username": username,
            "local_login": settings.local_login,
            "sso_enabled": settings.sso_enabled,
        },
        status_code=status_code,
    )


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    """An error page whose title and message (marked with N_) are shown in the user's
    language."""
    _ = gettext_for(request)
    return request.app.state.templates.TemplateResponse(
        request,
        "error.html",
        {"title": _(title), "message": _(message), "user": None, "status": status},
        status_code=status,
    )


def _start_session(
    response: Response, db: Database, settings: Settings, user: User, id_token: str | None = None
) -> None:
    token = create_session(db, user, hours=settings.session_hours, id_token=id_token)
    response.set_cookie(
        cookie_name(settings, SESSION_COOKIE),
        token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
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
    if not settings.local_login:
        return _error_page(
            request,
            403,
            N_("Kirjautuminen salasanalla ei ole käytössä"),
            N_("Kirjaudu sisään organisaatiosi tunnuksilla kirjautumissivun painikkeella."),
        )
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
        return _login_page(
            request,
            next_path=safe_next(seuraava),
            error=error,
            username=username,
            status_code=status,
        )
    response = RedirectResponse(safe_next(seuraava), status_code=303)
    _start_session(response, db, settings, user)
    return response


def _oidc(request: Request) -> OidcClient:
    client: OidcClient | None = getattr(request.app.state, "oidc", None)
    if client is None:  # single sign-on is off: its routes do not exist
        raise HTTPException(404)
    return client


@router.get("/kirjaudu/sso")
def sso_start(request: Request, settings: SettingsDep, seuraava: str | None = None) -> Response:
    """Send the browser to the identity provider, with a fresh state, nonce and PKCE
    challenge; their secrets stay in a sealed cookie until the browser comes back."""
    oidc = _oidc(request)
    redirect_uri = redirect_uri_for(settings, str(request.base_url))
    try:
        url, pending = oidc.start_login(redirect_uri, safe_next(seuraava))
    except OidcError as exc:
        log.error("single sign-on could not start: %s", exc)
        return _error_page(
            request,
            502,
            N_("Tunnistuspalveluun ei saatu yhteyttä"),
            N_(
                "Kirjautuminen organisaation tunnuksilla ei juuri nyt onnistu. Yritä hetken "
                "kuluttua uudelleen tai ota yhteyttä palvelun ylläpitoon."
            ),
        )
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        cookie_name(settings, PENDING_COOKIE),
        seal_pending(pending, settings.secret_key),
        max_age=PENDING_LOGIN_SECONDS,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return response


@router.get("/kirjaudu/sso/paluu")
def sso_callback(request: Request, db: DbDep, settings: SettingsDep, region: RegionDep) -> Response:
    """The provider's redirect back: state, code, ID token and claims checked, then the
    local user is written from the claims (nakyma.sso) and a session begins."""
    oidc = _oidc(request)
    pending_name = cookie_name(settings, PENDING_COOKIE)
    sealed = request.cookies.get(pending_name)
    pending = open_pending(sealed, settings.secret_key) if sealed else None
    response: Response
    if pending is None:
        response = _error_page(
            request,
            400,
            N_("Kirjautuminen vanhentui"),
            N_(
                "Kirjautuminen kesti liian kauan tai se aloitettiin toisessa selaimessa. "
                "Aloita kirjautuminen uudelleen."
            ),
        )
    else:
        response = _finish_sso(request, db, settings, region, oidc, pending)
    response.delete_cookie(pending_name, secure=settings.secure_cookies, httponly=True)
    return response


def _finish_sso(
    request: Request,
    db: Database,
    settings: Settings,
    region: Region,
    oidc: OidcClient,
    pending: PendingLogin,
) -> Response:
    try:
        result = oidc.finish_login(
            str(request.url), pending, redirect_uri_for(settings, str(request.base_url))
        )
    except OidcError as exc:
        log.warning("single sign-on refused: %s", exc)
        return _error_page(
            request,
            400,
            N_("Kirjautuminen epäonnistui"),
            N_(
                "Tunnistuspalvelun vastausta ei voitu hyväksyä, joten kirjautuminen keskeytettiin. "
                "Aloita kirjautuminen uudelleen. Jos virhe toistuu, ota yhteyttä palvelun "
                "ylläpitoon."
            ),
        )
    try:
        user = sign_in_sso_user(
            db,
            issuer=oidc.metadata().issuer,
            claims=result.claims,
            region=region,
            roles_claim=settings.oidc_roles_claim,
            name_claim=settings.oidc_name_claim,
        )
    except SsoRefused:
        log.info("single sign-on: no role for sub=%r", result.claims.get("sub"))
        return _error_page(
            request,
            403,
            N_("Sinulla ei ole käyttöoikeutta Näkymään"),
            N_(
                "Tunnistautuminen onnistui, mutta käyttäjäryhmäsi eivät anna oikeutta "
                "mihinkään Näkymän rooliin. Pyydä organisaatiosi pääkäyttäjää lisäämään sinut "
                "oikeaan käyttäjäryhmään ja kirjaudu sitten uudelleen."
            ),
        )
    response = RedirectResponse(pending.next_path, status_code=303)
    _start_session(response, db, settings, user, id_token=result.id_token)
    return response


@router.post("/kirjaudu-ulos", dependencies=[CsrfChecked])
def logout(request: Request, db: DbDep, settings: SettingsDep) -> Response:
    token = session_cookie(request)
    id_token = end_session(db, token) if token else None
    target = "/kirjaudu"
    oidc: OidcClient | None = getattr(request.app.state, "oidc", None)
    if id_token and oidc is not None:
        # RP-initiated logout: the provider ends its own session and sends the browser
        # back to the login page (a URL registered at the provider).
        login_url = redirect_uri_for(settings, str(request.base_url)).removesuffix("/sso/paluu")
        target = oidc.logout_url(id_token, login_url) or target
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(
        cookie_name(settings, SESSION_COOKIE), secure=settings.secure_cookies, httponly=True
    )
    return response
