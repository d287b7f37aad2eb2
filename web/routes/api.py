"""JSON API for integrations: bearer-token authenticated, errors as {"detail": [...]}."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, field_validator

from nakyma.embedding import get_embedder
from nakyma.emerging_views import emerging_for, emerging_for_user, theme_detail
from nakyma.forecast_areas import (
    COUNTY,
    GROUP,
    MUNICIPALITY,
    area_label,
    area_section,
    section_as_dict,
)
from nakyma.i18n import N_
from nakyma.observations import FIELDS, IntakeError, submit_observation
from nakyma.phenomena import active_phenomena
from nakyma.review import (
    Forbidden,
    ReviewError,
    add_comment,
    can_view,
    comments,
    disclosed_sizes,
    exact_count_scope,
    review_status,
    set_municipal_response,
    set_status,
    work_list,
)
from nakyma.views import (
    my_observations,
    phenomenon_detail,
    region_overview,
    search_results,
    weak_signals_for,
)
from web.deps import ApiUser, DbDep, RegionDep, SettingsDep
from web.guard import api_rate_limited, rate_limit
from web.i18n import gettext_for, request_language

# What any API operation may answer besides its own results (the OpenAPI description says
# so, and tests/test_api_schema.py holds the API to it).
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "Pyynnön runkoa ei voitu lukea."},
    401: {"description": "Kirjautuminen vaaditaan (henkilökohtainen API-avain)."},
    403: {"description": "Ei käyttöoikeutta tähän."},
    404: {"description": "Kohdetta (ilmiö, kunta, ryhmittely) ei löydy."},
    422: {"description": 'Pyynnössä on virheitä: {"detail": [{field, message, code}]}.'},
}

router = APIRouter(prefix="/api", tags=["api"], responses=COMMON_RESPONSES)


class _Body(BaseModel):
    """A JSON request body: strings stay strings (no coercion of 20260115 to text).
    Errors reach the client in the intake's shape, through the app's validation handler."""

    model_config = ConfigDict(strict=True)


class ObservationIn(_Body):
    """One observation. Which fields are required, and what values mean, is the intake's
    decision (`nakyma.observations.submit_observation`), so that the form, the import and the
    API answer alike; here only unknown fields and non-strings are refused."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "text": "Yläkoulun välitunneilla moni istuu yksin puhelimen kanssa.",
                    "municipality": "Äänekoski",
                    "observed_on": "2026-11-20",
                    "target_group": "nuoret",
                    "theme": "mielen_hyvinvointi",
                    "role": "opettaja",
                    "external_id": "webropol-1234",
                }
            ]
        },
    )

    text: str | None = None
    municipality: str | None = None
    observed_on: str | None = None
    target_group: str | None = None
    theme: str | None = None
    role: str | None = None
    external_id: str | None = None

    @field_validator("*")
    @classmethod
    def _storable(cls, value: str | None) -> str | None:
        # A lone surrogate is valid in a JSON escape but cannot be stored as UTF-8.
        if value is not None and any("\ud800" <= ch <= "\udfff" for ch in value):
            raise ValueError("lone surrogate")
        return value


class CommentIn(_Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"body": "Sama näkyy meilläkin."}]})

    body: str


class ResponseIn(_Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"municipality": "992", "status": "toimenpiteitä sovittu", "note": "Sovittu."}
            ]
        }
    )

    municipality: str
    status: str
    note: str = ""


class StatusIn(_Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "käsittelyssä", "reason": ""}]}
    )

    status: str
    reason: str | None = None


assert set(ObservationIn.model_fields) == set(FIELDS), "the API body and the intake disagree"


