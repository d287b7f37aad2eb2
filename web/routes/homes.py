"""Each role's front page: `GET /` sends a signed-in user to theirs (leadership: its own
municipalities; backbone team and admins: the county overview; frontline: the observation
form, which shows the replies to its observations above it)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from nakyma import homes, review
from nakyma.forecast_areas import COUNTY, area_label
from web.county_grid import municipality_grid
from web.deps import DbDep, PageUser, RegionDep, SettingsDep
from web.forecast_section import forecast_section, group_tables
from web.i18n import gettext_for, request_language

router = APIRouter()

HOMES = {
    "havainnoija": "/havainnot/uusi",
    "johto": "/omat-kunnat",
    "tukitiimi": "/yleiskuva",
    "admin": "/yleiskuva",
}


def home_path(role: str) -> str:
    """Where a role lands after signing in (and where the nav's "Etusivu" points)."""
    return HOMES.get(role, "/havainnot/uusi")


@router.get("/")
def home(user: PageUser) -> Response:
    return RedirectResponse(home_path(user.role), 303)


@router.get("/omat-kunnat")
def own_municipalities(
    request: Request, user: PageUser, db: DbDep, region: RegionDep, settings: SettingsDep
) -> Response:
    since = homes.last_home_visit(db, user)
    data = homes.leadership_home(
        db, region, user, since=since, k=settings.disclosure_k, language=request_language(request)
    )
    homes.record_home_visit(db, user)
    return request.app.state.templates.TemplateResponse(
        request,
        "home_leadership.html",
        {"user": user, "data": data, "statuses": review.STATUSES},
    )


@router.get("/vastaukset")
def replies(request: Request, user: PageUser, db: DbDep, region: RegionDep) -> Response:
    return request.app.state.templates.TemplateResponse(
        request,
        "replies.html",
        {
            "user": user,
            "replies": homes.replies_to_observations(db, region, user, limit=50),
            "statuses": review.STATUSES,
        },
    )


@router.get("/yleiskuva")
def county_overview(
    request: Request, user: PageUser, db: DbDep, region: RegionDep, settings: SettingsDep
) -> Response:
    _ = gettext_for(request)
    language = request_language(request)
    data = homes.county_overview(db, region, user, k=settings.disclosure_k, language=language)
    grid = municipality_grid(
        data.tiles,
        title=_("%(region)s: heikot signaalit ja nousevat teemat kunnittain")
        % {"region": region.name_in(language)},
        gettext=_,
        names={m.code: m.name_in(language) for m in region.municipalities},
    )
    forecasts = forecast_section(
        db,
        region,
        user,
        area_kind="hyvinvointialue",
        area_code=region.code,
        where=area_label(region, COUNTY, region.code, language)[1],
        k=settings.disclosure_k,
        as_of=settings.today(),
        language=language,
    )
    groups = group_tables(db, region, language)
    return request.app.state.templates.TemplateResponse(
        request,
        "home_county.html",
        {
            "user": user,
            "data": data,
            "grid": grid,
            "forecasts": forecasts,
            "group_forecasts": groups,
            "grouping": region.grouping(),
            "grouped_ids": {t["id"] for t in groups},
        },
    )
