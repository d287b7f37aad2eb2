"""Building the meeting brief from the database: which phenomena match the request, their
evidence in the scope and window (suppressed count tables), linked indicators, sample
observation texts, and prompts for the meeting.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from sqlite_utils import Database

from nakyma import i18n, privacy
from nakyma.disclosure import (
    Cell,
    SuppressedTable,
    counted_numbers,
    is_small_municipality,
    mask_small_counts,
    mask_small_municipalities,
    public_place,
    published_count,
    suppress,
)
from nakyma.emerging import stored_reasons as emerging_reasons
from nakyma.emerging_views import CATEGORIES as THEME_CATEGORIES
from nakyma.emerging_views import CATEGORY_ORDER as THEME_ORDER
from nakyma.exports.brief import (
    MAX_PHENOMENA,
    SOURCES,
    EmergingThemeBrief,
    ForecastBrief,
    ForecastRow,
    IndicatorValue,
    LinkedIndicator,
    MeetingBrief,
    ObservationText,
    PhenomenonBrief,
    format_int,
)
from nakyma.exports.request import (
    BriefRequest,
    ExportError,
    Scope,
    localised_scope,
    month_index,
)
from nakyma.forecast_areas import area_records
from nakyma.forecast_views import number_interval
from nakyma.i18n import N_
from nakyma.indicators import (
    ATTRIBUTION,
    COUNTRY_CODE,
    format_number,
    format_value,
    sotkanet_page,
    title_in,
)
from nakyma.observations import parse_date
from nakyma.phenomena import active_phenomena
from nakyma.regions import Region
from nakyma.review import STATUSES
from nakyma.signals import CATEGORY_LABELS, stored_row_reasons
from nakyma.vocabulary import MONTHS_FI, THEMES

TEXTS_PER_PHENOMENON = 3


def _plain_reasons(signal: Mapping[str, Any] | None, language: str = "fi") -> list[str]:
    """A stored weak signal's plain sentences in `language` (none without a signal)."""
    if signal is None:
        return []
    return stored_row_reasons(signal, language)[0]


MAX_TEXT_CHARS = 400
SUGGESTED_INDICATORS = 2
CATEGORY_ORDER = {c: i for i, c in enumerate(("heikko_signaali", "vahvistuva", "vakiintunut"))}


def _months(start: date, end: date) -> list[str]:
    return [
        f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(month_index(start), month_index(end) + 1)
    ]


def month_label(key: str, language: str = "fi") -> str:
    """ "2026-11" -> "marraskuu 2026" (Swedish "november 2026", English "November 2026")."""
    if language == "fi":
        return f"{MONTHS_FI[int(key[5:7]) - 1]} {key[:4]}"
    locale = "sv_FI" if language == "sv" else "en_GB"
    return babel_format_date(date(int(key[:4]), int(key[5:7]), 1), "LLLL y", locale=locale)


def phenomenon_themes(db: Database) -> dict[int, str]:
    """Each phenomenon's theme: set by hand, else the commonest theme of its observations."""
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    for pid, theme in db.execute(
        "select m.phenomenon_id, o.theme from phenomenon_members m join observations o "
        "on m.item_kind = 'observation' and o.id = cast(m.item_key as integer) "
        "where o.theme is not null and o.theme != ''"
    ):
        counts[pid][theme] += 1
    out = {pid: c.most_common(1)[0][0] for pid, c in counts.items()}
    for pid, theme in db.execute("select id, theme from phenomena where theme is not null"):
        if theme:
            out[pid] = theme
    return out


def area_signals(db: Database, scope: Scope) -> dict[int, dict[str, Any]]:
    """The weak-signal rows of one area (the scope's kind and code), by phenomenon."""
    return {
        r["phenomenon_id"]: r
        for r in db.query(
            "select * from weak_signals where area_kind = ? and area_code = ?",
            [scope.kind, scope.code],
        )
    }


@dataclass
class _Evidence:
    observations: list[dict[str, Any]] = field(default_factory=list)
    headline_months: list[str] = field(default_factory=list)


