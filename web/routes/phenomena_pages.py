"""Phenomenon pages and semantic search."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response

from nakyma.embedding import get_embedder
from nakyma.review import mark_seen
from nakyma.views import phenomenon_detail, search_results
from web.charts import sparkline
from web.deps import DbDep, PageUser, RegionDep, SettingsDep

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
    try:
        page = phenomenon_detail(
            db,
            region,
            phenomenon_id,
            user,
            today=settings.today().isoformat(),
            k=settings.disclosure_k,
        )
    except KeyError:
        raise HTTPException(404, "Ilmiötä ei löydy.") from None
    mark_seen(db, user, phenomenon_id)
    return request.app.state.templates.TemplateResponse(
        request,
        "phenomenon.html",
        {
            "user": user,
            "p": page,
            "r": page.review,
            "message": request.query_params.get("viesti"),
            "error": request.query_params.get("virhe"),
            "comment_error": request.query_params.get("kommenttivirhe"),
            "commented": bool(request.query_params.get("kommentoitu")),
            "obs_chart": sparkline(page.timeline["observation"], label="Havainnot kuukausittain"),
            "news_chart": sparkline(page.timeline["headline"], label="Uutiset kuukausittain"),
        },
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
