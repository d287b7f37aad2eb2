"""Forecasts of one area as the "Ennakointi" section, its JSON twin (`GET /api/forecasts`) and
the meeting brief read them, and the county overview's comparison of its municipality groups.

A municipality group (a kuntaryhmä of the region's default grouping) has forecasts but no
history: Sotkanet does not publish group values, so `forecast_views.area_forecasts` gives a
group no history and, with nothing to compare against, always the direction "ennallaan". Here a
group's direction instead compares the last forecast year's whole 80 % interval with the first
forecast year's point forecast (the rule of `expected_direction`, anchored at the nearest thing
a group has to a newest value), and its expectation sentence names that first year, so that
nobody reads it as a change from a published figure.

Beside the county's forecast each group is also placed against it: "korkeampi" or "matalampi"
only when the group's whole 80 % interval lies above or below the county's point forecast for
the same year, so that a wobble inside the uncertainty is not read as a difference.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlite_utils import Database

from nakyma import i18n
from nakyma.accounts import User
from nakyma.forecast_views import (
    area_forecasts,
    area_headline,
    expected_direction,
    interval_text,
    leading_evidence,
    value_text,
)
from nakyma.indicators import sotkanet_page, translated_titles
from nakyma.regions import Region

# The area kinds of the forecasts table.
COUNTY, GROUP, MUNICIPALITY = "hyvinvointialue", "kuntaryhma", "kunta"
ROW_FIELDS = ("year", "forecast", "lo80", "hi80", "lo95", "hi95")


def area_label(
    region: Region, area_kind: str, area_code: str, language: str = "fi"
) -> tuple[str, str]:
    """The area's name and its inessive for a sentence: ("Äänekoski", "Äänekoskella"),
    ("Kuntaryhmä Jämsä–Keuruu", "kuntaryhmässä Jämsä–Keuruu") or (the county's name,
    "hyvinvointialueella"). A group's own name is not inflected: "kuntaryhmässä" carries the
    case, as the brief's "kuntaryhmä Viitasaari" does. In Swedish ("Äänekoski",
    "i Äänekoski"), ("Kommungrupp Jämsä–Keuruu", "i kommungruppen Jämsä–Keuruu"), (the
    county's Swedish name, "i välfärdsområdet"). KeyError for an unknown area."""
    _ = i18n.translator(language)
    if area_kind == MUNICIPALITY:
        municipality = region.municipality(area_code)
        name = municipality.name_in(language)
        return name, i18n.place_form(municipality.in_form, name, "in_form", language)
    if area_kind == GROUP:
        group = next((g for g in region.grouping().groups if g.key == area_code), None)
        if group is None:
            raise KeyError(area_code)
        return (
            _("Kuntaryhmä %(group)s") % {"group": group.name},
            _("kuntaryhmässä %(group)s") % {"group": group.name},
        )
    if area_kind == COUNTY and area_code == region.code:
        return region.name_in(language), _("hyvinvointialueella")
    raise KeyError(area_code)


def area_records(
    db: Database, region: Region, *, area_kind: str, area_code: str, language: str = "fi"
) -> list[dict[str, Any]]:
    """`forecast_views.area_forecasts` for the area, a group's records with the direction
    over its forecast years and an expectation that says so (see the module's docstring)."""
    records = area_forecasts(
        db, region, area_kind=area_kind, area_code=area_code, language=language
    )
    if area_kind != GROUP:
        return records
    out = []
    for record in records:
        direction = forecast_period_direction(record["forecast"], record["decimals"])
        grouped = {**record, "direction": direction}
        grouped["expectation"] = group_expectation(grouped, language)
        out.append(grouped)
    return out


def forecast_period_direction(rows: Sequence[dict[str, Any]], decimals: int) -> str:
    """ "nousu", "lasku" or "ennallaan" from the first forecast year to the last: up or down
    only when the last year's whole 80 % interval lies above or below the first year's point
    forecast, as shown with `decimals`; "ennallaan" with a single forecast year."""
    if len(rows) < 2:
        return "ennallaan"
    first = rows[0]
    return expected_direction([(int(first["year"]), float(first["forecast"]))], rows[-1], decimals)


def group_expectation(record: dict[str, Any], language: str = "fi") -> str:
    """What the statistics expect for a group, from its first forecast year: "Tilastojen
    perusteella arvon odotetaan nousevan vuoden 2025 ennusteesta (55,0 / 1 000) vuoteen 2027:
    noin 63,0 / 1 000 (80 %:n väli 60,1–65,9 / 1 000)."."""
    _ = i18n.translator(language)
    rows = record["forecast"]
    first, last = rows[0], rows[-1]
    unit, decimals = record["unit"], record["decimals"]
    at_last = _("noin %(value)s (80\u00a0%%:n väli %(interval)s)") % {
        "value": value_text(last["forecast"], unit, decimals, language),
        "interval": interval_text(last["lo80"], last["hi80"], unit, decimals, language),
    }
    if first["year"] == last["year"]:
        return _("Tilastojen perusteella arvo on vuonna %(year)s %(at_last)s.") % {
            "year": last["year"],
            "at_last": at_last,
        }
    years = {"first": first["year"], "last": last["year"], "at_last": at_last}
    if record["direction"] == "ennallaan":
        return (
            _(
                "Tilastojen perusteella arvon odotetaan pysyvän suunnilleen ennallaan vuosina "
                "%(first)s–%(last)s: vuonna %(last)s %(at_last)s."
            )
            % years
        )
    years["value"] = value_text(first["forecast"], unit, decimals, language)
    if record["direction"] == "nousu":
        text = _(
            "Tilastojen perusteella arvon odotetaan nousevan vuoden %(first)s ennusteesta "
            "(%(value)s) vuoteen %(last)s: %(at_last)s."
        )
    else:
        text = _(
            "Tilastojen perusteella arvon odotetaan laskevan vuoden %(first)s ennusteesta "
            "(%(value)s) vuoteen %(last)s: %(at_last)s."
        )
    return text % years


def area_section(
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
    """The "Ennakointi" section's data for one area as `user` may see it: `headline` (what the
    statistics expect, "" when nothing is forecast; `where` is the area in the inessive, or in
    another language with its preposition: `area_label`), the words in `language`,
    `items` (per indicator the `area_records` record with its leading `evidence`),
    `computed_at` (the newest, None when nothing is forecast) and `history_published` (False
    for a group, whose values Sotkanet does not publish)."""
    records = area_records(db, region, area_kind=area_kind, area_code=area_code, language=language)
    items = [
        {
            **record,
            "evidence": leading_evidence(
                db,
                region,
                record["id"],
                area_kind=area_kind,
                area_code=area_code,
                user=user,
                k=k,
                as_of=as_of,
                language=language,
            ),
        }
        for record in records
    ]
    return {
        "headline": area_headline(records, where, language),
        "items": items,
        "computed_at": max((r["computed_at"] for r in records), default=None),
        "history_published": area_kind != GROUP,
    }


def section_as_dict(section: dict[str, Any]) -> dict[str, Any]:
    """The section's data as the JSON API answers it: per indicator its titles, unit,
    history as {year, value}, forecast rows, method, backtest figures, verdict, expectation,
    direction and leading evidence."""
    return {
        "headline": section["headline"],
        "computed_at": section["computed_at"],
        "history_published": section["history_published"],
        "forecasts": [_item_as_dict(item) for item in section["items"]],
    }


def _item_as_dict(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "indicator_id": item["id"],
        "title": item["title"],
        "short_title": item["short_title"],
        "unit": item["unit"],
        "decimals": item["decimals"],
        "higher_is_worse": item["higher_is_worse"],
        "history": [{"year": year, "value": value} for year, value in item["history"]],
        "forecast": [{f: row[f] for f in ROW_FIELDS} for row in item["forecast"]],
        "method": item["method"],
        "method_name": item["method_name"],
        "backtest": {
            "mase": item["mase"],
            # The intervals as given (calibrated; fitted without this area), as in the CSV
            # export; the model's own, narrower intervals' coverage beside them.
            "coverage80": item["calibrated80"],
            "coverage95": item["calibrated95"],
            "points": item["points"],
            "model_coverage80": item["coverage80"],
            "model_coverage95": item["coverage95"],
            "origins": item["origins"],
            "beats_naive": item["beats_naive"],
        },
        "figures": list(item["figures"]),
        "verdict": item["verdict"],
        "expectation": item["expectation"],
        "direction": item["direction"],
        "sotkanet_url": sotkanet_page(item["id"]),
        "evidence": item["evidence"],
    }


# --- The county's municipality groups side by side -------------------------------------------


def group_comparison(db: Database, region: Region) -> list[dict[str, Any]]:
    """Per forecast indicator with group forecasts (the county's catalogue order first): its
    titles, unit and decimals; `year` (the last forecast year) and `first_year`; `county` (the
    county's last-year row with its forecast-period `direction`, None without a county
    forecast) and `groups`: per group of the default grouping with a forecast, in the region
    file's order, its `key`, `name`, member codes, last-year row, `direction` over the forecast
    years and `level` against the county's forecast of that year ("korkeampi", "matalampi" or
    None)."""
    county = {
        r["id"]: r for r in area_forecasts(db, region, area_kind=COUNTY, area_code=region.code)
    }
    tables: dict[int, dict[str, Any]] = {}
    for group in region.grouping().groups:
        for record in area_records(db, region, area_kind=GROUP, area_code=group.key):
            table = tables.get(record["id"])
            if table is None:
                table = tables[record["id"]] = _comparison_table(record, county.get(record["id"]))
            last = record["forecast"][-1]
            table["groups"].append(
                {
                    "key": group.key,
                    "name": group.name,
                    "members": list(group.members),
                    **{f: last[f] for f in ROW_FIELDS},
                    "direction": record["direction"],
                    "level": _level(last, county.get(record["id"])),
                }
            )
    order = [ident for ident in county if ident in tables]
    order += [ident for ident in tables if ident not in county]
    out = []
    for ident in order:
        table = tables[ident]
        table["year"] = max(g["year"] for g in table["groups"])
        out.append(table)
    return out


def _comparison_table(record: dict[str, Any], county: dict[str, Any] | None) -> dict[str, Any]:
    county_row = None
    if county is not None:
        county_row = {
            **{f: county["forecast"][-1][f] for f in ROW_FIELDS},
            "direction": forecast_period_direction(county["forecast"], county["decimals"]),
        }
    return {
        "id": record["id"],
        "title": record["title"],
        "short_title": record["short_title"],
        **translated_titles(record),
        "unit": record["unit"],
        "decimals": record["decimals"],
        "higher_is_worse": record["higher_is_worse"],
        "first_year": record["forecast"][0]["year"],
        "county": county_row,
        "groups": [],
    }


def _level(row: dict[str, Any], county: dict[str, Any] | None) -> str | None:
    if county is None:
        return None
    same_year = next((r for r in county["forecast"] if r["year"] == row["year"]), None)
    if same_year is None:
        return None
    if row["lo80"] > same_year["forecast"]:
        return "korkeampi"
    if row["hi80"] < same_year["forecast"]:
        return "matalampi"
    return None
