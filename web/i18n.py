"""The language of a request and gettext for the templates and the route code.

The language is, in this order: the signed-in user's own choice (users.language), the choice
this browser made while signed out (a cookie set by the switcher on every page), the
browser's Accept-Language, and the region file's `default_language`. Templates call
`_("Finnish text")` (Jinja2's i18n extension, newstyle gettext); route code calls
`gettext_for(request)`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from nakyma import i18n
from nakyma.indicators import title_in
from nakyma.regions import Region
from web.deps import cookie_name

LANGUAGE_COOKIE = "nakyma_lang"


def request_language(request: Request) -> str:
    """The language this request is answered in (see the module docstring for the order)."""
    cached: str | None = getattr(request.state, "language", None)
    if cached:
        return cached
    user = getattr(request.state, "user", None)
    region: Region = request.app.state.region
    language = (
        (i18n.chosen(user.language) if user is not None else None)
        or i18n.chosen(
            request.cookies.get(cookie_name(request.app.state.settings, LANGUAGE_COOKIE))
        )
        or i18n.negotiate(request.headers.get("accept-language"), region.default_language)
    )
    # Remember it only once the caller is known (the access check has run): an error page
    # answered before that must not fix the language of the rest of the request.
    if hasattr(request.state, "user"):
        request.state.language = language
    return language


def gettext_for(request: Request) -> Callable[[str], str]:
    """gettext in the request's language, for messages built in route code."""
    return i18n.translator(request_language(request))


def _language(ctx: Context) -> str:
    request = ctx.get("request")
    if request is not None:
        return request_language(request)
    language = ctx.get("language")
    return language if isinstance(language, str) else i18n.SOURCE_LANGUAGE


@pass_context
def _gettext(ctx: Context, message: str) -> str:
    return i18n.gettext(_language(ctx), message)


@pass_context
def _ngettext(ctx: Context, singular: str, plural: str, n: int) -> str:
    return i18n.ngettext(_language(ctx), singular, plural, n)


@pass_context
def _current_language(ctx: Context) -> str:
    return _language(ctx)


@pass_context
def _date(ctx: Context, value: Any) -> str:
    return i18n.format_date(value, _language(ctx))


@pass_context
def _datetime(ctx: Context, value: str | None) -> str:
    return i18n.format_datetime(value, _language(ctx))


@pass_context
def _number(ctx: Context, value: float | None, decimals: int = 1) -> str:
    return i18n.format_number(value, _language(ctx), decimals)


def _field(obj: Any, key: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(key)
    return getattr(obj, key, None)


@pass_context
def _place(ctx: Context, municipality: Any, form: str = "name") -> str:
    """A municipality (anything with `code` and the region file's forms, object or dict) in a
    sentence of the page's language: `{{ m | place('in_form') }}` is "Jyväskylässä",
    "i Vasa" or "in Vaasa"; `{{ m | place }}` the name alone."""
    language = _language(ctx)
    request = ctx.get("request")
    name = str(_field(municipality, "name") or "")
    region: Region | None = request.app.state.region if request is not None else None
    known = None
    if region is not None:
        try:
            known = region.municipality(str(_field(municipality, "code")))
        except KeyError:
            known = None
    if known is not None:
        name = known.name_in(language)
    finnish = _field(municipality, form) or (getattr(known, form, None) if known else None)
    return i18n.place_form(str(finnish or name), name, form, language)


@pass_context
def _region_name(ctx: Context, region: Region) -> str:
    return region.name_in(_language(ctx))


@pass_context
def _group_name(ctx: Context, group: Any) -> str:
    """A municipality group (anything with `key` and its Finnish `name`, object or dict) by
    its name in the page's language: `{{ group | group_name }}`, the region file's
    `name_sv` on Swedish pages."""
    name = str(_field(group, "name") or "")
    request = ctx.get("request")
    if request is None:
        return name
    region: Region = request.app.state.region
    return region.group_name(str(_field(group, "key") or ""), name, _language(ctx))


@pass_context
def _grouping_title(ctx: Context, grouping: Any) -> str:
    """A grouping (anything with `key` and its Finnish `title`) by its title in the page's
    language: the region file's `title_sv` on Swedish pages, else the title through the
    catalogue (common ones such as "Seutukunnat" are there)."""
    title = str(_field(grouping, "title") or "")
    language = _language(ctx)
    request = ctx.get("request")
    if request is not None:
        region: Region = request.app.state.region
        for known in region.groupings:
            if known.key == _field(grouping, "key") and known.title_sv and language == "sv":
                return known.title_in(language)
    return i18n.gettext(language, title) if title else title


@pass_context
def _indicator_title(ctx: Context, row: Any, short: bool = True) -> str:
    """An indicator's title in the page's language: `{{ series | indicator_title }}` the short
    one, `indicator_title(short=False)` Sotkanet's full title (`nakyma.indicators.title_in`)."""
    return title_in(row, _language(ctx), short=short)


@pass_context
def _shown_count(ctx: Context, value: Any) -> str:
    """A published count (`nakyma.disclosure`: "12", "<5" or the bound "vähintään 7") in the
    page's language: "minst 7", "at least 7"."""
    text = str(value)
    if text.startswith("vähintään "):
        return i18n.gettext(_language(ctx), "vähintään %(n)s") % {"n": text.split(" ", 1)[1]}
    return text


def install(env: Environment) -> None:
    """Jinja2's i18n extension with gettext in each request's language, the language
    switcher's data, and filters for dates, numbers, municipality names and indicator titles."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext, ngettext=_ngettext, newstyle=True
    )
    env.policies["ext.i18n.trimmed"] = True
    env.globals.update(
        current_language=_current_language,
        LANGUAGES=i18n.LANGUAGES,
        LANGUAGE_COOKIE=LANGUAGE_COOKIE,
    )
    env.filters["local_date"] = _date
    env.filters["local_datetime"] = _datetime
    env.filters["local_number"] = _number
    env.filters["place"] = _place
    env.filters["region_name"] = _region_name
    env.filters["group_name"] = _group_name
    env.filters["grouping_title"] = _grouping_title
    env.filters["indicator_title"] = _indicator_title
    env.filters["shown_count"] = _shown_count
