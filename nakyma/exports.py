"""Exports for network meetings: the meeting brief (one typed data function, rendered as
HTML, PDF, XLSX, CSV and Markdown) and the research export, all disclosure-controlled.

Everything that leaves the service here goes through `nakyma.disclosure`: counts 1..k-1 are
"<k" with complementary suppression, and observation texts (and research rows) from a
municipality below the population threshold name only its municipality group.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape
from sqlite_utils import Database

from nakyma import privacy
from nakyma.disclosure import (
    COMPLEMENTARY_MARK,
    Cell,
    SuppressedTable,
    is_small_municipality,
    mask_small_counts,
    mask_small_municipalities,
    public_place,
    suppress,
)
from nakyma.indicators import ATTRIBUTION, COUNTRY_CODE, format_value, sotkanet_page
from nakyma.observations import parse_date
from nakyma.phenomena import active_phenomena
from nakyma.regions import Region, fold
from nakyma.review import STATUSES
from nakyma.signals import CATEGORIES, CATEGORY_LABELS
from nakyma.vocabulary import MONTHS_FI, TARGET_GROUPS, THEMES

# Longest window a brief may cover, and how many phenomena one brief holds at most: a
# meeting reads a handful, and a 100-page PDF helps nobody.
MAX_MONTHS = 60
MAX_PHENOMENA = 40
MAX_PICKED = 100
DEFAULT_MONTHS = 6
TEXTS_PER_PHENOMENON = 3
MAX_TEXT_CHARS = 400
SUGGESTED_INDICATORS = 2
SOURCES = (("observation", "Havainnot"), ("headline", "Uutiset"))
CATEGORY_ORDER = {c: i for i, c in enumerate(("heikko_signaali", "vahvistuva", "vakiintunut"))}
COUNTY_PARAM = "koko"


class ExportError(ValueError):
    """The export request cannot be served; `messages` are Finnish and safe to show."""

    def __init__(self, messages: Sequence[str]):
        super().__init__("; ".join(messages))
        self.messages = list(messages)


# --- the request --------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
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
    codes = tuple(m.code for m in region.municipalities)
    return Scope("alue", region.code, region.name, "Koko hyvinvointialue", codes)


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
    index = end.year * 12 + end.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


def parse_brief_request(
    params: Mapping[str, Sequence[str]], region: Region, *, today: date
) -> BriefRequest:
    """Read the form's query parameters (alue, alkaen, asti, tila, luokka, teema, ilmio).
    Raises ExportError with every problem found, in Finnish."""
    errors: list[str] = []

    def one(name: str) -> str:
        values = params.get(name) or [""]
        return (values[-1] or "").strip()[:200]

    def many(name: str) -> list[str]:
        return [v.strip()[:200] for v in params.get(name, []) if v and v.strip()]

    scope = resolve_scope(region, one("alue"))
    if scope is None:
        errors.append(f"Tuntematon alue: ”{one('alue')}”. Valitse alue luettelosta.")
    end = today
    if one("asti"):
        parsed = parse_date(one("asti"))
        if parsed is None:
            errors.append("Loppupäivä ei ole päivämäärä (esim. 2026-11-30 tai 30.11.2026).")
        else:
            end = parsed
    start = default_start(end)
    if one("alkaen"):
        parsed = parse_date(one("alkaen"))
        if parsed is None:
            errors.append("Alkupäivä ei ole päivämäärä (esim. 2026-06-01 tai 1.6.2026).")
        else:
            start = parsed
    if start > end:
        errors.append("Alkupäivä on loppupäivän jälkeen.")
    elif _month_index(end) - _month_index(start) >= MAX_MONTHS:
        errors.append(f"Aikaväli on liian pitkä (enintään {MAX_MONTHS // 12} vuotta).")
    statuses = many("tila")
    for s in statuses:
        if s not in STATUSES:
            errors.append(f"Tuntematon tila: ”{s}”.")
    categories = many("luokka")
    for c in categories:
        if c not in CATEGORY_LABELS:
            errors.append(f"Tuntematon signaaliluokka: ”{c}”.")
    themes = many("teema")
    for t in themes:
        if t not in THEMES:
            errors.append(f"Tuntematon teema: ”{t}”.")
    ids: list[int] = []
    picked = many("ilmio")
    if len(picked) > MAX_PICKED:
        errors.append(f"Valitse enintään {MAX_PICKED} ilmiötä.")
    for text in picked[:MAX_PICKED]:
        if text.isdigit() and len(text) < 10:
            ids.append(int(text))
        else:
            errors.append(f"Ilmiön numero ei kelpaa: ”{text}”.")
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


# --- the brief's data ------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorValue:
    area: str
    year: int
    value: str  # formatted, with unit


@dataclass(frozen=True)
class LinkedIndicator:
    id: int
    title: str
    accepted: bool
    values: tuple[IndicatorValue, ...]
    attribution: str  # "Lähde: THL, Sotkanet; tuottaja …"
    url: str


@dataclass(frozen=True)
class ObservationText:
    text: str
    place: str  # municipality, or "kuntaryhmä …" for a small municipality
    month: str  # "marraskuu 2026"


@dataclass(frozen=True)
class PhenomenonBrief:
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
class MeetingBrief:
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

    @property
    def window(self) -> str:
        return f"{fi_date(self.start)}–{fi_date(self.end)}"

    @property
    def legend(self) -> str:
        return (
            f"Pienet luvut on suojattu: ”<{self.k}” tarkoittaa 1–{self.k - 1}, ja "
            f"”{COMPLEMENTARY_MARK}” on vähintään {self.k} mutta piilotettu, jotta pieniä lukuja "
            f"ei voi päätellä summista. Alle {format_int(self.min_population)} asukkaan kuntien "
            "havaintotekstit näytetään vain kuntaryhmän tasolla."
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: tables as printed text, never the hidden values."""
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
                    "months": p.months.text_rows(corner="Kuukausi"),
                    "municipalities": (
                        p.municipalities.text_rows(corner="Kunta") if p.municipalities else None
                    ),
                    "indicators": [asdict(i) for i in p.indicators],
                    "texts": [asdict(t) for t in p.texts],
                    "texts_note": p.texts_note,
                    "questions": list(p.questions),
                }
                for p in self.phenomena
            ],
        }