def _evidence(
    db: Database, region: Region, request: BriefRequest, timezone: str
) -> dict[int, _Evidence]:
    """Observations and headlines of every phenomenon in the scope and window."""
    scope = set(request.scope.municipalities)
    out: dict[int, _Evidence] = defaultdict(_Evidence)
    for r in db.query(
        "select m.phenomenon_id, m.similarity, o.id, o.text, o.observed_on, o.municipality_code "
        "from phenomenon_members m join observations o "
        "on m.item_kind = 'observation' and o.id = cast(m.item_key as integer) "
        "where o.observed_on between ? and ? order by o.observed_on, o.id",
        [request.start.isoformat(), request.end.isoformat()],
    ):
        if r["municipality_code"] in scope:
            out[r["phenomenon_id"]].observations.append(r)
    tags: dict[str, set[str]] = defaultdict(set)
    for guid, code in db.execute("select guid, municipality_code from headline_municipalities"):
        tags[guid].add(code)
    zone = ZoneInfo(timezone)
    whole_county = request.scope.kind == "alue"
    for pid, guid, published in db.execute(
        "select m.phenomenon_id, h.guid, h.published from phenomenon_members m "
        "join headlines h on m.item_kind = 'headline' and h.guid = m.item_key"
    ):
        day = _local_day(published, zone)
        if day is None or not (request.start <= day <= request.end):
            continue
        if whole_county or tags[guid] & scope:
            out[pid].headline_months.append(day.isoformat()[:7])
    return out


def _local_day(published: str | None, zone: ZoneInfo) -> date | None:
    if not published:
        return None
    try:
        when = datetime.fromisoformat(published)
    except ValueError:
        return parse_date(published[:10])
    return (when.astimezone(zone) if when.tzinfo else when).date()


def _tables(
    months: list[str],
    evidence: _Evidence,
    region: Region,
    scope: Scope,
    k: int,
    language: str = "fi",
) -> tuple[SuppressedTable, SuppressedTable | None]:
    """The month x source table and the observations-by-municipality table, suppressed so
    that the total they share (observations) is hidden in both or in neither.

    Rows get no "observations + headlines" total: the two count different things, and such
    a sum would only make small headline counts hide observation counts."""
    obs_months = Counter(o["observed_on"][:7] for o in evidence.observations)
    news_months = Counter(evidence.headline_months)
    month_cells = [[obs_months[m], news_months[m]] for m in months]
    _ = i18n.translator(language)
    month_labels = [month_label(m, language) for m in months]
    source_labels = [_(label) for _key, label in SOURCES]
    by_town = Counter(o["municipality_code"] for o in evidence.observations)
    # Alphabetical, never by count: the order of rows would tell hidden counts apart.
    towns = sorted((c for c in by_town if by_town[c]), key=lambda c: region.municipality(c).name)
    town_cells = [[by_town[c]] for c in towns]
    town_labels = [region.municipality(c).name_in(language) for c in towns]
    hide: set[tuple[int, int]] = set()
    while True:
        table_m = suppress(
            month_cells,
            k,
            row_labels=month_labels,
            col_labels=source_labels,
            row_totals=False,
            hide=hide,
        )
        if scope.kind == "kunta":
            return table_m, None
        table_t = suppress(
            town_cells,
            k,
            row_labels=town_labels,
            col_labels=[_("Havainnot")],
            row_totals=False,
            hide={(len(towns), 0)} if hide else set(),
        )
        if table_m.col_totals[0].hidden == table_t.col_totals[0].hidden:
            return table_m, table_t
        hide = {(len(months), 0)}


def _indicators(
    db: Database, region: Region, pid: int, scope: Scope, language: str = "fi"
) -> tuple[LinkedIndicator, ...]:
    """The phenomenon's accepted indicators, else its best suggestions (never rejected ones),
    each with its latest values for the scope, the county and the whole country, titled in
    `language`."""
    links = list(
        db.query(
            "select l.indicator_id, l.decision, l.similarity, i.title, i.short_title, i.unit, "
            "i.title_sv, i.title_en, i.short_title_sv, i.short_title_en, "
            "i.decimals, i.organization from phenomenon_indicator_links l "
            "join indicators i on i.id = l.indicator_id "
            "where l.phenomenon_id = ? and l.decision != 'rejected' "
            "order by l.decision = 'accepted' desc, l.score desc, l.similarity desc, "
            "l.indicator_id",
            [pid],
        )
    )
    accepted = [link for link in links if link["decision"] == "accepted"]
    chosen = accepted or links[:SUGGESTED_INDICATORS]
    areas = _indicator_areas(region, scope, language)
    return tuple(_linked_indicator(db, link, areas, language) for link in chosen)


