"""Region pages: the municipalities of the county, grouped, with their observation counts,
and the county's emerging themes."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response

from nakyma.emerging_views import emerging_for
from nakyma.views import exact_count_scope, region_overview
from web.deps import DbDep, PageUser, RegionDep, SettingsDep

router = APIRouter()


@router.get("/alue")
def region_page(
    request: Request,
    user: PageUser,
    db: DbDep,
    region: RegionDep,
    settings: SettingsDep,
    ryhmittely: str | None = None,
) -> Response:
    try:
        data = region_overview(
            db,
            region,
            grouping=ryhmittely,
            k=settings.disclosure_k,
            exact=exact_count_scope(user),
        )
    except KeyError:
        raise HTTPException(404, "Tuntematon ryhmittely.") from None
    # The county's emerging themes beside its counts (JSON twin: GET /api/emerging).
    themes = emerging_for(db, region, user, k=settings.disclosure_k, limit=10)
    return request.app.state.templates.TemplateResponse(
        request, "region.html", {"user": user, "data": data, "themes": themes}
    )
