"""Weak signals: per phenomenon and area, whether it is new, growing, steady or fading, and why.

For each phenomenon (not dismissed, not merged) and each area — every municipality, every
municipality group of the region's default grouping and the whole county — as of a date:

- **Counts** are of observations (dated by `observed_on`); headlines and indicator signals are
  support, not counts, because the news feed follows editors' interests, not the phenomenon.
  Only items dated on or before `as_of` exist, so a past `as_of` reproduces a past result.
- **Growth**: the recent window's count k is compared with the area's own baseline count b
  (the `baseline_weeks` before the window) by the conditional binomial test of two Poisson
  counts: under "same rate", k given k + b is Binomial(k + b, T_r / (T_r + T_b)) where T_r and
  T_b are the days each window covers. It is exact for any count and accounts for the baseline
  being an estimate too, so 2 recent items against about 1 per window is not "growth". The
  baseline covers only days the area was observed at all (from its first observation of
  anything), so a municipality that started using the service last month has no history
  rather than an empty one. Where the own baseline is sparse (fewer than
  `SPARSE_BASELINE_ITEMS`), the count must also be surprising against the phenomenon's rate in
  the rest of the county scaled by population share (an exact Poisson tail): a handful of items
  in a small municipality is no signal when the phenomenon is everyday elsewhere.
- **Novelty**: first seen in the area (its earliest member, any age) within `new_weeks`, in an
  area observed before that, so that "ei aiempia" is a claim the data can back.
- **Spread**: municipalities, observer roles and target groups among recent items; spreading
  means more municipalities in the recent window than in the whole baseline.
- **Support**: recent headlines of the phenomenon tagged with the area, and "worse" indicator
  signals of linked indicators (accepted, or suggested with a high similarity).
- **Category**: `heikko_signaali` (significant growth, new or nearly new in the area, small),
  `vahvistuva` (significant growth otherwise), `hiipuva` (significantly below baseline),
  `vakiintunut` (everything else: the recent rate is consistent with the area's history).
- **Score** ranks within an area: growth evidence (−log10 p, capped) plus bonuses for novelty,
  spread, observer diversity and support; fading rows score below zero.

The code follows the same path in three steps that can be read and tested apart:

1. **Counting** (`_observed`, `_per_area`): observations become numpy arrays per phenomenon ×
   municipality (recent, baseline, total, age of the first, 4-week trend), summed into every
   area with one membership matrix, beside the days each area was observed and the counts
   its own history and the rest of the county predict (`_Counts`): a few grouped queries,
   however many phenomena and areas there are.
2. **Categorising and scoring** (`_categorise`, `_cell_evidence`, `signal_score`): one
   phenomenon × area cell at a time, pure functions of those arrays and the support, into a
   frozen `SignalEvidence`: the counts, rates, p-value, spread, diversity and support a row
   rests on.
3. **Reasons** (`signal_reasons`): the sentences, written from the evidence alone, so
   the words can never claim what the numbers do not. The first says in plain words what
   happened and how unusual it is ("4 havaintoa Petäjävedeltä kuuden viikon aikana; aiemmin
   keskimäärin alle yksi kuudessa viikossa."); a rise the test cannot tell from chance is
   said to be too small to conclude from, never "no change". The test, its expected count
   and p-value are `signal_technical`, stored apart and shown behind "Miten tämä on
   laskettu". A run writes them in every language of the interface (the message ids are the
   Finnish sentences): Finnish in `reasons` / `technical`, the others in `reasons_i18n` /
   `technical_i18n` ({"sv": [...], "en": [...]}); readers take the reader's language and
   fall back to Finnish for rows stored before those columns (`stored_reasons`).

The exact tails are scipy.stats' (Poisson here, binomial in `nakyma.indicators`).
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from scipy import stats
from sqlite_utils import Database

from nakyma import i18n
from nakyma.config import Settings, default
from nakyma.db import now_utc, write_transaction
from nakyma.i18n import N_
from nakyma.indicators import binomial_tail, format_number, format_value, title_in
from nakyma.phenomena import active_where
from nakyma.regions import Region
from nakyma.vocabulary import TARGET_GROUPS
from nakyma.wording import capitalise, join_fi, sentence_label

CATEGORIES = ("heikko_signaali", "vahvistuva", "vakiintunut", "hiipuva")
CATEGORY_LABELS = {
    "heikko_signaali": N_("Heikko signaali"),
    "vahvistuva": N_("Vahvistuva"),
    "vakiintunut": N_("Vakiintunut"),
    "hiipuva": N_("Hiipuva"),
}
AREA_KINDS = ("kunta", "kuntaryhma", "alue")
# Columns of `nakyma export signals --format csv`, in order; list_weak_signals gives them all.
CSV_COLUMNS = ("municipality", "phenomenon_id", "phenomenon_title", "category", "score", "reasons")

# --- Thresholds ----------------------------------------------------------------------------
# Below this many baseline items in the area its own rate is too uncertain to stand alone, and
# growth must also beat the rest of the county's rate (by population share). Five items is
# where a Poisson rate's relative error (1/sqrt(n)) drops under about 45 %.
SPARSE_BASELINE_ITEMS = 5
# At most this many baseline items and the phenomenon still counts as "nearly new" in the area:
# one stray earlier sighting in a year does not make a phenomenon established.
NEARLY_NEW_MAX_BASELINE = 1
# Cap on −log10 p in the score, so that one huge count cannot drown every other reason.
MAX_EVIDENCE = 6.0
# Score bonuses, in units of −log10 p: novelty is worth a tenfold stronger test result.
NOVELTY_BONUS = 1.0
# Per municipality more than in the baseline, up to SPREAD_BONUS_MAX.
SPREAD_BONUS = 0.5
SPREAD_BONUS_MAX = 2.0
# Per observer role and target group beyond the first: independent eyes corroborate.
DIVERSITY_BONUS = 0.25
DIVERSITY_BONUS_MAX = 1.0
# Per supporting headline / indicator signal, capped: support corroborates, never leads.
HEADLINE_BONUS = 0.5
HEADLINE_BONUS_MAX = 1.5
INDICATOR_BONUS = 0.75
INDICATOR_BONUS_MAX = 1.5
# Indicator sentences per row; more become one "and N more" sentence (county rows can have many).
MAX_INDICATOR_REASONS = 2
# The sparkline: 13 buckets of 4 weeks = the last 52 weeks, oldest first.
TREND_BUCKET_DAYS = 28
TREND_BUCKETS = 13
_MIN_P = 1e-300


@dataclass(frozen=True)
class SignalParams:
    """Windows and thresholds of the weak-signal scoring. The defaults are the settings' own
    (NAKYMA_SIGNAL_*, in `nakyma.config`); the notes below say why they are what they are."""

    recent_weeks: int = default("signal_recent_weeks")
    """The "now" window. Six weeks holds a few observations even in a small municipality while
    still being recent enough to act on."""
    baseline_weeks: int = default("signal_baseline_weeks")
    """History the recent window is compared with: a full year, so seasonal phenomena (autumn
    term, winter holidays) are part of the baseline rather than growth."""
    new_weeks: int = default("signal_new_weeks")
    """"First seen recently": the earliest member in the area is at most this many weeks old.
    A little longer than the recent window so a signal stays new while it builds up."""
    min_items: int = default("signal_min_items")
    """Fewer recent observations in an area and there is no signal row (unless fading): one
    observation is an anecdote."""
    alpha: float = default("signal_alpha")
    """One-sided level of the growth and fading tests. Results are ranked, not alarms, so a
    lenient level keeps early signals visible; the score orders them by evidence."""
    min_rate_ratio: float = default("signal_min_rate_ratio")
    """Growth must also be at least this many times the expected count (fading at most its
    reciprocal): in a large municipality a 10 % rise can be significant and still not matter."""
    small_max_items: int = default("signal_small_max_items")
    """A weak signal is small: at most this many recent observations in the area (two a week in
    the default window). A new phenomenon that is already bigger is `vahvistuva`."""
    link_min_similarity: float = default("signal_link_min_similarity")
    """A suggested (not yet accepted) phenomenon–indicator link supports a signal from this
    similarity up; accepted links always do and rejected ones never. The phenomena engine
    suggests links by `nakyma.linking`'s combined score and stores the centred cosine between
    the phenomenon and the indicator as the similarity; without a human decision only the
    clearly related ones count."""
    timezone: str = default("timezone")
    """Headlines are dated by their publication time in this time zone."""

    @classmethod
    def from_settings(cls, settings: Settings) -> SignalParams:
        """The parameters a deployment's settings (NAKYMA_SIGNAL_*, NAKYMA_TIMEZONE) describe."""
        return cls(
            **{
                f.name: getattr(settings, f"signal_{f.name}")
                for f in fields(cls)
                if f.name != "timezone"
            },
            timezone=settings.timezone,
        )

    def __post_init__(self) -> None:
        for name in ("recent_weeks", "baseline_weeks", "new_weeks", "min_items"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if not 0.0 < self.alpha < 1.0:
            raise ValueError("alpha must be between 0 and 1")
        if self.min_rate_ratio < 1.0:
            raise ValueError("min_rate_ratio must be at least 1")


@dataclass(frozen=True)
class WeakSignal:
    phenomenon_id: int
    phenomenon_title: str
    area_kind: str  # kunta / kuntaryhma / alue
    area_code: str  # municipality code / group key of the default grouping / region code
    area_name: str  # nominative
    category: str
    score: float
    reasons: tuple[str, ...]  # plain sentences (`signal_reasons`)
    recent: int  # observations in the recent window
    baseline: float  # expected recent-window count from the area's own history
    trend: tuple[int, ...]  # observations per 4 weeks over the last 52 weeks, oldest first
    sources: Mapping[str, int]  # recent supporting items by kind
    p_value: float  # growth test (decline test for hiipuva)
    first_seen: date | None  # earliest observation of the phenomenon in the area
    is_new: bool
    municipalities: int  # municipalities among recent observations
    technical: tuple[str, ...] = ()  # how it was reckoned (`signal_technical`)


# --- Statistics ----------------------------------------------------------------------------


def poisson_upper_tail(k: int, lam: float) -> float:
    """P(X >= k) for X ~ Poisson(lam); P(X >= k) = sf(k - 1), as X takes whole values."""
    if k <= 0:
        return 1.0
    if lam <= 0.0:
        return 0.0
    return min(1.0, float(stats.poisson.sf(k - 1, lam)))


def growth_p_value(recent: int, baseline: int, recent_days: float, baseline_days: float) -> float:
    """One-sided p of "the recent rate is higher": P(X >= recent), X ~ Binomial(recent +
    baseline, recent_days / (recent_days + baseline_days)). 1.0 without a baseline period."""
    if baseline_days <= 0 or recent_days <= 0:
        return 1.0
    share = recent_days / (recent_days + baseline_days)
    return binomial_tail(recent, recent + baseline, share, upper=True)


def decline_p_value(recent: int, baseline: int, recent_days: float, baseline_days: float) -> float:
    """One-sided p of "the recent rate is lower" (the lower tail of the same test)."""
    if baseline_days <= 0 or recent_days <= 0 or baseline == 0:
        return 1.0
    share = recent_days / (recent_days + baseline_days)
    return binomial_tail(recent, recent + baseline, share, upper=False)


def _log_evidence(p: float) -> float:
    return min(-math.log10(max(p, _MIN_P)), MAX_EVIDENCE)


# --- Text ----------------------------------------------------------------------------------
# The sentences are built in every language of `i18n.LANGUAGES` when a run stores them; the
# message ids are the Finnish sentences. Finnish keeps its written-out week numerals ("kuuden
# viikon aikana"), which Swedish and English need not: there the weeks come as digits.

# Languages the reasons are stored in besides Finnish (the `reasons` column's own language).
TRANSLATED_LANGUAGES = tuple(lang for lang in i18n.LANGUAGES if lang != i18n.SOURCE_LANGUAGE)


def _observations(n: int, language: str = "fi") -> str:
    _ = i18n.translator(language)
    ngettext = i18n.ntranslator(language)
    if n == 0:
        return _("ei havaintoja")
    return ngettext("%(n)s havainto", "%(n)s havaintoa", n) % {"n": n}


def _headlines(n: int, language: str = "fi") -> str:
    ngettext = i18n.ntranslator(language)
    return ngettext("%(n)s uutinen", "%(n)s uutista", n) % {"n": n}


def _in_weeks(n: int, language: str = "fi") -> str:
    # "viikossa" alone reads as "per week"; one week is "viikon aikana".
    ngettext = i18n.ntranslator(language)
    return ngettext("viikon aikana", "%(n)s viikossa", n) % {"n": n}


def _number(x: float, decimals: int, language: str) -> str:
    if language == i18n.SOURCE_LANGUAGE:
        return format_number(x, decimals)
    return i18n.format_number(x, language, decimals)


def _rate(x: float, language: str = "fi") -> str:
    """A mean count: "1", "1,4", "0,35" (no trailing zeros)."""
    text = _number(x, 1 if x >= 0.95 else 2, language)
    point = "." if language == "en" else ","
    if point in text:
        text = text.rstrip("0").rstrip(point)
    return text


def _p(p: float, language: str = "fi") -> str:
    if p < 0.001:
        return "p < " + _number(0.001, 3, language)
    return "p = " + _number(p, 3 if p < 0.01 else 2, language)


# --- Areas ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Area:
    kind: str
    code: str
    name: str
    from_phrase: str  # "Äänekoskelta", "kuntaryhmästä Jämsä–Keuruu"
    members: tuple[int, ...]  # municipality indices
    # The same in the other languages: {"sv": "från Äänekoski", "en": "from Äänekoski"}.
    from_phrases: Mapping[str, str] = field(default_factory=dict)


def _municipality_index(region: Region) -> dict[str, int]:
    return {m.code: i for i, m in enumerate(region.municipalities)}


def _group_from(name: str, language: str) -> str:
    _ = i18n.translator(language)
    return _("kuntaryhmästä %(name)s") % {"name": name}


def _county_from(language: str) -> str:
    _ = i18n.translator(language)
    return _("koko hyvinvointialueelta")


def _areas(region: Region) -> list[_Area]:
    index = _municipality_index(region)
    others = TRANSLATED_LANGUAGES
    areas = [
        _Area(
            "kunta",
            m.code,
            m.name,
            m.from_form,
            (i,),
            {
                lang: i18n.place_form(m.from_form, m.name_in(lang), "from_form", lang)
                for lang in others
            },
        )
        for i, m in enumerate(region.municipalities)
    ]
    for group in region.grouping().groups:
        areas.append(
            _Area(
                "kuntaryhma",
                group.key,
                group.name,
                _group_from(group.name, "fi"),
                tuple(index[c] for c in group.members),
                {lang: _group_from(group.name, lang) for lang in others},
            )
        )
    areas.append(
        _Area(
            "alue",
            region.code,
            region.name,
            _county_from("fi"),
            tuple(range(len(region.municipalities))),
            {lang: _county_from(lang) for lang in others},
        )
    )
    return areas


# --- Loading -------------------------------------------------------------------------------

_ACTIVE = active_where("p")


def _local_midnight_utc(day: date, tz: ZoneInfo) -> str:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC).isoformat()