@router.post(
    "/observations",
    status_code=201,
    responses={
        429: {"description": "Liian monta pyyntöä: odota Retry-After-otsakkeen sekunnit."},
        503: {"description": "Tietosuojatarkistus ei ole käytettävissä; mitään ei tallennettu."},
    },
)
def create_observation(
    request: Request,
    user: ApiUser,
    db: DbDep,
    region: RegionDep,
    settings: SettingsDep,
    payload: ObservationIn,
) -> JSONResponse:
    """Store one observation. 201 with the record; 200 when the same `external_id` and
    content were already stored; 422 with per-field errors; 429 with `Retry-After` beyond
    the rate limit; 503 when the privacy guard cannot run (nothing is stored)."""
    language = request_language(request)
    if (wait := rate_limit(request, user, "submit")) is not None:
        return api_rate_limited(wait, language)
    try:
        submission = submit_observation(
            db,
            payload.model_dump(exclude_unset=True),
            region=region,
            source="api",
            today=settings.today(),
            created_by=user.id,
            language=language,
        )
    except IntakeError as exc:
        return JSONResponse({"detail": [e.as_dict() for e in exc.errors]}, status_code=422)
    status = 201 if submission.status == "stored" else 200
    return JSONResponse(submission.record, status_code=status)


@router.get("/observations")
def list_own_observations(
    user: ApiUser, db: DbDep, region: RegionDep, page: int = 1
) -> dict[str, Any]:
    """The caller's own observations, newest first (JSON twin of "Omat havainnot")."""
    return my_observations(db, region, user, page=page).as_dict()


@router.get("/region")
def region(
    user: ApiUser,
    db: DbDep,
    region: RegionDep,
    settings: SettingsDep,
    grouping: str | None = None,
) -> dict[str, Any]:
    """Municipalities by group with observation counts (JSON twin of the region page)."""
    try:
        return region_overview(
            db,
            region,
            grouping=grouping,
            k=settings.disclosure_k,
            exact=exact_count_scope(user),
        ).as_dict()
    except KeyError:
        raise HTTPException(404, N_("Tuntematon ryhmittely.")) from None


@router.get("/phenomena")
def list_phenomena(user: ApiUser, db: DbDep, settings: SettingsDep) -> dict[str, Any]:
    """Active phenomena, largest first. `size` is null (and `size_shown` a bound) where the
    disclosure rule hides a phenomenon's count from the caller."""
    rows = [
        r
        for r in active_phenomena(
            db,
            columns="id, title, size, status, keywords, first_seen, last_seen",
            order_by="size desc, id",
        )
        if can_view(db, user, r["id"])
    ]
    sizes = disclosed_sizes(db, user, [r["id"] for r in rows], settings.disclosure_k)
    return {
        "phenomena": [
            {
                **r,
                "keywords": json.loads(r["keywords"] or "[]"),
                "size": sizes[r["id"]][0],
                "size_shown": sizes[r["id"]][1],
            }
            for r in rows
        ]
    }


