"""Phenomenon pages and semantic search."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from sqlite_utils import Database

from nakyma.accounts import User
from nakyma.config import Settings
from nakyma.embedding import get_embedder
from nakyma.emerging_views import themes_of_phenomenon
from nakyma.i18n import N_
from nakyma.regions import Region
from nakyma.review import mark_seen
from nakyma.views import phenomenon_detail, search_results
from web.charts import month_sparkline
from web.deps import DbDep, PageUser, RegionDep, SettingsDep
from web.forms import Refusal
from web.i18n import gettext_for, request_language

router = APIRouter()

MAX_QUERY = 300


@router.get("/ilmiot/{phenomenon_id}")
def phenomenon_page(
    request: Request,
    phenomenon_id: int,
    user: PageUser,
    db: DbDep,
    region: RegionDep,
    settings: SettingsDep,
) -> Response:
    response = render_phenomenon(request, db, region, settings, user, phenomenon_id)
    mark_seen(db, user, phenomenon_id)
    return response


def render_phenomenon(
    request: Request,
    db: Database,
    region: Region,
    settings: Settings,
    user: User,
    phenomenon_id: int,
    *,
    refused: Refusal | None = None,
) -> Response:
    """The phenomenon page; with `refused` a refused form is shown again, with 422."""
    try:
        page = phenomenon_detail(
            db,
            region,
            phenomenon_id,
            user,
            today=settings.today().isoformat(),
            k=settings.disclosure_k,
            language=request_language(request),
        )
    except KeyError:
        raise HTTPException(404, N_("Ilmiötä ei löydy.")) from None
    language = request_language(request)
    _ = gettext_for(request)
    return request.app.state.templates.TemplateResponse(
        request,
        "phenomenon.html",
        {
            "user": user,
            "p": page,
            "r": page.review,
            "message": request.query_params.get("viesti"),
            "refused": refused or Refusal(),
            "commented": bool(request.query_params.get("kommentoitu")),
            "themes": themes_of_phenomenon(db, user, phenomenon_id),
            "obs_chart": month_sparkline(
                page.timeline["observation"],
                label=_("Havainnot kuukausittain"),
                until=settings.today(),
                language=language,
            ),
            "news_chart": month_sparkline(
                page.timeline["headline"],
                label=_("Uutiset kuukausittain"),
                until=settings.today(),
                language=language,
            ),
        },
        status_code=422 if refused else 200,
    )


@router.get("/haku")
def search_page(
    request: Request,
    user: PageUser,
    db: DbDep,
    region: RegionDep,
    settings: SettingsDep,
    q: str = "",
) -> Response:
    query = q.strip()
    error = None
    results: list = []
    if len(query) > MAX_QUERY:
        error = f"Hakulause on liian pitkä (enintään {MAX_QUERY} merkkiä)."
    elif query:
        results = search_results(
            db, region, get_embedder(settings), query, user, k=settings.disclosure_k
        )
    return request.app.state.templates.TemplateResponse(
        request,
        "search.html",
        {"user": user, "q": query, "results": results, "error": error},
        status_code=422 if error else 200,
    )