@dataclass
class _Support:
    # (phenomenon index) -> [(municipality index, guid)]
    headlines: dict[int, list[tuple[int, str]]]
    # (phenomenon index) -> [indicator signal row, with "m" = municipality index and "in_form"
    # = the municipality's inessive for the sentence], strongest first
    indicators: dict[int, list[dict[str, Any]]]
    # (phenomenon index, municipality index) -> (roles, target groups) among recent items
    diversity: dict[tuple[int, int], tuple[set[str], set[str]]]


def _load_support(
    db: Database,
    region: Region,
    *,
    as_of: date,
    params: SignalParams,
    p_index: Mapping[int, int],
) -> _Support:
    m_index = _municipality_index(region)
    recent_start = as_of - timedelta(days=7 * params.recent_weeks - 1)
    tz = ZoneInfo(params.timezone)
    headlines: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for pid, code, guid in db.execute(
        "select distinct m.phenomenon_id, hm.municipality_code, h.guid "
        "from phenomenon_members m join headlines h on h.guid = m.item_key "
        "join headline_municipalities hm on hm.guid = h.guid "
        "where m.item_kind = 'headline' "
        "and julianday(h.published) >= julianday(?) and julianday(h.published) < julianday(?) "
        "order by h.guid",
        [
            _local_midnight_utc(recent_start, tz),
            _local_midnight_utc(as_of + timedelta(days=1), tz),
        ],
    ).fetchall():
        if pid in p_index and code in m_index:
            headlines[p_index[pid]].append((m_index[code], guid))

    indicators: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in db.query(
        "select l.phenomenon_id, s.indicator_id, s.municipality_code, s.year, s.value, "
        "s.previous_year, s.previous_value, s.strength, i.title, i.short_title, i.unit, "
        "i.title_sv, i.title_en, i.short_title_sv, i.short_title_en, "
        "i.decimals from phenomenon_indicator_links l "
        "join indicator_signals s on s.indicator_id = l.indicator_id "
        "join indicators i on i.id = s.indicator_id "
        "where s.direction = 'worse' and s.year <= ? and (l.decision = 'accepted' "
        "or (l.decision = 'suggested' and l.similarity >= ?)) "
        "order by s.strength desc, s.indicator_id, s.municipality_code",
        [as_of.year, params.link_min_similarity],
    ):
        if row["phenomenon_id"] in p_index and row["municipality_code"] in m_index:
            row["m"] = m_index[row["municipality_code"]]
            m = region.municipality(row["municipality_code"])
            row["in_form"] = m.in_form
            row["in_forms"] = {
                lang: i18n.place_form(m.in_form, m.name_in(lang), "in_form", lang)
                for lang in TRANSLATED_LANGUAGES
            }
            indicators[p_index[row["phenomenon_id"]]].append(row)

    diversity: dict[tuple[int, int], tuple[set[str], set[str]]] = {}
    for pid, code, role, target in db.execute(
        "select distinct m.phenomenon_id, o.municipality_code, o.role, o.target_group "
        "from phenomenon_members m join observations o on o.id = cast(m.item_key as integer) "
        "where m.item_kind = 'observation' and o.observed_on >= ? and o.observed_on <= ?",
        [recent_start.isoformat(), as_of.isoformat()],
    ).fetchall():
        if pid in p_index and code in m_index:
            roles, targets = diversity.setdefault((p_index[pid], m_index[code]), (set(), set()))
            if role:
                roles.add(role)
            if target:
                targets.add(target)
    return _Support(headlines, indicators, diversity)


