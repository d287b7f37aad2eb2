"""What the web layer adds to the privacy guard: rate limits on intake, honest 503s when the
guard's language model is missing, and access-log lines without query strings.

* Rate limits (``nakyma.ratelimit``): per account for submissions (form and API together)
  and for live checks, and per client address for both; beyond them the answer is 429 with
  ``Retry-After``. The limiters live on ``app.state`` (one process, see ``nakyma.ratelimit``).
* A missing model (``nakyma.finnish.ModelUnavailable``) must never mean text stored
  unchecked, nor a bare 500: every route that runs the guard answers 503 with a Finnish
  message, and ``/healthz`` names the missing part.
* Search queries (``/haku?q=``, ``/api/search?q=``) may hold whatever a user typed,
  identity codes included: the access log keeps only the path.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Literal

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nakyma import i18n
from nakyma.accounts import User
from nakyma.config import Settings
from nakyma.finnish import ModelUnavailable
from nakyma.i18n import N_
from nakyma.observations import MAX_TEXT_LENGTH
from nakyma.ratelimit import SlidingWindowLimiter, retry_after_header
from web.i18n import gettext_for

__all__ = [
    "MODEL_UNAVAILABLE_MESSAGE",
    "RATE_LIMITED_MESSAGE",
    "PathOnlyAccessLog",
    "install_guard",
    "rate_limit",
]

# Finnish message ids, translated where they are shown (the request's language).
RATE_LIMITED_MESSAGE = N_(
    "Liian monta pyyntöä lyhyessä ajassa. Odota hetki ja yritä uudelleen "
    "(tekstiäsi ei tallennettu)."
)
MODEL_UNAVAILABLE_MESSAGE = N_(
    "Tietosuojatarkistus ei ole nyt käytettävissä (suomen kielimalli puuttuu), joten "
    "tekstiä ei voi tarkistaa eikä tallentaa. Yritä myöhemmin uudelleen; ylläpito on "
    "saanut tiedon."
)
MISSING_PART = "privacy guard model"

Action = Literal["submit", "check"]
_limiters_lock = threading.Lock()
log = logging.getLogger("nakyma.web")


class PathOnlyAccessLog(logging.Filter):
    """Drops the query string from uvicorn's access-log lines (their third argument is
    the full path); the line itself is kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def install_access_log_filter() -> None:
    """Once per process, on uvicorn's access logger (kept across its logging set-up)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, PathOnlyAccessLog) for f in access.filters):
        access.addFilter(PathOnlyAccessLog())


def _limiters(request: Request) -> dict[str, SlidingWindowLimiter]:
    state = request.app.state
    limiters: dict[str, SlidingWindowLimiter] | None = getattr(state, "rate_limiters", None)
    if limiters is None:
        with _limiters_lock:
            limiters = getattr(state, "rate_limiters", None)
            if limiters is None:
                settings: Settings = state.settings
                limiters = {
                    "submit": SlidingWindowLimiter(settings.rate_limit_submissions_per_minute),
                    "check": SlidingWindowLimiter(settings.rate_limit_checks_per_minute),
                    "client": SlidingWindowLimiter(settings.rate_limit_client_per_minute),
                }
                state.rate_limiters = limiters
    return limiters


def rate_limit(request: Request, user: User, action: Action) -> float | None:
    """Count this request; None when it may go on, else the seconds to wait."""
    limiters = _limiters(request)
    wait = limiters[action].hit(f"account:{user.id}")
    if wait is not None:
        return wait
    client = request.client.host if request.client else "unknown"
    return limiters["client"].hit(f"client:{client}")


def api_rate_limited(wait: float, language: str = "fi") -> JSONResponse:
    message = i18n.gettext(language, RATE_LIMITED_MESSAGE)
    return JSONResponse(
        {"detail": [{"field": "body", "message": message, "code": "rate_limited"}]},
        status_code=429,
        headers={"Retry-After": retry_after_header(wait)},
    )


def _alert(message: str) -> str:
    from markupsafe import escape

    return f'<div class="alert alert-warning"><p>{escape(message)}</p></div>'


def partial_message(message: str, status_code: int = 200, wait: float | None = None) -> Response:
    """A small Finnish notice in place of the live check's result."""
    headers = {"Retry-After": retry_after_header(wait)} if wait is not None else None
    return HTMLResponse(_alert(message), status_code=status_code, headers=headers)


