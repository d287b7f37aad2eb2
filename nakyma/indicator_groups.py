"""The municipality page's indicator charts in theme groups, each chart with the notes a reader
needs: that a series is stale, or why the municipality has no line of its own.

Groups follow the catalogue's `theme` (the welfare plan's focus areas, the same vocabulary as
the observations), except that the catalogue's "muu" is split: background figures (`context`
indicators: population, age structure) form "Väestö", and livelihood, work and housing form
their own group, so that "Muut" stays small. A group is open when any of its indicators has a
worsening signal in the municipality (`indicator_signals.direction == "worse"`); the rest stay
closed so the page leads with its signals, not with 30 charts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from nakyma import i18n
from nakyma.i18n import N_
from nakyma.indicators import STALE_AFTER_YEARS
from nakyma.regions import Municipality
from nakyma.vocabulary import THEMES
from nakyma.wording import join_words

POPULATION, LIVELIHOOD, OTHER = "vaesto", "toimeentulo", "muut"
GROUP_LABELS: dict[str, str] = {
    "arjen_turvallisuus": THEMES["arjen_turvallisuus"],
    "mielen_hyvinvointi": THEMES["mielen_hyvinvointi"],
    "liikunnallinen_elamantapa": THEMES["liikunnallinen_elamantapa"],
    LIVELIHOOD: N_("Toimeentulo, työ ja asuminen"),
    POPULATION: N_("Väestö"),
    OTHER: N_("Muut"),
}
# Catalogue "muu" indicators about livelihood, work, education and housing (Sotkanet ids).
LIVELIHOOD_IDS = frozenset({5, 181, 189, 190, 493, 3099, 3219})

# Sotkanet's region levels as "published by ..." adverbs.
_LEVEL_ADVERBS: dict[str, str] = {
    "hyvinvointialue": N_("hyvinvointialueittain"),
    "sairaanhoitopiiri": N_("sairaanhoitopiireittäin"),
    "maakunta": N_("maakunnittain"),
    "seutukunta": N_("seutukunnittain"),
    "aluehallintovirasto": N_("aluehallintovirastoittain"),
    "erva": N_("erityisvastuualueittain"),
    "maa": N_("koko maan tasolla"),
    "koko maa": N_("koko maan tasolla"),
}


def group_key(series: Mapping[str, Any]) -> str:
    """The page group of one indicator series (see the module docstring)."""
    if series.get("context"):
        return POPULATION
    if series["id"] in LIVELIHOOD_IDS:
        return LIVELIHOOD
    theme = series.get("theme") or ""
    return theme if theme in GROUP_LABELS and theme != "muu" else OTHER


def stale_note(series: Mapping[str, Any], *, this_year: int, language: str = "fi") -> str | None:
    """ "Viimeisin arvo vuodelta 2013 – tieto on vanhentunut." when the newest value of any
    line is more than STALE_AFTER_YEARS years old; None otherwise."""
    years = series["years"]
    if not years or this_year - years[-1] <= STALE_AFTER_YEARS:
        return None
    _ = i18n.translator(language)
    return _("Viimeisin arvo vuodelta %(year)s – tieto on vanhentunut.") % {"year": years[-1]}


def _has_municipal_level(levels: Iterable[str]) -> bool:
    return any(level.strip().lower() == "kunta" for level in levels)


def missing_line_note(
    series: Mapping[str, Any], municipality: Municipality, language: str = "fi"
) -> str | None:
    """Why the chart has no line for the municipality, or why some of its years are missing;
    None when the line is complete. The reason comes from the data: the indicator's region
    levels (published for larger areas only) or rows without a value (suppressed by Sotkanet
    because the numbers are small). In `language`, the municipality named in it."""
    _ = i18n.translator(language)
    genitive = i18n.place_form(
        municipality.genitive, municipality.name_in(language), "genitive", language
    )
    values = series["municipality"]
    suppressed = series.get("suppressed_years") or []
    levels = series.get("region_levels") or []
    if any(v is not None for v in values):
        if not suppressed:
            return None
        years = join_words([str(y) for y in suppressed], language)
        return _(
            "%(genitive)s arvo puuttuu vuosilta %(years)s: Sotkanet ei julkaise niin pieniä "
            "lukuja, että yksittäinen ihminen voisi tunnistua."
        ) % {"genitive": genitive, "years": years}
    no_line = {"genitive": genitive}
    if levels and not _has_municipal_level(levels):
        no_line["published"] = join_words([_level_adverb(lv, language) for lv in levels], language)
        return (
            _(
                "Kuvaajassa ei ole %(genitive)s viivaa: Sotkanet julkaisee tämän tiedon vain "
                "%(published)s, ei kunnittain."
            )
            % no_line
        )
    if suppressed:
        return (
            _(
                "Kuvaajassa ei ole %(genitive)s viivaa: Sotkanet ei julkaise kunnan lukuja, "
                "koska ne ovat niin pieniä, että yksittäinen ihminen voisi tunnistua."
            )
            % no_line
        )
    return (
        _(
            "Kuvaajassa ei ole %(genitive)s viivaa: Sotkanetissa ei ole tälle tiedolle kunnan "
            "arvoja."
        )
        % no_line
    )


def _level_adverb(level: str, language: str) -> str:
    adverb = _LEVEL_ADVERBS.get(level.strip().lower())
    return i18n.gettext(language, adverb) if adverb else level.lower()


def indicator_groups(
    series: Sequence[Mapping[str, Any]],
    worsening: Iterable[int],
    municipality: Municipality,
    *,
    this_year: int,
    language: str = "fi",
) -> list[dict[str, Any]]:
    """The charts' groups in page order, each {key, label, open, worsening, charts}; a chart is
    {series, worsening, notes}. `worsening`: indicator ids with a worsening signal here."""
    worse = set(worsening)
    charts: dict[str, list[dict[str, Any]]] = {key: [] for key in GROUP_LABELS}
    for s in series:
        notes = [
            stale_note(s, this_year=this_year, language=language),
            missing_line_note(s, municipality, language),
        ]
        charts[group_key(s)].append(
            {
                "series": s,
                "worsening": s["id"] in worse,
                "notes": [n for n in notes if n],
            }
        )
    out = []
    for key, label in GROUP_LABELS.items():
        members = sorted(charts[key], key=lambda c: not c["worsening"])  # worsening first
        if not members:
            continue
        count = sum(c["worsening"] for c in members)
        out.append(
            {"key": key, "label": label, "open": count > 0, "worsening": count, "charts": members}
        )
    return out
