"""Seed rows for forecast tests: catalogue indicators marked for forecasting, their history,
stored forecasts and backtests, and phenomena (with observations) and emerging themes linked
to them, written straight into the tables as the forecasting step and the runs would."""

from __future__ import annotations

from datetime import date, timedelta

from sqlite_utils import Database

NOW = "2026-11-30T06:00:00+00:00"


def seed_indicator(
    db: Database,
    ident: int,
    short_title: str,
    *,
    unit: str = "%",
    decimals: int = 1,
    theme: str = "lapset_ja_perheet",
    higher_is_worse: int = 1,
) -> None:
    db.table("indicators").upsert(
        {
            "id": ident,
            "title": f"{short_title}, % väestöstä",
            "short_title": short_title,
            "higher_is_worse": higher_is_worse,
            "theme": theme,
            "unit": unit,
            "decimals": decimals,
            "in_catalogue": 1,
            "organization": "THL",
            "status": "ok",
            "forecast": 1,
        },
        pk="id",
    )


def seed_forecast(
    db: Database,
    ident: int,
    area_kind: str,
    area_code: str,
    *,
    history: list[float],
    ahead: list[float],
    width: float = 0.2,
    method: str = "drift",
    beats_naive: bool = True,
    mase: float = 0.8,
    coverage80: float = 0.9,
    coverage95: float = 1.0,
    calibrated80: float | None = None,
    calibrated95: float | None = None,
    points: int = 10,
    origins: int = 6,
    last_year: int = 2024,
) -> None:
    """History ending in `last_year` (kunta / hyvinvointialue only), one forecast row per
    value of `ahead` with intervals widening by horizon, and the backtest rows (the chosen
    method and naive). The chosen row's calibrated coverage defaults to the raw one."""
    first = last_year - len(history) + 1
    if area_kind in ("kunta", "hyvinvointialue"):
        db.table("indicator_values").upsert_all(
            [
                {
                    "indicator_id": ident,
                    "area_kind": area_kind,
                    "area_code": area_code,
                    "year": first + i,
                    "gender": "total",
                    "value": v,
                }
                for i, v in enumerate(history)
            ],
            pk=("indicator_id", "area_kind", "area_code", "year", "gender"),
        )
    db.table("forecasts").upsert_all(
        [
            {
                "indicator_id": ident,
                "area_kind": area_kind,
                "area_code": area_code,
                "year": last_year + h,
                "forecast": v,
                "lo80": v - width * h,
                "hi80": v + width * h,
                "lo95": v - 1.6 * width * h,
                "hi95": v + 1.6 * width * h,
                "method": method,
                "run_id": 1,
                "computed_at": NOW,
            }
            for h, v in enumerate(ahead, start=1)
        ],
        pk=("indicator_id", "area_kind", "area_code", "year"),
    )
    rows = [(method, mase, True)]
    if method != "naive":
        rows.append(("naive", 1.0, False))
    db.table("forecast_backtests").upsert_all(
        [
            {
                "indicator_id": ident,
                "area_kind": area_kind,
                "area_code": area_code,
                "method": m,
                "mase": score,
                "coverage80": coverage80,
                "coverage95": coverage95,
                "calibrated80": (coverage80 if calibrated80 is None else calibrated80)
                if chosen
                else None,
                "calibrated95": (coverage95 if calibrated95 is None else calibrated95)
                if chosen
                else None,
                "points": points if chosen else 0,
                "origins": origins,
                "chosen": int(chosen),
                "beats_naive": int(beats_naive and chosen),
                "computed_at": NOW,
            }
            for m, score, chosen in rows
        ],
        pk=("indicator_id", "area_kind", "area_code", "method"),
    )


def seed_phenomenon(
    db: Database,
    pid: int,
    title: str,
    *,
    indicator: int,
    decision: str = "accepted",
    similarity: float = 0.5,
    observations: dict[str, tuple[int, int]] | None = None,
    today: date,
) -> None:
    """A phenomenon linked to `indicator`, with per municipality code (recent, before)
    observations: `recent` in the last half-year before `today`, `before` in the one
    before it."""
    db.table("phenomena").insert(
        {"id": pid, "title": title, "title_auto": title, "status": "uusi", "size": 0},
        pk="id",
        replace=True,
    )
    db.table("phenomenon_indicator_links").upsert(
        {
            "phenomenon_id": pid,
            "indicator_id": indicator,
            "similarity": similarity,
            "decision": decision,
        },
        pk=("phenomenon_id", "indicator_id"),
    )
    for code, (recent, before) in (observations or {}).items():
        days = [10 + 7 * i for i in range(recent)] + [200 + 7 * i for i in range(before)]
        for n, back in enumerate(days):
            on = (today - timedelta(days=back)).isoformat()
            oid = (
                db.table("observations")
                .insert(
                    {
                        "text": f"Havainto {pid}-{code}-{n}",
                        "text_key": f"h{pid}-{code}-{n}",
                        "municipality_code": code,
                        "observed_on": on,
                        "target_group": "lapset",
                        "source": "lomake",
                        "created_at": NOW,
                    }
                )
                .last_pk
            )
            db.table("phenomenon_members").insert(
                {
                    "item_kind": "observation",
                    "item_key": str(oid),
                    "phenomenon_id": pid,
                    "origin": "cluster",
                    "assigned_at": NOW,
                }
            )


def seed_theme(
    db: Database, title: str, *, phenomenon: int, members: dict[str, int], today: date
) -> int:
    """An active emerging theme whose recent observations (per municipality code) sat in
    `phenomenon`."""
    theme_id = int(
        db.table("emerging_themes")
        .insert(
            {
                "title": title,
                "title_auto": title,
                "category": "nouseva",
                "score": 2.0,
                "size": sum(members.values()),
                "as_of": today.isoformat(),
                "active": 1,
                "decision": "avoin",
            }
        )
        .last_pk
    )
    for code, count in members.items():
        for n in range(count):
            db.table("emerging_members").insert(
                {
                    "theme_id": theme_id,
                    "item_kind": "observation",
                    "item_key": f"t{theme_id}-{code}-{n}",
                    "municipality_code": code,
                    "observed_on": (today - timedelta(days=5 + n)).isoformat(),
                    "phenomenon_id": phenomenon,
                }
            )
    return theme_id