# --- Counting: observations per phenomenon × area ------------------------------------------


@dataclass(frozen=True)
class _Observed:
    """Observation counts per phenomenon × municipality (p, m), and how far back each
    municipality was observed at all: what the per-area counts are summed from."""

    recent: np.ndarray  # (p, m) observations in the recent window
    baseline: np.ndarray  # (p, m) in the baseline window before it
    total: np.ndarray  # (p, m) of any age up to as_of
    first_age: np.ndarray  # (p, m) age in days of the earliest, -1 if none
    trend: np.ndarray  # (p, m, b) per 4-week bucket, oldest first
    oldest: np.ndarray  # (m,) age of the earliest observation of anything, -1 if none


@dataclass(frozen=True)
class _Counts:
    """The same per phenomenon × area (p, a) for the areas of `_areas`, with the windows each
    area was observed for and the counts its history and the rest of the county predict."""

    recent: np.ndarray  # (p, a)
    baseline: np.ndarray  # (p, a)
    total: np.ndarray  # (p, a)
    first_age: np.ndarray  # (p, a) the area's earliest member, -1 if none
    trend: np.ndarray  # (p, a, b)
    munis_recent: np.ndarray  # (p, a) member municipalities with recent observations
    munis_before: np.ndarray  # (p, a) member municipalities with baseline observations
    oldest: np.ndarray  # (a,) age of the area's earliest observation of anything, -1 if none
    t_recent: np.ndarray  # (a,) days of the recent window the area was observed
    t_base: np.ndarray  # (a,) days of the baseline window the area was observed
    expected: np.ndarray  # (p, a) recent count expected from the area's own baseline rate
    region_expected: np.ndarray  # (p, a) from the rest of the county's rate; 0 for the county