def _indicator_areas(
    region: Region, scope: Scope, language: str = "fi"
) -> list[tuple[str, str, str]]:
    """(area_kind, area_code, name) of the areas whose values a brief shows, in order; the
    names in `language`."""
    _ = i18n.translator(language)
    areas: list[tuple[str, str, str]] = []
    if scope.kind == "kunta":
        areas.append(("kunta", scope.code, region.municipality(scope.code).name_in(language)))
    elif scope.kind == "kuntaryhma":
        areas += [
            ("kunta", c, region.municipality(c).name_in(language)) for c in scope.municipalities
        ]
    areas.append(("hyvinvointialue", region.code, region.name_in(language)))
    areas.append(("maa", COUNTRY_CODE, _("Koko maa")))
    return areas


# The attribution of an indicator in a brief (THL's recommended source line and the producer).
N_("%(source)s; tuottaja %(producer)s")


def _linked_indicator(
    db: Database, link: dict[str, Any], areas: list[tuple[str, str, str]], language: str = "fi"
) -> LinkedIndicator:
    latest: dict[tuple[str, str], tuple[int, float]] = {}
    for kind, code, year, value in db.execute(
        "select area_kind, area_code, year, value from indicator_values "
        "where indicator_id = ? and gender = 'total' and value is not null",
        [link["indicator_id"]],
    ):
        if (kind, code) not in latest or year > latest[(kind, code)][0]:
            latest[(kind, code)] = (year, value)
    decimals = link["decimals"] if link["decimals"] is not None else 1
    values = tuple(
        IndicatorValue(
            name,
            latest[(kind, code)][0],
            format_value(latest[(kind, code)][1], link["unit"], decimals),
        )
        for kind, code, name in areas
        if (kind, code) in latest
    )
    producer = link["organization"] or "THL"
    return LinkedIndicator(
        id=link["indicator_id"],
        title=title_in(link, language),
        accepted=link["decision"] == "accepted",
        values=values,
        attribution=i18n.gettext(language, "%(source)s; tuottaja %(producer)s")
        % {"source": i18n.gettext(language, ATTRIBUTION), "producer": producer},
        url=sotkanet_page(link["indicator_id"], language),
    )


def _texts(
    phenomenon: Mapping[str, Any],
    evidence: _Evidence,
    region: Region,
    scope: Scope,
    min_population: int,
    language: str = "fi",
) -> tuple[tuple[ObservationText, ...], str | None]:
    _ = i18n.translator(language)
    if not evidence.observations:
        return (), None
    if scope.kind == "kunta" and is_small_municipality(
        region, scope.code, min_population=min_population
    ):
        return (), _(
            "Havaintotekstejä ei näytetä yhden alle %(population)s asukkaan kunnan "
            "rajauksella. Valitse kuntaryhmä nähdäksesi esimerkkejä."
        ) % {"population": format_int(min_population)}
    representatives = [
        key
        for kind, key in json.loads(phenomenon["representatives"] or "[]")
        if kind == "observation"
    ]
    rank = {key: i for i, key in enumerate(representatives)}
    ordered = sorted(
        evidence.observations,
        key=lambda o: (rank.get(str(o["id"]), len(rank)), -(o["similarity"] or 0.0), o["id"]),
    )
    out: list[ObservationText] = []
    for o in ordered:
        text = " ".join((o["text"] or "").split())
        # Stored texts passed the privacy guard; checked again because this text leaves.
        if not text or privacy.find_personal_data(text):
            continue
        text = mask_small_municipalities(text, region, min_population=min_population)
        if len(text) > MAX_TEXT_CHARS:
            text = text[: MAX_TEXT_CHARS - 1].rstrip() + "…"
        out.append(
            ObservationText(
                text=text,
                place=public_place(
                    region, o["municipality_code"], min_population=min_population, language=language
                ),
                month=month_label(o["observed_on"][:7], language),
            )
        )
        if len(out) >= TEXTS_PER_PHENOMENON:
            break
    return tuple(out), None


