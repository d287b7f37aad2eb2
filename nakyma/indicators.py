"""Indicators: the curated catalogue, and indicator signals (a municipality's latest value
moved further than noise explains) with a Finnish sentence a person can read without a chart.

Values are stored by `pipelines.indicators` in `indicator_values`; area_kind is "kunta"
(area_code = Statistics Finland municipality code), "hyvinvointialue" (the county's code, "15")
or "maa" (area_code "FI").

How a change is judged (see `compute_signals`):
- Where counts are known (`abs_value` beside the rate), the denominator follows from the two
  (n = count x scale / rate), and the latest year is compared with the municipality's own
  previous years with an exact test on the counts: Fisher's exact test for percentages
  (binomial counts), the conditional binomial test of two Poisson counts for rates per 1 000
  and plain counts. Year-to-year variation beyond sampling noise (practice changes, one family
  moving in) is estimated per indicator from all municipalities' history as an overdispersion
  factor, and the test is widened by it.
- Otherwise (survey percentages without counts) a robust scale: year-to-year changes across the
  county's municipalities, each weighted by the square root of its population (sampling noise
  shrinks like 1/sqrt(n)), scaled by their median absolute deviation; |z| above a threshold.

The exact tails are scipy.stats' (`binomial_tail`, `hypergeometric_tail`: exactly 0 or 1
beyond the support, as callers compare with those). Per indicator (`_indicator_signals`) the
code reads the series (`_indicator_values`), estimates the overdispersion once, judges each
municipality's latest change (`_judge_change`) and writes the row with its sentence
(`_signal_row`); `compute_signals` stores the result in one transaction.
"""

from __future__ import annotations

import json
import math
import re
import statistics
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scipy import stats
from sqlite_utils import Database

from nakyma import i18n
from nakyma.db import now_utc, write_transaction
from nakyma.i18n import N_
from nakyma.regions import Municipality, Region
from nakyma.wording import capitalise, sentence_label

# A series whose newest year is older than this many years before the current one is stale
# (the pipeline's warning about an indicator, the municipality page's note under a chart).
STALE_AFTER_YEARS = 3

DEFAULT_CATALOGUE_FILE: Path = Path(__file__).parent / "data" / "indicators" / "catalogue.toml"

COUNTRY_CODE = "FI"  # area_code of the whole country in indicator_values
# Sotkanet's terms: name THL and Sotkanet, and each indicator's producer, wherever values show.
ATTRIBUTION = N_("Lähde: THL, Sotkanet")


def sotkanet_page(indicator_id: int, language: str = "fi") -> str:
    """The indicator's metadata page on sotkanet.fi (for attribution links), in the reader's
    language where Sotkanet has it (fi, sv, en)."""
    site = language if language in ("fi", "sv", "en") else "fi"
    return f"https://sotkanet.fi/sotkanet/{site}/metadata/indicators/{indicator_id}"


AREA_KINDS = ("kunta", "hyvinvointialue", "maa")

# Languages with their own indicator title columns (title_sv, short_title_sv, ...); Finnish is
# `title` / `short_title`.
TITLE_LANGUAGES = ("sv", "en")
TRANSLATED_TITLE_COLUMNS = tuple(
    f"{kind}_{language}" for language in TITLE_LANGUAGES for kind in ("title", "short_title")
)

# --- Thresholds ----------------------------------------------------------------------------
# One-sided p-value below which a count-based change is a signal. About 35 indicators x 22
# municipalities = ~770 tests a year: at 0.001 pure noise yields fewer than one false signal per
# yearly refresh, which keeps the list short enough for people to read every line.
ALPHA = 0.001
# Robust z (change / scaled MAD) above which a change without counts is a signal. 3.5 is the
# usual cut-off for MAD-based outlier scores (Iglewicz & Hoaglin); stricter than the exact test
# because the scale itself is estimated from a few hundred changes at most.
Z_THRESHOLD = 3.5
# Smallest relative change worth a signal. In Jyväskylä (150 000 residents) a 3 % relative rise is
# statistically real but nothing a municipality acts on. For percentages above 50 the change is
# measured on the complement (91 % -> 86 % living at home is 9 % -> 14 % not at home).
MIN_RELATIVE_CHANGE = 0.10
# The latest value is compared with up to this many previous observations (pooled): more
# exposure than one year alone, and still the municipality's recent level rather than history.
BASELINE_OBSERVATIONS = 3
# The overdispersion factor needs this many historical year pairs; below it, sampling noise only.
MIN_PAIRS_FOR_DISPERSION = 12
# Cap on the overdispersion factor, so one odd indicator cannot silence every signal.
MAX_DISPERSION = 10.0
# The robust scale needs this many year-to-year changes across municipalities.
MIN_PAIRS_FOR_MAD = 10
# Median of the chi-square distribution with one degree of freedom (for the dispersion factor).
_CHI2_1_MEDIAN = 0.454936423119572
# Standard deviation of a normal distribution per unit of median absolute deviation.
_MAD_TO_SD = 1.482602218505602
_NORMAL = statistics.NormalDist()
_MIN_P = 1e-300


