"""Administration of indicators beyond the catalogue: search Sotkanet's stored indicator list
and add an indicator to this installation's catalogue with its direction (nakyma.indicator_list).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from nakyma import indicator_list
from nakyma.indicators import load_catalogue
from web.deps import CsrfChecked, DbDep, PageUser, SettingsDep
from web.i18n import gettext_for

router = APIRouter()


def _page(
    request: Request,
    db: DbDep,
    user: PageUser,
    settings: SettingsDep,
    *,
    query: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    catalogue = {e.id for e in load_catalogue(settings.indicator_catalogue)}
    hits = indicator_list.search(db, query) if query.strip() else []
    listed = indicator_list.list_status(db)
    return request.app.state.templates.TemplateResponse(
        request,
        "indicator_admin.html",
        {
            "user": user,
            "query": query,
            "hits": hits,
            "catalogue": catalogue,
            "added": indicator_list.added(db),
            "listed": listed[0],
            "listed_at": listed[1],
            "error": error,
            "message": request.query_params.get("viesti"),
        },
        status_code=status_code,
    )


@router.get("/indikaattorit")
def indicators_page(
    request: Request, user: PageUser, db: DbDep, settings: SettingsDep, q: str = ""
) -> Response:
    return _page(request, db, user, settings, query=q[:200])


@router.post("/indikaattorit/lisaa", dependencies=[CsrfChecked])
def add_indicator(
    request: Request,
    user: PageUser,
    db: DbDep,
    settings: SettingsDep,
    indicator: Annotated[int, Form()] = 0,
    direction: Annotated[str, Form()] = "",
    q: Annotated[str, Form()] = "",
) -> Response:
    _ = gettext_for(request)
    catalogue = [e.id for e in load_catalogue(settings.indicator_catalogue)]
    try:
        indicator_list.add(db, user, indicator, direction, catalogue=catalogue)
    except indicator_list.ListError as exc:
        return _page(request, db, user, settings, query=q, error=_(str(exc)), status_code=422)
    message = _("Indikaattori %(id)s lisättiin; seuraava indikaattoriajo hakee sen tiedot.") % {
        "id": indicator
    }
    return RedirectResponse(f"/indikaattorit?{urlencode({'q': q, 'viesti': message})}", 303)