def open_questions(
    *,
    status: str,
    category: str | None,
    scope_kind: str,
    has_summary: bool,
    indicator: str | None,
    language: str = "fi",
) -> tuple[str, ...]:
    """Prompts for the meeting, from the review status and the signal category, in
    `language` (Finnish by default)."""
    _ = i18n.translator(language)
    by_category = {
        "heikko_signaali": _(
            "Onko kyse uudesta ilmiöstä vai aiemmin huomaamatta jääneestä? "
            "Kuka seuraa tilannetta seuraavien viikkojen ajan?"
        ),
        "vahvistuva": _("Mikä selittää kasvun, ja tarvitaanko yhteisiä toimia nyt?"),
        "vakiintunut": _("Vastaavatko nykyiset palvelut ilmiöön, ja kenen vastuulla se on?"),
        "hiipuva": _("Ovatko tehdyt toimet vaikuttaneet, vai onko ilmiö vain siirtynyt muualle?"),
    }
    by_status = {
        "uusi": _("Otetaanko ilmiö käsittelyyn, ja kuka sen omistaa?"),
        "käsittelyssä": _("Mitä tiedämme jo, ja mitä tietoa tarvitaan lisää?"),
        "seurannassa": _("Onko tilanne muuttunut edellisestä tarkastelusta?"),
        "toimenpiteitä sovittu": _("Miten sovitut toimenpiteet etenevät, ja kuka raportoi niistä?"),
        "suljettu": _("Onko syytä avata ilmiö uudelleen?"),
        "ei toimenpiteitä": _("Onko päätös olla tekemättä toimenpiteitä yhä perusteltu?"),
    }
    questions = []
    if category in by_category:
        questions.append(by_category[category])
    else:
        questions.append(_("Havaintoja on vähän: onko ilmiö silti tuttu arjen työssä?"))
    if status in by_status:
        questions.append(by_status[status])
    if scope_kind != "alue":
        questions.append(_("Onko ilmiö tuttu muissakin kunnissa?"))
    else:
        questions.append(_("Missä kunnissa ilmiö näkyy eniten, ja miksi juuri siellä?"))
    if indicator:
        question = _("Näkyykö ilmiö indikaattorissa ”%(indicator)s”?")
        questions.append(question % {"indicator": indicator})
    if not has_summary:
        questions.append(_("Kuka kirjoittaa ilmiölle yhteenvedon?"))
    return tuple(questions)


def _selection_phrases(request: BriefRequest, language: str = "fi") -> tuple[str, ...]:
    _ = i18n.translator(language)
    out = []
    if request.statuses:
        out.append(_("tila:") + " " + ", ".join(_(STATUSES[s]) for s in request.statuses))
    if request.categories:
        out.append(
            _("signaali:") + " " + ", ".join(_(CATEGORY_LABELS[c]) for c in request.categories)
        )
    if request.themes:
        out.append(_("teema:") + " " + ", ".join(_(THEMES[t]) for t in request.themes))
    if request.ids:
        out.append(_("valitut ilmiöt:") + " " + ", ".join(str(i) for i in request.ids))
    return tuple(out) or (_("kaikki ilmiöt, joista on aineistoa rajauksella"),)


def _published_size(cell: Cell) -> float:
    """A count as far as the reader knows it: "<k" sorts above 0, ".." with k."""
    if not cell.hidden:
        return cell.value
    return 1 if cell.primary else cell.k


def build_brief(
    db: Database,
    region: Region,
    request: BriefRequest,
    *,
    k: int = 5,
    min_population: int = 5000,
    generated_on: date,
    timezone: str = "Europe/Helsinki",
    language: str = "fi",
) -> MeetingBrief:
    """The meeting brief's content for a scope, a time window and a choice of phenomena.

    Phenomena: active ones (not dismissed or merged) matching every given filter (status,
    signal category in the scope's area, theme, hand-picked ids); those with no observation or
    headline in the scope and window are left out unless picked by hand. Signal categories
    first (weak signals, then growing, steady, fading), then by published amount of evidence.
    Raises ExportError when a hand-picked phenomenon does not exist.

    The sentences the brief generates (questions, legend, the choice, notes, month names,
    municipality and group names) and the indicator titles (`nakyma.indicators.title_in`) are
    in `language` (Finnish by default); labels (status, signal category, theme) stay Finnish
    message ids, translated where they are written.
    """
    loaded = _load(db, region, request, timezone, language)
    months = _months(request.start, request.end)
    briefs = [
        _phenomenon_brief(
            db,
            region,
            request,
            loaded,
            pid,
            months,
            k=k,
            min_population=min_population,
            language=language,
        )
        for pid in _matching(loaded, request)
    ]
    # Ordered by what is published only: ranking by true counts would tell hidden ones apart.
    briefs.sort(key=_publication_order)
    as_of = db.execute("select max(as_of) from weak_signals").fetchone()[0]
    return MeetingBrief(
        region=region.name_in(language),
        scope=localised_scope(region, request.scope, language),
        start=request.start,
        end=request.end,
        generated_on=generated_on,
        k=k,
        min_population=min_population,
        signals_as_of=as_of,
        selection=_selection_phrases(request, language),
        phenomena=tuple(briefs[:MAX_PHENOMENA]),
        left_out=max(0, len(briefs) - MAX_PHENOMENA),
        query=tuple(request.query()),
        emerging=emerging_themes(
            db, region, request.scope, k=k, min_population=min_population, language=language
        ),
        forecasts=forecasts_for(
            db, region, request.scope, briefs[:MAX_PHENOMENA], language=language
        ),
        language=language,
    )