def fi_date(d: date) -> str:
    return f"{d.day}.{d.month}.{d.year}"


def format_int(n: int) -> str:
    return f"{n:,}".replace(",", "\u00a0")


def _month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def _months(start: date, end: date) -> list[str]:
    return [
        f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(_month_index(start), _month_index(end) + 1)
    ]


def month_label(key: str) -> str:
    """ "2026-11" -> "marraskuu 2026"."""
    return f"{MONTHS_FI[int(key[5:7]) - 1]} {key[:4]}"


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


def _signals(db: Database, scope: Scope) -> dict[int, dict[str, Any]]:
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
) -> tuple[SuppressedTable, SuppressedTable | None]:
    """The month x source table and the observations-by-municipality table, suppressed so
    that the total they share (observations) is hidden in both or in neither.

    Rows get no "observations + headlines" total: the two count different things, and such
    a sum would only make small headline counts hide observation counts."""
    obs_months = Counter(o["observed_on"][:7] for o in evidence.observations)
    news_months = Counter(evidence.headline_months)
    month_cells = [[obs_months[m], news_months[m]] for m in months]
    month_labels = [month_label(m) for m in months]
    source_labels = [label for _, label in SOURCES]
    by_town = Counter(o["municipality_code"] for o in evidence.observations)
    # Alphabetical, never by count: the order of rows would tell hidden counts apart.
    towns = sorted((c for c in by_town if by_town[c]), key=lambda c: region.municipality(c).name)
    town_cells = [[by_town[c]] for c in towns]
    town_labels = [region.municipality(c).name for c in towns]
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
            col_labels=["Havainnot"],
            row_totals=False,
            hide={(len(towns), 0)} if hide else set(),
        )
        if table_m.col_totals[0].hidden == table_t.col_totals[0].hidden:
            return table_m, table_t
        hide = {(len(months), 0)}


def _indicators(
    db: Database, region: Region, pid: int, scope: Scope
) -> tuple[LinkedIndicator, ...]:
    links = list(
        db.query(
            "select l.indicator_id, l.decision, l.similarity, i.title, i.short_title, i.unit, "
            "i.decimals, i.organization from phenomenon_indicator_links l "
            "join indicators i on i.id = l.indicator_id "
            "where l.phenomenon_id = ? and l.decision != 'rejected' "
            "order by l.decision = 'accepted' desc, l.similarity desc, l.indicator_id",
            [pid],
        )
    )
    accepted = [link for link in links if link["decision"] == "accepted"]
    chosen = accepted or links[:SUGGESTED_INDICATORS]
    areas: list[tuple[str, str, str]] = []  # (area_kind, area_code, name)
    if scope.kind == "kunta":
        areas.append(("kunta", scope.code, scope.name))
    elif scope.kind == "kuntaryhma":
        areas += [("kunta", c, region.municipality(c).name) for c in scope.municipalities]
    areas.append(("hyvinvointialue", region.code, region.name))
    areas.append(("maa", COUNTRY_CODE, "Koko maa"))
    out = []
    for link in chosen:
        latest: dict[tuple[str, str], tuple[int, float]] = {}
        for kind, code, year, value in db.execute(
            "select area_kind, area_code, year, value from indicator_values "
            "where indicator_id = ? and gender = 'total' and value is not null",
            [link["indicator_id"]],
        ):
            if (kind, code) not in latest or year > latest[(kind, code)][0]:
                latest[(kind, code)] = (year, value)
        values = tuple(
            IndicatorValue(
                name,
                latest[(kind, code)][0],
                format_value(
                    latest[(kind, code)][1],
                    link["unit"],
                    link["decimals"] if link["decimals"] is not None else 1,
                ),
            )
            for kind, code, name in areas
            if (kind, code) in latest
        )
        producer = link["organization"] or "THL"
        out.append(
            LinkedIndicator(
                id=link["indicator_id"],
                title=link["short_title"] or link["title"],
                accepted=link["decision"] == "accepted",
                values=values,
                attribution=f"{ATTRIBUTION}; tuottaja {producer}",
                url=sotkanet_page(link["indicator_id"]),
            )
        )
    return tuple(out)


def _texts(
    phenomenon: Mapping[str, Any],
    evidence: _Evidence,
    region: Region,
    scope: Scope,
    min_population: int,
) -> tuple[tuple[ObservationText, ...], str | None]:
    if not evidence.observations:
        return (), None
    if scope.kind == "kunta" and is_small_municipality(
        region, scope.code, min_population=min_population
    ):
        return (), (
            f"Havaintotekstejä ei näytetä yhden alle {format_int(min_population)} asukkaan "
            "kunnan rajauksella. Valitse kuntaryhmä nähdäksesi esimerkkejä."
        )
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
                place=public_place(region, o["municipality_code"], min_population=min_population),
                month=month_label(o["observed_on"][:7]),
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
) -> tuple[str, ...]:
    """Prompts for the meeting, from the review status and the signal category."""
    by_category = {
        "heikko_signaali": "Onko kyse uudesta ilmiöstä vai aiemmin huomaamatta jääneestä? "
        "Kuka seuraa tilannetta seuraavien viikkojen ajan?",
        "vahvistuva": "Mikä selittää kasvun, ja tarvitaanko yhteisiä toimia nyt?",
        "vakiintunut": "Vastaavatko nykyiset palvelut ilmiöön, ja kenen vastuulla se on?",
        "hiipuva": "Ovatko tehdyt toimet vaikuttaneet, vai onko ilmiö vain siirtynyt muualle?",
    }
    by_status = {
        "uusi": "Otetaanko ilmiö käsittelyyn, ja kuka sen omistaa?",
        "käsittelyssä": "Mitä tiedämme jo, ja mitä tietoa tarvitaan lisää?",
        "seurannassa": "Onko tilanne muuttunut edellisestä tarkastelusta?",
        "toimenpiteitä sovittu": "Miten sovitut toimenpiteet etenevät, ja kuka raportoi niistä?",
        "suljettu": "Onko syytä avata ilmiö uudelleen?",
        "ei toimenpiteitä": "Onko päätös olla tekemättä toimenpiteitä yhä perusteltu?",
    }
    questions = []
    if category in by_category:
        questions.append(by_category[category])
    else:
        questions.append("Havaintoja on vähän: onko ilmiö silti tuttu arjen työssä?")
    if status in by_status:
        questions.append(by_status[status])
    if scope_kind != "alue":
        questions.append("Onko ilmiö tuttu muissakin kunnissa?")
    else:
        questions.append("Missä kunnissa ilmiö näkyy eniten, ja miksi juuri siellä?")
    if indicator:
        questions.append(f"Näkyykö ilmiö indikaattorissa ”{indicator}”?")
    if not has_summary:
        questions.append("Kuka kirjoittaa ilmiölle yhteenvedon?")
    return tuple(questions)