def _observed(
    db: Database,
    *,
    as_of: date,
    params: SignalParams,
    p_index: Mapping[int, int],
    m_index: Mapping[str, int],
) -> _Observed | None:
    """Counts of active phenomena's observations dated up to `as_of`; None if there are none."""
    as_of_text = as_of.isoformat()
    rows = db.execute(
        "select m.phenomenon_id, o.municipality_code, "
        "cast(round(julianday(?) - julianday(o.observed_on)) as integer) as age, count(*) "
        "from phenomenon_members m join phenomena p on p.id = m.phenomenon_id "
        "join observations o on o.id = cast(m.item_key as integer) "
        f"where m.item_kind = 'observation' and {_ACTIVE} and o.observed_on <= ? "
        "group by 1, 2, 3",
        [as_of_text, as_of_text],
    ).fetchall()
    rows = [r for r in rows if r[1] in m_index and r[2] is not None and r[2] >= 0]
    if not rows:
        return None
    n_p, n_m = len(p_index), len(m_index)
    cell = np.array([p_index[r[0]] * n_m + m_index[r[1]] for r in rows], dtype=np.int64)
    age = np.array([r[2] for r in rows], dtype=np.int64)
    cnt = np.array([r[3] for r in rows], dtype=np.float64)
    size = n_p * n_m

    def per_cell(mask: np.ndarray) -> np.ndarray:
        return np.bincount(cell, weights=cnt * mask, minlength=size).reshape(n_p, n_m)

    recent_days = 7 * params.recent_weeks
    baseline_days = 7 * params.baseline_weeks
    first_flat = np.full(size, -1, dtype=np.int64)
    np.maximum.at(first_flat, cell, age)
    bucket = age // TREND_BUCKET_DAYS
    in_trend = bucket < TREND_BUCKETS
    trend = np.bincount(
        cell[in_trend] * TREND_BUCKETS + (TREND_BUCKETS - 1 - bucket[in_trend]),
        weights=cnt[in_trend],
        minlength=size * TREND_BUCKETS,
    ).reshape(n_p, n_m, TREND_BUCKETS)
    return _Observed(
        recent=per_cell(age < recent_days),
        baseline=per_cell((age >= recent_days) & (age < recent_days + baseline_days)),
        total=per_cell(np.ones_like(age, dtype=bool)),
        first_age=first_flat.reshape(n_p, n_m),
        trend=trend,
        oldest=_observed_since(db, as_of=as_of, m_index=m_index),
    )


def _observed_since(db: Database, *, as_of: date, m_index: Mapping[str, int]) -> np.ndarray:
    """Per municipality, the age in days of its earliest observation of anything (assigned to
    a phenomenon or not) up to `as_of`; -1 if it has none."""
    oldest = np.full(len(m_index), -1, dtype=np.int64)
    for code, age in db.execute(
        "select municipality_code, cast(round(julianday(?) - julianday(min(observed_on))) "
        "as integer) from observations where observed_on <= ? group by municipality_code",
        [as_of.isoformat(), as_of.isoformat()],
    ).fetchall():
        if code in m_index and age is not None:
            oldest[m_index[code]] = age
    return oldest


def _per_area(
    observed: _Observed, areas: Sequence[_Area], populations: np.ndarray, params: SignalParams
) -> _Counts:
    """Sum the municipalities' counts into each area's and derive its expected counts."""
    membership = np.zeros((len(areas), len(populations)))
    for a, area in enumerate(areas):
        membership[a, list(area.members)] = 1.0
    baseline = observed.baseline @ membership.T
    oldest = np.array([observed.oldest[list(area.members)].max() for area in areas])
    covered = oldest + 1  # days observed, as_of included
    recent_days = 7 * params.recent_weeks
    t_recent = np.minimum(recent_days, np.maximum(covered, 0)).astype(np.float64)
    t_base = np.clip(covered - recent_days, 0, 7 * params.baseline_weeks).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.where(t_base > 0, baseline * t_recent / t_base, 0.0)
    return _Counts(
        recent=observed.recent @ membership.T,
        baseline=baseline,
        total=observed.total @ membership.T,
        first_age=np.stack(
            [observed.first_age[:, list(area.members)].max(axis=1) for area in areas], axis=1
        ),
        trend=np.einsum("pmb,am->pab", observed.trend, membership),
        munis_recent=(observed.recent > 0) @ membership.T,
        munis_before=(observed.baseline > 0) @ membership.T,
        oldest=oldest,
        t_recent=t_recent,
        t_base=t_base,
        expected=expected,
        region_expected=_expected_elsewhere(baseline, t_recent, t_base, membership, populations),
    )


def _expected_elsewhere(
    baseline: np.ndarray,
    t_recent: np.ndarray,
    t_base: np.ndarray,
    membership: np.ndarray,
    populations: np.ndarray,
) -> np.ndarray:
    """Per phenomenon × area, the recent-window count the rest of the county's baseline rate
    predicts for the area's share of its population. The county (the last area) has no
    "elsewhere": 0 there."""
    county = len(membership) - 1
    pop_a = membership @ populations
    pop_else = populations.sum() - pop_a
    rate_else = np.zeros_like(baseline)
    if t_base[county] > 0:
        rate_else = (baseline[:, [county]] - baseline) / t_base[county]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(pop_else > 0, pop_a / pop_else, 0.0)
    expected = rate_else * t_recent * share
    expected[:, county] = 0.0
    return expected


def _candidates(counts: _Counts, params: SignalParams) -> np.ndarray:
    """(p, a) cells that can give a row: enough recent items, or few enough to be fading."""
    return (counts.recent >= params.min_items) | (
        (counts.expected > 0) & (counts.recent * params.min_rate_ratio <= counts.expected)
    )


# --- Categories and scores -----------------------------------------------------------------


@dataclass(frozen=True)
class SignalEvidence:
    """What one phenomenon × area row rests on: its score and reasons are read from this."""

    category: str
    from_phrase: str  # the area in the elative: "Äänekoskelta", "kuntaryhmästä Jämsä–Keuruu"
    recent_weeks: int  # the recent window (SignalParams.recent_weeks)
    recent: int  # observations in the recent window
    baseline_items: int  # observations in the baseline window before it
    baseline_weeks: int  # whole weeks of baseline the area was observed for
    expected: float  # recent count expected from the area's own baseline rate
    region_expected: float  # from the rest of the county (sparse baselines only), else 0
    p_value: float  # the growth test; the decline test for hiipuva
    is_new: bool
    first_age: int  # days since the area's first observation of the phenomenon, -1 if none
    total_since_first: int  # observations of any age
    munis_recent: int  # municipalities among recent observations
    munis_before: int  # municipalities among baseline observations
    roles: frozenset[str]  # observer roles among recent observations
    targets: frozenset[str]  # target groups among recent observations
    headlines: int  # supporting headlines in the recent window
    indicators: tuple[Mapping[str, Any], ...]  # supporting indicator signals, strongest first
    # `from_phrase` in the other languages ({"sv": "från Äänekoski"}); Finnish where missing.
    from_phrases: Mapping[str, str] = field(default_factory=dict)

    def place(self, language: str) -> str:
        """Where from, as a sentence in `language` needs it."""
        if language == i18n.SOURCE_LANGUAGE:
            return self.from_phrase
        return self.from_phrases.get(language, self.from_phrase)

    @property
    def spreading(self) -> bool:
        """In more municipalities now than in the whole baseline (and in two at least)."""
        return self.munis_recent >= 2 and self.munis_recent > self.munis_before


