"""Write the SYNTHETIC Sotkanet copy in nakyma/data/demo/sotkanet (deterministic, seeded).

    .venv/bin/python tests/data/make_sotkanet_fixture.py [--out DIR] [--seed N]

The files follow the documented shapes of the Sotkanet REST API v1.1 (see
../shared/reference/data-sources.md, section 1.2) and the directory layout that
`nakyma run indicators --source DIR` reads. The VALUES ARE INVENTED: rates with counts that are
consistent with the municipality populations in the region file, small counts suppressed for a
few register indicators, school-survey (KTK) items only in survey years, and a few planted
changes for the demo and the tests:

- Äänekoski, child-welfare notifications (1086): 9,1 % -> 11,4 % in 2024 (a real rise);
- Luhanka (c. 700 residents), the same indicator: 5 -> 10 children, a big relative swing that
  sampling noise explains (must not be flagged);
- Laukaa, youth unemployment (189): a sharp fall in 2024 (good news, "better");
- Jämsä, KTK anxiety (328): a jump in 2023 (no counts: the robust method);
- Saarijärvi, 75+ living at home (1570, higher is better): a fall in 2024 ("worse");
- Jyväskylä, mental-health hospital care of minors (4): a rise in 2024.

The indicators the catalogue marks `forecast` get long series for the forecasts (issue 14):
20 yearly points (HISTORY_YEARS), a trend that differs a little between municipalities, a
level shift in a known year where a law changed what is counted (BREAKS below), denominators
that follow each municipality's population (shrinking small municipalities, growing
Jyväskylä, as in indicator 127) and counts drawn from them, so small municipalities are noisy.

Every indicator of the packaged catalogue gets files; ids the spec table below does not know get
a generic spec from their unit.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from nakyma.indicators import DEFAULT_CATALOGUE_FILE, CatalogueEntry, load_catalogue  # noqa: E402
from nakyma.regions import load_region  # noqa: E402

OUT = ROOT / "nakyma" / "data" / "demo" / "sotkanet"
LATEST = 2024
COUNTRY_POPULATION = 5_600_000
MIN_RESPONDENTS = 20

ORGANIZATIONS = {
    "THL": {
        "id": 2,
        "title": {
            "fi": "Terveyden ja hyvinvoinnin laitos (THL)",
            "sv": "Institutet för hälsa och välfärd (THL)",
            "en": "Finnish Institute for Health and Welfare (THL)",
        },
    },
    "TK": {
        "id": 3,
        "title": {"fi": "Tilastokeskus", "sv": "Statistikcentralen", "en": "Statistics Finland"},
    },
    "KELA": {
        "id": 5,
        "title": {
            "fi": "Kansaneläkelaitos (Kela)",
            "sv": "Folkpensionsanstalten (FPA)",
            "en": "Social Insurance Institution of Finland (Kela)",
        },
    },
    "TEM": {
        "id": 9,
        "title": {
            "fi": "Työ- ja elinkeinoministeriö",
            "sv": "Arbets- och näringsministeriet",
            "en": "Ministry of Economic Affairs and Employment",
        },
    },
    "ETK": {
        "id": 10,
        "title": {
            "fi": "Eläketurvakeskus",
            "sv": "Pensionsskyddscentralen",
            "en": "Finnish Centre for Pensions",
        },
    },
}

# Share of residents in each denominator group (before the municipality's age profile).
DENOMINATORS = {
    "0-17": (0.185, "young"),
    "0-15": (0.165, "young"),
    "15-17": (0.034, "young"),
    "16-24": (0.095, "young"),
    "17-24": (0.085, "young"),
    "18-24lf": (0.042, "young"),
    "25-64": (0.49, None),
    "lf": (0.47, None),
    "all": (1.0, None),
    "families": (0.095, "young"),
    "65+": (0.26, "old"),
    "75+": (0.12, "old"),
    "hip": (0.0012, "old"),
    "pupils": (0.022 * 0.7, "young"),  # grades 8-9 who answered the school survey
    "adults": (0.004, None),  # adult survey respondents
}

ALL_LEVELS = [
    "Kunta",
    "Seutukunta",
    "Maakunta",
    "Hyvinvointialue",
    "Sairaanhoitopiiri",
    "Aluehallintovirasto",
    "Maa",
]
LEVEL_CATEGORY = {
    "Kunta": "KUNTA",
    "Seutukunta": "SEUTUKUNTA",
    "Maakunta": "MAAKUNTA",
    "Hyvinvointialue": "HYVINVOINTIALUE",
    "Sairaanhoitopiiri": "SAIRAANHOITOPIIRI",
    "Aluehallintovirasto": "ALUEHALLINTOVIRASTO",
    "Maa": "MAA",
}


@dataclass
class Spec:
    base: float  # national value in LATEST
    den: str = "all"
    kind: str = "rate"  # rate (counts given) / survey (no counts) / share (% of residents) / count
    trend: float = 0.0  # relative change a year
    spread: float = 0.15  # municipality factor, log-normal sd
    noise: float = 0.03  # true year-to-year variation, relative sd
    org: str = "THL"
    years: tuple[int, ...] = tuple(range(2011, LATEST + 1))
    genders: bool = False
    suppress: bool = False  # counts 1-4 hidden (value null)
    levels: tuple[str, ...] = tuple(ALL_LEVELS)
    levels_title: str | None = None
    profile: str | None = None  # "young" / "old": share depends on the age profile
    en: str = ""
    # Forecast indicators: (year, factor): from `year` on the level is `factor` times what it
    # was before (a law or a counting rule changed); LATEST keeps `base`.
    breaks: tuple[tuple[int, float], ...] = ()
    trend_spread: float = 0.0  # sd of each municipality's own deviation from `trend`
    history: bool = False  # denominators follow the population year by year


KTK_YEARS = tuple(range(2011, 2024, 2))
HISTORY_YEARS = tuple(range(LATEST - 19, LATEST + 1))  # forecast indicators: 20 points
ADULT_YEARS = (2018, 2020, 2022, 2024)

SPECS: dict[int, Spec] = {
    # The 2008 Child Welfare Act widened the duty to notify: notifications jumped.
    1086: Spec(
        8.2,
        "0-17",
        trend=0.02,
        genders=True,
        years=HISTORY_YEARS,
        breaks=((2008, 1.3),),
        trend_spread=0.01,
        history=True,
        en="Child-welfare notifications, 0-17",
    ),
    191: Spec(
        1.3,
        "0-17",
        trend=0.015,
        years=HISTORY_YEARS,
        trend_spread=0.01,
        history=True,
        en="Children placed outside the home, 0-17",
    ),
    # The 2015 Social Welfare Act moved early family support out of child welfare.
    1245: Spec(
        6.0,
        "0-17",
        trend=0.01,
        years=HISTORY_YEARS,
        breaks=((2015, 0.8),),
        trend_spread=0.01,
        history=True,
        en="Community-based child-welfare support, 0-17",
    ),
    # Basic social assistance moved to Kela in 2017: more families received it.
    423: Spec(
        9.0,
        "families",
        trend=-0.015,
        years=HISTORY_YEARS,
        breaks=((2017, 1.15),),
        trend_spread=0.01,
        history=True,
        en="Families with children on social assistance, % of families with children",
    ),
    189: Spec(
        15.0,
        "18-24lf",
        trend=-0.01,
        noise=0.08,
        org="TEM",
        genders=True,
        en="Youth unemployment, % of labour force aged 18-24",
    ),
    3219: Spec(
        8.0,
        "17-24",
        org="TK",
        genders=True,
        trend=-0.01,
        years=HISTORY_YEARS,
        trend_spread=0.01,
        history=True,
        en="17-24-year-olds outside education",
    ),
    4: Spec(
        4.5,
        "0-17",
        trend=0.03,
        suppress=True,
        years=HISTORY_YEARS,
        trend_spread=0.01,
        history=True,
        en="0-17-year-olds in hospital care for mental disorders, per 1 000",
    ),
    5: Spec(5.2, "25-64", en="Social assistance recipients aged 25-64"),
    493: Spec(6.0, "all", en="Social assistance recipients, % of residents"),
    74: Spec(21.0, "families", org="TK", en="Single-parent families, % of families with children"),
    190: Spec(27.0, "families", org="TK", en="Overcrowded households with children"),
    7: Spec(
        5.6,
        "all",
        kind="share",
        trend=-0.03,
        org="TK",
        profile="young",
        en="0-6-year-olds, % of population",
    ),
    167: Spec(
        10.0,
        "all",
        kind="share",
        trend=-0.01,
        org="TK",
        profile="young",
        en="7-15-year-olds, % of population",
    ),
    328: Spec(
        12.0,
        "pupils",
        kind="survey",
        trend=0.04,
        years=KTK_YEARS,
        genders=True,
        en="Moderate or severe anxiety, grades 8-9",
    ),
    292: Spec(
        9.0,
        "pupils",
        kind="survey",
        years=KTK_YEARS,
        genders=True,
        en="No close friends, grades 8-9",
    ),
    1514: Spec(
        7.0,
        "pupils",
        kind="survey",
        years=KTK_YEARS,
        genders=True,
        en="Bullied at least weekly, grades 8-9",
    ),
    3905: Spec(
        22.0,
        "pupils",
        kind="survey",
        years=KTK_YEARS,
        genders=True,
        en="Vigorous leisure exercise at most 1 h a week, grades 8-9",
    ),
    242: Spec(
        12.0,
        "pupils",
        kind="survey",
        years=KTK_YEARS,
        genders=True,
        en="Moderate or severe depression, grades 8-9",
    ),
    3907: Spec(
        15.0,
        "pupils",
        kind="survey",
        years=KTK_YEARS,
        genders=True,
        en="Physical threat experienced during the year, grades 8-9",
    ),
    327: Spec(
        8.0,
        "pupils",
        kind="survey",
        years=KTK_YEARS,
        genders=True,
        en="Sexual violence experienced, grades 8-9",
    ),
    320: Spec(
        7.0,
        "0-15",
        suppress=True,
        en="0-15-year-olds in hospital for injuries and poisonings, per 1 000",
    ),
    3894: Spec(
        40.0, "15-17", org="TK", suppress=True, en="15-17-year-olds suspected of crimes, per 1 000"
    ),
    3328: Spec(
        0.7,
        "16-24",
        org="ETK",
        suppress=True,
        en="16-24-year-olds on disability pension for mental disorders",
    ),
    3113: Spec(8.0, "all", org="TK", en="Offences against life and health, per 1 000"),
    3128: Spec(
        78.0,
        "adults",
        kind="survey",
        years=(2010, 2011, 2012, 2013),
        en="Satisfied with the safety of their residential area",
    ),
    181: Spec(10.0, "lf", org="TEM", noise=0.06, en="Unemployed, % of labour force"),
    3099: Spec(
        13.0,
        "all",
        org="TK",
        years=tuple(range(2011, 2024)),
        en="At-risk-of-poverty rate of the municipality",
    ),
    5527: Spec(
        25.0,
        "adults",
        kind="survey",
        years=ADULT_YEARS,
        en="Too little physical activity (health-enhancing guideline)",
    ),
    5529: Spec(
        40.0,
        "adults",
        kind="survey",
        years=ADULT_YEARS,
        en="Too little physical activity, aged 65 and over",
    ),
    318: Spec(2.8, "65+", en="Aged 65+ in hospital for injuries and poisonings"),
    5051: Spec(
        24.0,
        "hip",
        years=tuple(range(2011, 2024)),
        levels=(),
        levels_title="Hyvinvointialue, koko maa",
        en="365-day mortality of hip-fracture patients",
    ),
    5342: Spec(
        78.0,
        "hip",
        levels=("Hyvinvointialue", "Sairaanhoitopiiri", "Maa"),
        en="Hip-fracture patients operated within 0-2 days",
    ),
    3901: Spec(
        70.0,
        "hip",
        years=tuple(range(2011, 2019)),
        levels=("Sairaanhoitopiiri", "Maa"),
        en="Hip-fracture patients back home within 4 months",
    ),
    690: Spec(11.0, "65+", org="KELA", en="Aged 65+ reimbursed for antidepressants"),
    1570: Spec(91.5, "75+", spread=0.01, noise=0.004, en="Aged 75+ living at home"),
    171: Spec(
        11.0,
        "all",
        kind="share",
        trend=0.03,
        org="TK",
        profile="old",
        en="Aged 75 and over, % of population",
    ),
    127: Spec(0.0, "all", kind="count", org="TK", en="Population on 31 Dec"),
}

# Search decoys: real ids and titles from the reference notes, not in the catalogue.
DECOYS = {
    1075: "Yksityisen hammashuollon käynnit 0 - 17-vuotiailla / 1 000 vastaavan ikäistä",
    286: "Kokee terveydentilansa keskinkertaiseksi tai huonoksi, % 8. ja 9. luokan oppilaista",
    288: "Tupakoi päivittäin, % 8.- ja 9.-luokan oppilaista",
    289: "Tosi humalassa vähintään kerran kuukaudessa, % 8.- ja 9.-luokan oppilaista",
    3904: "Ei syö koululounasta päivittäin, % 8. ja 9. luokan oppilaista",
}


@dataclass
class Area:
    id: int
    code: str
    category: str
    title: str
    population: int
    member_of: list[int] = field(default_factory=list)
    members: list[int] = field(default_factory=list)  # aggregated from these area ids
    uri: str | None = None


def build_areas() -> list[Area]:
    region = load_region()
    seutukunnat = {
        "Jyväskylän seutukunta": 560,
        "Joutsan seutukunta": 561,
        "Keuruun seutukunta": 562,
        "Jämsän seutukunta": 563,
        "Äänekosken seutukunta": 564,
        "Saarijärvi-Viitasaaren seutukunta": 721,
    }
    areas: list[Area] = []
    for m in region.municipalities:
        assert m.sotkanet_id is not None and m.population is not None
        areas.append(
            Area(
                m.sotkanet_id,
                m.code,
                "KUNTA",
                m.name,
                m.population,
                member_of=[seutukunnat[m.seutukunta], 499, 965, 623, 833],
                uri=f"http://www.yso.fi/onto/kunnat/k{m.code}",
            )
        )
    local = [a.id for a in areas]
    for n, (name, sid) in enumerate(seutukunnat.items()):
        members = [m.sotkanet_id for m in region.municipalities if m.seutukunta == name]
        areas.append(
            Area(
                sid,
                str(131 + n),
                "SEUTUKUNTA",
                name.replace("seutukunta", "sk"),
                0,
                [499, 965],
                members,
            )
        )
    areas += [
        # Outside the county: must be filtered out (Kuhmoinen left Keski-Suomi in 2021).
        Area(46, "091", "KUNTA", "Helsinki", 675_000, uri="http://www.yso.fi/onto/kunnat/k091"),
        Area(378, "837", "KUNTA", "Tampere", 255_000, uri="http://www.yso.fi/onto/kunnat/k837"),
        Area(161, "297", "KUNTA", "Kuopio", 124_000, uri="http://www.yso.fi/onto/kunnat/k297"),
        Area(157, "291", "KUNTA", "Kuhmoinen", 2_100, uri="http://www.yso.fi/onto/kunnat/k291"),
        Area(965, "15", "HYVINVOINTIALUE", "Keski-Suomen hyvinvointialue", 0, [], local),
        Area(974, "13", "HYVINVOINTIALUE", "Pohjois-Savon hyvinvointialue", 248_000),
        Area(970, "08", "HYVINVOINTIALUE", "Pirkanmaan hyvinvointialue", 530_000),
        Area(960, "90", "HYVINVOINTIALUE", "Helsingin kaupunki", 675_000),
        Area(
            499, "13", "MAAKUNTA", "Keski-Suomi", 0, [], local, "http://www.yso.fi/onto/kunnat/mk13"
        ),
        Area(
            497,
            "11",
            "MAAKUNTA",
            "Pohjois-Savo",
            248_000,
            [],
            uri="http://www.yso.fi/onto/kunnat/mk11",
        ),
        Area(623, "13", "SAIRAANHOITOPIIRI", "Keski-Suomen sairaanhoitopiiri", 0, [], local),
        Area(
            833,
            "1",
            "ALUEHALLINTOVIRASTO",
            "Etelä-Suomen AVIn alue",
            2_300_000,
            uri="http://www.yso.fi/onto/kunnat/ahv1",
        ),
        Area(
            658,
            "246",
            "MAA",
            "Koko maa",
            COUNTRY_POPULATION,
            uri="http://www.yso.fi/onto/kunnat/suomi",
        ),
    ]
    return areas


def region_json(a: Area) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": a.id,
        "code": a.code,
        "category": a.category,
        "title": {"fi": a.title, "sv": a.title, "en": a.title},
        "memberOf": a.member_of,
    }
    if a.uri:
        out["uri"] = a.uri
    return out


def generic_spec(entry: CatalogueEntry) -> Spec:
    unit = entry.unit.replace(" ", "")
    if unit == "lkm":
        return Spec(0.0, kind="count")
    if unit.startswith("/"):
        return Spec(5.0, "all")
    return Spec(10.0, "all")


def profile_factor(population: int, profile: str | None) -> float:
    """Small rural municipalities are older: fewer children, more old people."""
    young = 0.85 + 0.2 * min(1.0, max(0.0, (math.log10(max(population, 10)) - 3) / 2.2))
    if profile == "young":
        return young
    if profile == "old":
        return 2.0 - young
    return 1.0


def population_in(population: int, year: int) -> float:
    """A municipality's population in `year` relative to LATEST: the big town grows, the rest
    shrink (the same rates as indicator 127's populations)."""
    growth = 0.008 if population > 100_000 else -0.009
    return float((1 + growth) ** (year - LATEST))


def level_shift(spec: Spec, year: int) -> float:
    """The factor of `spec.breaks` in `year`, relative to LATEST's level."""
    factor = 1.0
    for since, step in spec.breaks:
        if year < since:
            factor /= step
    return factor


def draw_count(rng: random.Random, n: int, p: float) -> int:
    """A binomial-like count: Poisson for rare events, normal approximation otherwise."""
    p = min(max(p, 0.0), 1.0)
    mean = n * p
    if mean < 30:
        limit, k, prod = math.exp(-mean), 0, rng.random()
        while prod > limit:
            k += 1
            prod *= rng.random()
        return min(k, n)
    return min(n, max(0, round(rng.gauss(mean, math.sqrt(mean * (1 - p))))))


# Planted changes: indicator -> municipality code -> {year: value} (value in the unit), or
# {year: ("count", k)} for an exact count.
PLANTED: dict[int, dict[str, dict[int, Any]]] = {
    1086: {
        "992": {2021: 8.9, 2022: 9.0, 2023: 9.1, 2024: 11.4},
        "435": {2021: ("count", 5), 2022: ("count", 4), 2023: ("count", 5), 2024: ("count", 10)},
    },
    189: {"410": {2021: 16.0, 2022: 15.5, 2023: 15.8, 2024: 9.0}},
    328: {"182": {2019: 12.5, 2021: 13.0, 2023: 24.0}},
    1570: {"729": {2021: 91.8, 2022: 91.6, 2023: 91.5, 2024: 85.5}},
    4: {"179": {2021: 4.9, 2022: 5.0, 2023: 5.0, 2024: 6.6}},
}


def scale_of(entry: CatalogueEntry) -> float:
    unit = entry.unit.replace(" ", "")
    return {"/1000": 1000.0, "/10000": 10000.0, "/100000": 100000.0}.get(unit, 100.0)


def simulate(
    entry: CatalogueEntry, spec: Spec, areas: list[Area], seed: int
) -> tuple[list[dict[str, Any]], tuple[int, ...]]:
    rng = random.Random(f"{seed}-{entry.id}")
    scale = scale_of(entry)
    share, den_profile = DENOMINATORS[spec.den]
    profile = spec.profile or den_profile
    by_id = {a.id: a for a in areas}
    levels = set(spec.levels) | ({"Hyvinvointialue", "Maa"} if spec.levels_title else set())
    categories = {LEVEL_CATEGORY[lv] for lv in levels}
    # (area id, year) -> {gender: (count, denominator, value)}
    cells: dict[tuple[int, int], dict[str, tuple[int | None, int, float | None]]] = {}
    factors = {a.id: math.exp(rng.gauss(0, spec.spread)) for a in areas}
    factors[658] = 1.0
    gender_gap = rng.uniform(-0.25, 0.25)
    # Drawn only for specs that use them: the other indicators keep their random streams.
    trends = (
        {a.id: spec.trend + rng.gauss(0, spec.trend_spread) for a in areas}
        if spec.trend_spread
        else {}
    )
    trends[658] = spec.trend

    def true_value(area: Area, year: int) -> float:
        trend = trends.get(area.id, spec.trend)
        base = spec.base * (1 + trend) ** (year - LATEST) * factors[area.id]
        base *= level_shift(spec, year)
        if spec.kind == "share":
            base *= profile_factor(area.population, spec.profile)
        return base * math.exp(rng.gauss(0, spec.noise)) if area.id != 658 else base

    leaves = [a for a in areas if not a.members]
    for year in spec.years:
        for a in leaves:
            if spec.kind == "count":
                growth = 0.008 if a.population > 100_000 else -0.009
                pop = round(a.population * (1 + growth) ** (year - LATEST) * rng.gauss(1, 0.002))
                cells[(a.id, year)] = {"total": (None, 1, float(pop))}
                continue
            pop = a.population * (population_in(a.population, year) if spec.history else 1.0)
            n = max(1, round(pop * share * profile_factor(a.population, profile)))
            planted = PLANTED.get(entry.id, {}).get(a.code if a.category == "KUNTA" else "")
            target = planted.get(year) if planted and a.id in by_id else None
            value = true_value(a, year)
            n_f = n // 2
            n_m = n - n_f
            if isinstance(target, tuple):
                k = target[1]
            elif target is not None:
                k = round(n * target / scale)
            else:
                k = None
            if k is not None:
                k_f = round(k * (1 + gender_gap) / 2)
                k_m = k - k_f
            else:
                k_f = draw_count(rng, n_f, value * (1 + gender_gap) / scale)
                k_m = draw_count(rng, n_m, value * (1 - gender_gap) / scale)
            cells[(a.id, year)] = {
                "female": (k_f, n_f, None),
                "male": (k_m, n_m, None),
                "total": (k_f + k_m, n, None),
            }
        for a in areas:
            if not a.members:
                continue
            agg: dict[str, tuple[int | None, int, float | None]] = {}
            for gender in ("total", "male", "female"):
                parts = [cells[(m, year)].get(gender) for m in a.members]
                if any(p is None for p in parts):
                    continue
                if spec.kind == "count":
                    agg[gender] = (None, 1, sum(p[2] or 0 for p in parts if p))
                else:
                    agg[gender] = (
                        sum(p[0] or 0 for p in parts if p),
                        sum(p[1] for p in parts if p),
                        None,
                    )
            cells[(a.id, year)] = agg

    decimals = 0 if spec.kind == "count" else 1
    rows: list[dict[str, Any]] = []
    for (area_id, year), per_gender in sorted(cells.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        area = by_id[area_id]
        if area.category not in categories:
            continue
        for gender in ("total", "male", "female"):
            if gender not in per_gender or (gender != "total" and not spec.genders):
                continue
            if gender != "total" and area.category not in ("KUNTA", "HYVINVOINTIALUE", "MAA"):
                continue
            k, n, fixed = per_gender[gender]
            row: dict[str, Any] = {
                "indicator": entry.id,
                "region": area_id,
                "year": year,
                "gender": gender,
            }
            if spec.kind == "count":
                row["value"] = round(fixed or 0)
            elif k is not None and spec.suppress and 0 < k < 5:
                row["value"] = None  # small counts hidden, as THL does for some registers
            elif spec.kind == "survey" and n < MIN_RESPONDENTS:
                row["value"] = None  # too few respondents to publish
            else:
                assert k is not None
                row["value"] = round(k * scale / n, decimals)
                if spec.kind != "survey":
                    row["absValue"] = k
            rows.append(row)
    return rows, spec.years


def metadata(entry: CatalogueEntry, spec: Spec, years: tuple[int, ...]) -> dict[str, Any]:
    levels = list(spec.levels)
    words = [{"Maa": "koko maa"}.get(lv, lv.lower()) for lv in levels]
    title = spec.levels_title or ", ".join(words).capitalize()
    genders = ["total", "male", "female"] if spec.genders else ["total"]
    return {
        "id": entry.id,
        "data-updated": f"{max(years) + 1}-03-{10 + entry.id % 18:02d}",
        "range": {"start": min(years), "end": max(years)},
        "title": {"fi": entry.title, "sv": entry.title, "en": spec.en or entry.title},
        "description": {
            "fi": "SYNTEETTINEN KUVAUS testejä ja demoa varten. Ei THL:n aineistoa.",
            "sv": "",
            "en": "SYNTHETIC description for tests and the demo. Not THL data.",
        },
        "interpretation": {"fi": "", "sv": "", "en": ""},
        "limits": {"fi": "", "sv": "", "en": ""},
        "legislation": {"fi": "", "sv": "", "en": ""},
        "notices": {"fi": "", "sv": "", "en": ""},
        "primaryValueType": {
            "code": "lkm" if spec.kind == "count" else entry.unit or "%",
            "title": {"fi": entry.unit or "%", "sv": "", "en": ""},
        },
        "decimals": 0 if spec.kind == "count" else 1,
        "classifications": {
            "region": {"title": {"fi": title, "sv": "", "en": ""}, "values": levels},
            "sex": {"title": {"fi": "Sukupuoli", "sv": "Kön", "en": "Sex"}, "values": genders},
        },
        "organization": ORGANIZATIONS[spec.org],
        "subjects": [],
        "sources": [{"organization": ORGANIZATIONS[spec.org], "title": {"fi": ""}}],
    }


def list_entry(ident: int, title: str, org: str, spec: Spec | None) -> dict[str, Any]:
    genders = ["total", "male", "female"] if spec and spec.genders else ["total"]
    return {
        "id": ident,
        "title": {"fi": title, "sv": title, "en": spec.en if spec and spec.en else title},
        "organization": ORGANIZATIONS[org],
        "classifications": {
            "region": {"values": list(spec.levels) if spec else ALL_LEVELS},
            "sex": {"values": genders},
        },
    }


def write_json(path: Path, data: Any, *, rows: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if rows:  # one element per line: small, and readable in a diff
        body = ",\n".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in data)
        path.write_text(f"[\n{body}\n]\n", encoding="utf-8")
    else:
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--catalogue", type=Path, default=DEFAULT_CATALOGUE_FILE)
    args = parser.parse_args(argv)
    catalogue = load_catalogue(args.catalogue) if args.catalogue.exists() else ()
    entries = list(catalogue)
    known = {e.id for e in entries}
    areas = build_areas()
    out: Path = args.out
    for sub in ("indicators", "data"):
        (out / sub).mkdir(parents=True, exist_ok=True)
        for old in (out / sub).glob("*.json"):
            old.unlink()
    write_json(out / "regions.json", [region_json(a) for a in sorted(areas, key=lambda a: a.id)])
    listing = []
    for entry in entries:
        spec = SPECS.get(entry.id) or generic_spec(entry)
        rows, years = simulate(entry, spec, areas, args.seed)
        write_json(out / "data" / f"{entry.id}.json", rows, rows=True)
        write_json(out / "indicators" / f"{entry.id}.json", metadata(entry, spec, years))
        listing.append(list_entry(entry.id, entry.title, spec.org, spec))
    for ident, title in DECOYS.items():
        if ident not in known:
            listing.append(list_entry(ident, title, "THL", None))
    write_json(out / "indicators.json", sorted(listing, key=lambda x: x["id"]))
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"{len(entries)} indicators, {len(areas)} regions, {size / 1e6:.2f} MB in {out}")


if __name__ == "__main__":
    main()
