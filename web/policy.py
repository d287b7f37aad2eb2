"""Who may use which route: the one place where access is declared.

Every route of the app must appear in POLICY (a test fails otherwise). The rule is
checked by `enforce_policy`, a dependency every route runs before its own code:

- `public`: anyone;
- `signed_in`: any signed-in user;
- a set of roles: only those roles;
- `phenomenon:view` / `phenomenon:manage`: decided per phenomenon by nakyma.review
  (view — frontline: phenomena their observations joined; leadership: phenomena touching
  their municipalities; backbone team and admins: everything. manage, i.e. region-wide
  curation — backbone team and admins; leadership only when every municipality the
  phenomenon concerns is its own).
- `theme:view` / `theme:decide`: the same for emerging themes (nakyma.review
  `can_view_theme` / `can_decide_theme`: leadership decides a theme only when every member
  lies within its own municipalities; frontline staff decide none).

Row-level rules inside a page (whose observation texts are shown) live in the view
functions (`nakyma.views.observation_visible`), which every page and API route uses.
"""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Request
from fastapi.routing import APIRoute
from sqlite_utils import Database

from nakyma.accounts import User, user_for_session, user_for_token
from nakyma.i18n import N_
from nakyma.review import (
    can_decide_theme,
    can_manage,
    can_view,
    can_view_theme,
    review_status,
    theme_decision,
)
from web.deps import DbDep, LoginRequired, session_cookie

LEADERSHIP = frozenset({"johto", "tukitiimi", "admin"})
BACKBONE = frozenset({"tukitiimi", "admin"})
ADMIN = frozenset({"admin"})

POLICY: dict[str, str | frozenset[str]] = {
    # signing in
    "GET /kirjaudu": "public",
    "POST /kirjaudu": "public",
    "POST /kirjaudu-ulos": "public",
    # single sign-on: to the identity provider and back (404 when it is off)
    "GET /kirjaudu/sso": "public",
    "GET /kirjaudu/sso/paluu": "public",
    # the language switcher: signed out it only sets a cookie
    "POST /kieli": "public",
    "GET /healthz": "public",
    # frontline
    "GET /": "signed_in",
    "GET /havainnot/uusi": "signed_in",
    "POST /havainnot/uusi": "signed_in",
    "POST /havainnot/tarkista": "signed_in",
    "GET /havainnot/omat": "signed_in",
    "GET /muutokset": "signed_in",
    "GET /vastaukset": "signed_in",
    # each role's front page (web.routes.homes)
    "GET /omat-kunnat": frozenset({"johto"}),
    "GET /yleiskuva": BACKBONE,
    # region and municipalities (counts, indicators, public news)
    "GET /alue": "signed_in",
    "GET /kunnat/{code}": "signed_in",
    # a municipality group's forecasts (public statistics, as on the municipality page)
    "GET /kuntaryhmat/{key}": "signed_in",
    "GET /haku": "signed_in",
    # phenomena
    "GET /ilmiot/{phenomenon_id}": "phenomenon:view",
    "POST /ilmiot/{phenomenon_id}/kommentit": "phenomenon:view",
    # a municipality's own response: any viewer may reach it, nakyma.review lets only the
    # leadership of that municipality write it
    "POST /ilmiot/{phenomenon_id}/kunnan-vastaus": "phenomenon:view",
    "POST /ilmiot/{phenomenon_id}/tila": "phenomenon:manage",
    "POST /ilmiot/{phenomenon_id}/nimi": "phenomenon:manage",
    "POST /ilmiot/{phenomenon_id}/yhteenveto": "phenomenon:manage",
    "POST /ilmiot/{phenomenon_id}/yhdista": "phenomenon:manage",
    "POST /ilmiot/{phenomenon_id}/jaa": "phenomenon:manage",
    "POST /ilmiot/{phenomenon_id}/siirra": "phenomenon:manage",
    "POST /ilmiot/{phenomenon_id}/hylkaa": "phenomenon:manage",
    "POST /ilmiot/{phenomenon_id}/indikaattorit": "phenomenon:manage",
    "GET /tyolista": LEADERSHIP,
    # emerging themes (nousevat teemat)
    "GET /teemat/{theme_id}": "theme:view",
    "POST /teemat/{theme_id}/nosta": "theme:decide",
    "POST /teemat/{theme_id}/liita": "theme:decide",
    "POST /teemat/{theme_id}/hylkaa": "theme:decide",
    # administration
    "GET /ajot": ADMIN,
    "GET /tapahtumaloki": ADMIN,
    "GET /indikaattorit": ADMIN,
    "POST /indikaattorit/lisaa": ADMIN,
    # exports for network meetings (disclosure-controlled)
    "GET /viennit": BACKBONE,
    "GET /viennit/muistio": BACKBONE,
    "GET /viennit/muistio.{ext}": BACKBONE,
    "GET /viennit/tutkimus.csv": BACKBONE,
    # JSON API
    "POST /api/observations": "signed_in",
    "GET /api/observations": "signed_in",
    "GET /api/region": "signed_in",
    "GET /api/phenomena": "signed_in",
    "GET /api/phenomena/{phenomenon_id}": "phenomenon:view",
    "GET /api/phenomena/{phenomenon_id}/comments": "phenomenon:view",
    "POST /api/phenomena/{phenomenon_id}/comments": "phenomenon:view",
    "POST /api/phenomena/{phenomenon_id}/status": "phenomenon:manage",
    "POST /api/phenomena/{phenomenon_id}/responses": "phenomenon:view",
    "GET /api/worklist": LEADERSHIP,
    "GET /api/signals": "signed_in",
    "GET /api/emerging": "signed_in",
    "GET /api/emerging/{theme_id}": "theme:view",
    "GET /api/forecasts": "signed_in",
    "GET /api/search": "signed_in",
    # OpenAPI description
    "GET /api/openapi.json": "public",
    "GET /api/docs": "public",
}