# The forecast area of a brief's scope: the county, a group of the default grouping, or a
# municipality (the area kinds of the forecasts table).
_FORECAST_KINDS = {"alue": "hyvinvointialue", "kuntaryhma": "kuntaryhma", "kunta": "kunta"}


def forecasts_for(
    db: Database,
    region: Region,
    scope: Scope,
    phenomena: Sequence[PhenomenonBrief],
    *,
    language: str = "fi",
) -> tuple[ForecastBrief, ...]:
    """The stored forecasts, for the scope's area, of the indicators linked to the brief's
    phenomena (in the forecasts' catalogue order, titled in `language`), each with the titles
    of the phenomena that lead it. Empty when none of the indicators has a forecast there."""
    leading: dict[int, list[str]] = {}
    for p in phenomena:
        for indicator in p.indicators:
            leading.setdefault(indicator.id, []).append(p.title)
    if not leading:
        return ()
    # A group's records say their direction over the forecast years (it has no history).
    records = area_records(
        db,
        region,
        area_kind=_FORECAST_KINDS[scope.kind],
        area_code=scope.code,
        language=language,
    )
    out = []
    for r in records:
        if r["id"] not in leading:
            continue
        unit, decimals = r["unit"], r["decimals"]
        out.append(
            ForecastBrief(
                id=r["id"],
                title=title_in(r, language),
                unit=unit,
                decimals=decimals,
                higher_is_worse=r["higher_is_worse"],
                expectation=r["expectation"],
                verdict=r["verdict"],
                method_name=r["method_name"],
                figures=tuple(r["figures"]),
                history=tuple(r["history"]),
                points=tuple(
                    {k: f[k] for k in ("year", "forecast", "lo80", "hi80", "lo95", "hi95")}
                    for f in r["forecast"]
                ),
                rows=tuple(
                    ForecastRow(
                        f["year"],
                        format_number(f["forecast"], decimals, language),
                        number_interval(f["lo80"], f["hi80"], decimals, language),
                        number_interval(f["lo95"], f["hi95"], decimals, language),
                    )
                    for f in r["forecast"]
                ),
                phenomena=tuple(leading[r["id"]]),
            )
        )
    return tuple(out)


MAX_THEMES = 10


