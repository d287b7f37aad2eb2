"""The phenomenon page's indicators: why each was suggested (the run's reasons, in the reader's
language) and its latest values where the phenomenon is, with the year before."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from sqlite_utils import Database

from nakyma.accounts import set_language
from tests.conftest import copy_of_demo, login


@pytest.fixture
def db(demo_template, settings) -> Iterator[Database]:
    yield from copy_of_demo(demo_template, settings)


def _linked(db: Database) -> tuple[int, int]:
    """A phenomenon with observations and an indicator that has municipal values, linked."""
    pid = db.execute(
        "select id from phenomena where size > 0 and merged_into is null "
        "and coalesce(dismissed, 0) = 0 order by size desc limit 1"
    ).fetchone()[0]
    code = db.execute(
        "select o.municipality_code from phenomenon_members m join observations o "
        "on m.item_kind = 'observation' and o.id = cast(m.item_key as integer) "
        "where m.phenomenon_id = ? group by 1 order by count(*) desc limit 1",
        [pid],
    ).fetchone()[0]
    indicator = db.execute(
        "select indicator_id from indicator_values where area_kind = 'kunta' and area_code = ? "
        "and gender = 'total' group by 1 having count(*) > 1 order by 1 limit 1",
        [code],
    ).fetchone()[0]
    if "reasons" not in db["phenomenon_indicator_links"].columns_dict:
        db["phenomenon_indicator_links"].add_column("reasons", str)
    db["phenomenon_indicator_links"].upsert(
        {
            "phenomenon_id": pid,
            "indicator_id": indicator,
            "similarity": 0.5,
            "decision": "suggested",
            "reasons": json.dumps(
                {
                    "fi": ["sama kohderyhmä: nuoret", "yhteiset sanat: nuuska, välitunti"],
                    "sv": ["samma målgrupp: unga", "gemensamma ord: nuuska, välitunti"],
                },
                ensure_ascii=False,
            ),
        },
        pk=("phenomenon_id", "indicator_id"),
    )
    return pid, indicator


def _indicator_item(html: str, indicator: int):
    page = BeautifulSoup(html, "html.parser")
    for item in page.select(".indicator-links li"):
        field = item.find("input", {"name": "indicator"})
        if field is not None and field["value"] == str(indicator):
            return item
    raise AssertionError("indicator not on the page")


def test_suggestion_says_why_and_shows_latest_values(db, client, make_user) -> None:
    pid, indicator = _linked(db)
    boss = make_user("tuki", "tukitiimi")
    login(client, boss.username)
    item = _indicator_item(client.get(f"/ilmiot/{pid}").text, indicator)
    text = item.get_text(" ", strip=True)
    assert "Miksi: sama kohderyhmä: nuoret; yhteiset sanat: nuuska, välitunti" in text
    # the reasons replace the bare similarity number, which ranked nothing
    assert "samankaltaisuus" not in text
    values = item.select_one(".link-values").get_text(" ", strip=True)
    assert values.startswith("Viimeisimmät arvot:")
    year, previous = db.execute(
        "select max(year), max(year) - 1 from indicator_values where indicator_id = ?",
        [indicator],
    ).fetchone()
    assert f"({year};" in values and "Keski-Suomen hyvinvointialue" in values, values
    set_language(db, boss.id, "sv")
    item = _indicator_item(client.get(f"/ilmiot/{pid}").text, indicator)
    text = item.get_text(" ", strip=True)
    assert "Varför: samma målgrupp: unga; gemensamma ord: nuuska, välitunti" in text
    assert "Senaste värden:" in text and "Miksi" not in text
