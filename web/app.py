"""The FastAPI application factory: settings, middleware, routes, templates and error pages."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from nakyma import i18n, privacy
from nakyma.accounts import User
from nakyma.config import Settings
from nakyma.db import open_db
from nakyma.i18n import N_
from nakyma.oidc import OidcClient, form_action_origins
from nakyma.regions import load_region
from nakyma.runs import mark_abandoned_runs
from nakyma.vocabulary import OBSERVER_ROLES, TARGET_GROUPS, THEMES, USER_ROLES
from nakyma.wording import fi_date, fi_datetime
from pipelines.schedule import build_scheduler
from web.deps import (
    CSRF_COOKIE,
    CsrfFailed,
    LoginRequired,
    cookie_name,
    csrf_token,
    new_csrf_seed,
)
from web.guard import guard_health, install_guard
from web.i18n import gettext_for, request_language
from web.i18n import install as install_i18n
from web.policy import NOT_ALLOWED, enforce_policy, request_user
from web.routes import ROUTERS
from web.routes.homes import home_path

HERE = Path(__file__).parent
log = logging.getLogger("nakyma.web")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def content_security_policy(settings: Settings) -> str:
    """The CSP, with the identity provider's origin allowed as a form target when single
    sign-on is on: the logout form's redirect to the provider counts as a form action."""
    extra = form_action_origins(settings)
    return " ".join([CONTENT_SECURITY_POLICY, *extra])


def build_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    env = templates.env
    env.globals.update(
        csrf_token=csrf_token,
        home_path=home_path,
        TARGET_GROUPS=TARGET_GROUPS,
        THEMES=THEMES,
        OBSERVER_ROLES=OBSERVER_ROLES,
        USER_ROLES=USER_ROLES,
    )
    install_i18n(env)
    env.filters["fi_date"] = fi_date
    env.filters["fi_datetime"] = fi_datetime
    env.filters["fi_number"] = _fi_number
    # Headlines stored before links were checked at save time: render only https links.
    env.filters["https_only"] = lambda link: link if str(link).startswith("https://") else ""
    return templates


def _fi_number(value: float | None, decimals: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:,.{decimals}f}".replace(",", "\u00a0").replace(".", ",")


# Pydantic's error types in the intake's words: (message, code); messages are Finnish
# message ids, translated to the request's language.
_VALIDATION_MESSAGES = {
    "json_invalid": (N_("Pyynnön runko ei ole kelvollista JSONia."), "invalid"),
    "extra_forbidden": (N_("Tuntematon kenttä."), "unknown_field"),
    "string_type": (N_("Arvon on oltava merkkijono."), "invalid_type"),
    "missing": (N_("Kenttä puuttuu."), "missing"),
}


def validation_detail(
    errors: Sequence[Mapping[str, Any]], language: str = "fi"
) -> list[dict[str, str]]:
    """Request validation errors in the shape every 422 of the API has:
    [{"field", "message", "code"}], in `language` (Finnish by default) and without echoing
    the input."""
    _ = i18n.translator(language)
    detail = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        message, code = _VALIDATION_MESSAGES.get(
            str(err.get("type")), (N_("Kentän arvo on väärää tyyppiä."), "invalid")
        )
        detail.append({"field": ".".join(loc) or "body", "message": _(message), "code": code})
    return detail


def api_error_detail(detail: Any, translate: Callable[[str], str]) -> Any:
    """An API error's `detail` in the request's language: a message as a string, or the
    list form's `message` of each entry; `field`, `code` and the rest stay as they are
    (clients act on those). Our messages are Finnish message ids; others pass unchanged."""
    if isinstance(detail, str):
        return translate(detail) if detail else detail
    if isinstance(detail, list):
        return [
            {**e, "message": translate(e["message"])}
            if isinstance(e, dict) and isinstance(e.get("message"), str) and e["message"]
            else e
            for e in detail
        ]
    return detail


def _warm_up_finnish() -> None:
    from nakyma import finnish

    try:
        finnish.load()
    except Exception:  # the first check reports a missing model clearly; here just log
        log.warning("Finnish name model could not be loaded at start-up", exc_info=True)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The web app for one deployment: `nakyma serve` runs it, tests build their own."""
    settings = settings or Settings()
    region = load_region(settings.region_file)
    privacy.use_region(region)
    app = FastAPI(
        title="Näkymä",
        description="Tilannekuva yhteisövaikuttavuustyöhön",
        lifespan=_lifespan(settings),
        docs_url=None,  # served by api_docs below, from vendored assets (no CDN)
        # Access is declared once, in web.policy, and checked before every route.
        dependencies=[Depends(enforce_policy)],
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.region = region
    app.state.templates = build_templates()
    # Single sign-on: one relying party per app, with its discovery and key caches.
    app.state.oidc = OidcClient(settings) if settings.sso_enabled else None
    install_guard(app)  # before the security headers, which then wrap its answers too
    _add_security_headers(app, settings)
    _trust_proxies(app, settings)  # last added = outermost: every layer sees the real client
    _include_routes(app)
    _add_error_pages(app)
    return app


def _lifespan(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = open_db(settings.database_path)  # applies pending migrations at start-up
        mark_abandoned_runs(db)
        db.close()
        # Load the Finnish name model now, not on the first privacy check (2–4 s).
        threading.Thread(target=_warm_up_finnish, name="finnish-warm-up", daemon=True).start()
        scheduler = None
        if settings.scheduler_enabled:
            scheduler = build_scheduler(settings)
            scheduler.start()
        app.state.scheduler = scheduler
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)
            app.state.scheduler = None

    return lifespan


def _trust_proxies(app: FastAPI, settings: Settings) -> None:
    """Believe X-Forwarded-For / X-Forwarded-Proto only from the configured proxies.

    uvicorn's own middleware does the work (the right-most untrusted address in the chain is
    the client); it is installed here rather than by `uvicorn.run`, so that the app behaves
    the same under any server and in tests, and `nakyma serve` turns uvicorn's copy off
    (which would otherwise trust 127.0.0.1 by default). The rate limiter and the login
    throttle read `request.client`, which this sets."""
    if settings.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _cross_site(request: Request) -> bool:
    """An unsafe request another site's page made the browser send. Browsers say so in
    Sec-Fetch-Site, and in Origin; clients that send neither (curl, integrations with a
    bearer token) are not browsers riding on a user's cookies."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return True
    origin = request.headers.get("origin")
    if origin is None:
        return False
    return origin == "null" or urlsplit(origin).netloc != request.headers.get("host", "")