def _selection_phrases(request: BriefRequest) -> tuple[str, ...]:
    out = []
    if request.statuses:
        out.append("tila: " + ", ".join(STATUSES[s] for s in request.statuses))
    if request.categories:
        out.append("signaali: " + ", ".join(CATEGORY_LABELS[c] for c in request.categories))
    if request.themes:
        out.append("teema: " + ", ".join(THEMES[t] for t in request.themes))
    if request.ids:
        out.append("valitut ilmiöt: " + ", ".join(str(i) for i in request.ids))
    return tuple(out) or ("kaikki ilmiöt, joista on aineistoa rajauksella",)


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
) -> MeetingBrief:
    """The meeting brief's content for a scope, a time window and a choice of phenomena.

    Phenomena: active ones (not dismissed or merged) matching every given filter (status,
    signal category in the scope's area, theme, hand-picked ids); those with no observation or
    headline in the scope and window are left out unless picked by hand. Signal categories
    first (weak signals, then growing, steady, fading), then by published amount of evidence.
    Raises ExportError when a hand-picked phenomenon does not exist.
    """
    active = {p["id"]: p for p in active_phenomena(db)}
    missing = [i for i in request.ids if i not in active]
    if missing:
        raise ExportError(
            [f"Ilmiötä {i} ei ole (tai se on yhdistetty tai hylätty)." for i in missing]
        )
    themes = phenomenon_themes(db)
    signals = _signals(db, request.scope)
    evidence = _evidence(db, region, request, timezone)

    def amount(pid: int) -> int:
        e = evidence.get(pid)
        return len(e.observations) + len(e.headline_months) if e else 0

    chosen = []
    for pid, p in active.items():
        category = signals[pid]["category"] if pid in signals else None
        if request.ids and pid not in request.ids:
            continue
        if request.statuses and p["status"] not in request.statuses:
            continue
        if request.categories and category not in request.categories:
            continue
        if request.themes and themes.get(pid) not in request.themes:
            continue
        if not request.ids and amount(pid) == 0:
            continue
        chosen.append(pid)
    months = _months(request.start, request.end)
    briefs = []
    for pid in chosen:
        p = active[pid]
        ev = evidence.get(pid) or _Evidence()
        signal = signals.get(pid)
        category = signal["category"] if signal else None
        month_table, town_table = _tables(months, ev, region, request.scope, k)
        indicators = _indicators(db, region, pid, request.scope)
        texts, note = _texts(p, ev, region, request.scope, min_population)
        theme = themes.get(pid)
        briefs.append(
            PhenomenonBrief(
                id=pid,
                title=p["title"],
                summary=p["summary"] or None,
                status=p["status"],
                status_label=STATUSES.get(p["status"], p["status"]),
                category=category,
                category_label=CATEGORY_LABELS.get(category) if category else None,
                reasons=tuple(
                    mask_small_counts(r, k)
                    for r in json.loads(signal["reasons"] if signal else "[]")
                ),
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
                ),
            )
        )
    # Ordered by what is published only: ranking by true counts would tell hidden ones apart.
    briefs.sort(
        key=lambda b: (
            CATEGORY_ORDER.get(b.category, 3) if b.category else 4,
            -_published_size(b.observations),
            -_published_size(b.headlines),
            b.id,
        )
    )
    left_out = max(0, len(briefs) - MAX_PHENOMENA)
    as_of = db.execute("select max(as_of) from weak_signals").fetchone()[0]
    return MeetingBrief(
        region=region.name,
        scope=request.scope,
        start=request.start,
        end=request.end,
        generated_on=generated_on,
        k=k,
        min_population=min_population,
        signals_as_of=as_of,
        selection=_selection_phrases(request),
        phenomena=tuple(briefs[:MAX_PHENOMENA]),
        left_out=left_out,
        query=tuple(request.query()),
    )


# --- the form -----------------------------------------------------------------------------


def export_choices(db: Database, region: Region) -> dict[str, Any]:
    """What the export form offers: scopes, statuses, categories, themes and phenomena."""
    county = _signals(db, county_scope(region))
    themes = phenomenon_themes(db)
    phenomena = [
        {
            "id": p["id"],
            "title": p["title"],
            "status_label": STATUSES.get(p["status"], p["status"]),
            "category": county[p["id"]]["category"] if p["id"] in county else None,
            "category_label": (
                CATEGORY_LABELS.get(county[p["id"]]["category"]) if p["id"] in county else None
            ),
            "theme_label": THEMES.get(themes.get(p["id"], ""), None),
            "size": p["size"],
        }
        for p in active_phenomena(db)
    ]
    phenomena.sort(key=lambda p: (CATEGORY_ORDER.get(p["category"] or "", 3), -p["size"], p["id"]))
    all_scopes = scopes(region)
    return {
        "county": all_scopes[0],
        "groups": [s for s in all_scopes if s.kind == "kuntaryhma"],
        "municipalities": [s for s in all_scopes if s.kind == "kunta"],
        "grouping_title": region.grouping().title,
        "statuses": STATUSES,
        "categories": {c: CATEGORY_LABELS[c] for c in CATEGORIES},
        "themes": THEMES,
        "phenomena": phenomena,
    }


