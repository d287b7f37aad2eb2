"""Exports for network meetings: the choice form, the meeting brief as a printable page and
in every format of `nakyma.exports.formats.RENDERERS` (one route, `/viennit/muistio.{ext}`),
and the research export. Access: the backbone team and admins (web.policy)."""

from __future__ import annotations

from collections import defaultdict
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse

from nakyma.accounts import User
from nakyma.config import Settings
from nakyma.exports.brief import MeetingBrief
from nakyma.exports.build import build_brief
from nakyma.exports.choices import export_choices
from nakyma.exports.formats import RENDERERS, export_filename
from nakyma.exports.request import ExportError, default_start, parse_brief_request
from nakyma.exports.research import RESEARCH_COLUMNS, render_research_csv, research_rows
from nakyma.i18n import N_
from nakyma.regions import Region
from web.charts import forecast_chart, month_chart_svg
from web.deps import DbDep, PageUser, RegionDep, SettingsDep
from web.i18n import request_language

router = APIRouter()

# Links on the form and in the brief: (label, path).
FORMATS = (
    (N_("Tulostettava muistio (HTML)"), "/viennit/muistio"),
    ("PDF", "/viennit/muistio.pdf"),
    ("Excel (XLSX)", "/viennit/muistio.xlsx"),
    ("CSV", "/viennit/muistio.csv"),
    ("Markdown", "/viennit/muistio.md"),
    (N_("Tutkimusaineisto (CSV)"), "/viennit/tutkimus.csv"),
)


def _params(request: Request) -> dict[str, list[str]]:
    params: dict[str, list[str]] = defaultdict(list)
    for key, value in request.query_params.multi_items():
        params[key].append(value)
    return params


def _form(
    request: Request,
    db: DbDep,
    region: Region,
    user: User,
    settings: Settings,
    *,
    errors: list[str],
    preview: MeetingBrief | None = None,
) -> Response:
    today = settings.today()
    params = _params(request)
    return request.app.state.templates.TemplateResponse(
        request,
        "exports.html",
        {
            "user": user,
            "choices": export_choices(db, region, request_language(request)),
            # After an error the form shows what was sent, so nothing has to be retyped.
            "sent": params,
            "default_start": default_start(today).isoformat(),
            "default_end": today.isoformat(),
            "errors": errors,
            "preview": preview,
            "qs": urlencode(preview.query) if preview else "",
            "formats": FORMATS,
            "research_columns": RESEARCH_COLUMNS,
            "settings": settings,
        },
        status_code=422 if errors else 200,
    )


def _brief(
    request: Request,
    db: DbDep,
    region: Region,
    settings: Settings,
) -> MeetingBrief:
    # The brief in the user's language: its fixed texts and the sentences it generates
    # (see docs/i18n.md).
    language = request_language(request)
    chosen = parse_brief_request(
        _params(request), region, today=settings.today(), language=language
    )
    return build_brief(
        db,
        region,
        chosen,
        k=settings.disclosure_k,
        min_population=settings.disclosure_min_population,
        generated_on=settings.today(),
        timezone=settings.timezone,
        language=language,
    )


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/viennit")
def exports_page(
    request: Request, user: PageUser, db: DbDep, region: RegionDep, settings: SettingsDep
) -> Response:
    if not request.query_params:
        return _form(request, db, region, user, settings, errors=[])
    try:
        preview = _brief(request, db, region, settings)
    except ExportError as exc:
        return _form(request, db, region, user, settings, errors=exc.messages)
    return _form(request, db, region, user, settings, errors=[], preview=preview)


@router.get("/viennit/muistio")
def brief_page(
    request: Request, user: PageUser, db: DbDep, region: RegionDep, settings: SettingsDep
) -> Response:
    try:
        brief = _brief(request, db, region, settings)
    except ExportError as exc:
        return _form(request, db, region, user, settings, errors=exc.messages)
    language = request_language(request)
    return request.app.state.templates.TemplateResponse(
        request,
        "brief.html",
        {
            "b": brief,
            "charts": {p.id: month_chart_svg(p.months, language=language) for p in brief.phenomena},
            "forecast_charts": {
                f.id: forecast_chart(
                    f.history,
                    f.points,
                    key=f"muistio-{f.id}",
                    title=f.title,
                    unit=f.unit,
                    higher_is_worse=f.higher_is_worse,
                    decimals=f.decimals,
                    language=language,
                )
                for f in brief.forecasts
            },
            "qs": urlencode(brief.query),
            "formats": FORMATS[1:],
        },
        headers={"Cache-Control": "no-store"},
    )


@router.get("/viennit/muistio.{ext}")
def brief_file(
    ext: str,
    request: Request,
    user: PageUser,
    db: DbDep,
    region: RegionDep,
    settings: SettingsDep,
) -> Response:
    """The brief in every registered format (nakyma.exports.formats.RENDERERS)."""
    renderer = RENDERERS.get(ext)
    if renderer is None:
        raise HTTPException(404, N_("Tuntematon tiedostomuoto."))
    try:
        brief = _brief(request, db, region, settings)
    except ExportError as exc:
        if not renderer.download:
            return JSONResponse(
                {"detail": [{"message": m, "code": "invalid"} for m in exc.messages]},
                status_code=422,
            )
        return _form(request, db, region, user, settings, errors=exc.messages)
    content = renderer.render(brief)
    if not renderer.download:
        return Response(
            content, media_type=renderer.media_type, headers={"Cache-Control": "no-store"}
        )
    name = export_filename("muistio", brief.scope, brief.generated_on, ext)
    return _download(content, renderer.media_type, name)


@router.get("/viennit/tutkimus.csv")
def research_csv(
    request: Request, user: PageUser, db: DbDep, region: RegionDep, settings: SettingsDep
) -> Response:
    today = settings.today()
    try:
        chosen = parse_brief_request(
            _params(request), region, today=today, language=request_language(request)
        )
        rows = research_rows(
            db,
            region,
            chosen,
            min_population=settings.disclosure_min_population,
            k=settings.disclosure_k,
            generated_on=today,
        )
    except ExportError as exc:
        return _form(request, db, region, user, settings, errors=exc.messages)
    name = export_filename("tutkimus", chosen.scope, today, "csv")
    return _download(render_research_csv(rows), "text/csv; charset=utf-8", name)
