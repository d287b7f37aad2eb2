"""The export request: which scope (county, municipality group or municipality), which time
window and which phenomena, read from the export form's query parameters and checked, with
every problem reported in Finnish.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from nakyma import i18n
from nakyma.observations import parse_date
from nakyma.regions import Region
from nakyma.review import STATUSES
from nakyma.signals import CATEGORY_LABELS
from nakyma.vocabulary import THEMES

# Longest window a brief may cover, and how many phenomena one may pick by hand.
MAX_MONTHS = 60
MAX_PICKED = 100
DEFAULT_MONTHS = 6
COUNTY_PARAM = "koko"


class ExportError(ValueError):
    """The export request cannot be served; `messages` are Finnish and safe to show."""

    def __init__(self, messages: Sequence[str]):
        super().__init__("; ".join(messages))
        self.messages = list(messages)


@dataclass(frozen=True)
class Scope:
    """The area a brief covers: the county, a municipality group or a municipality."""

    kind: str  # alue / kuntaryhma / kunta (the area kinds of weak_signals)
    code: str  # region code / group key of the default grouping / municipality code
    name: str  # nominative
    label: str  # "Koko hyvinvointialue", "Kuntaryhmä Jämsä–Keuruu", "Jämsä"
    municipalities: tuple[str, ...]

    @property
    def param(self) -> str:
        if self.kind == "alue":
            return COUNTY_PARAM
        return f"{'ryhma' if self.kind == 'kuntaryhma' else 'kunta'}:{self.code}"


def county_scope(region: Region) -> Scope:
    """The whole county, the default scope."""
    codes = tuple(m.code for m in region.municipalities)
    return Scope("alue", region.code, region.name, "Koko hyvinvointialue", codes)


def localised_scope(region: Region, scope: Scope, language: str) -> Scope:
    """`scope` with its name and label in `language` ("Hela välfärdsområdet", "Kommungrupp
    …", "Jakobstad"); Finnish gives the scope as it is."""
    if language == i18n.SOURCE_LANGUAGE:
        return scope
    _ = i18n.translator(language)
    if scope.kind == "alue":
        return replace(scope, name=region.name_in(language), label=_("Koko hyvinvointialue"))
    if scope.kind == "kuntaryhma":
        name = region.group_name(scope.code, scope.name, language)
        return replace(scope, name=name, label=_("Kuntaryhmä %(group)s") % {"group": name})
    name = region.municipality(scope.code).name_in(language)
    return replace(scope, name=name, label=name)


def scopes(region: Region) -> list[Scope]:
    """Every scope a brief can have: the county, the default grouping's groups, municipalities."""
    out = [county_scope(region)]
    for group in region.grouping().groups:
        out.append(
            Scope("kuntaryhma", group.key, group.name, f"Kuntaryhmä {group.name}", group.members)
        )
    for m in sorted(region.municipalities, key=lambda m: m.name):
        out.append(Scope("kunta", m.code, m.name, m.name, (m.code,)))
    return out


def resolve_scope(region: Region, written: str) -> Scope | None:
    """ "koko", "ryhma:KEY", "kunta:CODE" (or any written form of a municipality)."""
    written = (written or "").strip()
    if written in ("", COUNTY_PARAM):
        return county_scope(region)
    kind, _, code = written.partition(":")
    for scope in scopes(region):
        if scope.param == written:
            return scope
    if kind == "kunta" or not code:
        m = region.resolve(code or written)
        if m is not None:
            return next(s for s in scopes(region) if s.kind == "kunta" and s.code == m.code)
    return None


@dataclass(frozen=True)
class BriefRequest:
    """What one brief is asked for: a scope, a time window and the phenomena's filters."""

    scope: Scope
    start: date
    end: date
    statuses: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    ids: tuple[int, ...] = ()

    @property
    def filtered(self) -> bool:
        return bool(self.statuses or self.categories or self.themes or self.ids)

    def query(self) -> list[tuple[str, str]]:
        """The request as query parameters (for download links)."""
        pairs = [
            ("alue", self.scope.param),
            ("alkaen", self.start.isoformat()),
            ("asti", self.end.isoformat()),
        ]
        pairs += [("tila", s) for s in self.statuses]
        pairs += [("luokka", c) for c in self.categories]
        pairs += [("teema", t) for t in self.themes]
        pairs += [("ilmio", str(i)) for i in self.ids]
        return pairs


def default_start(end: date, months: int = DEFAULT_MONTHS) -> date:
    """The first day of the month `months - 1` months before `end`'s month."""
    index = month_index(end) - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


def month_index(d: date) -> int:
    """Months since year 0: the distance between two dates in whole calendar months."""
    return d.year * 12 + d.month - 1


def parse_brief_request(
    params: Mapping[str, Sequence[str]], region: Region, *, today: date, language: str = "fi"
) -> BriefRequest:
    """Read the form's query parameters (alue, alkaen, asti, tila, luokka, teema, ilmio).
    Raises ExportError with every problem found, in `language` (Finnish by default)."""
    _ = i18n.translator(language)
    errors: list[str] = []
    scope = resolve_scope(region, _one(params, "alue"))
    if scope is None:
        errors.append(
            _("Tuntematon alue: ”%(value)s”. Valitse alue luettelosta.")
            % {"value": _one(params, "alue")}
        )
    start, end = _window(params, today, errors, _)
    statuses = _known(params, "tila", STATUSES, _("Tuntematon tila: ”%(value)s”."), errors)
    categories = _known(
        params, "luokka", CATEGORY_LABELS, _("Tuntematon signaaliluokka: ”%(value)s”."), errors
    )
    themes = _known(params, "teema", THEMES, _("Tuntematon teema: ”%(value)s”."), errors)
    ids = _picked_ids(params, errors, _)
    if errors or scope is None:
        raise ExportError(errors)
    return BriefRequest(
        scope=scope,
        start=start,
        end=end,
        statuses=tuple(dict.fromkeys(statuses)),
        categories=tuple(dict.fromkeys(categories)),
        themes=tuple(dict.fromkeys(themes)),
        ids=tuple(dict.fromkeys(ids)),
    )


def _one(params: Mapping[str, Sequence[str]], name: str) -> str:
    """A single-valued field: its last value, trimmed."""
    values = params.get(name) or [""]
    return (values[-1] or "").strip()[:200]


def _many(params: Mapping[str, Sequence[str]], name: str) -> list[str]:
    """A many-valued field (checkboxes): its non-empty values, trimmed."""
    return [v.strip()[:200] for v in params.get(name, []) if v and v.strip()]


def _window(
    params: Mapping[str, Sequence[str]],
    today: date,
    errors: list[str],
    _: Callable[[str], str],
) -> tuple[date, date]:
    """alkaen and asti: by default the last DEFAULT_MONTHS months up to today."""
    end = _date(
        params,
        "asti",
        today,
        _("Loppupäivä ei ole päivämäärä (esim. 2026-11-30 tai 30.11.2026)."),
        errors,
    )
    start = _date(
        params,
        "alkaen",
        default_start(end),
        _("Alkupäivä ei ole päivämäärä (esim. 2026-06-01 tai 1.6.2026)."),
        errors,
    )
    if start > end:
        errors.append(_("Alkupäivä on loppupäivän jälkeen."))
    elif month_index(end) - month_index(start) >= MAX_MONTHS:
        errors.append(
            _("Aikaväli on liian pitkä (enintään %(years)s vuotta).") % {"years": MAX_MONTHS // 12}
        )
    return start, end


def _date(
    params: Mapping[str, Sequence[str]],
    name: str,
    default: date,
    message: str,
    errors: list[str],
) -> date:
    """A date field as written (2026-06-01 or 1.6.2026), else `default`."""
    written = _one(params, name)
    if not written:
        return default
    parsed = parse_date(written)
    if parsed is None:
        errors.append(message)
        return default
    return parsed


def _known(
    params: Mapping[str, Sequence[str]],
    name: str,
    known: Mapping[str, str],
    message: str,
    errors: list[str],
) -> list[str]:
    """The values of a many-valued field, with `message` for each unknown one."""
    values = _many(params, name)
    errors += [message % {"value": v} for v in values if v not in known]
    return values


def _picked_ids(
    params: Mapping[str, Sequence[str]], errors: list[str], _: Callable[[str], str]
) -> list[int]:
    """The hand-picked phenomena's numbers (ilmio), at most MAX_PICKED."""
    picked = _many(params, "ilmio")
    if len(picked) > MAX_PICKED:
        errors.append(_("Valitse enintään %(max)s ilmiötä.") % {"max": MAX_PICKED})
    ids: list[int] = []
    for text in picked[:MAX_PICKED]:
        if text.isdigit() and len(text) < 10:
            ids.append(int(text))
        else:
            errors.append(_("Ilmiön numero ei kelpaa: ”%(value)s”.") % {"value": text})
    return ids
