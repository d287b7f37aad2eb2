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

from nakyma.accounts import User
from nakyma.forecast_areas import area_section, group_comparison
from nakyma.forecast_views import number_interval
from nakyma.indicators import format_number, sotkanet_page
from nakyma.regions import Region
from web.charts import forecast_chart

EMPTY_NOTE = "Ennusteita ei ole vielä laskettu."
DIRECTIONS = {"nousu": ("↑", "nousee"), "lasku": ("↓", "laskee"), "ennallaan": ("→", "ennallaan")}
LEVELS = {"korkeampi": "yli alueen tason", "matalampi": "alle alueen tason"}


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
) -> dict[str, Any]:
    """The section's content: `headline` (what the statistics expect, "" when nothing is
    forecast), `items` (one card per indicator), `empty_note` for when there is none and
    `history_published` (False for a group: its charts have no history, and say why).
    `where` is the area in the inessive ("Äänekoskella", "hyvinvointialueella")."""
    section = area_section(
        db,
        region,
        user,
        area_kind=area_kind,
        area_code=area_code,
        where=where,
        k=k,
        as_of=as_of,
    )
    return {
        **section,
        "items": [
            _card(item, area_kind=area_kind, area_code=area_code) for item in section["items"]
        ],
        "empty_note": EMPTY_NOTE,
    }


def _card(record: dict[str, Any], *, area_kind: str, area_code: str) -> dict[str, Any]:
    unit, decimals = record["unit"], record["decimals"]
    rows = [
        {
            "year": r["year"],
            "forecast": format_number(r["forecast"], decimals),
            "i80": number_interval(r["lo80"], r["hi80"], decimals),
            "i95": number_interval(r["lo95"], r["hi95"], decimals),
        }
        for r in record["forecast"]
    ]
    return {
        **record,
        "svg": forecast_chart(
            record["history"],
            record["forecast"],
            key=f"{area_kind}-{area_code}-{record['id']}",
            title=record["short_title"],
            unit=unit,
            higher_is_worse=record["higher_is_worse"],
            decimals=decimals,
        ),
        "rows": rows,
        "sotkanet_url": sotkanet_page(record["id"]),
    }


def group_tables(db: Database, region: Region) -> list[dict[str, Any]]:
    """The county overview's tables of the municipality groups' forecasts, one per indicator
    (`nakyma.forecast_areas.group_comparison`), formatted: per group its link (a one-member
    group's to its municipality's page, which has the published history), member names, the
    last year's forecast and 80 % interval, a level against the county and the direction."""
    names = {m.code: m.name for m in region.municipalities}
    tables = []
    for table in group_comparison(db, region):
        decimals = table["decimals"]
        rows = []
        for g in table["groups"]:
            members = [names.get(code, code) for code in g["members"]]
            single = len(g["members"]) == 1
            rows.append(
                {
                    "name": g["name"],
                    "href": f"/kunnat/{g['members'][0]}" if single else f"/kuntaryhmat/{g['key']}",
                    # A one-member group named after its municipality needs no member list.
                    "members": "" if members == [g["name"]] else ", ".join(members),
                    **_cells(g, table["year"], decimals),
                    "level": LEVELS.get(g["level"] or "", ""),
                }
            )
        county = table["county"]
        tables.append(
            {
                **table,
                "rows": rows,
                "county": _cells(county, table["year"], decimals) if county else None,
            }
        )
    return tables


def _cells(row: dict[str, Any], year: int, decimals: int) -> dict[str, str]:
    arrow, word = DIRECTIONS[row["direction"]]
    return {
        "forecast": format_number(row["forecast"], decimals),
        "i80": number_interval(row["lo80"], row["hi80"], decimals),
        # A series that ended early has an earlier last year than the table's: say so.
        "year_note": "" if row["year"] == year else f"vuonna {row['year']}",
        "arrow": arrow,
        "direction": word,
    }