# --- file names ---------------------------------------------------------------------------


def export_filename(kind: str, scope: Scope, generated_on: date, extension: str) -> str:
    """ASCII-only: "nakyma-muistio-jamsa-keuruu-2026-11-22.pdf" (no scope for the county)."""
    parts = ["nakyma", kind]
    if scope.kind != "alue":
        slug = re.sub(r"[^a-z0-9]+", "-", fold(scope.name)).strip("-")
        if slug:
            parts.append(slug)
    parts.append(generated_on.isoformat())
    return "-".join(parts) + "." + extension


# --- charts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    month: int
    series: int  # index into SOURCES
    cell: Cell


def chart_bars(table: SuppressedTable) -> tuple[list[Bar], int]:
    """Bars of the month x source table and the largest height to show (at least k).
    A hidden count has no true height: "<k" is drawn as an outlined band up to k, and a
    complementary one (known to be at least k) as a grey band up to k marked ".."."""
    bars = [Bar(i, j, cell) for i, row in enumerate(table.cells) for j, cell in enumerate(row)]
    top = max([c.value for row in table.cells for c in row if not c.hidden] + [table.k])
    return bars, top


def _short_month(label: str) -> str:
    """ "marraskuu 2026" -> "marras 26", the usual short form of Finnish month names."""
    name, year = label.rsplit(" ", 1)
    return f"{name.removesuffix('kuu')} {year[2:]}"


