"""The meeting brief's data: what one brief holds for a scope and a time window, phenomenon by
phenomenon, with every count already disclosure-controlled. Built by `nakyma.exports.build`,
read by every output format.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from nakyma import i18n
from nakyma.disclosure import COMPLEMENTARY_MARK, Cell, SuppressedTable
from nakyma.exports.request import Scope
from nakyma.i18n import N_
from nakyma.wording import fi_date

# How many phenomena one brief holds at most: a meeting reads a handful, and a 100-page PDF
# helps nobody.
MAX_PHENOMENA = 40
# The columns of a phenomenon's month table: (item kind, label).
SOURCES = (("observation", N_("Havainnot")), ("headline", N_("Uutiset")))


@dataclass(frozen=True)
class IndicatorValue:
    """An indicator's latest value in one area."""

    area: str
    year: int
    value: str  # formatted, with unit


@dataclass(frozen=True)
class LinkedIndicator:
    """An indicator linked to a phenomenon (accepted, or suggested when none is)."""

    id: int
    title: str
    accepted: bool
    values: tuple[IndicatorValue, ...]
    attribution: str  # "Lähde: THL, Sotkanet; tuottaja …"
    url: str

    @property
    def values_text(self) -> str:
        """Each area's latest value ("Jämsä 2024: …; Koko maa 2024: …"), or "ei arvoja"."""
        return self.values_in(i18n.SOURCE_LANGUAGE)

    def values_in(self, language: str) -> str:
        """`values_text` with its "ei arvoja" in `language`."""
        _ = i18n.translator(language)
        return "; ".join(f"{v.area} {v.year}: {v.value}" for v in self.values) or _("ei arvoja")


@dataclass(frozen=True)
class ObservationText:
    """A sample observation text, placed no more precisely than disclosure allows."""

    text: str
    place: str  # municipality, or "kuntaryhmä …" for a small municipality
    month: str  # "marraskuu 2026"


@dataclass(frozen=True)
class PhenomenonBrief:
    """One phenomenon's part of the brief: its review state, signal, evidence in the scope
    and window, indicators, sample texts and questions for the meeting."""

    id: int
    title: str
    summary: str | None
    status: str
    status_label: str
    category: str | None
    category_label: str | None
    reasons: tuple[str, ...]
    theme: str | None
    theme_label: str | None
    months: SuppressedTable  # rows: months of the window; columns: observations, headlines
    municipalities: SuppressedTable | None  # observations by municipality (None: one-town scope)
    indicators: tuple[LinkedIndicator, ...]
    texts: tuple[ObservationText, ...]
    texts_note: str | None
    questions: tuple[str, ...]

    @property
    def observations(self) -> Cell:
        return self.months.col_totals[0]

    @property
    def headlines(self) -> Cell:
        return self.months.col_totals[1]


@dataclass(frozen=True)
class EmergingThemeBrief:
    """An emerging theme (nouseva teema) flagged in the brief's area: a small new group of
    recent observations, not yet a phenomenon. Its count is published as "<k" when small;
    small municipalities are named only by their group."""

    id: int
    title: str
    category: str
    category_label: str
    items: str  # observations in the area, as published ("<5", "7")
    places: tuple[str, ...]  # municipalities, or "kuntaryhmä …" for small ones
    terms: tuple[str, ...]
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ForecastRow:
    """One forecast year as printed: the point forecast and both intervals, in the
    indicator's unit (named in the heading)."""

    year: int
    forecast: str
    interval80: str
    interval95: str