@router.get("/phenomena/{phenomenon_id}")
def get_phenomenon(
    request: Request,
    phenomenon_id: int,
    user: ApiUser,
    db: DbDep,
    region: RegionDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """One phenomenon: members the caller may read, municipalities, timeline, indicators;
    its weak signals' sentences in the caller's language (see `GET /api/signals`)."""
    try:
        return phenomenon_detail(
            db,
            region,
            phenomenon_id,
            user,
            today=settings.today().isoformat(),
            k=settings.disclosure_k,
            language=request_language(request),
        ).as_dict()
    except KeyError:
        raise HTTPException(404, N_("Ilmiötä ei löydy.")) from None


@router.get("/signals")
def weak_signals(
    request: Request,
    user: ApiUser,
    db: DbDep,
    region: RegionDep,
    settings: SettingsDep,
    municipality: str | None = None,
) -> dict[str, Any]:
    """Ranked weak signals for a municipality (any written form or code), or the county:
    only of phenomena the caller may open; counts outside the caller's own municipalities
    under the disclosure rule (1..k-1 as "<k"). `reasons` and `technical` are in the
    caller's language, as pages are: the token owner's chosen language, else the
    `Accept-Language` header (`sv`, `en`, `fi`), else the region's default; rows computed
    before the service stored translations stay Finnish until the next run."""
    code = None
    if municipality:
        found = region.resolve(municipality)
        if found is None:
            raise HTTPException(404, N_("Tuntematon kunta."))
        code = found.code
    return {
        "signals": weak_signals_for(
            db,
            region,
            user,
            municipality=code,
            limit=100,
            k=settings.disclosure_k,
            language=request_language(request),
        )
    }


@router.get("/emerging")
def emerging_themes(
    request: Request,
    user: ApiUser,
    db: DbDep,
    region: RegionDep,
    settings: SettingsDep,
    municipality: str | None = None,
    group: str | None = None,
) -> dict[str, Any]:
    """Emerging themes (nousevat teemat) flagged in a municipality (any written form or
    code), a municipality group (`group`, a key of the default grouping) or the county:
    active and undecided, best first by their category in that area; only themes the caller
    may open, counts and reasons outside the caller's own municipalities under the
    disclosure rule (1..k-1 as "<k"). `reasons` are in the caller's language (as in
    `GET /api/signals`)."""
    kind, code = "alue", region.code
    if municipality:
        found = region.resolve(municipality)
        if found is None:
            raise HTTPException(404, N_("Tuntematon kunta."))
        kind, code = "kunta", found.code
    elif group:
        if group not in {g.key for g in region.grouping().groups}:
            raise HTTPException(404, N_("Tuntematon kuntaryhmä."))
        kind, code = "kuntaryhma", group
    themes = emerging_for(
        db,
        region,
        user,
        area_kind=kind,
        area_code=code,
        k=settings.disclosure_k,
        limit=100,
        language=request_language(request),
    )
    return {"area_kind": kind, "area_code": code, "themes": themes}


@router.get("/emerging/{theme_id}")
def get_emerging_theme(
    request: Request,
    theme_id: int,
    user: ApiUser,
    db: DbDep,
    region: RegionDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """One emerging theme: its reasons (in the caller's language, as in `GET /api/signals`),
    areas, terms, nearby earlier phenomena, decision and the members the caller may read
    (JSON twin of the theme page)."""
    try:
        return theme_detail(
            db,
            region,
            theme_id,
            user,
            k=settings.disclosure_k,
            language=request_language(request),
        ).as_dict()
    except KeyError:
        raise HTTPException(404, N_("Teemaa ei löydy.")) from None
    except Forbidden:
        raise HTTPException(403, N_("Sinulla ei ole oikeutta tähän.")) from None


FORECAST_EXAMPLE = {
    "area_kind": "kunta",
    "area_code": "992",
    "area_name": "Äänekoski",
    "headline": "Tilastojen perusteella Äänekoskella odotetaan vuoteen 2027 mennessä nousua "
    "näissä: lastensuojeluilmoitukset.",
    "computed_at": "2026-11-30T06:00:00+00:00",
    "history_published": True,
    "forecasts": [
        {
            "indicator_id": 1086,
            "title": "Lastensuojeluilmoitukset, % 0–17-vuotiaista",
            "short_title": "Lastensuojeluilmoitukset",
            "unit": "%",
            "decimals": 1,
            "higher_is_worse": True,
            "history": [{"year": 2023, "value": 7.9}, {"year": 2024, "value": 8.4}],
            "forecast": [
                {"year": 2025, "forecast": 8.9, "lo80": 8.3, "hi80": 9.5, "lo95": 8.0, "hi95": 9.8}
            ],
            "method": "drift",
            "method_name": "trendin jatko (drift)",
            "backtest": {
                "mase": 0.61,
                "coverage80": 0.889,
                "coverage95": 1.0,
                "points": 9,
                "model_coverage80": 0.667,
                "model_coverage95": 0.889,
                "origins": 4,
                "beats_naive": True,
            },
            "figures": ["Menetelmä: trendin jatko (drift)."],
            "verdict": "Ennuste jatkaa trendiä; menetelmä osui aiempina vuosina keskimäärin "
            "lähemmäs kuin viimeisin arvo, ja vastaava 80 %:n väli osui 8 kertaa 9:stä "
            "koetellusta arvosta.",
            "expectation": "Tilastojen perusteella arvon odotetaan nousevan vuoteen 2025: …",
            "direction": "nousu",
            "sotkanet_url": "https://sotkanet.fi/sotkanet/fi/metadata/indicators/1086",
            "evidence": {
                "phenomena": [
                    {
                        "id": 7,
                        "title": "Perheiden uupumus",
                        "accepted": True,
                        "recent": 8,
                        "before": None,
                        "recent_shown": "8",
                        "before_shown": "<5",
                        "trend": "havaintoja 8 viimeisen puolen vuoden aikana, edellisellä "
                        "puolivuotiskaudella <5",
                    }
                ],
                "themes": [],
            },
        }
    ],
}


@router.get(
    "/forecasts",
    responses={200: {"content": {"application/json": {"example": FORECAST_EXAMPLE}}}},
)
def forecasts(
    request: Request,
    user: ApiUser,
    db: DbDep,
    region: RegionDep,
    settings: SettingsDep,
    municipality: str | None = None,
    group: str | None = None,
) -> dict[str, Any]:
    """Forecasts of the corrective-service indicators (JSON twin of the "Ennakointi" section)
    for a municipality (any written form or code), a municipality group (`group`, a key of
    the default grouping) or, with neither, the county (`area_kind` "alue").

    Per indicator: titles, unit and decimals; `history` (the published yearly values, empty
    for a group: Sotkanet publishes no group values, and `history_published` is then false);
    `forecast` rows (year, point forecast, 80 % and 95 % intervals); the method (`method`,
    `method_name`) and its `backtest` (MASE; `coverage80` / `coverage95`: the share of the
    `points` held-out values inside the intervals as given, calibrated without this area;
    `model_coverage80` / `model_coverage95`: the model's own narrower intervals; origins;
    whether it beat the latest value); `figures` and `verdict` in words; `expectation` and
    `direction` ("nousu", "lasku", "ennallaan": the last year's whole 80 % interval against
    the newest value, for a group against its first forecast year); and the leading
    `evidence`, the linked phenomena and emerging themes the caller may open with their
    observations in the area (exact only in the caller's own municipalities, else 1..k-1 as
    "<k", the number null).

    Field names and codes (`direction`, `method`, `area_kind`) are the same in every language;
    the sentences (`headline`, `verdict`, `expectation`, `figures`, `method_name`, the
    evidence's `trend`) and `area_name` are in the request's language, as on the pages (the
    caller's own choice, else Accept-Language, else the region's default).

    The statistics are open to every signed-in caller, as on the municipality page. 404 for
    an unknown municipality or group; 422 when both are given."""
    if municipality and group:
        raise HTTPException(
            422,
            [
                {
                    "field": "group",
                    "message": N_(
                        "Anna joko kunta (municipality) tai kuntaryhmä (group), ei molempia."
                    ),
                    "code": "invalid",
                }
            ],
        )
    kind, code, api_kind = COUNTY, region.code, "alue"
    if municipality:
        found = region.resolve(municipality)
        if found is None:
            raise HTTPException(404, N_("Tuntematon kunta."))
        kind, code, api_kind = MUNICIPALITY, found.code, "kunta"
    elif group:
        if group not in {g.key for g in region.grouping().groups}:
            raise HTTPException(404, N_("Tuntematon kuntaryhmä."))
        kind, code, api_kind = GROUP, group, "kuntaryhma"
    language = request_language(request)
    name, where = area_label(region, kind, code, language)
    section = area_section(
        db,
        region,
        user,
        area_kind=kind,
        area_code=code,
        where=where,
        k=settings.disclosure_k,
        as_of=settings.today(),
        language=language,
    )
    return {"area_kind": api_kind, "area_code": code, "area_name": name, **section_as_dict(section)}


@router.get("/search")
def search(
    request: Request,
    user: ApiUser,
    db: DbDep,
    region: RegionDep,
    settings: SettingsDep,
    q: str = "",
) -> dict[str, Any]:
    """Semantic search over phenomena, headlines and the observations the caller may read."""
    if len(q) > 300:
        _ = gettext_for(request)
        return _error(  # type: ignore[return-value]
            "q", _("Hakulause on liian pitkä."), "too_long"
        )
    return {
        "results": search_results(
            db, region, get_embedder(settings), q, user, k=settings.disclosure_k
        )
    }


@router.get("/phenomena/{phenomenon_id}/comments")
def list_comments(phenomenon_id: int, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """The phenomenon's comment thread, oldest first."""
    return {"comments": comments(db, phenomenon_id)}


@router.post("/phenomena/{phenomenon_id}/comments", status_code=201)
def post_comment(
    request: Request,
    phenomenon_id: int,
    user: ApiUser,
    db: DbDep,
    payload: CommentIn,
) -> JSONResponse:
    """Add a comment (privacy guard applies): 201, or 422 with the reason; 429 when the
    account or client sends too many texts in a minute."""
    if (wait := rate_limit(request, user, "submit")) is not None:
        return api_rate_limited(wait, request_language(request))
    try:
        comment_id = add_comment(db, user, phenomenon_id, payload.body)
    except ReviewError as exc:
        return _review_error(exc, "body", request_language(request))
    return JSONResponse({"id": comment_id}, status_code=201)


@router.post("/phenomena/{phenomenon_id}/responses")
def post_municipal_response(
    request: Request,
    phenomenon_id: int,
    user: ApiUser,
    db: DbDep,
    region: RegionDep,
    payload: ResponseIn,
) -> JSONResponse:
    """Record the caller's own municipality's response to a phenomenon (leadership of that
    municipality; privacy guard applies to the note): the phenomenon's responses after it,
    422 with the reason, or 403 for another municipality."""
    if (wait := rate_limit(request, user, "submit")) is not None:
        return api_rate_limited(wait, request_language(request))
    try:
        set_municipal_response(
            db, user, phenomenon_id, payload.municipality, payload.status, payload.note
        )
    except ReviewError as exc:
        return _review_error(exc, "status", request_language(request))
    except Forbidden:
        raise HTTPException(403, N_("Voit kirjata vastauksen vain omalle kunnallesi.")) from None
    detail = phenomenon_detail(db, region, phenomenon_id, user)
    return JSONResponse({"id": phenomenon_id, "responses": detail.responses})


@router.post("/phenomena/{phenomenon_id}/status")
def post_status(
    request: Request,
    phenomenon_id: int,
    user: ApiUser,
    db: DbDep,
    payload: StatusIn,
) -> JSONResponse:
    """Change the review status (leadership of the municipality, backbone team)."""
    try:
        set_status(db, user, phenomenon_id, payload.status, reason=payload.reason)
    except ReviewError as exc:
        return _review_error(exc, "status", request_language(request))
    return JSONResponse({"id": phenomenon_id, "status": review_status(db, phenomenon_id)})


@router.get("/worklist")
def worklist(
    request: Request, user: ApiUser, db: DbDep, region: RegionDep, settings: SettingsDep
) -> dict[str, Any]:
    """Phenomena new or changed since the caller last looked, weak signals first by their
    category where the caller works, and the emerging themes there (`emerging`, their
    reasons in the caller's language)."""
    return {
        "items": work_list(db, region, user, k=settings.disclosure_k),
        "emerging": emerging_for_user(
            db, region, user, k=settings.disclosure_k, language=request_language(request)
        ),
    }


def _review_error(exc: ReviewError, field: str, language: str = "fi") -> JSONResponse:
    """A refused review action as 422: its field (`field` unless the error names one), and
    for personal data one entry per finding with its kind and span, as for observations,
    the guard's message in `language`, like the refusal's own."""
    field = exc.field or field
    if not exc.findings:
        return _error(field, exc.in_language(language), "invalid")
    detail = [
        {
            "field": field,
            "message": f.message(language=language),
            "code": "personal_data",
            "kind": f.kind,
            "start": f.start,
            "end": f.end,
        }
        for f in exc.findings
    ]
    return JSONResponse({"detail": detail}, status_code=422)


def _error(field: str, message: str, code: str) -> JSONResponse:
    return JSONResponse(
        {"detail": [{"field": field, "message": message, "code": code}]}, status_code=422
    )
