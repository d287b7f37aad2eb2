"""Municipality pages: indicators with charts and signals, and the latest local headlines."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response

from nakyma.forecast_areas import MUNICIPALITY, area_label
from nakyma.i18n import N_
from nakyma.indicators import sotkanet_page, title_in
from nakyma.views import municipality_overview, runs_overview
from web.charts import chart_key, line_chart, series_lines, sparkline
from web.deps import DbDep, PageUser, RegionDep, SettingsDep
from web.forecast_section import forecast_section
from web.i18n import gettext_for, request_language

router = APIRouter()


@router.get("/kunnat/{code}")
def municipality_page(
    request: Request,
    code: str,
    user: PageUser,
    db: DbDep,
    region: RegionDep,
    settings: SettingsDep,
) -> Response:
    municipality = region.resolve(code)
    if municipality is None:
        raise HTTPException(404, N_("Tuntematon kunta."))
    if municipality.code != code:  # /kunnat/Äänekoski -> /kunnat/992
        from fastapi.responses import RedirectResponse

        return RedirectResponse(f"/kunnat/{municipality.code}", status_code=301)
    language = request_language(request)
    _ = gettext_for(request)
    data = municipality_overview(
        db, region, municipality.code, user, k=settings.disclosure_k, language=language
    )
    name = municipality.name_in(language)
    groups = [
        {**group, "charts": [_chart(c, name, language) for c in group["charts"]]}
        for group in data["indicator_groups"]
    ]
    trends = {
        s["phenomenon_id"]: sparkline(
            s["trend"], label=_("Havainnot ja uutiset 4 viikon jaksoissa")
        )
        for s in data["weak_signals"]
    }
    forecasts = forecast_section(
        db,
        region,
        user,
        area_kind="kunta",
        area_code=municipality.code,
        where=area_label(region, MUNICIPALITY, municipality.code, language)[1],
        k=settings.disclosure_k,
        as_of=settings.today(),
        language=language,
    )
    return request.app.state.templates.TemplateResponse(
        request,
        "municipality.html",
        {
            "user": user,
            "data": data,
            "groups": groups,
            "region": region,
            "trends": trends,
            "forecasts": forecasts,
        },
    )


def _chart(chart: dict[str, Any], municipality_name: str, language: str) -> dict[str, Any]:
    """One chart card's content: the SVG (its text alternative names the indicator in
    `language`), the key of newest values under it and the link, in `language`."""
    s = chart["series"]
    lines = series_lines(s, municipality_name, language)
    decimals = s["decimals"] if s["decimals"] is not None else 1
    return {
        **chart,
        "sotkanet_url": sotkanet_page(s["id"], language),
        "key": chart_key(s["years"], lines, decimals=decimals, language=language),
        "svg": line_chart(
            s["years"],
            lines,
            title=title_in(s, language, short=False),
            unit=s["unit"] or "",
            higher_is_worse=s["higher_is_worse"],
            decimals=decimals,
            language=language,
        ),
    }


@router.get("/ajot")
def runs_page(request: Request, user: PageUser, db: DbDep) -> Response:
    if user.role != "admin":
        raise HTTPException(403, N_("Ajot-sivu on vain ylläpitäjille."))
    return request.app.state.templates.TemplateResponse(
        request,
        "runs.html",
        {"user": user, "data": runs_overview(db, language=request_language(request))},
    )
