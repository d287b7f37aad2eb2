"""JSON API for integrations: bearer-token authenticated, errors as {"detail": [...]}."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException
from fastapi.responses import JSONResponse

from nakyma.observations import FIELDS, FieldError, IntakeError, submit_observation
from nakyma.phenomena import active_phenomena
from nakyma.views import (
    my_observations,
    phenomenon_detail,
    region_overview,
    search_results,
    weak_signals_for,
)
from web.deps import ApiUser, DbDep, RegionDep, SettingsDep

router = APIRouter(prefix="/api", tags=["api"])


@router.post("/observations", status_code=201)
def create_observation(
    user: ApiUser,
    db: DbDep,
    region: RegionDep,
    settings: SettingsDep,
    payload: Annotated[
        dict[str, Any],
        Body(
            ...,
            examples=[
                {
                    "text": "Yläkoulun välitunneilla moni istuu yksin puhelimen kanssa.",
                    "municipality": "Äänekoski",
                    "observed_on": "2026-11-20",
                    "target_group": "nuoret",
                    "theme": "mielen_hyvinvointi",
                    "role": "opettaja",
                    "external_id": "webropol-1234",
                }
            ],
        ),
    ],
) -> JSONResponse:
    """Store one observation. 201 with the record; 200 when the same `external_id` and
    content were already stored; 422 with per-field errors."""
    unknown = sorted(set(payload) - set(FIELDS))
    if unknown:
        errors = [FieldError(k, "Tuntematon kenttä.", code="unknown_field") for k in unknown]
        return JSONResponse({"detail": [e.as_dict() for e in errors]}, status_code=422)
    bad_types = [
        FieldError(k, "Arvon on oltava merkkijono.", code="invalid_type")
        for k, v in payload.items()
        if v is not None and not isinstance(v, str)
    ]
    if bad_types:
        return JSONResponse({"detail": [e.as_dict() for e in bad_types]}, status_code=422)
    try:
        submission = submit_observation(
            db, payload, region=region, source="api", today=settings.today(), created_by=user.id
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
        return region_overview(db, region, grouping=grouping, k=settings.disclosure_k).as_dict()
    except KeyError:
        raise HTTPException(404, "Tuntematon ryhmittely.") from None


@router.get("/phenomena")
def list_phenomena(user: ApiUser, db: DbDep) -> dict[str, Any]:
    """Active phenomena, largest first."""
    rows = active_phenomena(
        db,
        columns="id, title, size, status, keywords, first_seen, last_seen",
        order_by="size desc, id",
    )
    from nakyma.review import can_view

    return {
        "phenomena": [
            {**r, "keywords": json.loads(r["keywords"] or "[]")}
            for r in rows
            if can_view(db, user, r["id"])
        ]
    }


@router.get("/phenomena/{phenomenon_id}")
def get_phenomenon(
    phenomenon_id: int, user: ApiUser, db: DbDep, region: RegionDep, settings: SettingsDep
) -> dict[str, Any]:
    """One phenomenon: members the caller may read, municipalities, timeline, indicators."""
    try:
        return phenomenon_detail(
            db, region, phenomenon_id, user, today=settings.today().isoformat()
        ).as_dict()
    except KeyError:
        raise HTTPException(404, "Ilmiötä ei löydy.") from None


@router.get("/signals")
def weak_signals(
    user: ApiUser, db: DbDep, region: RegionDep, municipality: str | None = None
) -> dict[str, Any]:
    """Ranked weak signals for a municipality (any written form or code), or the county."""
    code = None
    if municipality:
        found = region.resolve(municipality)
        if found is None:
            raise HTTPException(404, "Tuntematon kunta.")
        code = found.code
    return {"signals": weak_signals_for(db, region, municipality=code, limit=100)}


@router.get("/search")
def search(
    user: ApiUser, db: DbDep, region: RegionDep, settings: SettingsDep, q: str = ""
) -> dict[str, Any]:
    """Semantic search over phenomena, headlines and the observations the caller may read."""
    from nakyma.embedding import get_embedder

    if len(q) > 300:
        return JSONResponse(  # type: ignore[return-value]
            {
                "detail": [
                    {"field": "q", "message": "Hakulause on liian pitkä.", "code": "too_long"}
                ]
            },
            status_code=422,
        )
    return {"results": search_results(db, region, get_embedder(settings), q, user)}


@router.get("/phenomena/{phenomenon_id}/comments")
def list_comments(phenomenon_id: int, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """The phenomenon's comment thread, oldest first."""
    from nakyma.review import comments

    return {"comments": comments(db, phenomenon_id)}


@router.post("/phenomena/{phenomenon_id}/comments", status_code=201)
def post_comment(
    phenomenon_id: int,
    user: ApiUser,
    db: DbDep,
    payload: Annotated[dict[str, Any], Body(..., examples=[{"body": "Sama näkyy meilläkin."}])],
) -> JSONResponse:
    """Add a comment (privacy guard applies): 201, or 422 with the reason."""
    from nakyma.review import ReviewError, add_comment

    body = payload.get("body")
    if not isinstance(body, str):
        return _error("body", "Kommentin on oltava merkkijono.", "invalid_type")
    try:
        comment_id = add_comment(db, user, phenomenon_id, body)
    except ReviewError as exc:
        return _error("body", str(exc), "invalid")
    return JSONResponse({"id": comment_id}, status_code=201)


@router.post("/phenomena/{phenomenon_id}/status")
def post_status(
    phenomenon_id: int,
    user: ApiUser,
    db: DbDep,
    payload: Annotated[
        dict[str, Any], Body(..., examples=[{"status": "käsittelyssä", "reason": ""}])
    ],
) -> JSONResponse:
    """Change the review status (leadership of the municipality, backbone team)."""
    from nakyma.review import ReviewError, set_status

    status, reason = payload.get("status"), payload.get("reason")
    if not isinstance(status, str) or (reason is not None and not isinstance(reason, str)):
        return _error("status", "Tilan ja perustelun on oltava merkkijonoja.", "invalid_type")
    try:
        set_status(db, user, phenomenon_id, status, reason=reason)
    except ReviewError as exc:
        return _error("status", str(exc), "invalid")
    row = db.execute("select status from phenomena where id = ?", [phenomenon_id]).fetchone()
    return JSONResponse({"id": phenomenon_id, "status": row[0]})


@router.get("/worklist")
def worklist(user: ApiUser, db: DbDep, region: RegionDep) -> dict[str, Any]:
    """Phenomena new or changed since the caller last looked, weak signals first."""
    from nakyma.review import work_list

    return {"items": work_list(db, region, user)}


def _error(field: str, message: str, code: str) -> JSONResponse:
    return JSONResponse(
        {"detail": [{"field": field, "message": message, "code": code}]}, status_code=422
    )
