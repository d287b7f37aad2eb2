"""Weak signals' and emerging themes' sentences on the pages and in the JSON API, read in the
request's language: the computed demo (the real phenomena run, which stores the sentences in
every language) rendered with `Accept-Language: sv`."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from sqlite_utils import Database

from nakyma.accounts import create_api_token, get_user
from nakyma.disclosure import counted_numbers
from nakyma.emerging_views import emerging_for, theme_detail
from nakyma.regions import Region
from tests.conftest import copy_of_demo, login

SV = {"accept-language": "sv-FI,sv;q=0.9"}
# Words of the Finnish sentences that must not be left among a Swedish page's reasons.
FINNISH = ("havaintoa", "havainto ", "Levinnyt", "Tukena", "aiemmin", "viikon", "viikossa")


# --- Pages and the API over the computed demo ---------------------------------------------


@pytest.fixture
def db(demo_template, settings) -> Iterator[Database]:
    """The computed demo: its phenomena run stored weak signals and emerging themes with
    their sentences in every language."""
    yield from copy_of_demo(demo_template, settings)


def _reason_texts(html: str) -> list[str]:
    """The generated sentences of weak signals and themes on a page: their reason paragraphs,
    the "how it was reckoned" lines beside them and a theme page's "Miksi nouseva" list."""
    page = BeautifulSoup(html, "html.parser")
    texts = [p.get_text(" ", strip=True) for p in page.select("p.reason")]
    for details in page.select("details.technical"):
        if details.parent is not None and details.parent.select_one("p.reason") is not None:
            texts += [li.get_text(" ", strip=True) for li in details.select("li")]
    why = page.select_one('section[aria-labelledby="miksi"] ul')
    if why is not None:
        texts += [li.get_text(" ", strip=True) for li in why.select("li")]
    return texts


def _busiest(db: Database, codes: tuple[str, ...]) -> str:
    marks = ",".join("?" * len(codes))
    row = db.execute(
        "select area_code, count(*) from weak_signals where area_kind = 'kunta' "
        f"and area_code in ({marks}) group by area_code order by 2 desc, 1",
        list(codes),
    ).fetchone()
    assert row is not None, "the demo has weak signals in leadership's municipalities"
    return str(row[0])


def _no_finnish(texts: list[str]) -> None:
    assert texts
    for text in texts:
        assert not any(word in text for word in FINNISH), text


def test_municipality_page_and_front_page_show_swedish_reasons(client, db) -> None:
    code = _busiest(db, ("992", "275"))
    login(client, "johto", "demo-johto")
    page = client.get(f"/kunnat/{code}", headers=SV)
    assert page.status_code == 200
    texts = _reason_texts(page.text)
    _no_finnish(texts)
    assert any("observation" in t for t in texts), texts
    stored = json.loads(
        db.execute(
            "select reasons_i18n from weak_signals where area_kind = 'kunta' and area_code = ? "
            "order by score desc limit 1",
            [code],
        ).fetchone()[0]
    )
    assert stored["sv"][0] in texts
    assert "Hur detta har beräknats" in page.text
    home = client.get("/omat-kunnat", headers=SV)
    _no_finnish(_reason_texts(home.text))
    # Finnish readers get the Finnish sentences, unchanged.
    finnish = _reason_texts(client.get(f"/kunnat/{code}").text)
    assert any("havainto" in t for t in finnish)
    # A row stored before the translations (NULL) reads in Finnish until the next run.
    db.execute("update weak_signals set reasons_i18n = null, technical_i18n = null")
    db.conn.commit()
    old = _reason_texts(client.get(f"/kunnat/{code}", headers=SV).text)
    assert any("havainto" in t for t in old)


def test_county_overview_masks_swedish_counts(client, db) -> None:
    login(client, "tukitiimi", "demo-tukitiimi")
    page = client.get("/yleiskuva", headers=SV)
    assert page.status_code == 200
    texts = _reason_texts(page.text)
    _no_finnish(texts)
    for text in texts:
        # Outside the user's own municipalities small counts are "<5", in Swedish too.
        assert not counted_numbers(text) or all(n >= 5 for n in counted_numbers(text)), text


def test_theme_and_phenomenon_pages_show_swedish_reasons(client, db) -> None:
    themes = [
        r[0]
        for r in db.execute(
            "select id from emerging_themes where reasons_i18n is not null order by id"
        )
    ]
    assert themes, "the demo's run stored themes with their translations"
    login(client, "tukitiimi", "demo-tukitiimi")
    page = client.get(f"/teemat/{themes[0]}", headers=SV)
    assert page.status_code == 200
    texts = _reason_texts(page.text)
    _no_finnish(texts)
    assert any("veck" in t or "observation" in t or "Nya ord" in t for t in texts), texts
    pid = db.execute(
        "select phenomenon_id from weak_signals order by score desc limit 1"
    ).fetchone()[0]
    phenomenon = client.get(f"/ilmiot/{pid}", headers=SV)
    assert phenomenon.status_code == 200
    _no_finnish(_reason_texts(phenomenon.text))


def test_the_api_answers_in_the_requests_language(client, db, region: Region) -> None:
    code = _busiest(db, ("992", "275"))
    api = {"Authorization": f"Bearer {create_api_token(db, 'johto')}"}
    swedish = client.get(f"/api/signals?municipality={code}", headers={**api, **SV}).json()
    reasons = [r for s in swedish["signals"] for r in s["reasons"]]
    _no_finnish(reasons)
    finnish = client.get(f"/api/signals?municipality={code}", headers=api).json()
    assert any("havainto" in r for s in finnish["signals"] for r in s["reasons"])
    johto = get_user(db, "johto")
    assert johto is not None
    themes = emerging_for(db, region, johto, language="sv")
    for theme in themes:
        if theme["reasons"]:
            _no_finnish(theme["reasons"])
    if themes:
        detail = theme_detail(db, region, themes[0]["theme_id"], johto, language="sv")
        assert not any("havaintoa" in r for r in detail.reasons)


def test_a_held_theme_says_so_in_swedish_once(client, db, region: Region, monkeypatch) -> None:
    from datetime import timedelta

    from nakyma.emerging import export_rows, run_emerging
    from tests.conftest import DEMO_TODAY

    model = db.execute("select model from embeddings limit 1").fetchone()[0]
    before = {r["id"] for r in db.query("select id from emerging_themes where active = 1")}
    assert before
    monkeypatch.setattr("nakyma.emerging.find_themes", lambda *a, **k: [])
    for days in (7, 14):
        run_emerging(db, region, model=model, as_of=DEMO_TODAY + timedelta(days))
    for table in ("emerging_themes", "emerging_areas"):
        for (stored,) in db.execute(f"select reasons_i18n from {table}"):
            swedish = json.loads(stored)["sv"]
            assert swedish[0].startswith("Inga nya tecken den här gången; lyftes senast fram")
            assert sum(r.startswith("Inga nya tecken") for r in swedish) == 1
    rows = export_rows(db, region, model=model, language="sv")
    assert rows and all(r["reasons"].startswith("Inga nya tecken") for r in rows)
    assert export_rows(db, region, model=model)[0]["reasons"].startswith("Ei uusia merkkejä")
    login(client, "tukitiimi", "demo-tukitiimi")
    page = client.get(f"/teemat/{min(before)}", headers=SV)
    texts = _reason_texts(page.text)
    _no_finnish(texts)
    assert any(t.startswith("Inga nya tecken") for t in texts)
