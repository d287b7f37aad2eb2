"""The stored forecasts as export rows: one row per indicator, area and forecast year, with the
chosen method's backtest figures for that series (`nakyma export forecasts`).

Read-only. Areas are named as users know them, in Finnish unless a `language` is given: the
municipality, the group of the region's default grouping ("Joutsa (kuntaryhmä)": a group may
share its name with one of its municipalities), or the county. The column names are the same
in every language. Numbers are rounded to DECIMALS places.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from nakyma import i18n
from nakyma.regions import Region

EXPORT_COLUMNS = [
    "indicator_id",
    "area",
    "year",
    "forecast",
    "lo80",
    "hi80",
    "lo95",
    "hi95",
    "method",
    "mase",
    "coverage80",
]

# Areas in this order within an indicator and year: the county, its groups, municipalities.
_KIND_ORDER = {"hyvinvointialue": 0, "kuntaryhma": 1, "kunta": 2}

DECIMALS = 3

NO_FORECASTS = "Ennusteita ei ole vielä laskettu: aja nakyma run forecasts"


def area_name(region: Region, area_kind: str, area_code: str, language: str = "fi") -> str:
    """The name of a forecast's area in `language`; the code itself for an area the region no
    longer knows (a municipality merged away, a renamed group)."""
    if area_kind == "kunta":
        try:
            return region.municipality(area_code).name_in(language)
        except KeyError:
            return area_code
    if area_kind == "kuntaryhma":
        _ = i18n.translator(language)
        for group in region.grouping().groups:
            if group.key == area_code:
                return _("%(group)s (kuntaryhmä)") % {"group": group.name}
        return area_code
    return region.name_in(language) if area_code == region.code else area_code


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, DECIMALS)


def export_rows(db: Database, region: Region, language: str = "fi") -> list[dict[str, Any]]:
    """Every stored forecast with its chosen method's MASE and 80 % coverage, ordered by
    indicator, county-groups-municipalities, area name and year. Empty when nothing has been
    computed yet.

    `coverage80` is the backtest coverage of the intervals as exported (calibrated, with the
    calibration fitted without that series), not the model's own narrower intervals; it is
    empty for forecasts computed before that figure was stored (the next run fills it)."""
    rows = db.query(
        "select f.indicator_id, f.area_kind, f.area_code, f.year, f.forecast, f.lo80, "
        "f.hi80, f.lo95, f.hi95, f.method, b.mase, b.calibrated80 from forecasts f "
        "left join forecast_backtests b on b.indicator_id = f.indicator_id "
        "and b.area_kind = f.area_kind and b.area_code = f.area_code and b.method = f.method"
    )
    out = [
        {
            "indicator_id": r["indicator_id"],
            "area": area_name(region, r["area_kind"], r["area_code"], language),
            "year": r["year"],
            **{k: _round(r[k]) for k in ("forecast", "lo80", "hi80", "lo95", "hi95")},
            "method": r["method"],
            "mase": _round(r["mase"]),
            "coverage80": _round(r["calibrated80"]),
            "_kind": r["area_kind"],
        }
        for r in rows
    ]
    out.sort(
        key=lambda r: (r["indicator_id"], _KIND_ORDER.get(r["_kind"], 3), r["area"], r["year"])
    )
    for r in out:
        del r["_kind"]
    return out
