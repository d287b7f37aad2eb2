"""The "Ennakointi" section of the municipality page and the county overview: per forecast
indicator its chart (`web.charts.forecast_chart`), the expectation and the backtest's
verdict in words, the figures behind a disclosure, and the leading evidence beside it
(`nakyma.forecast_views`). One function for both pages, so they read the same."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlite_utils import Database

from nakyma.accounts import User
from nakyma.forecast_views import (
    area_forecasts,
    area_headline,
    leading_evidence,
    number_interval,
)
from nakyma.indicators import format_number, sotkanet_page
from nakyma.regions import Region
from web.charts import forecast_chart

EMPTY_NOTE = "Ennusteita ei ole vielä laskettu."


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
    forecast), `items` (one card per indicator) and `empty_note` for when there is none.
    `where` is the area in the inessive ("Äänekoskella", "hyvinvointialueella")."""
    forecasts = area_forecasts(db, region, area_kind=area_kind, area_code=area_code)
    items = [
        _card(db, region, user, record, area_kind=area_kind, area_code=area_code, k=k, as_of=as_of)
        for record in forecasts
    ]
    return {
        "headline": area_headline(forecasts, where),
        "items": items,
        "empty_note": EMPTY_NOTE,
        "computed_at": max((r["computed_at"] for r in forecasts), default=None),
    }


def _card(
    db: Database,
    region: Region,
    user: User,
    record: dict[str, Any],
    *,
    area_kind: str,
    area_code: str,
    k: int,
    as_of: date,
) -> dict[str, Any]:
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
        "evidence": leading_evidence(
            db,
            region,
            record["id"],
            area_kind=area_kind,
            area_code=area_code,
            user=user,
            k=k,
            as_of=as_of,
        ),
    }