def page_rate_limited(request: Request, user: User, wait: float) -> Response:
    _ = gettext_for(request)
    response: Response = request.app.state.templates.TemplateResponse(
        request,
        "error.html",
        {"title": _("Liian monta pyyntöä"), "message": _(RATE_LIMITED_MESSAGE), "user": user},
        status_code=429,
    )
    response.headers["Retry-After"] = retry_after_header(wait)
    return response


def _model_unavailable(request: Request, exc: Exception) -> Response:
    log.error("privacy guard model unavailable: %s", exc)
    _ = gettext_for(request)
    path = request.url.path
    if path.startswith("/api/"):
        return JSONResponse(
            {
                "detail": [
                    {
                        "field": "body",
                        "message": _(MODEL_UNAVAILABLE_MESSAGE),
                        "code": "guard_unavailable",
                    }
                ]
            },
            status_code=503,
        )
    if path == "/havainnot/tarkista":
        return partial_message(_(MODEL_UNAVAILABLE_MESSAGE), status_code=503)
    response: Response = request.app.state.templates.TemplateResponse(
        request,
        "error.html",
        {
            "title": _("Palvelu ei ole käytettävissä"),
            "message": _(MODEL_UNAVAILABLE_MESSAGE),
            "user": None,
        },
        status_code=503,
    )
    return response


def guard_health() -> tuple[int, dict[str, Any]]:
    """`/healthz`: 200 when the guard's model loads, else 503 naming what is missing."""
    from nakyma import finnish

    try:
        finnish.load()
    except ModelUnavailable:
        return 503, {
            "status": "unavailable",
            "missing": [MISSING_PART],
            "message": MODEL_UNAVAILABLE_MESSAGE,
        }
    return 200, {"status": "ok"}


# Intake requests larger than this are refused before their body is parsed: a valid
# observation (2,000 characters, at most 20 kB as sent) and its other fields fit many times.
MAX_INTAKE_BODY = 64 * 1024
INTAKE_PATHS = frozenset({"/havainnot/uusi", "/havainnot/tarkista", "/api/observations"})


def _too_large_texts(scope: Scope) -> tuple[str, str, str, str]:
    """The 413 answer's language (from Accept-Language: the caller is not known yet), its
    message, title and link text."""
    headers = dict(scope.get("headers") or [])
    app = scope.get("app")
    region = getattr(getattr(app, "state", None), "region", None)
    default = region.default_language if region is not None else i18n.SOURCE_LANGUAGE
    accept = headers.get(b"accept-language", b"").decode("latin-1")
    language = i18n.negotiate(accept, default)
    _ = i18n.translator(language)
    message = _(
        "Havainto on liian pitkä: enintään %(max)s merkkiä. Lyhennä tekstiä ja lähetä se uudelleen."
    ) % {"max": MAX_TEXT_LENGTH}
    return language, message, _("Havainto on liian pitkä"), _("Takaisin lomakkeelle")


class IntakeBodyCap:
    """ASGI middleware: an intake POST whose body exceeds `MAX_INTAKE_BODY` is answered at
    once (413, or the live check's notice) without parsing it or running the guard. The
    body is read at most to the cap (a missing or false Content-Length changes nothing)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"] not in INTAKE_PATHS
        ):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > MAX_INTAKE_BODY:
            await _too_large(scope)(scope, receive, send)
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if size > MAX_INTAKE_BODY:
                await _too_large(scope)(scope, receive, send)
                return
            if message["type"] != "http.request" or not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


def _too_large(scope: Scope) -> Response:
    path = scope["path"]
    language, message, title, back = _too_large_texts(scope)
    if path == "/havainnot/tarkista":
        return partial_message(message)
    if path.startswith("/api/"):
        return JSONResponse(
            {"detail": [{"field": "text", "message": message, "code": "too_long"}]},
            status_code=413,
        )
    return HTMLResponse(
        f'<!doctype html><html lang="{language}"><meta charset="utf-8">'
        f"<title>{title}</title>"
        f"<h1>{title}</h1><p>{message}</p>"
        f'<p><a href="/havainnot/uusi">{back}</a></p></html>',
        status_code=413,
    )


def install_guard(app: FastAPI) -> None:
    """The body cap on intake, the 503 handler for a missing model, the access-log filter.
    Installed before the security-header middleware, so that its answers get the headers."""
    app.add_middleware(IntakeBodyCap)
    app.add_exception_handler(ModelUnavailable, _model_unavailable)
    install_access_log_filter()
