"""The "Ennakointi" section in a real browser, on a phone (375 px) and a desktop (1280 px):
the municipality page (as its leader), the county overview with its municipality groups'
tables and a group's page (as the backbone team) with forecasts of two demo indicators, their
disclosures opened: no sideways scrolling, no serious or critical axe-core violation, and
screenshots of the section under /tmp for a human eye."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlite_utils import Database

from nakyma.regions import Region
from tests.browser.test_emerging_flow import overflow, too_wide
from tests.browser.test_review_flow import axe_problems, sign_in
from tests.conftest import copy_of_demo
from tests.forecast_seed import NOW

pytestmark = pytest.mark.browser

SHOTS = "/tmp/forecast-ui"


@pytest.fixture
def db(demo_template, settings) -> Iterator[Database]:
    yield from copy_of_demo(demo_template, settings)


def _forecast_from_history(db: Database, ident: int, kind: str, code: str, slope: float) -> None:
    """Mark a demo indicator for forecasting and store a 3-year forecast that grows out of its
    stored history in the area (intervals widening by horizon), and its backtest."""
    history = db.execute(
        "select year, value from indicator_values where indicator_id = ? and area_kind = ? "
        "and area_code = ? and gender = 'total' and value is not null order by year",
        [ident, kind, code],
    ).fetchall()
    year, last = history[-1]
    db.execute("update indicators set forecast = 1 where id = ?", [ident])
    spread = max(abs(last) * 0.06, 0.1)
    rows = []
    for h in (1, 2, 3):
        value = last + slope * h
        rows.append(
            {
                "indicator_id": ident, "area_kind": kind, "area_code": code,
                "year": year + h, "forecast": value,
                "lo80": value - spread * h, "hi80": value + spread * h,
                "lo95": value - 1.6 * spread * h, "hi95": value + 1.6 * spread * h,
                "method": "drift" if slope else "naive", "run_id": 1, "computed_at": NOW,
            }
        )  # fmt: skip
    db.table("forecasts").upsert_all(rows, pk=("indicator_id", "area_kind", "area_code", "year"))
    db.table("forecast_backtests").upsert(
        {
            "indicator_id": ident, "area_kind": kind, "area_code": code,
            "method": "drift" if slope else "naive", "mase": 0.7 if slope else 1.0,
            "coverage80": 0.8, "coverage95": 0.9, "origins": 8, "chosen": 1,
            "beats_naive": int(bool(slope)), "computed_at": NOW,
        },
        pk=("indicator_id", "area_kind", "area_code", "method"),
    )  # fmt: skip


def seed_demo_forecasts(db: Database, region_code: str) -> list[int]:
    """Two demo indicators with history in Äänekoski and the county, forecast in both; the
    first linked (accepted) to a phenomenon with observations in Äänekoski."""
    idents = [
        r[0]
        for r in db.execute(
            "select i.id from indicators i where i.in_catalogue = 1 and coalesce(i.unit, '') "
            "!= 'lkm' and (select count(*) from indicator_values v where v.indicator_id = i.id "
            "and v.area_kind = 'kunta' and v.area_code = '992' and v.value is not null) >= 5 "
            "and exists (select 1 from indicator_values v where v.indicator_id = i.id and "
            "v.area_kind = 'hyvinvointialue' and v.value is not null) order by i.id limit 2"
        ).fetchall()
    ]
    assert len(idents) == 2, "the demo has too few indicator series"
    for ident, slope in zip(idents, (0.8, 0.0), strict=True):
        _forecast_from_history(db, ident, "kunta", "992", slope)
        _forecast_from_history(db, ident, "hyvinvointialue", region_code, slope)
    pid = db.execute(
        "select m.phenomenon_id from phenomenon_members m join observations o on o.id = "
        "cast(m.item_key as integer) join phenomena p on p.id = m.phenomenon_id where "
        "m.item_kind = 'observation' and o.municipality_code = '992' and p.dismissed = 0 "
        "and p.merged_into is null group by m.phenomenon_id order by count(*) desc limit 1"
    ).fetchone()[0]
    db.table("phenomenon_indicator_links").upsert(
        {"phenomenon_id": pid, "indicator_id": idents[0], "similarity": 0.6,
         "decision": "accepted"},
        pk=("phenomenon_id", "indicator_id"),
    )  # fmt: skip
    return idents


def seed_group_forecasts(db: Database, region: Region, ident: int) -> None:
    """Forecasts without history for every group of the default grouping: the county's rows
    scaled from 0.55 to 1.45 times (so that some groups lie above the county, some below),
    with the county's backtest."""
    county = db.execute(
        "select year, forecast, lo80, hi80, lo95, hi95, method from forecasts where "
        "indicator_id = ? and area_kind = 'hyvinvointialue' order by year",
        [ident],
    ).fetchall()
    rows, backtests = [], []
    for n, group in enumerate(region.grouping().groups):
        scale = 1 + 0.15 * (n - 3)
        for year, *values, method in county:
            numbers = dict(zip(("forecast", "lo80", "hi80", "lo95", "hi95"), values, strict=True))
            rows.append(
                {
                    "indicator_id": ident, "area_kind": "kuntaryhma", "area_code": group.key,
                    "year": year, **{k: v * scale for k, v in numbers.items()},
                    "method": method, "run_id": 1, "computed_at": NOW,
                }
            )  # fmt: skip
        backtests.append(
            {
                "indicator_id": ident, "area_kind": "kuntaryhma", "area_code": group.key,
                "method": county[0][-1], "mase": 0.7, "coverage80": 0.8, "coverage95": 0.9,
                "origins": 8, "chosen": 1, "beats_naive": 1, "computed_at": NOW,
            }
        )  # fmt: skip
    db.table("forecasts").upsert_all(rows, pk=("indicator_id", "area_kind", "area_code", "year"))
    db.table("forecast_backtests").upsert_all(
        backtests, pk=("indicator_id", "area_kind", "area_code", "method")
    )