def month_chart_svg(table: SuppressedTable, *, title: str = "Aineisto kuukausittain") -> Markup:
    """Grouped bars per month (observations solid, headlines hatched), SVG for the HTML brief."""
    bars, highest = chart_bars(table)
    top, ticks = _axis(highest)
    n = len(table.cells)
    left, right, top_pad, bottom = 34, 8, 12, 34
    group = max(18, min(48, 520 // max(1, n)))
    width = left + right + group * n
    height = 170
    plot_h = height - top_pad - bottom
    bar_w = (group - 6) / 2

    def y(v: float) -> float:
        return top_pad + plot_h - v / top * plot_h

    parts = [
        '<defs><pattern id="hatch" width="4" height="4" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="4" height="4" class="hatch-bg"/>'
        '<line x1="0" y1="0" x2="0" y2="4" class="hatch-line"/></pattern></defs>'
    ]
    for tick in ticks:
        parts.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" '
            f'y2="{y(tick):.1f}"/><text class="tick" x="{left - 4}" y="{y(tick) + 3:.1f}" '
            f'text-anchor="end">{tick}</text>'
        )
    every = max(1, math.ceil(n / 12))
    for i, label in enumerate(table.row_labels):
        if i % every == 0:
            cx = left + group * i + group / 2
            parts.append(
                f'<text class="tick" x="{cx:.1f}" y="{height - bottom + 14}" '
                f'text-anchor="middle">{escape(_short_month(label))}</text>'
            )
    for bar in bars:
        x = left + group * bar.month + 3 + bar.series * bar_w
        css = "bar-obs" if bar.series == 0 else "bar-news"
        if not bar.cell.hidden:
            if bar.cell.value:
                h = plot_h - (y(bar.cell.value) - top_pad)
                parts.append(
                    f'<rect class="{css}" x="{x:.1f}" y="{y(bar.cell.value):.1f}" '
                    f'width="{bar_w:.1f}" height="{h:.1f}"/>'
                )
        elif bar.cell.primary:
            h = plot_h - (y(table.k) - top_pad)
            parts.append(
                f'<rect class="bar-small" x="{x:.1f}" y="{y(table.k):.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}"/>'
            )
        else:
            # Known only to be at least k: a grey bar up to k, marked like the table.
            h = plot_h - (y(table.k) - top_pad)
            parts.append(
                f'<rect class="bar-hidden" x="{x:.1f}" y="{y(table.k):.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}"/><text class="hidden-label" x="{x + bar_w / 2:.1f}" '
                f'y="{y(table.k) - 3:.1f}" text-anchor="middle">{COMPLEMENTARY_MARK}</text>'
            )
    parts.append(
        f'<line class="axis" x1="{left}" x2="{width - right}" y1="{y(0):.1f}" y2="{y(0):.1f}"/>'
    )
    alt = f"{title}: " + "; ".join(
        f"{label} havainnot {row[0].text}, uutiset {row[1].text}"
        for label, row in zip(table.row_labels, table.cells, strict=True)
    )
    return Markup(
        f'<svg class="month-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(alt)}" xmlns="http://www.w3.org/2000/svg">'
        + "".join(parts)
        + "</svg>"
    )


def _axis(top: int) -> tuple[int, list[int]]:
    """The axis maximum rounded up to whole steps (some headroom for labels), and its ticks."""
    step = max(1, math.ceil(top / 4))
    top = step * (top // step + 1)
    return top, list(range(0, top + 1, step))


# --- Markdown -----------------------------------------------------------------------------

# Escaped so that free text cannot turn into emphasis, links, tables or HTML; "<5" stays
# readable because "<" is escaped only where a tag could start.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|])|(<)(?=[A-Za-z/!?])|^(#)")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), " ".join((text or "").split()))


def _md_table(rows: list[list[str]], *, numeric_from: int = 1) -> list[str]:
    header, body = rows[0], rows[1:]
    align = ["---" if i < numeric_from else "---:" for i in range(len(header))]
    out = ["| " + " | ".join(_md(h) for h in header) + " |", "| " + " | ".join(align) + " |"]
    for row in body:
        cells = [_md(row[0]), *(c.replace("|", "\\|") for c in row[1:])]
        out.append("| " + " | ".join(cells) + " |")
    return out


def render_markdown(brief: MeetingBrief) -> str:
    """The brief for pasting into meeting notes."""
    lines = [
        f"# Kokousmuistio: {_md(brief.scope.label)}",
        "",
        f"{_md(brief.region)} · aikaväli {brief.window} · laadittu {fi_date(brief.generated_on)}"
        " · Näkymä",
        "",
        f"Valinta: {_md('; '.join(brief.selection))}.",
        "",
        f"> {_md(brief.legend)}",
        "",
    ]
    if not brief.phenomena:
        lines += ["Valinnalla ei löytynyt ilmiöitä.", ""]
    else:
        summary = [["Ilmiö", "Tila", "Signaali", "Havainnot", "Uutiset"]]
        summary += [
            [
                p.title,
                p.status_label,
                p.category_label or "–",
                p.observations.text,
                p.headlines.text,
            ]
            for p in brief.phenomena
        ]
        lines += ["## Ilmiöt", "", *_md_table(summary, numeric_from=3), ""]
    if brief.left_out:
        lines += [f"Lisäksi {brief.left_out} ilmiötä jäi pois (enintään {MAX_PHENOMENA}).", ""]
    for n, p in enumerate(brief.phenomena, 1):
        meta = [f"**Tila:** {_md(p.status_label)}"]
        meta.append(f"**Signaali:** {_md(p.category_label or 'ei luokitusta rajauksella')}")
        if p.theme_label:
            meta.append(f"**Teema:** {_md(p.theme_label)}")
        lines += [f"## {n}. {_md(p.title)} (ilmiö {p.id})", "", " · ".join(meta), ""]
        if p.summary:
            lines += [_md(p.summary), ""]
        if p.reasons:
            lines += ["### Miksi signaali", ""] + [f"- {_md(r)}" for r in p.reasons] + [""]
        lines += ["### Aineisto kuukausittain", ""]
        lines += [*_md_table(p.months.text_rows(corner="Kuukausi")), ""]
        if p.municipalities is not None and p.municipalities.row_labels:
            lines += ["### Havainnot kunnittain", ""]
            lines += [*_md_table(p.municipalities.text_rows(corner="Kunta")), ""]
        if p.indicators:
            lines += ["### Indikaattorit", ""]
            for ind in p.indicators:
                values = (
                    "; ".join(f"{v.area} {v.year}: {v.value}" for v in ind.values) or "ei arvoja"
                )
                kind = "" if ind.accepted else " (ehdotus)"
                lines.append(
                    f"- **{_md(ind.title)}**{kind}: {_md(values)}. "
                    f"*{_md(ind.attribution)}*, <{ind.url}>"
                )
            lines.append("")
        if p.texts or p.texts_note:
            lines += ["### Havaintoja kentältä", ""]
            for t in p.texts:
                lines += [f"> {_md(t.text)}", f"> — {_md(t.place)}, {t.month}", ""]
            if p.texts_note:
                lines += [_md(p.texts_note), ""]
        lines += ["### Kysymyksiä kokoukselle", ""] + [f"- {_md(q)}" for q in p.questions] + [""]
    return "\n".join(lines).rstrip() + "\n"


# --- CSV and XLSX -------------------------------------------------------------------------

BRIEF_COLUMNS = (
    "alue",
    "aikavali",
    "ilmio_id",
    "otsikko",
    "tila",
    "signaali",
    "perustelut",
    "teema",
    "yhteenveto",
    "havainnot",
    "uutiset",
    "havainnot_kuukausittain",
    "uutiset_kuukausittain",
    "kunnat",
    "indikaattorit",
    "havaintoja",
    "kysymykset",
)


def _phenomenon_row(brief: MeetingBrief, p: PhenomenonBrief) -> dict[str, Any]:
    def monthly(j: int) -> str:
        return "; ".join(
            f"{label}: {row[j].text}"
            for label, row in zip(p.months.row_labels, p.months.cells, strict=True)
        )

    towns = ""
    if p.municipalities is not None:
        towns = "; ".join(
            f"{label}: {row[0].text}"
            for label, row in zip(p.municipalities.row_labels, p.municipalities.cells, strict=True)
        )
    return {
        "alue": brief.scope.label,
        "aikavali": brief.window,
        "ilmio_id": p.id,
        "otsikko": p.title,
        "tila": p.status_label,
        "signaali": p.category_label or "",
        "perustelut": " ".join(p.reasons),
        "teema": p.theme_label or "",
        "yhteenveto": p.summary or "",
        "havainnot": p.observations,
        "uutiset": p.headlines,
        "havainnot_kuukausittain": monthly(0),
        "uutiset_kuukausittain": monthly(1),
        "kunnat": towns,
        "indikaattorit": " | ".join(
            f"{i.title}: "
            + ("; ".join(f"{v.area} {v.year}: {v.value}" for v in i.values) or "ei arvoja")
            + f" ({i.attribution}, {i.url})"
            for i in p.indicators
        ),
        "havaintoja": " | ".join(f"”{t.text}” ({t.place}, {t.month})" for t in p.texts)
        or (p.texts_note or ""),
        "kysymykset": " ".join(p.questions),
    }


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _spreadsheet_safe(value: str) -> str:
    """A text a spreadsheet must not run as a formula (CSV/formula injection)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def render_csv(brief: MeetingBrief) -> bytes:
    """One row per phenomenon; semicolon-separated UTF-8 with a byte order mark, which is
    what Excel in a Finnish locale opens directly."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(BRIEF_COLUMNS)
    for p in brief.phenomena:
        row = _phenomenon_row(brief, p)
        writer.writerow(
            [
                row[c].text if isinstance(row[c], Cell) else _spreadsheet_safe(str(row[c]))
                for c in BRIEF_COLUMNS
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def render_xlsx(brief: MeetingBrief) -> bytes:
    """Sheets: phenomena (one row each), monthly counts, municipalities, and the notes."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    bold = Font(bold=True)

    def put(ws: Any, row: Sequence[Any]) -> None:
        values = []
        for v in row:
            if isinstance(v, Cell):
                values.append(v.number if v.number is not None else v.text)
            else:
                values.append(v)
        ws.append(values)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text, never a formula

    def header(ws: Any, names: Sequence[str], widths: Sequence[int]) -> None:
        put(ws, names)
        for cell, width in zip(ws[1], widths, strict=True):
            cell.font = bold
            ws.column_dimensions[cell.column_letter].width = width
        ws.freeze_panes = "A2"

    ws = wb.active
    ws.title = "Ilmiöt"
    header(ws, BRIEF_COLUMNS, [22, 22, 8, 36, 14, 16, 50, 20, 40, 10, 10, 40, 40, 40, 50, 60, 50])
    wrap = Alignment(wrap_text=True, vertical="top")
    for p in brief.phenomena:
        fields = _phenomenon_row(brief, p)
        put(ws, [fields[c] for c in BRIEF_COLUMNS])
        for cell in ws[ws.max_row]:
            cell.alignment = wrap

    months = wb.create_sheet("Kuukausittain")
    header(months, ["ilmio_id", "otsikko", "kuukausi", "havainnot", "uutiset"], [8, 36, 18, 10, 10])
    towns = wb.create_sheet("Kunnat")
    header(towns, ["ilmio_id", "otsikko", "kunta", "havainnot"], [8, 36, 20, 10])
    for p in brief.phenomena:
        for label, row in zip([*p.months.row_labels, "Yhteensä"], p.months.grid(), strict=True):
            put(months, [p.id, p.title, label, *row])
        if p.municipalities is not None:
            grid = p.municipalities.grid()
            for label, row in zip([*p.municipalities.row_labels, "Yhteensä"], grid, strict=True):
                put(towns, [p.id, p.title, label, row[0]])

    notes = wb.create_sheet("Tietoja")
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 100
    for key, value in (
        ("Alue", f"{brief.scope.label} ({brief.region})"),
        ("Aikaväli", brief.window),
        ("Laadittu", fi_date(brief.generated_on)),
        ("Valinta", "; ".join(brief.selection)),
        ("Tietosuoja", brief.legend),
        ("Indikaattorit", f"{ATTRIBUTION}; tuottaja kunkin indikaattorin kohdalla."),
    ):
        put(notes, [key, value])
        notes.cell(notes.max_row, 1).font = bold
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- PDF ----------------------------------------------------------------------------------


BRAND = "#0b5c6b"
MUTED = "#4a5468"
LINE = "#d5dae3"
_PDF_FONT = "Vera"
_pdf_glyphs: frozenset[int] = frozenset()


def _pdf_fonts() -> None:
    """Register ReportLab's bundled Bitstream Vera (Latin-1 and more: ä, ö, å, –, ”, …) once;
    embedded subsets make the PDF look the same everywhere."""
    global _pdf_glyphs
    if _pdf_glyphs:
        return
    from pathlib import Path

    import reportlab
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = Path(reportlab.__file__).parent / "fonts"
    faces = {
        "": "Vera.ttf",
        "-Bold": "VeraBd.ttf",
        "-Italic": "VeraIt.ttf",
        "-BoldItalic": "VeraBI.ttf",
    }
    for suffix, file in faces.items():
        pdfmetrics.registerFont(TTFont(_PDF_FONT + suffix, str(folder / file)))
    pdfmetrics.registerFontFamily(
        _PDF_FONT,
        normal=_PDF_FONT,
        bold=_PDF_FONT + "-Bold",
        italic=_PDF_FONT + "-Italic",
        boldItalic=_PDF_FONT + "-BoldItalic",
    )
    face = pdfmetrics.getFont(_PDF_FONT).face
    _pdf_glyphs = frozenset(face.charWidths)


def _pdf_text(text: str | None) -> str:
    """Paragraph markup for plain text: escaped, characters the font lacks replaced."""
    from xml.sax.saxutils import escape as xml_escape

    out = []
    for ch in " ".join((text or "").split()):
        if ord(ch) in _pdf_glyphs:
            out.append(ch)
        else:
            base = unicodedata.normalize("NFKD", ch)[:1]
            out.append(base if base and ord(base) in _pdf_glyphs else "?")
    return xml_escape("".join(out))


def _pdf_chart(table: SuppressedTable, width: float) -> Any:
    from reportlab.graphics.shapes import Drawing, Line, Rect, String
    from reportlab.lib import colors

    bars, highest = chart_bars(table)
    top, ticks = _axis(highest)
    n = len(table.cells)
    height = 120.0
    left, bottom, top_pad = 26.0, 22.0, 8.0
    plot_w, plot_h = width - left - 4, height - bottom - top_pad
    group = plot_w / max(1, n)
    bar_w = min(14.0, (group - 4) / 2)
    drawing = Drawing(width, height)

    def y(v: float) -> float:
        return bottom + v / top * plot_h

    for tick in ticks:
        drawing.add(Line(left, y(tick), width - 4, y(tick), strokeColor=colors.HexColor(LINE)))
        drawing.add(
            String(
                left - 3,
                y(tick) - 3,
                str(tick),
                fontName=_PDF_FONT,
                fontSize=7,
                textAnchor="end",
                fillColor=colors.HexColor(MUTED),
            )
        )
    every = max(1, math.ceil(n / 12))
    for i, label in enumerate(table.row_labels):
        if i % every == 0:
            drawing.add(
                String(
                    left + group * i + group / 2,
                    bottom - 11,
                    _short_month(label),
                    fontName=_PDF_FONT,
                    fontSize=7,
                    textAnchor="middle",
                    fillColor=colors.HexColor(MUTED),
                )
            )
    for bar in bars:
        x = left + group * bar.month + group / 2 - bar_w + bar.series * bar_w
        fill = colors.HexColor(BRAND) if bar.series == 0 else colors.HexColor("#9bc3cb")
        if not bar.cell.hidden:
            if bar.cell.value:
                drawing.add(
                    Rect(
                        x,
                        y(0),
                        bar_w - 1,
                        y(bar.cell.value) - y(0),
                        fillColor=fill,
                        strokeColor=colors.HexColor(BRAND),
                        strokeWidth=0.5,
                    )
                )
        elif bar.cell.primary:
            drawing.add(
                Rect(
                    x,
                    y(0),
                    bar_w - 1,
                    y(table.k) - y(0),
                    fillColor=None,
                    strokeColor=colors.HexColor(MUTED),
                    strokeWidth=0.6,
                    strokeDashArray=[2, 1.5],
                )
            )
        else:
            drawing.add(
                Rect(
                    x,
                    y(0),
                    bar_w - 1,
                    y(table.k) - y(0),
                    fillColor=colors.HexColor("#c9ced8"),
                    strokeColor=colors.HexColor(MUTED),
                    strokeWidth=0.6,
                )
            )
            drawing.add(
                String(
                    x + bar_w / 2 - 0.5,
                    y(table.k) + 2,
                    COMPLEMENTARY_MARK,
                    fontName=_PDF_FONT,
                    fontSize=7,
                    textAnchor="middle",
                )
            )
    drawing.add(Line(left, y(0), width - 4, y(0), strokeColor=colors.black, strokeWidth=0.8))
    return drawing


def render_pdf(brief: MeetingBrief) -> bytes:
    """The brief as an A4 PDF: a cover page with the summary, then one page (or more) per
    phenomenon. ReportLab's platypus lays it out; fonts are the bundled Vera family."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        KeepTogether,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    _pdf_fonts()
    base = ParagraphStyle("base", fontName=_PDF_FONT, fontSize=9.5, leading=13)
    styles = {
        "title": ParagraphStyle(
            "title",
            base,
            fontName=_PDF_FONT + "-Bold",
            fontSize=18,
            leading=23,
            spaceAfter=6,
            textColor=colors.HexColor(BRAND),
        ),
        "h1": ParagraphStyle(
            "h1",
            base,
            fontName=_PDF_FONT + "-Bold",
            fontSize=14,
            leading=18,
            spaceAfter=4,
            textColor=colors.HexColor(BRAND),
        ),
        "h2": ParagraphStyle(
            "h2",
            base,
            fontName=_PDF_FONT + "-Bold",
            fontSize=10.5,
            leading=14,
            spaceBefore=8,
            spaceAfter=3,
        ),
        "meta": ParagraphStyle(
            "meta", base, fontSize=8.5, leading=11, textColor=colors.HexColor(MUTED)
        ),
        "body": base,
        "bullet": ParagraphStyle("bullet", base, leftIndent=10, bulletIndent=0),
        "quote": ParagraphStyle(
            "quote",
            base,
            fontName=_PDF_FONT + "-Italic",
            leftIndent=10,
            borderPadding=(2, 0, 2, 6),
            spaceBefore=3,
        ),
        "cell": ParagraphStyle("cell", base, fontSize=8.5, leading=10.5),
        "num": ParagraphStyle("num", base, fontSize=8.5, leading=10.5, alignment=TA_RIGHT),
        "note": ParagraphStyle(
            "note",
            base,
            fontSize=8.5,
            leading=11,
            backColor="#fff4d6",
            borderPadding=4,
            spaceBefore=4,
            spaceAfter=6,
        ),
    }
    width = A4[0] - 36 * mm

    def para(text: str | None, style: str = "body") -> Any:
        return Paragraph(_pdf_text(text), styles[style])

    def bullets(items: Iterable[str]) -> list[Any]:
        return [Paragraph(_pdf_text(i), styles["bullet"], bulletText="•") for i in items]

    def table(rows: list[list[str]], widths: list[float], numeric_from: int = 1) -> Any:
        data = [
            [
                Paragraph(_pdf_text(c), styles["cell" if j < numeric_from else "num"])
                for j, c in enumerate(row)
            ]
            for row in rows
        ]
        t = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
        t.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), _PDF_FONT),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.HexColor(BRAND)),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.3, colors.HexColor(LINE)),
                    ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f0f3f7")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ]
            )
        )
        return t

    story: list[Any] = [
        para(f"Kokousmuistio: {brief.scope.label}", "title"),
        para(
            f"{brief.region} · aikaväli {brief.window} · laadittu "
            f"{fi_date(brief.generated_on)} · Näkymä",
            "meta",
        ),
        Spacer(1, 4),
        para("Valinta: " + "; ".join(brief.selection) + ".", "body"),
        para(brief.legend, "note"),
    ]
    if brief.phenomena:
        story.append(para("Ilmiöt", "h2"))
        rows = [["Ilmiö", "Tila", "Signaali", "Havainnot", "Uutiset"]]
        rows += [
            [
                f"{n}. {p.title}",
                p.status_label,
                p.category_label or "–",
                p.observations.text,
                p.headlines.text,
            ]
            for n, p in enumerate(brief.phenomena, 1)
        ]
        summary = table(
            rows,
            [width * 0.40, width * 0.15, width * 0.17, width * 0.14, width * 0.14],
            numeric_from=3,
        )
        summary.setStyle(TableStyle([("BACKGROUND", (0, -1), (-1, -1), colors.white)]))
        story.append(summary)
    else:
        story.append(para("Valinnalla ei löytynyt ilmiöitä.", "body"))
    if brief.left_out:
        story.append(
            para(f"Lisäksi {brief.left_out} ilmiötä jäi pois (enintään {MAX_PHENOMENA}).", "meta")
        )
    if brief.signals_as_of:
        story.append(Spacer(1, 6))
        story.append(
            para(
                f"Signaaliluokitus on laskettu {fi_date(date.fromisoformat(brief.signals_as_of))}.",
                "meta",
            )
        )

    for n, p in enumerate(brief.phenomena, 1):
        story.append(PageBreak())
        story.append(para(f"{n}. {p.title}", "h1"))
        meta = [f"Ilmiö {p.id}", f"tila: {p.status_label}"]
        meta.append(f"signaali: {p.category_label or 'ei luokitusta rajauksella'}")
        if p.theme_label:
            meta.append(f"teema: {p.theme_label}")
        story.append(para(" · ".join(meta), "meta"))
        if p.summary:
            story.append(Spacer(1, 3))
            story.append(para(p.summary))
        if p.reasons:
            story.append(para("Miksi signaali", "h2"))
            story += bullets(p.reasons)
        story.append(para("Aineisto kuukausittain", "h2"))
        story.append(
            para(
                f"Rajauksella havaintoja {p.observations.text} ja uutisia "
                f"{p.headlines.text}. Kaaviossa tummat palkit ovat havaintoja, vaaleat "
                f"uutisia; katkoviivalaatikko = alle {brief.k}, harmaa ”{COMPLEMENTARY_MARK}” = "
                f"vähintään {brief.k}, piilotettu.",
                "meta",
            )
        )
        chart = _pdf_chart(p.months, width)
        month_rows = p.months.text_rows(corner="Kuukausi")
        story.append(KeepTogether([chart, Spacer(1, 4)]))
        story.append(table(month_rows, [width * 0.34, width * 0.22, width * 0.22]))
        if p.municipalities is not None and p.municipalities.row_labels:
            story.append(para("Havainnot kunnittain", "h2"))
            town_rows = p.municipalities.text_rows(corner="Kunta")
            story.append(table(town_rows, [width * 0.34, width * 0.22]))
        if p.indicators:
            story.append(para("Indikaattorit", "h2"))
            for ind in p.indicators:
                values = (
                    "; ".join(f"{v.area} {v.year}: {v.value}" for v in ind.values) or "ei arvoja"
                )
                kind = "" if ind.accepted else " (ehdotus)"
                story.append(
                    Paragraph(
                        f"<b>{_pdf_text(ind.title)}</b>{kind}: {_pdf_text(values)}<br/>"
                        f'<font size="8" color="{MUTED}">{_pdf_text(ind.attribution)}, '
                        f'<link href="{_pdf_text(ind.url)}" color="{BRAND}">'
                        f"{_pdf_text(ind.url)}</link></font>",
                        styles["bullet"],
                        bulletText="•",
                    )
                )
        if p.texts or p.texts_note:
            story.append(para("Havaintoja kentältä", "h2"))
            for t in p.texts:
                story.append(
                    Paragraph(
                        f'”{_pdf_text(t.text)}”<br/><font name="{_PDF_FONT}" size="8" '
                        f'color="{MUTED}">— {_pdf_text(t.place)}, {_pdf_text(t.month)}</font>',
                        styles["quote"],
                    )
                )
            if p.texts_note:
                story.append(para(p.texts_note, "meta"))
        story.append(para("Kysymyksiä kokoukselle", "h2"))
        story += bullets(p.questions)

    footer = f"Näkymä · Kokousmuistio · {brief.scope.label} · {brief.window}"

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(_PDF_FONT, 7.5)
        canvas.setFillColor(colors.HexColor(MUTED))
        canvas.drawString(18 * mm, 10 * mm, _pdf_plain(footer))
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"sivu {doc.page}")
        canvas.restoreState()

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=f"Kokousmuistio: {brief.scope.label}",
        author="Näkymä",
        subject=f"{brief.region}, {brief.window}",
        creator="Näkymä",
        lang="fi-FI",
    )
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return out.getvalue()