def emerging_themes(
    db: Database,
    region: Region,
    scope: Scope,
    *,
    k: int = 5,
    min_population: int = 5000,
    language: str = "fi",
) -> tuple[EmergingThemeBrief, ...]:
    """The active, undecided emerging themes flagged in the scope's area, best first by their
    category there and score: counts 1..k-1 as "<k", small municipalities named by their
    group (in places, titles, terms and reasons alike); places named in `language`."""
    rows = sorted(
        db.query(
            "select a.theme_id, a.items, a.category, a.score, a.reasons, a.reasons_i18n, "
            "t.title, t.terms "
            "from emerging_areas a join emerging_themes t on t.id = a.theme_id "
            "where a.area_kind = ? and a.area_code = ? and t.active = 1 "
            "and t.decision = 'avoin'",
            [scope.kind, scope.code],
        ),
        key=lambda r: (THEME_ORDER.get(r["category"], 9), -r["score"], r["theme_id"]),
    )[:MAX_THEMES]

    def public(text: str) -> str:
        masked = mask_small_counts(" ".join(str(text).split()), k)
        return mask_small_municipalities(masked, region, min_population=min_population)

    out = []
    for r in rows:
        codes = {
            c[0]
            for c in db.execute(
                "select municipality_code from emerging_members where theme_id = ?",
                [r["theme_id"]],
            )
            if c[0] in scope.municipalities
        }
        out.append(
            EmergingThemeBrief(
                id=r["theme_id"],
                title=public(r["title"]),
                category=r["category"],
                category_label=THEME_CATEGORIES.get(r["category"], r["category"]),
                items=published_count(r["items"], k),
                places=tuple(
                    sorted(
                        {
                            public_place(
                                region, c, min_population=min_population, language=language
                            )
                            for c in codes
                        }
                    )
                ),
                terms=tuple(public(t) for t in json.loads(r["terms"] or "[]")),
                reasons=tuple(
                    public(t)
                    for t in emerging_reasons(r["reasons"], r["reasons_i18n"], language)
                    # A group's or the county's sentences count several municipalities at
                    # once; beside the area's total one could give a hidden count away.
                    if scope.kind == "kunta" or not counted_numbers(t)
                ),
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class _Loaded:
    """What a brief reads once for all its phenomena, each by phenomenon id."""

    active: dict[int, dict[str, Any]]
    themes: dict[int, str]
    signals: dict[int, dict[str, Any]]  # in the scope's area
    evidence: dict[int, _Evidence]  # in the scope and window


def _load(
    db: Database, region: Region, request: BriefRequest, timezone: str, language: str = "fi"
) -> _Loaded:
    _ = i18n.translator(language)
    active = {p["id"]: p for p in active_phenomena(db)}
    missing = [i for i in request.ids if i not in active]
    if missing:
        raise ExportError(
            [
                _("Ilmiötä %(id)s ei ole (tai se on yhdistetty tai hylätty).") % {"id": i}
                for i in missing
            ]
        )
    return _Loaded(
        active=active,
        themes=phenomenon_themes(db),
        signals=area_signals(db, request.scope),
        evidence=_evidence(db, region, request, timezone),
    )


def _matching(loaded: _Loaded, request: BriefRequest) -> list[int]:
    """The phenomena that pass every filter of the request, in the order they were read."""

    def amount(pid: int) -> int:
        e = loaded.evidence.get(pid)
        return len(e.observations) + len(e.headline_months) if e else 0

    chosen = []
    for pid, p in loaded.active.items():
        signal = loaded.signals.get(pid)
        category = signal["category"] if signal else None
        if request.ids and pid not in request.ids:
            continue
        if request.statuses and p["status"] not in request.statuses:
            continue
        if request.categories and category not in request.categories:
            continue
        if request.themes and loaded.themes.get(pid) not in request.themes:
            continue
        if not request.ids and amount(pid) == 0:
            continue
        chosen.append(pid)
    return chosen


def _phenomenon_brief(
    db: Database,
    region: Region,
    request: BriefRequest,
    loaded: _Loaded,
    pid: int,
    months: list[str],
    *,
    k: int,
    min_population: int,
    language: str = "fi",
) -> PhenomenonBrief:
    p = loaded.active[pid]
    ev = loaded.evidence.get(pid) or _Evidence()
    signal = loaded.signals.get(pid)
    category = signal["category"] if signal else None
    month_table, town_table = _tables(months, ev, region, request.scope, k, language)
    indicators = _indicators(db, region, pid, request.scope, language)
    texts, note = _texts(p, ev, region, request.scope, min_population, language)
    theme = loaded.themes.get(pid)
    return PhenomenonBrief(
        id=pid,
        title=p["title"],
        summary=p["summary"] or None,
        status=p["status"],
        status_label=STATUSES.get(p["status"], p["status"]),
        category=category,
        category_label=CATEGORY_LABELS.get(category) if category else None,
        reasons=tuple(mask_small_counts(r, k) for r in _plain_reasons(signal, language)),
        theme=theme,
        theme_label=THEMES.get(theme) if theme else None,
        months=month_table,
        municipalities=town_table,
        indicators=indicators,
        texts=texts,
        texts_note=note,
        questions=open_questions(
            status=p["status"],
            category=category,
            scope_kind=request.scope.kind,
            has_summary=bool(p["summary"]),
            indicator=indicators[0].title if indicators else None,
            language=language,
        ),
    )


def _publication_order(b: PhenomenonBrief) -> tuple[int, float, float, int]:
    """Signal category first, then the published amount of evidence, then the id."""
    return (
        CATEGORY_ORDER.get(b.category, 3) if b.category else 4,
        -_published_size(b.observations),
        -_published_size(b.headlines),
        b.id,
    )