def _categorise(
    recent: int,
    baseline: int,
    *,
    expected: float,
    region_expected: float,
    is_new: bool,
    recent_days: float,
    baseline_days: float,
    params: SignalParams,
) -> tuple[str | None, float]:
    """The category of a phenomenon × area cell and the p-value behind it (the decline test's
    for hiipuva, the growth test's otherwise); category None: the cell gives no row."""
    ratio = params.min_rate_ratio
    p_own = growth_p_value(recent, baseline, recent_days, baseline_days)
    p_region = poisson_upper_tail(recent, region_expected) if region_expected > 0 else 0.0
    p_growth = max(p_own, p_region)
    reference = max(expected, region_expected)
    if (
        recent >= params.min_items
        and p_growth < params.alpha
        and (reference == 0 or recent >= ratio * reference)
    ):
        small = recent <= params.small_max_items
        nearly_new = is_new or baseline <= NEARLY_NEW_MAX_BASELINE
        return ("heikko_signaali" if nearly_new and small else "vahvistuva"), p_growth
    p_decline = decline_p_value(recent, baseline, recent_days, baseline_days)
    if p_decline < params.alpha and recent * ratio <= expected:
        return "hiipuva", p_decline
    return ("vakiintunut" if recent >= params.min_items else None), p_growth