def _add_security_headers(app: FastAPI, settings: Settings) -> None:
    csrf_cookie = cookie_name(settings, CSRF_COOKIE)
    csp = content_security_policy(settings)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        seed = request.cookies.get(csrf_cookie, "")
        fresh = not (20 <= len(seed) <= 100 and seed.replace("-", "").replace("_", "").isalnum())
        request.state.csrf_seed = new_csrf_seed() if fresh else seed
        if request.method in UNSAFE_METHODS and _cross_site(request):
            response: Response = JSONResponse(
                {"detail": "Pyyntö tuli toiselta sivustolta, eikä sitä käsitelty."},
                status_code=403,
            )
        else:
            try:
                response = await call_next(request)
            except Exception:  # still a page with our headers, never a bare traceback
                log.exception("unhandled error on %s %s", request.method, request.url.path)
                response = JSONResponse({"detail": "Palvelussa tapahtui virhe."}, status_code=500)
        if fresh:
            response.set_cookie(
                csrf_cookie,
                request.state.csrf_seed,
                httponly=True,
                samesite="strict",
                secure=settings.secure_cookies,
            )
        _set_headers(response, csp, static=request.url.path.startswith("/static/"))
        return response


def _set_headers(response: Response, csp: str, *, static: bool) -> None:
    response.headers.setdefault("Content-Security-Policy", csp)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if not static:  # a page or an answer may hold texts: never from a cache, nor the back button
        response.headers["Cache-Control"] = "no-store"


def _include_routes(app: FastAPI) -> None:
    # Routers carry their full paths (no prefix), so a route's own path template is the
    # key it has in web.policy.POLICY; route_keys() lists them from app.state.routers.
    app.state.routers = ROUTERS
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.get("/api/docs", include_in_schema=False)
    def api_docs(request: Request) -> Response:
        """The OpenAPI description as Swagger UI, from web/static/vendor (the CSP allows
        scripts and styles from this server only)."""
        return app.state.templates.TemplateResponse(request, "api_docs.html", {})

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        # 503 naming the missing part when the privacy guard cannot run (nothing is
        # then accepted), so a load balancer or monitor sees the truth.
        status, body = guard_health()
        return JSONResponse(body, status_code=status)


def _page_user(request: Request) -> User | None:
    """The signed-in user for an error page's menu: the policy check worked it out already
    unless no route matched (a 404), when the session cookie is read here."""
    if hasattr(request.state, "user"):
        user: User | None = request.state.user
        return user
    db = open_db(request.app.state.settings.database_path, migrate=False)
    try:
        return request_user(request, db)
    finally:
        db.close()


def _add_error_pages(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        return RedirectResponse(f"/kirjaudu?seuraava={target}", status_code=303)

    @app.exception_handler(CsrfFailed)
    async def _csrf_failed(request: Request, exc: CsrfFailed) -> Response:
        _ = gettext_for(request)
        return app.state.templates.TemplateResponse(
            request,
            "error.html",
            {
                "title": _("Lomake vanhentui"),
                "message": _(
                    "Lomakkeen turvatarkiste puuttui tai oli vanhentunut. "
                    "Lataa sivu uudelleen ja lähetä lomake uudestaan."
                ),
                "user": None,
            },
            status_code=403,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        # Same shape as the intake's own errors, so clients handle one format.
        detail = validation_detail(exc.errors(), request_language(request))
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        _ = gettext_for(request)
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            # FastAPI's own words for a body it could not parse (e.g. JSON nested too deep).
            message = _("Pyynnön runkoa ei voitu lukea.")
            return JSONResponse(
                {"detail": [{"field": "body", "message": message, "code": "invalid"}]},
                status_code=400,
            )
        if request.url.path.startswith("/api/") or "text/html" not in request.headers.get(
            "accept", ""
        ):
            detail = api_error_detail(exc.detail, _)
            return JSONResponse(
                {"detail": detail}, status_code=exc.status_code, headers=exc.headers
            )
        titles = {
            404: _("Sivua ei löytynyt."),
            403: _("Sinulla ei ole oikeutta tähän sivuun."),
            405: _("Toiminto ei ole sallittu"),
        }
        # Only a Finnish reason of our own is shown; Starlette's English ("Not Found") is not.
        generic = {"Not Found", "Forbidden", "Method Not Allowed", NOT_ALLOWED}
        reason = exc.detail if isinstance(exc.detail, str) and exc.detail not in generic else None
        return app.state.templates.TemplateResponse(
            request,
            "error.html",
            {
                "title": titles.get(exc.status_code, _("Virhe")),
                # Our own reasons are Finnish message ids; those marked for translation
                # (e.g. web.policy's) show translated, others as written.
                "message": _(reason) if reason else None,
                "user": _page_user(request),
                "status": exc.status_code,
            },
            status_code=exc.status_code,
        )
