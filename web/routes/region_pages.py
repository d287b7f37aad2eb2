"""Region pages: the municipalities of the county, grouped, with their observation counts,
and the county's emerging themes; a municipality group's forecasts."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response

from nakyma.emerging_views import emerging_for
from nakyma.forecast_areas import GROUP, area_label
from nakyma.i18n import N_
from nakyma.views import exact_count_scope, region_overview
from web.deps import DbDep, PageUser, RegionDep, SettingsDep
from web.forecast_section import forecast_section
from web.i18n import request_language

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
        raise HTTPException(404, N_("Tuntematon ryhmittely.")) from None
    # The county's emerging themes beside its counts (JSON twin: GET /api/emerging).
    themes = emerging_for(
        db, region, user, k=settings.disclosure_k, limit=10, language=request_language(request)
    )
    return request.app.state.templates.TemplateResponse(
        request, "region.html", {"user": user, "data": data, "themes": themes}
    )


@router.get("/kuntaryhmat/{key}")
def group_forecast_page(
    request: Request,
    key: str,
    user: PageUser,
    db: DbDep,
    region: RegionDep,
    settings: SettingsDep,
) -> Response:
    """A group of the default grouping: its members and its "Ennakointi" section (forecast
    charts without history, since Sotkanet publishes no group values; JSON twin:
    GET /api/forecasts?group=KEY). The county overview's group tables link here."""
    group = next((g for g in region.grouping().groups if g.key == key), None)
    if group is None:
        raise HTTPException(404, N_("Tuntematon kuntaryhmä."))
    language = request_language(request)
    name, where = area_label(region, GROUP, key, language)
    forecasts = forecast_section(
        db,
        region,
        user,
        area_kind=GROUP,
        area_code=key,
        where=where,
        k=settings.disclosure_k,
        as_of=settings.today(),
        language=language,
    )
    members = [region.municipality(code) for code in group.members]
    return request.app.state.templates.TemplateResponse(
        request,
        "group_forecasts.html",
        {
            "user": user,
            "title": name,
            "where": where,
            "members": members,
            "grouping": region.grouping(),
            "forecasts": forecasts,
        },
    )