def _cell_evidence(
    counts: _Counts, support: _Support, area: _Area, p: int, a: int, params: SignalParams
) -> SignalEvidence | None:
    """The evidence of phenomenon p in area a; None if the cell gives no row."""
    k = int(counts.recent[p, a])
    b = int(counts.baseline[p, a])
    expected = float(counts.expected[p, a])
    # The rest of the county is asked only where the area's own history is too thin.
    region_expected = float(counts.region_expected[p, a]) if b < SPARSE_BASELINE_ITEMS else 0.0
    first_age = int(counts.first_age[p, a])
    # Novelty needs the area to have been observed before the novelty window.
    new_days = 7 * params.new_weeks
    is_new = bool(0 <= first_age < new_days and counts.oldest[a] >= new_days)
    category, p_value = _categorise(
        k,
        b,
        expected=expected,
        region_expected=region_expected,
        is_new=is_new,
        recent_days=float(counts.t_recent[a]),
        baseline_days=float(counts.t_base[a]),
        params=params,
    )
    if category is None:
        return None
    roles: set[str] = set()
    targets: set[str] = set()
    for m in area.members:
        found = support.diversity.get((p, m))
        if found:
            roles |= found[0]
            targets |= found[1]
    members = set(area.members)
    return SignalEvidence(
        category=category,
        from_phrase=area.from_phrase,
        from_phrases=area.from_phrases,
        recent_weeks=params.recent_weeks,
        recent=k,
        baseline_items=b,
        baseline_weeks=int(counts.t_base[a] // 7),
        expected=expected,
        region_expected=region_expected,
        p_value=p_value,
        is_new=is_new,
        first_age=first_age,
        total_since_first=int(counts.total[p, a]),
        munis_recent=int(counts.munis_recent[p, a]),
        munis_before=int(counts.munis_before[p, a]),
        roles=frozenset(roles),
        targets=frozenset(targets),
        headlines=len({g for m, g in support.headlines.get(p, ()) if m in members}),
        indicators=tuple(r for r in support.indicators.get(p, ()) if r["m"] in members),
    )


def signal_score(e: SignalEvidence) -> float:
    """The rank of a row within its area: the test's evidence (−log10 p, capped; subtracted
    for hiipuva, nothing when below the expected count) plus capped bonuses for novelty,
    spread, observer diversity and support."""
    score = 0.0
    if e.category == "hiipuva":
        score -= _log_evidence(e.p_value)
    elif e.recent >= e.expected:
        score += _log_evidence(e.p_value)
    if e.is_new:
        score += NOVELTY_BONUS
    if e.spreading:
        score += min(SPREAD_BONUS * (e.munis_recent - e.munis_before), SPREAD_BONUS_MAX)
    score += min(
        DIVERSITY_BONUS * (max(len(e.roles) - 1, 0) + max(len(e.targets) - 1, 0)),
        DIVERSITY_BONUS_MAX,
    )
    score += min(HEADLINE_BONUS * e.headlines, HEADLINE_BONUS_MAX)
    score += min(INDICATOR_BONUS * len(e.indicators), INDICATOR_BONUS_MAX)
    return score


# --- Reasons -------------------------------------------------------------------------------

# A leader reads the plain sentences; the test, its expected count and p-value are kept apart
# (`signal_technical`) and shown behind "Miten tämä on laskettu". Counts stay written
# "N havaintoa" ("N observationer") so that `disclosure.mask_small_counts` finds them in both
# lists.

_TESTS = {
    "heikko_signaali": N_("Kasvun testi"),
    "vahvistuva": N_("Kasvun testi"),
    "hiipuva": N_("Vähenemisen testi"),
    "vakiintunut": N_("Kasvun testi"),
}

# Genitive and inessive of small week counts: "kuuden viikon aikana", "kuudessa viikossa".
_GENITIVE = {
    2: "kahden",
    3: "kolmen",
    4: "neljän",
    5: "viiden",
    6: "kuuden",
    7: "seitsemän",
    8: "kahdeksan",
    9: "yhdeksän",
    10: "kymmenen",
    12: "kahdentoista",
}
_INESSIVE = {
    2: "kahdessa",
    3: "kolmessa",
    4: "neljässä",
    5: "viidessä",
    6: "kuudessa",
    7: "seitsemässä",
    8: "kahdeksassa",
    9: "yhdeksässä",
    10: "kymmenessä",
    12: "kahdessatoista",
}

# A rise or fall by this factor that the test cannot tell from chance is named as such.
_VISIBLE_CHANGE = 1.5


def signal_reasons(e: SignalEvidence, language: str = "fi") -> list[str]:
    """The plain sentences of a row in `language`, in order: what happened and how unusual it
    is, what the numbers allow to say, spread and diversity, supporting indicators."""
    _ = i18n.translator(language)
    ngettext = i18n.ntranslator(language)
    reasons = [_count_sentence(e, language)]
    verdict = _verdict_sentence(e, language)
    if verdict:
        reasons.append(verdict)
    if e.headlines:
        reasons.append(
            _("Tukena %(headlines)s.") % {"headlines": _headlines(e.headlines, language)}
        )
    if e.spreading and e.munis_before:
        reasons.append(
            _("Levinnyt %(n)s kuntaan (aiemmin %(before)s).")
            % {"n": e.munis_recent, "before": e.munis_before}
        )
    elif e.munis_recent >= 2:
        reasons.append(_("Havaintoja %(n)s kunnasta.") % {"n": e.munis_recent})
    parts = []
    if len(e.roles) >= 2:
        parts.append(_("havaitsijoita %(n)s eri ammattiryhmästä") % {"n": len(e.roles)})
    if len(e.targets) >= 2:
        labels = [_(TARGET_GROUPS.get(t, t)).lower() for t in sorted(e.targets)]
        parts.append(_("kohderyhminä %(groups)s") % {"groups": _join(labels, language)})
    if parts:
        reasons.append(capitalise("; ".join(parts)) + ".")
    reasons.extend(
        _indicator_sentence(row, language) for row in e.indicators[:MAX_INDICATOR_REASONS]
    )
    more = len(e.indicators) - MAX_INDICATOR_REASONS
    if more > 0:
        reasons.append(
            ngettext(
                "Tukena lisäksi %(n)s muu indikaattorimuutos.",
                "Tukena lisäksi %(n)s muuta indikaattorimuutosta.",
                more,
            )
            % {"n": more}
        )
    return reasons


def _join(words: Sequence[str], language: str) -> str:
    """ "a", "a ja b", "a, b ja c" in `language`."""
    if language == i18n.SOURCE_LANGUAGE or len(words) <= 1:
        return join_fi(words)
    _ = i18n.translator(language)
    return _("%(first)s ja %(last)s") % {"first": ", ".join(words[:-1]), "last": words[-1]}


def signal_technical(e: SignalEvidence, language: str = "fi") -> list[str]:
    """How the row was reckoned, for "Miten tämä on laskettu": the test with its observed
    and expected counts and p-value, and the county's pace where the area's history is thin."""
    _ = i18n.translator(language)
    sentences = []
    weeks = e.recent_weeks
    if not (e.is_new and e.baseline_items == 0) and e.baseline_weeks > 0:
        if e.is_new:  # every earlier item is from the few weeks since it was first seen
            before = _("sitä ennen %(count)s") % {
                "count": _observations(e.baseline_items, language)
            }
        elif e.baseline_items == 0:
            before = _("edeltävän %(weeks)s viikon aikana %(count)s") % {
                "weeks": e.baseline_weeks,
                "count": _observations(0, language),
            }
        else:
            before = _("alueen oman aiemman tahdin mukaan odotettaisiin %(expected)s") % {
                "expected": _rate(e.expected, language)
            }
        verdict = _(", ei tilastollisesti merkitsevä") if e.category == "vakiintunut" else ""
        sentences.append(
            _("%(test)s (Poisson): %(count)s %(weeks)s, %(before)s; %(p)s%(verdict)s.")
            % {
                "test": _(_TESTS[e.category]),
                "count": _observations(e.recent, language),
                "weeks": _in_weeks(weeks, language),
                "before": before,
                "p": _p(e.p_value, language),
                "verdict": verdict,
            }
        )
    if e.region_expected > 0 and e.category != "hiipuva":
        sentences.append(
            _(
                "Muun hyvinvointialueen tahdilla väkilukuun suhteutettuna %(weeks)s "
                "odotettaisiin %(expected)s."
            )
            % {"weeks": _in_weeks(weeks, language), "expected": _rate(e.region_expected, language)}
        )
    if e.is_new:
        sentences.append(
            _(
                "Ensimmäinen havainto %(days)s päivää sitten; uudeksi luetaan ilmiö, jota "
                "alueelta ei ole aiemmin havaittu."
            )
            % {"days": e.first_age}
        )
    return sentences


def _weeks_span(n: int, language: str) -> str:
    """A span of weeks for "… aikana": Finnish written out ("kuuden viikon"), else digits."""
    if language == i18n.SOURCE_LANGUAGE:
        return "viikon" if n == 1 else f"{_GENITIVE.get(n, str(n))} viikon"
    ngettext = i18n.ntranslator(language)
    return ngettext("%(n)s viikko", "%(n)s viikkoa", n) % {"n": n}


def _weeks_per(n: int, language: str) -> str:
    """The unit of a past mean: Finnish "kuudessa viikossa"; elsewhere the span ("6 veckor")."""
    if language == i18n.SOURCE_LANGUAGE:
        return "viikossa" if n == 1 else f"{_INESSIVE.get(n, str(n))} viikossa"
    return _weeks_span(n, language)


def _mean_words(x: float, language: str = "fi") -> str:
    """A past mean count in words: "alle yksi", "noin 2", "noin 9"."""
    _ = i18n.translator(language)
    if x < 0.95:
        return _("alle yksi")
    return _("noin %(n)s") % {"n": round(x)}


def _count_sentence(e: SignalEvidence, language: str = "fi") -> str:
    """What happened: the count, where, over what time, against what came before."""
    _ = i18n.translator(language)
    place = e.place(language)
    if e.is_new:
        span = math.ceil((e.first_age + 1) / 7)
        return capitalise(
            _("%(count)s %(place)s %(weeks)s aikana; aiemmin ei yhtään.")
            % {
                "count": _observations(e.total_since_first, language),
                "place": place,
                "weeks": _weeks_span(span, language),
            }
        )
    values = {
        "count": _observations(e.recent, language),
        "place": place,
        "weeks": _weeks_span(e.recent_weeks, language),
    }
    if e.baseline_weeks <= 0:
        text = _("%(count)s %(place)s %(weeks)s aikana.") % values
    elif e.baseline_items == 0:
        text = _(
            "%(count)s %(place)s %(weeks)s aikana; edeltävän %(before)s viikon aikana ei yhtään."
        ) % {**values, "before": e.baseline_weeks}
    else:
        text = _("%(count)s %(place)s %(weeks)s aikana; aiemmin keskimäärin %(mean)s %(per)s.") % {
            **values,
            "mean": _mean_words(e.expected, language),
            "per": _weeks_per(e.recent_weeks, language),
        }
    return capitalise(text)


def _verdict_sentence(e: SignalEvidence, language: str = "fi") -> str | None:
    """How unusual it is, in words, and never a rise called "no change": when the test cannot
    tell a visible rise or fall from chance, the sentence says the numbers are too small."""
    _ = i18n.translator(language)
    if e.is_new and e.baseline_items == 0:
        return _("Ilmiö on alueella uusi.")
    if e.baseline_weeks <= 0:
        return None
    if e.category in ("heikko_signaali", "vahvistuva"):
        return _("Näin suuri kasvu tuskin on sattumaa.")
    if e.category == "hiipuva":
        return _("Havaintoja on selvästi tavallista vähemmän; ilmiö näyttää hiipuvan.")
    reference = max(e.expected, e.region_expected)
    if e.recent > max(reference, 0.5) * _VISIBLE_CHANGE:
        return _("Määrä on noussut, mutta määrät ovat liian pieniä johtopäätöksiin.")
    if e.recent * _VISIBLE_CHANGE < reference:
        return _("Määrä on laskenut, mutta määrät ovat liian pieniä johtopäätöksiin.")
    return _("Määrä on pysynyt suunnilleen ennallaan.")


def _indicator_sentence(row: Mapping[str, Any], language: str = "fi") -> str:
    _ = i18n.translator(language)
    decimals = row["decimals"] if row["decimals"] is not None else 1
    label = sentence_label(title_in(row, language))
    value = format_value(row["value"], row["unit"], decimals, language)
    if row["previous_value"] is not None:
        previous = format_value(row["previous_value"], row["unit"], decimals, language)
        change = f"{previous} → {value} ({row['previous_year']}→{row['year']})"
    else:
        change = _("%(value)s (%(year)s), muutos huonompaan suuntaan") % {
            "value": value,
            "year": row["year"],
        }
    place = row["in_form"]
    if language != i18n.SOURCE_LANGUAGE:
        place = row.get("in_forms", {}).get(language, place)
    return _("Tukena indikaattori: %(label)s %(place)s %(change)s.") % {
        "label": label,
        "place": place,
        "change": change,
    }


# --- Scoring -------------------------------------------------------------------------------


def score_signals(
    db: Database, region: Region, *, as_of: date, params: SignalParams | None = None
) -> list[WeakSignal]:
    """Weak signals of every active phenomenon in every area as of `as_of`, best first.

    Areas without enough recent observations (`params.min_items`) give no row unless the
    phenomenon is fading there. Deterministic: the same data and `as_of` give the same list.
    """
    return [s for s, _ in _scored(db, region, as_of=as_of, params=params)]


def _scored(
    db: Database, region: Region, *, as_of: date, params: SignalParams | None = None
) -> list[tuple[WeakSignal, SignalEvidence]]:
    """`score_signals` with the evidence of each row (its sentences in other languages)."""
    params = params or SignalParams()
    titles = {
        r["id"]: r["title"]
        for r in db.query(f"select id, title from phenomena p where {_ACTIVE} order by id")
    }
    if not titles:
        return []
    pids = sorted(titles)
    p_index = {pid: i for i, pid in enumerate(pids)}
    m_index = _municipality_index(region)
    observed = _observed(db, as_of=as_of, params=params, p_index=p_index, m_index=m_index)
    if observed is None:
        return []
    areas = _areas(region)
    counts = _per_area(observed, areas, np.array(list(region.populations().values())), params)
    support = _load_support(db, region, as_of=as_of, params=params, p_index=p_index)
    signals = []
    for p, a in zip(*np.nonzero(_candidates(counts, params)), strict=True):
        evidence = _cell_evidence(counts, support, areas[a], int(p), int(a), params)
        if evidence is not None:
            trend = tuple(int(x) for x in counts.trend[p, a])
            signal = _weak_signal(evidence, pids[p], titles[pids[p]], areas[a], trend, as_of)
            signals.append((signal, evidence))
    kind_order = {kind: i for i, kind in enumerate(AREA_KINDS)}
    signals.sort(
        key=lambda se: (
            -se[0].score,
            kind_order[se[0].area_kind],
            se[0].area_code,
            se[0].phenomenon_id,
        )
    )
    return signals


def translated_sentences(e: SignalEvidence) -> dict[str, dict[str, list[str]]]:
    """A row's plain and technical sentences in the languages besides Finnish, as stored in
    `reasons_i18n` and `technical_i18n`: {"reasons": {"sv": [...]}, "technical": {...}}."""
    return {
        "reasons": {lang: signal_reasons(e, lang) for lang in TRANSLATED_LANGUAGES},
        "technical": {lang: signal_technical(e, lang) for lang in TRANSLATED_LANGUAGES},
    }


def _weak_signal(
    e: SignalEvidence,
    pid: int,
    title: str,
    area: _Area,
    trend: tuple[int, ...],
    as_of: date,
) -> WeakSignal:
    return WeakSignal(
        phenomenon_id=pid,
        phenomenon_title=title,
        area_kind=area.kind,
        area_code=area.code,
        area_name=area.name,
        category=e.category,
        score=round(signal_score(e), 2),
        reasons=tuple(signal_reasons(e)),
        recent=e.recent,
        baseline=round(e.expected, 3),
        trend=trend,
        sources={"observation": e.recent, "headline": e.headlines, "indicator": len(e.indicators)},
        p_value=e.p_value,
        first_seen=as_of - timedelta(days=e.first_age) if e.first_age >= 0 else None,
        is_new=e.is_new,
        municipalities=e.munis_recent,
        technical=tuple(signal_technical(e)),
    )


# Sentences of rows stored before the plain/technical split that belong behind the disclosure.
_OLD_TECHNICAL = re.compile(r"\(p [<=] [\d,]+\)|odotettaisiin|/ \d+ vk")


def stored_reasons(
    reasons: str | None,
    technical: str | None,
    *,
    reasons_i18n: str | None = None,
    technical_i18n: str | None = None,
    language: str = "fi",
) -> tuple[list[str], list[str]]:
    """A stored row's plain and technical sentences from its `reasons` and `technical` JSON
    columns (Finnish). A row stored before the split (`technical` NULL) has its test and
    expectation sentences moved to the technical list, so that old rows read like new ones.

    With another `language`, the sentences come from the `reasons_i18n` / `technical_i18n`
    columns ({"sv": [...], ...}) when the row has that language, else Finnish (a row stored
    before the translated sentences, until the next run)."""
    if language != i18n.SOURCE_LANGUAGE:
        plain = _stored_in(reasons_i18n, language)
        if plain is not None:
            return plain, _stored_in(technical_i18n, language) or []
    plain = [str(t) for t in json.loads(reasons or "[]")]
    if technical is not None:
        return plain, [str(t) for t in json.loads(technical)]
    old = [t for t in plain if _OLD_TECHNICAL.search(t)]
    return [t for t in plain if t not in old], old


def _stored_in(column: str | None, language: str) -> list[str] | None:
    """One language's list from a `*_i18n` JSON column; None when it has none."""
    if not column:
        return None
    try:
        found = json.loads(column)
    except ValueError:
        return None
    if not isinstance(found, dict) or not isinstance(found.get(language), list):
        return None
    return [str(t) for t in found[language]]


def stored_row_reasons(row: Mapping[str, Any], language: str = "fi") -> tuple[list[str], list[str]]:
    """`stored_reasons` of a `weak_signals` row (any mapping with its columns) in `language`."""
    return stored_reasons(
        row["reasons"],
        row.get("technical"),
        reasons_i18n=row.get("reasons_i18n"),
        technical_i18n=row.get("technical_i18n"),
        language=language,
    )


# --- Storage -------------------------------------------------------------------------------


def save_signals(
    db: Database,
    signals: Iterable[WeakSignal],
    *,
    as_of: date,
    translations: Mapping[tuple[int, str, str], Mapping[str, Mapping[str, list[str]]]]
    | None = None,
) -> int:
    """Replace every stored weak signal with `signals` in one transaction; returns how many.

    `translations`: per (phenomenon id, area kind, area code), the row's sentences in the
    other languages (`translated_sentences`); rows without any keep NULL there and read in
    Finnish."""
    now = now_utc()
    translations = translations or {}

    def i18n_json(s: WeakSignal, key: str) -> str | None:
        found = translations.get((s.phenomenon_id, s.area_kind, s.area_code))
        return json.dumps(found[key], ensure_ascii=False) if found else None

    rows = [
        {
            "phenomenon_id": s.phenomenon_id,
            "area_kind": s.area_kind,
            "area_code": s.area_code,
            "as_of": as_of.isoformat(),
            "score": s.score,
            "category": s.category,
            "reasons": json.dumps(list(s.reasons), ensure_ascii=False),
            "technical": json.dumps(list(s.technical), ensure_ascii=False),
            "reasons_i18n": i18n_json(s, "reasons"),
            "technical_i18n": i18n_json(s, "technical"),
            "recent": s.recent,
            "baseline": s.baseline,
            "trend": json.dumps(list(s.trend)),
            "sources": json.dumps(dict(s.sources)),
            "computed_at": now,
        }
        for s in signals
    ]
    with write_transaction(db):
        db.execute("delete from weak_signals")
        if rows:
            db.table("weak_signals").insert_all(rows)
    return len(rows)


def compute_weak_signals(
    db: Database, region: Region, *, as_of: date, params: SignalParams | None = None
) -> int:
    """Score every phenomenon and area as of `as_of` and store the result, its sentences in
    every language (`translated_sentences`); returns the count."""
    scored = _scored(db, region, as_of=as_of, params=params)
    translations = {
        (s.phenomenon_id, s.area_kind, s.area_code): translated_sentences(e) for s, e in scored
    }
    return save_signals(db, [s for s, _ in scored], as_of=as_of, translations=translations)


def _area_names(region: Region) -> dict[tuple[str, str], str]:
    return {(a.kind, a.code): a.name for a in _areas(region)}


def _area_code(region: Region, area_kind: str, written: str) -> str | None:
    if area_kind == "kunta":
        m = region.resolve(written)
        return m.code if m else None
    if area_kind == "kuntaryhma":
        for group in region.grouping().groups:
            if written in (group.key, group.name):
                return group.key
        return None
    return region.code if written in (region.code, region.name) else None


def list_weak_signals(
    db: Database,
    region: Region,
    *,
    area_kind: str = "kunta",
    area_code: str | None = None,
    limit: int | None = None,
    language: str = "fi",
) -> list[dict[str, Any]]:
    """Stored weak signals of one kind of area (one area with `area_code`), highest score first.

    `area_code`: a municipality code or any written form of its name, a group key or name of
    the default grouping, or the region code. Unknown areas give an empty list. Each dict has
    the CSV_COLUMNS (`municipality` is the area's nominative name and `reasons` the sentences
    joined by spaces) and the rest of the row (`reasons_list`, `trend`, `sources` decoded).
    The sentences are in `language` where the row has them (`stored_reasons`), else Finnish.
    """
    if area_kind not in AREA_KINDS:
        raise ValueError(f"unknown area_kind {area_kind!r}")
    where = ["s.area_kind = ?", _ACTIVE]
    args: list[Any] = [area_kind]
    if area_code is not None:
        code = _area_code(region, area_kind, area_code)
        if code is None:
            return []
        where.append("s.area_code = ?")
        args.append(code)
    sql = (
        "select s.*, p.title from weak_signals s join phenomena p on p.id = s.phenomenon_id "
        f"where {' and '.join(where)} "
        "order by s.score desc, s.phenomenon_id, s.area_code"
    )
    if limit is not None:
        sql += " limit ?"
        args.append(int(limit))
    names = _area_names(region)
    out = []
    for r in db.query(sql, args):
        plain, technical = stored_row_reasons(r, language)
        out.append(
            _signal_dict(
                names,
                {
                    **r,
                    "phenomenon_title": r["title"],
                    "reasons": plain,
                    "technical": technical,
                    "trend": json.loads(r["trend"]) if r["trend"] else [],
                    "sources": json.loads(r["sources"]) if r["sources"] else {},
                },
            )
        )
    return out


def signal_rows(
    db: Database,
    region: Region,
    *,
    as_of: date | None = None,
    area_kind: str = "kunta",
    params: SignalParams | None = None,
    language: str = "fi",
) -> list[dict[str, Any]]:
    """Rows for `nakyma export signals`: the stored signals, or with `as_of` signals scored
    for that date without storing them; same shape and order as list_weak_signals, the
    sentences in `language`."""
    if as_of is None:
        return list_weak_signals(db, region, area_kind=area_kind, language=language)
    names = _area_names(region)
    scored = _scored(db, region, as_of=as_of, params=params)
    fresh = [(s, e) for s, e in scored if s.area_kind == area_kind]
    fresh.sort(key=lambda se: (-se[0].score, se[0].phenomenon_id, se[0].area_code))
    return [
        _signal_dict(
            names,
            {
                **{f: getattr(s, f) for f in _STORED_FIELDS},
                "reasons": signal_reasons(e, language) if language != "fi" else list(s.reasons),
                "technical": (
                    signal_technical(e, language) if language != "fi" else list(s.technical)
                ),
                "trend": list(s.trend),
                "sources": dict(s.sources),
                "as_of": as_of.isoformat(),
                "computed_at": None,
            },
        )
        for s, e in fresh
    ]


_STORED_FIELDS = (
    "phenomenon_id",
    "phenomenon_title",
    "area_kind",
    "area_code",
    "category",
    "score",
    "recent",
    "baseline",
)


def _signal_dict(names: Mapping[tuple[str, str], str], r: Mapping[str, Any]) -> dict[str, Any]:
    """One signal as a flat dict: the CSV_COLUMNS first, then the rest of the row."""
    return {
        "municipality": names.get((r["area_kind"], r["area_code"]), r["area_code"]),
        "phenomenon_id": r["phenomenon_id"],
        "phenomenon_title": r["phenomenon_title"],
        "category": r["category"],
        "score": r["score"],
        "reasons": " ".join(r["reasons"]),
        "category_label": CATEGORY_LABELS.get(r["category"], r["category"]),
        "area_kind": r["area_kind"],
        "area_code": r["area_code"],
        "reasons_list": list(r["reasons"]),
        "technical": list(r["technical"]),
        "recent": r["recent"],
        "baseline": r["baseline"],
        "trend": r["trend"],
        "sources": r["sources"],
        "as_of": r["as_of"],
        "computed_at": r["computed_at"],
    }
