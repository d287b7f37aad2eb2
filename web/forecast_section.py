"""The "Ennakointi" section of the municipality page, the county overview and a municipality
group's page: per forecast indicator its chart (`web.charts.forecast_chart`), the expectation
and the backtest's verdict in words, the figures behind a disclosure, and the leading evidence
beside it (`nakyma.forecast_areas.area_section`, also behind `GET /api/forecasts`). One
function for every page, so they read the same. On the county overview, the municipality
groups' forecasts side by side (`group_tables`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlite_utils import Database

from nakyma import i18n
from nakyma.accounts import User
from nakyma.forecast_areas import area_section, group_comparison
from nakyma.forecast_views import number_interval
from nakyma.i18n import N_
from nakyma.indicators import format_number, sotkanet_page, title_in
from nakyma.regions import Region
from web.charts import forecast_chart

EMPTY_NOTE = N_("Ennusteita ei ole vielä laskettu.")
DIRECTIONS = {
    "nousu": ("↑", N_("nousee")),
    "lasku": ("↓", N_("laskee")),
    "ennallaan": ("→", N_("ennallaan")),
}
LEVELS = {"korkeampi": N_("yli alueen tason"), "matalampi": N_("alle alueen tason")}


def forecast_section(
    db: Database,
    region: Region,
    user: User,
    *,
    area_kind: str,
    area_code: str,
    where: str,
    k: int,
    as_of: date,
    language: str = "fi",
) -> dict[str, Any]:
    """The section's content, its words in `language`: `headline` (what the statistics
    expect, "" when nothing is forecast), `items` (one card per indicator), `empty_note` for
    when there is none and `history_published` (False for a group: its charts have no
    history, and say why).
    `where` is the area in the inessive ("Äänekoskella", "hyvinvointialueella"; in another
    language with its preposition, as `nakyma.forecast_areas.area_label` gives it)."""
    section = area_section(
        db,
        region,
        user,
        area_kind=area_kind,
        area_code=area_code,
        where=where,
        k=k,
        as_of=as_of,
        language=language,
    )
    return {
        **section,
        "items": [
            _card(item, area_kind=area_kind, area_code=area_code, language=language)
            for item in section["items"]
        ],
        "empty_note": i18n.gettext(language, EMPTY_NOTE),
    }


def _card(
    record: dict[str, Any], *, area_kind: str, area_code: str, language: str
) -> dict[str, Any]:
    unit, decimals = record["unit"], record["decimals"]
    rows = [
        {
            "year": r["year"],
            "forecast": format_number(r["forecast"], decimals, language),
            "i80": number_interval(r["lo80"], r["hi80"], decimals, language),
            "i95": number_interval(r["lo95"], r["hi95"], decimals, language),
        }
        for r in record["forecast"]
    ]
    return {
        **record,
        "svg": forecast_chart(
            record["history"],
            record["forecast"],
            key=f"{area_kind}-{area_code}-{record['id']}",
            title=title_in(record, language),
            unit=unit,
            higher_is_worse=record["higher_is_worse"],
            decimals=decimals,
            language=language,
        ),
        "rows": rows,
        "sotkanet_url": sotkanet_page(record["id"], language),
    }


def group_tables(db: Database, region: Region, language: str = "fi") -> list[dict[str, Any]]:
    """The county overview's tables of the municipality groups' forecasts, one per indicator
    (`nakyma.forecast_areas.group_comparison`), formatted: per group its link (a one-member
    group's to its municipality's page, which has the published history), member names, the
    last year's forecast and 80 % interval, a level against the county and the direction, in
    `language`."""
    names = {m.code: m.name_in(language) for m in region.municipalities}
    tables = []
    for table in group_comparison(db, region):
        decimals = table["decimals"]
        rows = []
        for g in table["groups"]:
            members = [names.get(code, code) for code in g["members"]]
            finnish_members = [region_name(region, code) for code in g["members"]]
            single = len(g["members"]) == 1
            rows.append(
                {
                    "name": g["name"],
                    "href": f"/kunnat/{g['members'][0]}" if single else f"/kuntaryhmat/{g['key']}",
                    # A one-member group named after its municipality needs no member list.
                    "members": "" if finnish_members == [g["name"]] else ", ".join(members),
                    **_cells(g, table["year"], decimals, language),
                    "level": _level_words(g["level"], language),
                }
            )
        county = table["county"]
        tables.append(
            {
                **table,
                "rows": rows,
                "county": _cells(county, table["year"], decimals, language) if county else None,
            }
        )
    return tables


def region_name(region: Region, code: str) -> str:
    """A member's Finnish name (a group is named after its members in Finnish)."""
    try:
        return region.municipality(code).name
    except KeyError:
        return code


def _level_words(level: str | None, language: str) -> str:
    words = LEVELS.get(level or "")
    return i18n.gettext(language, words) if words else ""


def _cells(row: dict[str, Any], year: int, decimals: int, language: str) -> dict[str, str]:
    _ = i18n.translator(language)
    arrow, word = DIRECTIONS[row["direction"]]
    return {
        "forecast": format_number(row["forecast"], decimals, language),
        "i80": number_interval(row["lo80"], row["hi80"], decimals, language),
        # A series that ended early has an earlier last year than the table's: say so.
        "year_note": "" if row["year"] == year else _("vuonna %(year)s") % {"year": row["year"]},
        "arrow": arrow,
        "direction": _(word),
    }