def _pdf_plain(text: str) -> str:
    return "".join(ch if ord(ch) in _pdf_glyphs else "?" for ch in text)


# --- research export ----------------------------------------------------------------------

RESEARCH_COLUMNS: dict[str, str] = {
    "phenomenon_id": "ilmiön numero (sama kuin muistiossa); tyhjä, jos havainto ei kuulu ilmiöön",
    "observed_on": "havainnon päivämäärä (VVVV-KK-PP)",
    "municipality_group_key": "kuntaryhmän tunnus (oletusryhmittely)",
    "municipality_group": "kuntaryhmän nimi",
    "municipality_code": "kuntanumero; tyhjä, jos kunnan asukasluku on alle rajan",
    "municipality": "kunnan nimi; tyhjä, jos kunnan asukasluku on alle rajan",
    "target_group": "kohderyhmän tunnus (lapset, nuoret, perheet, …)",
    "theme": "teeman tunnus; tyhjä, jos teemaa ei kirjattu",
}


def research_rows(
    db: Database,
    region: Region,
    request: BriefRequest,
    *,
    min_population: int = 5000,
    k: int = 5,
    generated_on: date,
) -> list[dict[str, str]]:
    """Observations of the scope and window for research use: no account ids, no free text,
    municipality only where the population rule allows. With a choice of phenomena, only
    observations of the chosen ones; without, every observation (unassigned ones too)."""
    pids: set[int] | None = None
    if request.filtered:
        brief = build_brief(
            db, region, request, k=k, min_population=min_population, generated_on=generated_on
        )
        pids = {p.id for p in brief.phenomena}
    members = {
        int(key): pid
        for key, pid in db.execute(
            "select item_key, phenomenon_id from phenomenon_members where item_kind = 'observation'"
        )
    }
    scope = set(request.scope.municipalities)
    groups = {c: region.group_of(c) for c in scope}
    out = []
    for o in db.query(
        "select id, observed_on, municipality_code, target_group, theme from observations "
        "where observed_on between ? and ? order by observed_on, municipality_code, id",
        [request.start.isoformat(), request.end.isoformat()],
    ):
        code = o["municipality_code"]
        if code not in scope:
            continue
        pid = members.get(o["id"])
        if pids is not None and pid not in pids:
            continue
        small = is_small_municipality(region, code, min_population=min_population)
        out.append(
            {
                "phenomenon_id": "" if pid is None else str(pid),
                "observed_on": o["observed_on"],
                "municipality_group_key": groups[code].key,
                "municipality_group": groups[code].name,
                "municipality_code": "" if small else code,
                "municipality": "" if small else region.municipality(code).name,
                "target_group": o["target_group"] if o["target_group"] in TARGET_GROUPS else "",
                "theme": o["theme"] if o["theme"] in THEMES else "",
            }
        )
    return out


def render_research_csv(rows: Iterable[Mapping[str, str]]) -> bytes:
    """Comma-separated UTF-8 (no byte order mark): for R, Python and statistics packages."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(RESEARCH_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")
