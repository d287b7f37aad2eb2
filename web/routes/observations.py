"""Frontline pages: the observation form, its live privacy check and "my observations"."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from nakyma import privacy
from nakyma.homes import replies_to_observations
from nakyma.observations import (
    MAX_TEXT_LENGTH,
    IntakeError,
    normalise_text,
    submit_observation,
    text_limit_error,
)
from nakyma.review import STATUSES, add_related_observation
from nakyma.unmask import forbidden_characters
from nakyma.views import my_observations, related_phenomenon
from web.deps import CsrfChecked, DbDep, PageUser, RegionDep, SettingsDep
from web.forms import marked_segments
from web.guard import RATE_LIMITED_MESSAGE, page_rate_limited, partial_message, rate_limit
from web.i18n import gettext_for, request_language

router = APIRouter()


def _form_page(
    request: Request,
    user: Any,
    region: Any,
    settings: Any,
    *,
    values: dict[str, str],
    errors: dict[str, list[str]] | None = None,
    segments: list[dict[str, Any]] | None = None,
    saved: bool = False,
    status_code: int = 200,
    related: dict[str, Any] | None = None,
    replies: list[dict[str, Any]] | None = None,
) -> Response:
    return request.app.state.templates.TemplateResponse(
        request,
        "observation_form.html",
        {
            "user": user,
            "municipalities": sorted(region.municipalities, key=lambda m: m.name),
            "values": values,
            "errors": errors or {},
            "segments": segments,
            "saved": saved,
            "today": settings.today().isoformat(),
            "related": related,
            "replies": replies,
            "statuses": STATUSES,
        },
        status_code=status_code,
    )


@router.get("/havainnot/uusi")
def observation_form(
    request: Request,
    user: PageUser,
    db: DbDep,
    region: RegionDep,
    settings: SettingsDep,
    tallennettu: int = 0,
    ilmio: str | None = None,
) -> Response:
    values = {
        "municipality": user.municipalities[0] if user.municipalities else "",
        "observed_on": settings.today().isoformat(),
    }
    related = related_phenomenon(db, user, ilmio)
    if related:
        values["phenomenon"] = str(related["id"])
    return _form_page(
        request,
        user,
        region,
        settings,
        values=values,
        saved=bool(tallennettu),
        related=related,
        replies=replies_to_observations(db, region, user, limit=3),
    )


@router.post("/havainnot/uusi", dependencies=[CsrfChecked])
def submit_form(
    request: Request,
    user: PageUser,
    db: DbDep,
    region: RegionDep,
    settings: SettingsDep,
    text: Annotated[str, Form()] = "",
    municipality: Annotated[str, Form()] = "",
    observed_on: Annotated[str, Form()] = "",
    target_group: Annotated[str, Form()] = "",
    theme: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    phenomenon: Annotated[str, Form()] = "",
) -> Response:
    if (wait := rate_limit(request, user, "submit")) is not None:
        return page_rate_limited(request, user, wait)
    related = related_phenomenon(db, user, phenomenon)
    values = {
        "text": text,
        "municipality": municipality,
        "observed_on": observed_on,
        "target_group": target_group,
        "theme": theme,
        "role": role,
    }
    try:
        submission = submit_observation(
            db,
            values,
            region=region,
            source="lomake",
            today=settings.today(),
            created_by=user.id,
            language=request_language(request),
        )
    except IntakeError as exc:
        errors: dict[str, list[str]] = {}
        for e in exc.errors:
            errors.setdefault(e.field, []).append(e.message)
        spans = [
            (e.start, e.end, e.kind)
            for e in exc.errors
            if e.kind is not None and e.start is not None and e.end is not None
        ]
        segments = None
        if spans and exc.checked_text is not None:
            values["text"] = exc.checked_text  # what the spans point into
            segments = marked_segments(exc.checked_text, spans)
        return _form_page(
            request,
            user,
            region,
            settings,
            values=values,
            errors=errors,
            segments=segments,
            status_code=422,
            related=related,
        )
    assert submission.record is not None
    if related:
        add_related_observation(db, user, related["id"], submission.record["id"])
    return RedirectResponse(f"/havainnot/uusi?tallennettu={submission.record['id']}", 303)


@router.post("/havainnot/tarkista", dependencies=[CsrfChecked])
def check_text(request: Request, user: PageUser, text: Annotated[str, Form()] = "") -> Response:
    """htmx partial: warns about personal data while the user is still writing.

    The same size cap as the intake comes first: a huge text gets a short notice and never
    reaches the language model."""
    _ = gettext_for(request)
    if (wait := rate_limit(request, user, "check")) is not None:
        return partial_message(_(RATE_LIMITED_MESSAGE), status_code=429, wait=wait)
    if text_limit_error(text) is not None or len(normalised := normalise_text(text)) > (
        MAX_TEXT_LENGTH
    ):
        return partial_message(
            _(
                "Teksti on liian pitkä tarkistettavaksi ja tallennettavaksi: "
                "enintään %(max)s merkkiä."
            )
            % {"max": MAX_TEXT_LENGTH}
        )
    if forbidden_characters(text):
        return partial_message(
            _(
                "Tekstissä on näkymättömiä ohjausmerkkejä (esim. tekstin suuntaa muuttavia "
                "merkkejä), eikä sitä voi tallentaa. Kirjoita teksti uudelleen."
            )
        )
    findings = privacy.find_personal_data(normalised)
    return request.app.state.templates.TemplateResponse(
        request,
        "_privacy_check.html",
        {
            "findings": findings,
            "segments": marked_segments(normalised, [(f.start, f.end, f.kind) for f in findings]),
        },
    )


@router.get("/havainnot/omat")
def own_observations(
    request: Request,
    user: PageUser,
    db: DbDep,
    region: RegionDep,
    sivu: str = "1",
    kunta: str = "",
    alkaen: str = "",
    asti: str = "",
    sisaltaa: str = "",
) -> Response:
    from dataclasses import replace
    from urllib.parse import urlencode

    from nakyma.review import my_observations_with_phenomena
    from nakyma.views import observation_filters

    filters, errors = observation_filters(
        region, municipality=kunta, date_from=alkaen, date_to=asti, contains=sisaltaa
    )
    page = int(sivu) if sivu.strip().isdigit() and len(sivu.strip()) < 7 else 1
    data = replace(my_observations(db, region, user, page=page, filters=filters), errors=errors)
    return request.app.state.templates.TemplateResponse(
        request,
        "my_observations.html",
        {
            "user": user,
            "data": data,
            "labels": _labels(),
            "joined": my_observations_with_phenomena(db, user),
            "typed": {"kunta": kunta, "alkaen": alkaen, "asti": asti, "sisaltaa": sisaltaa},
            "query": urlencode(filters),
            "municipalities": sorted(region.municipalities, key=lambda m: m.name),
        },
        status_code=400 if errors else 200,
    )


def _labels() -> dict[str, dict[str, str]]:
    from nakyma.vocabulary import OBSERVER_ROLES, TARGET_GROUPS, THEMES

    return {"target_group": TARGET_GROUPS, "theme": THEMES, "role": OBSERVER_ROLES}