# --- Catalogue -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueEntry:
    """One curated indicator: Sotkanet id, titles (Finnish; Swedish and English where known),
    direction and grouping."""

    id: int
    title: str
    short_title: str
    higher_is_worse: bool
    # Sotkanet's official Swedish and English titles and our short forms; "" where not known,
    # and the page shows the Finnish one (`title_in`).
    title_sv: str = ""
    title_en: str = ""
    short_title_sv: str = ""
    short_title_en: str = ""
    population_group: str = ""
    theme: str = ""
    unit: str = ""
    source: str = ""
    verified: str = ""
    note: str = ""
    context: bool = False  # background figure (population, age structure): no signals
    forecast: bool = False  # demand for corrective services: forecast 1-3 years ahead


_ENTRY_KEYS = {
    "id",
    "title",
    "short_title",
    "title_sv",
    "title_en",
    "short_title_sv",
    "short_title_en",
    "higher_is_worse",
    "population_group",
    "theme",
    "unit",
    "source",
    "verified",
    "note",
    "context",
    "forecast",
}


def load_catalogue(path: Path | str | None = None) -> tuple[CatalogueEntry, ...]:
    """Read and validate a catalogue file (the packaged one by default).

    TOML `[[indicator]]` tables with keys id (int), title, higher_is_worse (bool) and optional
    short_title, title_sv, title_en, short_title_sv, short_title_en, population_group, theme,
    unit, source, verified, note. Every problem is a ValueError naming the file.
    """
    file = Path(path) if path is not None else DEFAULT_CATALOGUE_FILE
    try:
        with open(file, "rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise ValueError(f"{file}: cannot read the indicator catalogue: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{file}: not valid TOML: {exc}") from exc
    try:
        return _catalogue_from_data(data)
    except ValueError as exc:
        raise ValueError(f"{file}: {exc}") from exc


def _catalogue_from_data(data: Mapping[str, Any]) -> tuple[CatalogueEntry, ...]:
    unknown = sorted(set(data) - {"indicator"})
    if unknown:
        raise ValueError(f"unknown top-level key(s) {', '.join(map(repr, unknown))}")
    tables = data.get("indicator")
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise ValueError("'indicator' must be a non-empty array of tables ([[indicator]])")
    entries: list[CatalogueEntry] = []
    seen: set[int] = set()
    for n, t in enumerate(tables, 1):
        where = f"indicator #{n}" + (f" (id {t['id']})" if "id" in t else "")
        bad = sorted(set(t) - _ENTRY_KEYS)
        if bad:
            raise ValueError(f"{where}: unknown key(s) {', '.join(map(repr, bad))}")
        ident = t.get("id")
        if not isinstance(ident, int) or isinstance(ident, bool) or ident <= 0:
            raise ValueError(f"{where}: 'id' must be a positive integer")
        if ident in seen:
            raise ValueError(f"{where}: duplicate id {ident}")
        seen.add(ident)
        title = t.get("title")
        if not isinstance(title, str) or not title.strip():
            raise ValueError(f"{where}: 'title' must be a non-empty string")
        if not isinstance(t.get("higher_is_worse"), bool):
            raise ValueError(f"{where}: 'higher_is_worse' must be true or false")
        optional: dict[str, str] = {}
        for key in (
            "short_title",
            *TRANSLATED_TITLE_COLUMNS,
            "population_group",
            "theme",
            "unit",
            "source",
            "note",
        ):
            value = t.get(key, "")
            if not isinstance(value, str):
                raise ValueError(f"{where}: {key!r} must be a string")
            optional[key] = value.strip()
        for flag in ("context", "forecast"):
            if not isinstance(t.get(flag, False), bool):
                raise ValueError(f"{where}: {flag!r} must be true or false")
        verified = t.get("verified", "")
        if not isinstance(verified, str | bool):
            raise ValueError(f"{where}: 'verified' must be a string or true/false")
        entries.append(
            CatalogueEntry(
                id=ident,
                title=title.strip(),
                short_title=optional.pop("short_title") or title.strip(),
                higher_is_worse=t["higher_is_worse"],
                verified=str(verified).lower() if isinstance(verified, bool) else verified,
                context=t.get("context", False),
                forecast=t.get("forecast", False),
                **optional,
            )
        )
    return tuple(entries)


def title_in(row: Mapping[str, Any] | CatalogueEntry, language: str, *, short: bool = True) -> str:
    """An indicator's title in `language` ("fi", "sv", "en"), from a catalogue entry or any
    mapping with the `indicators` table's title columns (missing ones count as empty).

    The short title by default, else the official full title. Finnish: short_title, falling
    back to title. Another language: its short title, else its full title, else the Finnish
    title of the same kind, so an indicator Sotkanet never translated reads in Finnish."""

    def get(key: str) -> str:
        if isinstance(row, CatalogueEntry):
            value: Any = getattr(row, key, "")
        else:
            value = row.get(key)
        return value.strip() if isinstance(value, str) else ""

    title = get("title")
    finnish = (get("short_title") or title) if short else title
    if language not in TITLE_LANGUAGES:
        return finnish
    own = get(f"short_title_{language}") if short else ""
    return own or get(f"title_{language}") or finnish


def translated_titles(row: Mapping[str, Any]) -> dict[str, str | None]:
    """The Swedish and English title columns of an `indicators` row (None where missing), to
    carry in a record so a page can call `title_in` on it in its own language."""
    return {column: row.get(column) for column in TRANSLATED_TITLE_COLUMNS}


def unit_from_title(title: str) -> str:
    """A unit guessed from a Sotkanet title, for indicators outside the catalogue."""
    compact = title.replace(" ", "")
    if "/100000" in compact:
        return "/100000"
    if "/10000" in compact:
        return "/10000"
    if "/1000" in compact:
        return "/1000"
    if "%" in title:
        return "%"
    return ""


# --- Number formatting ---------------------------------------------------------------------

_UNIT_LABELS = {
    "%": " %",
    "/1000": " / 1 000",
    "/10000": " / 10 000",
    "/100000": " / 100 000",
    "lkm": "",
    "": "",
}


def _unit_key(unit: str | None) -> str:
    return (unit or "").replace(" ", "").replace("‰", "/1000")


def format_number(value: float, decimals: int = 1, language: str = "fi") -> str:
    """Finnish number: decimal comma, space between thousands ("1 234,5"), a true minus sign;
    the same in Swedish (Finland's usage), "1,234.5" in English."""
    text = f"{value:,.{max(0, decimals)}f}"
    if language == "en":
        return text.replace("-", "−")
    return text.replace(",", " ").replace(".", ",").replace("-", "−")


# English writes the thousands of a unit with a comma, as its numbers.
_UNIT_LABELS_EN = {"/1000": " / 1,000", "/10000": " / 10,000", "/100000": " / 100,000"}


def format_value(
    value: float | None, unit: str | None, decimals: int = 1, language: str = "fi"
) -> str:
    """A value with its unit as Finnish text ("9,1 %", "4,2 / 1 000"); "–" when missing.
    Swedish writes it the same way, English "4.2 / 1,000"."""
    if value is None:
        return "–"
    key = _unit_key(unit)
    label = _UNIT_LABELS.get(key, f" {unit}" if unit else "")
    if language == "en":
        label = _UNIT_LABELS_EN.get(key, label)
    return format_number(value, decimals, language) + label


# --- Statistics ----------------------------------------------------------------------------


def _tail(dist: Any, k: int, lo: int, hi: int, upper: bool, *shape: float) -> float:
    """P(X >= k) (upper) or P(X <= k) for X ~ `dist`(*shape), a scipy.stats discrete
    distribution on [lo, hi]. Beyond either end of the support the answer is exactly 1 or 0
    without asking scipy; inside it P(X >= k) = sf(k - 1), as X takes whole values."""
    if upper and k <= lo or not upper and k >= hi:
        return 1.0
    if upper and k > hi or not upper and k < lo:
        return 0.0
    value = dist.sf(k - 1, *shape) if upper else dist.cdf(k, *shape)
    return min(1.0, float(value))


def binomial_tail(k: int, n: int, p: float, *, upper: bool) -> float:
    """P(X >= k) or P(X <= k) for X ~ Binomial(n, p)."""
    if p <= 0.0:
        return 1.0 if (not upper or k <= 0) else 0.0
    if p >= 1.0:
        return 1.0 if (upper or k >= n) else 0.0
    return _tail(stats.binom, k, 0, n, upper, n, p)


def hypergeometric_tail(k: int, total: int, successes: int, draws: int, *, upper: bool) -> float:
    """P(X >= k) or P(X <= k) for X ~ Hypergeometric(total, successes, draws)."""
    lo = max(0, draws - (total - successes))
    hi = min(successes, draws)
    return _tail(stats.hypergeom, k, lo, hi, upper, total, successes, draws)


def _widen(p: float, dispersion: float) -> float:
    """A one-sided p-value re-expressed as z, divided by sqrt(dispersion), back to p."""
    if dispersion <= 1.0 or p >= 0.5:
        return p
    z = -_NORMAL.inv_cdf(max(p, _MIN_P))
    return _NORMAL.cdf(-z / math.sqrt(dispersion))


def _strength(p: float) -> float:
    return round(-math.log10(max(p, _MIN_P)), 2)


# --- Signals -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Obs:
    year: int
    value: float
    count: int | None  # abs_value rounded
    exposure: float | None  # denominator (people) or relative exposure; None if underivable


@dataclass(frozen=True)
class _Verdict:
    p: float
    method: str
    flagged: bool


def _scale(unit: str | None) -> float | None:
    """Denominator per unit of value: % -> 100, /1000 -> 1000; 1 for counts; None if unknown."""
    key = _unit_key(unit)
    return {"%": 100.0, "/1000": 1000.0, "/10000": 10000.0, "/100000": 100000.0, "lkm": 1.0}.get(
        key
    )


def _observations(rows: Iterable[tuple[int, float | None, float | None]], unit: str) -> list[_Obs]:
    """Year-ordered non-null observations with counts and derived denominators where possible."""
    scale = _scale(unit)
    raw: list[tuple[int, float, int | None, float | None]] = []
    for year, value, abs_value in sorted(rows, key=lambda r: r[0]):
        if value is None:
            continue
        count = None if abs_value is None or abs_value < 0 else round(abs_value)
        exposure = None
        if count is not None and scale is not None:
            if _unit_key(unit) == "lkm":
                exposure = 1.0
            elif value > 0 and count > 0:
                exposure = count * scale / value
        raw.append((year, value, count, exposure))
    # A year with a zero count (rate 0) still had people at risk: borrow the mean denominator.
    known = [e for *_, e in raw if e is not None]
    fallback = sum(known) / len(known) if known else None
    out = []
    for year, value, count, exposure in raw:
        if count is not None and exposure is None and value == 0 and count == 0:
            exposure = fallback
        out.append(_Obs(year, value, count, exposure))
    return out


def _relative_change(base: float, new: float, unit: str) -> float:
    if _unit_key(unit) == "%" and base > 50:
        base, new = 100 - base, 100 - new
    if base == 0:
        return math.inf if new != base else 0.0
    return abs(new - base) / abs(base)


def _count_test_kind(unit: str) -> str:
    return "fisher" if _unit_key(unit) == "%" else "poisson"


def _pair_chi2(kind: str, k1: int, e1: float, k2: int, e2: float) -> float | None:
    """Pearson chi-square of two counts under equal rates (used for the dispersion factor)."""
    if kind == "fisher":
        n1, n2 = round(e1), round(e2)
        if n1 <= 0 or n2 <= 0 or k1 > n1 or k2 > n2:
            return None
        pooled = (k1 + k2) / (n1 + n2)
        var = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
        return None if var <= 0 else (k2 / n2 - k1 / n1) ** 2 / var
    total = k1 + k2
    if total == 0 or e1 <= 0 or e2 <= 0:
        return None
    p0 = e2 / (e1 + e2)
    return (k2 - total * p0) ** 2 / (total * p0 * (1 - p0))


def _dispersion(kind: str, series: Mapping[str, list[_Obs]], latest: int) -> float:
    """Overdispersion factor from consecutive observation pairs before the latest year."""
    chi2: list[float] = []
    for obs in series.values():
        usable = [o for o in obs if o.year < latest and o.count is not None and o.exposure]
        for a, b in zip(usable, usable[1:], strict=False):
            assert a.count is not None and b.count is not None and a.exposure and b.exposure
            value = _pair_chi2(kind, a.count, a.exposure, b.count, b.exposure)
            if value is not None:
                chi2.append(value)
    if len(chi2) < MIN_PAIRS_FOR_DISPERSION:
        return 1.0
    return min(MAX_DISPERSION, max(1.0, statistics.median(chi2) / _CHI2_1_MEDIAN))


def _count_verdict(
    kind: str, baseline: Sequence[_Obs], last: _Obs, rising: bool, dispersion: float
) -> _Verdict | None:
    if (
        last.count is None
        or not last.exposure
        or any(o.count is None or not o.exposure for o in baseline)
    ):
        return None
    k1 = sum(o.count or 0 for o in baseline)
    e1 = sum(o.exposure or 0.0 for o in baseline)
    k2, e2 = last.count, last.exposure
    if kind == "fisher":
        n1, n2 = round(e1), round(e2)
        if n1 <= 0 or n2 <= 0 or k1 > n1 or k2 > n2:
            return None
        p = hypergeometric_tail(k2, n1 + n2, k1 + k2, n2, upper=rising)
        method = "fisher"
    else:
        p = binomial_tail(k2, k1 + k2, e2 / (e1 + e2), upper=rising)
        method = "poisson"
    p = _widen(p, dispersion)
    if dispersion > 1.0:
        method += f"; ylihajonta {dispersion:.2f}"
    return _Verdict(p, method, p < ALPHA)


def _mad_verdict(
    series: Mapping[str, list[_Obs]],
    populations: Mapping[str, float],
    code: str,
    previous: _Obs,
    last: _Obs,
) -> _Verdict | None:
    weighted: list[float] = []
    for c, obs in series.items():
        weight = math.sqrt(populations[c])
        for a, b in zip(obs, obs[1:], strict=False):
            weighted.append((b.value - a.value) * weight)
    if len(weighted) < MIN_PAIRS_FOR_MAD:
        return None
    center = statistics.median(weighted)
    scale = _MAD_TO_SD * statistics.median(abs(w - center) for w in weighted)
    if scale <= 0:
        return None
    z = (last.value - previous.value) * math.sqrt(populations[code]) / scale
    p = _NORMAL.cdf(-abs(z))
    return _Verdict(p, f"mad; z {z:.2f}", abs(z) >= Z_THRESHOLD)


def _run_length(obs: Sequence[_Obs], rising: bool) -> int:
    """How many consecutive changes up to the latest went the same way."""
    n = 0
    for a, b in zip(reversed(obs[:-1]), reversed(obs), strict=False):
        if (b.value > a.value) == rising and b.value != a.value:
            n += 1
        else:
            break
    return n


def signal_text(
    *,
    municipality: str,
    in_form: str,
    label: str,
    unit: str,
    decimals: int,
    previous_year: int,
    previous_value: float,
    year: int,
    value: float,
    county_value: float | None,
    country_value: float | None,
    direction: str,
    run_length: int = 0,
    language: str = "fi",
) -> str:
    """The sentence of a signal, readable without the chart, in `language` (Finnish is stored
    with the signal; `list_signals` rebuilds another language's when it is read).
    `municipality` is the name and `in_form` the inessive ("Äänekoskella") or, in another
    language, the name with its preposition ("i Äänekoski")."""
    _ = i18n.translator(language)

    def fmt(v: float | None) -> str:
        return format_value(v, unit, decimals, language)

    text = (
        f"{municipality}: {sentence_label(label)} {fmt(previous_value)} → {fmt(value)} "
        f"({previous_year}→{year})"
    )
    context = []
    if county_value is not None:
        context.append(_("hyvinvointialue %(value)s") % {"value": fmt(county_value)})
    if country_value is not None:
        context.append(_("koko maa %(value)s") % {"value": fmt(country_value)})
    text += ("; " + ", ".join(context) if context else "") + "."
    rising = value > previous_value
    where = {"where": capitalise(in_form)}
    if rising and direction == "worse":
        change = _(
            "%(where)s nousu on huonompaan suuntaan ja selvästi satunnaisvaihtelua suurempi."
        )
    elif rising:
        change = _("%(where)s nousu on parempaan suuntaan ja selvästi satunnaisvaihtelua suurempi.")
    elif direction == "worse":
        change = _(
            "%(where)s lasku on huonompaan suuntaan ja selvästi satunnaisvaihtelua suurempi."
        )
    else:
        change = _("%(where)s lasku on parempaan suuntaan ja selvästi satunnaisvaihtelua suurempi.")
    text += " " + change % where
    if run_length >= 3:
        if rising:
            run = _("Arvo on noussut %(n)s kertaa peräkkäin.")
        else:
            run = _("Arvo on laskenut %(n)s kertaa peräkkäin.")
        text += " " + run % {"n": run_length}
    return text


# The run length is not a column of its own: it is read back from the stored Finnish sentence.
_RUN_LENGTH = re.compile(r"Arvo on (?:noussut|laskenut) (\d+) kertaa peräkkäin\.")


def _signal_text_in(row: Mapping[str, Any], m: Municipality, language: str) -> str:
    """A stored signal's sentence in `language`, rebuilt from the row's figures."""
    if language == i18n.SOURCE_LANGUAGE:
        return str(row["text"])
    run = _RUN_LENGTH.search(row["text"] or "")
    name = m.name_in(language)
    return signal_text(
        municipality=name,
        in_form=i18n.place_form(m.in_form, name, "in_form", language),
        label=title_in(row, language),
        unit=row["unit"] or "",
        decimals=row["decimals"] if row["decimals"] is not None else 1,
        previous_year=row["previous_year"],
        previous_value=row["previous_value"],
        year=row["year"],
        value=row["value"],
        county_value=row["county_value"],
        country_value=row["country_value"],
        direction=row["direction"],
        run_length=int(run.group(1)) if run else 0,
        language=language,
    )


def _indicator_signals(
    db: Database, region: Region, indicator: Mapping[str, Any], populations: Mapping[str, float]
) -> list[dict[str, Any]]:
    """One indicator's signals: municipalities whose value in the indicator's latest year
    moved further than noise explains, as indicator_signals rows (without computed_at)."""
    unit = indicator["unit"] or ""
    series, county, country = _indicator_values(db, region, indicator["id"], unit)
    if not series:
        return []
    latest = max(o.year for obs in series.values() for o in obs)
    kind = _count_test_kind(unit)
    dispersion = _dispersion(kind, series, latest) if _scale(unit) is not None else 1.0
    out = []
    for code, obs in series.items():
        if obs[-1].year != latest or len(obs) < 2:
            continue  # no value in the indicator's latest year: nothing current to say
        judged = _judge_change(
            obs,
            unit=unit,
            kind=kind,
            dispersion=dispersion,
            series=series,
            populations=populations,
            code=code,
        )
        if judged is not None:
            verdict, rising = judged
            out.append(
                _signal_row(
                    indicator,
                    region.municipality(code),
                    obs,
                    rising,
                    verdict,
                    county_value=county.get(latest),
                    country_value=country.get(latest),
                )
            )
    return out


def _indicator_values(
    db: Database, region: Region, ident: int, unit: str
) -> tuple[dict[str, list[_Obs]], dict[int, float], dict[int, float]]:
    """One indicator's values (gender "total"): per municipality that has any, its
    observations in year order; and the county's and the country's value per year."""
    rows = db.execute(
        "select area_kind, area_code, year, value, abs_value from indicator_values "
        "where indicator_id = ? and gender = 'total'",
        [ident],
    ).fetchall()
    by_area: dict[tuple[str, str], list[tuple[int, float | None, float | None]]] = defaultdict(list)
    for kind, code, year, value, abs_value in rows:
        by_area[(kind, code)].append((year, value, abs_value))
    series = {
        m.code: _observations(by_area.get(("kunta", m.code), []), unit)
        for m in region.municipalities
    }
    county = {
        y: v for y, v, _ in by_area.get(("hyvinvointialue", region.code), []) if v is not None
    }
    country = {y: v for y, v, _ in by_area.get(("maa", COUNTRY_CODE), []) if v is not None}
    return {c: obs for c, obs in series.items() if obs}, county, country


def _judge_change(
    obs: Sequence[_Obs],
    *,
    unit: str,
    kind: str,
    dispersion: float,
    series: Mapping[str, list[_Obs]],
    populations: Mapping[str, float],
    code: str,
) -> tuple[_Verdict, bool] | None:
    """Whether a municipality's latest observation is a signal: the verdict and whether the
    value rose, or None (no change, too small to matter, within noise, or a zig-zag)."""
    last, previous = obs[-1], obs[-2]
    if last.value == previous.value:
        return None
    baseline = obs[-1 - BASELINE_OBSERVATIONS : -1]
    base_value = _pooled_value(baseline, unit)
    rising = last.value > base_value if base_value != last.value else last.value > previous.value
    if _relative_change(base_value, last.value, unit) < MIN_RELATIVE_CHANGE:
        return None
    verdict = None
    if _scale(unit) is not None:
        verdict = _count_verdict(kind, baseline, last, rising, dispersion)
    if verdict is None:
        verdict = _mad_verdict(series, populations, code, previous, last)
    if verdict is None or not verdict.flagged:
        return None
    # The sentence shows the step from the previous observation; the test used the pooled
    # baseline. They agree in direction except in rare zig-zags, which are skipped.
    if (last.value > previous.value) != rising:
        return None
    return verdict, rising


def _signal_row(
    indicator: Mapping[str, Any],
    m: Municipality,
    obs: Sequence[_Obs],
    rising: bool,
    verdict: _Verdict,
    *,
    county_value: float | None,
    country_value: float | None,
) -> dict[str, Any]:
    """An indicator_signals row (without computed_at), its sentence included."""
    last, previous = obs[-1], obs[-2]
    direction = "worse" if rising == bool(indicator["higher_is_worse"]) else "better"
    return {
        "indicator_id": indicator["id"],
        "municipality_code": m.code,
        "year": last.year,
        "value": last.value,
        "previous_year": previous.year,
        "previous_value": previous.value,
        "county_value": county_value,
        "country_value": country_value,
        "direction": direction,
        "strength": _strength(verdict.p),
        "method": verdict.method,
        "text": signal_text(
            municipality=m.name,
            in_form=m.in_form,
            label=indicator["short_title"] or indicator["title"],
            unit=indicator["unit"] or "",
            decimals=indicator["decimals"] if indicator["decimals"] is not None else 1,
            previous_year=previous.year,
            previous_value=previous.value,
            year=last.year,
            value=last.value,
            county_value=county_value,
            country_value=country_value,
            direction=direction,
            run_length=_run_length(obs, rising),
        ),
    }


def _pooled_value(baseline: Sequence[_Obs], unit: str) -> float:
    """The baseline level: pooled rate where counts allow, else the mean of the values."""
    if _scale(unit) is not None and all(o.count is not None and o.exposure for o in baseline):
        exposure = sum(o.exposure or 0.0 for o in baseline)
        if exposure > 0 and _unit_key(unit) != "lkm":
            scale = _scale(unit) or 1.0
            return sum(o.count or 0 for o in baseline) * scale / exposure
    return sum(o.value for o in baseline) / len(baseline)


_SIGNAL_FIELDS = (
    "year",
    "value",
    "previous_year",
    "previous_value",
    "county_value",
    "country_value",
    "direction",
    "strength",
    "method",
    "text",
)


def compute_signals(db: Database, region: Region) -> int:
    """Recompute the indicator signals of the region's municipalities; returns how many exist.

    One transaction. Unchanged signals keep their row (and computed_at); signals that no
    longer hold are removed.
    """
    indicators = list(
        db.query(
            "select id, title, short_title, title_sv, title_en, short_title_sv, short_title_en, "
            "unit, decimals, higher_is_worse from indicators "
            "where (status is null or status != 'missing') and context = 0 order by id"
        )
    )
    populations = region.populations()
    fresh: dict[tuple[int, str], dict[str, Any]] = {}
    for indicator in indicators:
        for signal in _indicator_signals(db, region, indicator, populations):
            fresh[(signal["indicator_id"], signal["municipality_code"])] = signal
    codes = [m.code for m in region.municipalities]
    placeholders = ", ".join("?" for _ in codes)
    now = now_utc()
    with write_transaction(db):
        existing = {
            (r["indicator_id"], r["municipality_code"]): r
            for r in db.query(
                f"select * from indicator_signals where municipality_code in ({placeholders})",
                codes,
            )
        }
        for key in existing.keys() - fresh.keys():
            db.execute(
                "delete from indicator_signals where indicator_id = ? and municipality_code = ?",
                list(key),
            )
        for key, signal in fresh.items():
            old = existing.get(key)
            if old is not None and all(old[f] == signal[f] for f in _SIGNAL_FIELDS):
                continue
            db.table("indicator_signals").upsert(
                {**signal, "computed_at": now}, pk=("indicator_id", "municipality_code")
            )
    return len(fresh)


def list_signals(
    db: Database, region: Region, *, municipality: str | None = None, language: str = "fi"
) -> list[dict[str, Any]]:
    """Stored signals, concerns first then strongest first. `municipality`: a code or any
    written form of a name; an unknown one gives an empty list. `text` is the signal's
    sentence in `language` (stored in Finnish, rebuilt from the row's figures for another)."""
    codes = [m.code for m in region.municipalities]
    if municipality is not None:
        m = region.resolve(municipality)
        if m is None:
            return []
        codes = [m.code]
    placeholders = ", ".join("?" for _ in codes)
    rows = db.query(
        "select s.*, i.title, i.short_title, i.title_sv, i.title_en, i.short_title_sv, "
        "i.short_title_en, i.unit, i.decimals from indicator_signals s "
        "join indicators i on i.id = s.indicator_id "
        f"where s.municipality_code in ({placeholders})",
        codes,
    )
    out = []
    for r in rows:
        m = region.municipality(r["municipality_code"])
        out.append(
            {
                "indicator_id": r["indicator_id"],
                "municipality": m.name,
                "municipality_code": m.code,
                "year": r["year"],
                "value": r["value"],
                "previous_year": r["previous_year"],
                "previous_value": r["previous_value"],
                "county_value": r["county_value"],
                "country_value": r["country_value"],
                "direction": r["direction"],
                "strength": r["strength"],
                "method": r["method"],
                "text": _signal_text_in(r, m, language),
                "title": r["title"],
                "short_title": r["short_title"],
                **translated_titles(r),
                "unit": r["unit"],
            }
        )
    out.sort(
        key=lambda s: (
            s["direction"] != "worse",
            -(s["strength"] or 0.0),
            s["municipality"],
            s["indicator_id"],
        )
    )
    return out


def municipality_series(db: Database, region: Region, code: str) -> list[dict[str, Any]]:
    """Per indicator, the municipality's, the county's and the country's yearly values (gender
    "total"), aligned on `years`, None where missing: the data of one comparison chart. Also
    what a chart needs to explain a missing municipality line: the indicator's published
    region levels (`region_levels`) and the years whose municipality value Sotkanet suppressed
    (`suppressed_years`: a row with no value, as Sotkanet sends for small numbers)."""
    municipality = region.municipality(code)
    indicators = list(
        db.query(
            "select * from indicators where status is null or status != 'missing' "
            "order by in_catalogue desc, theme, short_title, id"
        )
    )
    rows = db.execute(
        "select indicator_id, area_kind, year, value from indicator_values "
        "where gender = 'total' and ("
        "(area_kind = 'kunta' and area_code = ?) or "
        "(area_kind = 'hyvinvointialue' and area_code = ? and value is not null) or "
        "(area_kind = 'maa' and area_code = ? and value is not null))",
        [municipality.code, region.code, COUNTRY_CODE],
    ).fetchall()
    values: dict[int, dict[str, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    suppressed: dict[int, list[int]] = defaultdict(list)
    for ident, kind, year, value in rows:
        if value is None:
            suppressed[ident].append(year)
        else:
            values[ident][kind][year] = value
    return [
        _series_record(ind, values[ind["id"]], sorted(suppressed.get(ind["id"], [])))
        for ind in indicators
        if values.get(ind["id"], {}).get("kunta")
        or values.get(ind["id"], {}).get("hyvinvointialue")
    ]


def _series_record(
    ind: Mapping[str, Any], data: Mapping[str, Mapping[int, float]], suppressed: list[int]
) -> dict[str, Any]:
    years = sorted({y for per_year in data.values() for y in per_year})
    levels = json.loads(ind["region_levels"]) if ind.get("region_levels") else []
    return {
        "id": ind["id"],
        "title": ind["title"],
        "short_title": ind["short_title"] or ind["title"],
        **translated_titles(ind),
        "unit": ind["unit"],
        "decimals": ind["decimals"],
        # None: a context indicator has no better or worse direction.
        "higher_is_worse": None if ind["context"] else bool(ind["higher_is_worse"]),
        "context": bool(ind["context"]),
        "theme": ind["theme"] or "",
        "organization": ind["organization"],
        "status": ind["status"],
        "range_end": ind["range_end"],
        "region_levels": [str(level) for level in levels],
        "suppressed_years": suppressed,
        "years": years,
        "municipality": [data.get("kunta", {}).get(y) for y in years],
        "county": [data.get("hyvinvointialue", {}).get(y) for y in years],
        "country": [data.get("maa", {}).get(y) for y in years],
    }