@pytest.mark.parametrize("width", [pytest.param(375, id="phone"), pytest.param(1280, id="desktop")])
def test_forecast_section_fits_and_passes_axe(live_server, browser_page, db, region, width) -> None:
    from pathlib import Path

    idents = seed_demo_forecasts(db, region.code)
    seed_group_forecasts(db, region, idents[0])
    Path(SHOTS).mkdir(exist_ok=True)
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    problems = []
    for user, path, name, kind, code in (
        ("johto", "/kunnat/992", "kunta", "kunta", "992"),
        ("tukitiimi", "/yleiskuva", "yleiskuva", "hyvinvointialue", region.code),
        ("tukitiimi", "/kuntaryhmat/jamsa-keuruu", "kuntaryhma", "kuntaryhma", "jamsa-keuruu"),
    ):
        page.context.clear_cookies()
        sign_in(page, live_server, user, f"demo-{user}")
        page.wait_for_load_state()
        page.goto(live_server + path)
        section = page.locator("section[aria-labelledby=ennakointi]")
        # The seeded two and the demo's own (the demo computes forecasts), one card each.
        cards = db.execute(
            "select count(distinct indicator_id) from forecasts where area_kind = ? "
            "and area_code = ?",
            [kind, code],
        ).fetchone()[0]
        assert cards >= 2 and section.locator("article.forecast-card").count() == cards
        for summary in section.locator("details > summary").all()[:2]:
            summary.click()
        if path == "/yleiskuva":  # the groups' tables, one per indicator forecast for groups
            groups = db.execute(
                "select count(distinct indicator_id) from forecasts where area_kind = 'kuntaryhma'"
            ).fetchone()[0]
            assert groups >= 1 and section.locator("table.group-table").count() == groups
        if (extra := overflow(page)) > 0:
            problems.append(f"{path}: {extra} px too wide {too_wide(page)}")
        scroll = page.evaluate("() => document.documentElement.scrollWidth")
        if scroll > width:
            problems.append(f"{path}: scrollWidth {scroll} > {width}")
        problems += [f"{path}: {p}" for p in axe_problems(page)]
        section.screenshot(path=f"{SHOTS}/{name}-{width}.png")
        page.screenshot(path=f"{SHOTS}/{name}-page-{width}.png", full_page=True)
    assert not problems, "\n".join(problems)