@dataclass(frozen=True)
class ForecastBrief:
    """A forecast of an indicator linked to the brief's phenomena, for the brief's area (its
    page "Ennakointi"): what the statistics expect and how far to trust it, in words, the
    numbers for a chart and a table, and the brief's phenomena that lead it. Statistics, not
    observation counts: no disclosure control is needed, and none of its numbers mixes the
    two."""

    id: int
    title: str
    unit: str
    decimals: int
    higher_is_worse: bool | None
    expectation: str
    verdict: str
    method_name: str
    figures: tuple[str, ...]
    history: tuple[tuple[int, float], ...]
    points: tuple[dict[str, float], ...]  # year, forecast, lo80, hi80, lo95, hi95
    rows: tuple[ForecastRow, ...]
    phenomena: tuple[str, ...]  # titles of the brief's phenomena linked to the indicator


@dataclass(frozen=True)
class MeetingBrief:
    """The whole brief: what it covers, its disclosure settings and its phenomena."""

    region: str
    scope: Scope
    start: date
    end: date
    generated_on: date
    k: int
    min_population: int
    signals_as_of: str | None
    selection: tuple[str, ...]  # the chosen filters, as Finnish phrases
    phenomena: tuple[PhenomenonBrief, ...]
    left_out: int  # matching phenomena beyond MAX_PHENOMENA
    query: tuple[tuple[str, str], ...] = field(default=())
    emerging: tuple[EmergingThemeBrief, ...] = field(default=())  # "Nousevat teemat"
    forecasts: tuple[ForecastBrief, ...] = field(default=())  # "Ennakointi"
    # The user interface language of the brief (nakyma.i18n.LANGUAGES): its fixed texts, and
    # the sentences `build_brief` generates (questions, legend, choice, notes). The weak
    # signals' reasons and the forecasts' sentences come from their own modules.
    language: str = "fi"

    @property
    def window(self) -> str:
        return f"{fi_date(self.start)}–{fi_date(self.end)}"

    @property
    def legend(self) -> str:
        """How the brief protects small numbers, in the brief's language."""
        _ = i18n.translator(self.language)
        return _(
            "Pienet luvut on suojattu: ”<%(k)s” tarkoittaa 1–%(k_minus_1)s, ja ”%(mark)s” on "
            "vähintään %(k)s mutta piilotettu, jotta pieniä lukuja ei voi päätellä summista. "
            "Alle %(population)s asukkaan kuntien havaintotekstit näytetään vain kuntaryhmän "
            "tasolla."
        ) % {
            "k": self.k,
            "k_minus_1": self.k - 1,
            "mark": COMPLEMENTARY_MARK,
            "population": format_int(self.min_population),
        }

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: tables as printed text, never the hidden values."""
        _ = i18n.translator(self.language)
        return {
            "region": self.region,
            "scope": {"kind": self.scope.kind, "code": self.scope.code, "name": self.scope.name},
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "generated_on": self.generated_on.isoformat(),
            "k": self.k,
            "min_population": self.min_population,
            "signals_as_of": self.signals_as_of,
            "selection": list(self.selection),
            "legend": self.legend,
            "left_out": self.left_out,
            "emerging": [asdict(e) for e in self.emerging],
            "forecasts": [asdict(f) for f in self.forecasts],
            "phenomena": [
                {
                    "id": p.id,
                    "title": p.title,
                    "summary": p.summary,
                    "status": p.status,
                    "status_label": p.status_label,
                    "category": p.category,
                    "category_label": p.category_label,
                    "reasons": list(p.reasons),
                    "theme": p.theme,
                    "observations": p.observations.text,
                    "headlines": p.headlines.text,
                    "months": p.months.text_rows(corner=_("Kuukausi")),
                    "municipalities": (
                        p.municipalities.text_rows(corner=_("Kunta")) if p.municipalities else None
                    ),
                    "indicators": [asdict(i) for i in p.indicators],
                    "texts": [asdict(t) for t in p.texts],
                    "texts_note": p.texts_note,
                    "questions": list(p.questions),
                }
                for p in self.phenomena
            ],
        }


def format_int(n: int) -> str:
    """5000 -> "5 000": thousands apart by a no-break space, as Finnish writes them."""
    return f"{n:,}".replace(",", "\u00a0")