def route_key(request: Request) -> str:
    """ "METHOD /path/{template}" of the route that matched, as POLICY names it."""
    route = request.scope.get("route")
    path = route.path_format if isinstance(route, APIRoute) else request.url.path
    return f"{request.method} {path}"


def request_user(request: Request, db: Database) -> User | None:
    """The caller: a bearer token on /api/, a session cookie elsewhere."""
    if request.url.path.startswith("/api/"):
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return user_for_token(db, token.strip())
        return None
    cookie = session_cookie(request)
    return user_for_session(db, cookie) if cookie else None


NOT_ALLOWED = "Sinulla ei ole oikeutta tähän."


def _deny(request: Request, status: int, reason: str = NOT_ALLOWED) -> None:
    if status == 401:
        if request.url.path.startswith("/api/"):
            raise HTTPException(
                401,
                "Kirjautuminen vaaditaan: lähetä henkilökohtainen API-avain otsakkeessa "
                "'Authorization: Bearer …'.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        raise LoginRequired()
    raise HTTPException(403, reason)


def enforce_policy(request: Request, db: DbDep) -> None:
    """Runs before every route: works out the caller once (`request.state.user`, read by
    the dependencies in web.deps) and refuses what POLICY does not allow."""
    key = route_key(request)
    rule = POLICY.get(key)
    if rule is None:  # fail closed: an undeclared route is never served
        raise HTTPException(500, f"Reitille ei ole määritelty käyttöoikeutta: {key}")
    user = request_user(request, db)
    request.state.user = user
    if rule == "public":
        return
    if user is None:
        _deny(request, 401)
        return
    if rule == "signed_in":
        return
    if isinstance(rule, frozenset):
        if user.role not in rule:
            _deny(request, 403, N_("Sivu ei kuulu käyttäjäroolisi tehtäviin."))
        return
    if rule.startswith("theme:"):
        _check_theme(request, db, user, rule)
        return
    _check_phenomenon(request, db, user, rule)


def _check_theme(request: Request, db: Database, user: User, rule: str) -> None:
    try:
        theme_id = int(str(request.path_params.get("theme_id", "")))
    except (TypeError, ValueError):
        raise HTTPException(404, N_("Teemaa ei löydy.")) from None
    if not 0 < theme_id < 2**63 or theme_decision(db, theme_id) is None:
        raise HTTPException(404, N_("Teemaa ei löydy."))
    if rule == "theme:view":
        allowed = can_view_theme(db, user, theme_id)
    else:
        allowed = can_view_theme(db, user, theme_id) and can_decide_theme(db, user, theme_id)
    if not allowed:
        reason = (
            "Nouseva teema ei koske kuntiasi."
            if not can_view_theme(db, user, theme_id)
            else "Et voi tehdä päätöksiä tästä teemasta."
        )
        _deny(request, 403, reason)


def _check_phenomenon(request: Request, db: Database, user: User, rule: str) -> None:
    try:
        pid = int(str(request.path_params.get("phenomenon_id", "")))
    except (TypeError, ValueError):
        raise HTTPException(404, N_("Ilmiötä ei löydy.")) from None
    if not 0 < pid < 2**63:  # SQLite integers are 64-bit: a larger id cannot exist
        raise HTTPException(404, N_("Ilmiötä ei löydy."))
    if review_status(db, pid) is None:
        raise HTTPException(404, N_("Ilmiötä ei löydy."))
    if not can_view(db, user, pid):
        _deny(request, 403, "Ilmiö ei koske kuntiasi.")
    if rule != "phenomenon:view" and not can_manage(db, user, pid):
        _deny(request, 403, "Et voi käsitellä tätä ilmiötä: se ei ole kokonaan omien kuntiesi.")


def route_keys(app: FastAPI) -> set[str]:
    """ "METHOD /path" of every route the app serves through FastAPI: its own routes and
    those of the routers it included (`app.state.routers`, which carry no prefix)."""
    routes = [*app.router.routes]
    for router in app.state.routers:
        routes.extend(router.routes)
    return {
        f"{method} {route.path}"
        for route in routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
