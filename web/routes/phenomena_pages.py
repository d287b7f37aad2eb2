"""Phenomenon pages and semantic search."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from sqlite_utils import Database

from nakyma.accounts import User
from nakyma.config import Settings
from nakyma.embedding import get_embedder
from nakyma.emerging_views import themes_of_phenomenon
from nakyma.regions import Region
from nakyma.review import mark_seen
from nakyma.views import phenomenon_detail, search_results
from web.charts import month_sparkline
from web.deps import DbDep, PageUser, RegionDep, SettingsDep

router = APIRouter()

MAX_QUERY = 300


@dataclasses.dataclass
class Refusal:
    """A refused form on the phenomenon page, shown again with 422: which `form`, what was
    `sent`, the error and the `field` it is about, and the privacy guard's findings marked
    in that field's text (`segments`). The template asks each field for its error with
    `error_at`; an error no field took (its form no longer on the page, e.g. after someone
    else's decision) is shown once above the page's sections instead."""

    form: str = ""
    field: str = ""
    error: str = ""
    sent: dict[str, Any] = dataclasses.field(default_factory=dict)
    segments: list[dict[str, Any]] | None = None
    placed: bool = False

    def error_at(self, form: str, name: str) -> str | None:
        """This refusal's error if it belongs next to `name` in `form`."""
        if self.error and (form, name) == (self.form, self.field):
            self.placed = True
            return self.error
        return None

    def sent_or(self, form: str, name: str, default: Any = "") -> Any:
        """What was sent in `name` if `form` is the refused one, else `default`."""
        return self.sent.get(name, default) if form == self.form else default


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
        )
    except KeyError:
        raise HTTPException(404, "Ilmiötä ei löydy.") from None
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
                label="Havainnot kuukausittain",
                until=settings.today(),
            ),
            "news_chart": month_sparkline(
                page.timeline["headline"], label="Uutiset kuukausittain", until=settings.today()
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
