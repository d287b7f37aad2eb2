"""Phenomena in the product: demo end to end with the bundled model — pages, API, search,
CLI run and exports, planted weak signals."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from sqlite_utils import Database

from nakyma.cli import cli
from tests.conftest import DEMO_TODAY, TEST_SECRET, copy_of_demo, login


@pytest.fixture
def db(demo_template, settings) -> Iterator[Database]:
    """This test's own copy of the computed demo."""
    yield from copy_of_demo(demo_template, settings)


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def planted(db) -> dict[str, int]:
    """The phenomenon holding most of each planted emerging phenomenon's observations."""
    out = {}
    for word in ("nettikasino", "tili"):
        row = db.execute(
            "select m.phenomenon_id, count(*) n from phenomenon_members m join observations o "
            "on o.id = cast(m.item_key as integer) where m.item_kind = 'observation' "
            "and o.text like ? group by 1 order by n desc limit 1",
            [f"%{word}%"],
        ).fetchone()
        out[word] = row[0]
    return out


def test_demo_run_recorded_with_low_unassigned_share(db) -> None:
    run = next(db.query("select * from runs where pipeline = 'phenomena'"))
    assert run["status"] == "ok"
    import json

    details = json.loads(run["details"])
    assert details["items"] == 409  # 369 observations + 40 headlines
    assert details["unassigned_share"] <= 0.05
    assert 10 <= details["phenomena"] <= 30
    assert db.table("weak_signals").count > 0
    assert set(details["seconds"]) == {"load", "cluster", "match", "label", "write"}
    # What the run wrote names the run.
    assert {r[0] for r in db.execute("select distinct created_run from phenomena")} == {run["id"]}


def test_planted_emerging_phenomena_flagged_in_their_municipalities(db, region) -> None:
    from nakyma.signals import list_weak_signals

    pids = set(planted(db).values())
    flagged = {
        (row["phenomenon_id"], row["municipality"])
        for row in list_weak_signals(db, region, area_kind="kunta")
        if row["category"] in ("heikko_signaali", "vahvistuva")
    }
    for pid in pids:
        places = {m for p, m in flagged if p == pid}
        # Planted: gambling in Äänekoski and Saarijärvi, money mules in Jämsä and Keuruu.
        assert places and places <= {"Äänekoski", "Saarijärvi", "Jämsä", "Keuruu"}
    assert {m for p, m in flagged if p in pids} == {"Äänekoski", "Saarijärvi", "Jämsä", "Keuruu"}


def test_steady_phenomenon_is_not_a_weak_signal(db, region) -> None:
    from nakyma.signals import list_weak_signals

    nuuska = db.execute(
        "select m.phenomenon_id, count(*) n from phenomenon_members m join observations o "
        "on o.id = cast(m.item_key as integer) where o.text like '%nuuska%' group by 1 "
        "order by n desc limit 1"
    ).fetchone()[0]
    county = list_weak_signals(db, region, area_kind="alue")
    row = next((r for r in county if r["phenomenon_id"] == nuuska), None)
    assert row is None or row["category"] != "heikko_signaali"


def test_municipality_page_ranks_weak_signals(client, make_user, db) -> None:
    make_user("johtaja", "johto", ("Äänekoski",))
    login(client, "johtaja")
    page = soup(client.get("/kunnat/992"))
    items = page.select("#heikot ~ ol .weak-signal, section[aria-labelledby=heikot] .weak-signal")
    assert items
    first = items[0]
    assert first.select_one(".badge").get_text() in ("Heikko signaali", "Vahvistuva")
    assert "Äänekoskelta" in first.get_text()
    assert first.select_one("svg.sparkline[role=img]")["aria-label"].startswith("Havainnot")
    assert first.select_one("details.technical > summary").get_text() == "Miten tämä on laskettu"
    assert "p <" not in " ".join(r.get_text() for r in first.select("p.reason"))
    href = first.select_one("a")["href"]
    assert href.startswith("/ilmiot/")


def test_phenomenon_page(client, make_user, db) -> None:
    pid = planted(db)["nettikasino"]
    make_user("tuki", "tukitiimi")
    login(client, "tuki")
    page = soup(client.get(f"/ilmiot/{pid}"))
    assert page.h1.get_text()
    assert page.select(".keywords .tag")
    assert page.select("section[aria-labelledby=havainnot] .observation-text")
    names = [a.get_text() for a in page.select("section[aria-labelledby=kunnat] a")]
    assert "Äänekoski" in names
    assert client.get("/ilmiot/999999", headers={"accept": "text/html"}).status_code == 404


def test_phenomenon_page_shows_each_areas_signal_and_how_it_was_reckoned(
    client, make_user, db
) -> None:
    """Category and plain reasons per area, the test behind "Miten tämä on laskettu"; small
    counts outside the user's own municipalities written "<5" there too."""
    pid = planted(db)["nettikasino"]
    make_user("johtaja", "johto", ("Jyväskylä",))
    login(client, "johtaja")
    page = soup(client.get(f"/ilmiot/{pid}"))
    cards = page.select("section[aria-labelledby=signaalit] .area-signal")
    assert cards
    text = " ".join(c.get_text(" ", strip=True) for c in cards)
    assert "Äänekoski" in text and "Äänekoskelta" in text
    assert all(c.select_one(".badge") for c in cards)
    details = page.select("section[aria-labelledby=signaalit] details.technical")
    assert details and details[0].summary.get_text() == "Miten tämä on laskettu"
    plain = " ".join(p.get_text() for c in cards for p in c.select("p.reason"))
    assert "p <" not in plain and "p =" not in plain and "jäsentä" not in plain
    for n in range(1, 5):  # not the user's own: no small count in any sentence
        assert f" {n} havainto" not in " " + text


def test_status_change_without_reason_is_shown_next_to_the_field(client, make_user, db) -> None:
    pid = planted(db)["nettikasino"]
    make_user("tuki", "tukitiimi")
    login(client, "tuki")
    page = soup(client.get(f"/ilmiot/{pid}"))
    csrf = page.select_one("input[name=csrf_token]")["value"]
    refused = client.post(
        f"/ilmiot/{pid}/tila",
        data={"csrf_token": csrf, "status": "ei toimenpiteitä", "reason": ""},
        follow_redirects=False,
    )
    assert refused.status_code == 422
    form = soup(refused).select_one("form[action$='/tila']")
    reason = form.select_one("#reason")
    assert reason.has_attr("autofocus") and reason["aria-invalid"] == "true"
    assert reason["aria-describedby"] == "reason-error"
    error = form.select_one("#reason-error")
    assert "perustelu" in error.get_text()
    assert error.find_next("input") is reason  # next to the field
    assert form.select_one("#status option[selected]")["value"] == "ei toimenpiteitä"
    assert soup(refused).get_text().count("Kirjoita perustelu") == 1


def test_comment_refused_by_the_guard_keeps_the_text_and_marks_the_words(
    client, make_user, db
) -> None:
    pid = planted(db)["nettikasino"]
    make_user("tuki", "tukitiimi")
    login(client, "tuki")
    csrf = soup(client.get(f"/ilmiot/{pid}")).select_one("input[name=csrf_token]")["value"]
    body = "Soitin numeroon 040 123 4567 ja sovimme tapaamisen."
    refused = client.post(
        f"/ilmiot/{pid}/kommentit", data={"csrf_token": csrf, "body": body}, follow_redirects=False
    )
    assert refused.status_code == 422
    page = soup(refused)
    area = page.select_one("#comment-body")
    assert area.get_text() == body and area.has_attr("autofocus")
    assert area["aria-invalid"] == "true" and "comment-error" in area["aria-describedby"]
    assert page.get_text().count("Tekstissä näyttää olevan") == 1
    assert "merkit " not in page.get_text()
    assert [m.get_text() for m in page.select("#comment-marked mark")] == ["040 123 4567"]
    assert db.table("comments").count == 0


def test_phenomenon_timeline_is_a_small_chart_with_month_names(client, make_user, db) -> None:
    pid = planted(db)["nettikasino"]
    make_user("tuki", "tukitiimi")
    login(client, "tuki")
    page = soup(client.get(f"/ilmiot/{pid}"))
    chart = page.select_one("section[aria-labelledby=aikajana] svg.month-sparkline")
    labels = [t.get_text() for t in chart.select("text.axis-label")]
    assert len(labels) == 2 and all(label.split()[1].isdigit() for label in labels)
    today = client.app.state.settings.today()
    assert labels[1].endswith(str(today.year))
    assert chart["aria-label"].startswith("Havainnot kuukausittain: ")


def test_phenomenon_page_data_and_its_json_twin_come_from_one_function(
    client, make_user, db, region
) -> None:
    from nakyma import review
    from nakyma.accounts import create_api_token
    from nakyma.views import PhenomenonPage, phenomenon_detail

    pid = planted(db)["nettikasino"]
    backbone = make_user("tuki", "tukitiimi")
    today = client.app.state.settings.today().isoformat()
    page = phenomenon_detail(db, region, pid, backbone, today=today)
    assert isinstance(page, PhenomenonPage)
    tools = page.review
    assert tools.can_manage and tools.statuses == review.STATUSES
    assert tools.next_statuses == review.TRANSITIONS[page.status]
    assert tools.others and pid not in {o["id"] for o in tools.others}
    assert tools.history == [] and tools.comments == []
    review.add_comment(db, backbone, pid, "Otetaan esiin verkostossa.")
    again = phenomenon_detail(db, region, pid, backbone, today=today)
    assert [c["body"] for c in again.review.comments] == ["Otetaan esiin verkostossa."]

    headers = {"Authorization": f"Bearer {create_api_token(db, 'tuki')}"}
    served = client.get(f"/api/phenomena/{pid}", headers=headers).json()
    assert served == json.loads(json.dumps(page.as_dict()))
    assert list(served) == [
        "id",
        "title",
        "title_auto",
        "status",
        "dismissed",
        "merged_into",
        "summary",
        "keywords",
        "size",
        "size_shown",
        "first_seen",
        "last_seen",
        "counts",
        "counts_shown",
        "timeline",
        "timeline_scope",
        "municipalities",
        "responses",
        "observations",
        "hidden_observations",
        "headlines",
        "indicators",
        "lineage",
        "signals",
        "beyond",
    ]


def test_frontline_sees_only_own_texts_on_phenomenon_page(client, make_user, db) -> None:
    pid = planted(db)["nettikasino"]
    make_user("kentta", "havainnoija")
    login(client, "kentta")
    refused = client.get(f"/ilmiot/{pid}", headers={"accept": "text/html"})
    assert refused.status_code == 403  # joined nothing: not even the title
    # The demo frontline user wrote the Äänekoski and Konnevesi observations.
    own = db.execute(
        "select m.phenomenon_id, count(*) from phenomenon_members m join observations o "
        "on o.id = cast(m.item_key as integer) join users u on u.id = o.created_by "
        "where u.username = 'havainnoija' group by 1 order by 2 desc limit 1"
    ).fetchone()[0]
    login(client, "havainnoija", "demo-havainnoija")
    page = soup(client.get(f"/ilmiot/{own}"))
    texts = [
        p.get_text() for p in page.select("section[aria-labelledby=havainnot] .observation-text")
    ]
    mine = {
        r[0]
        for r in db.execute(
            "select o.text from observations o join users u on u.id = o.created_by "
            "where u.username = 'havainnoija'"
        )
    }
    assert texts and set(texts) <= mine
    assert "ei näy sinulle" in page.get_text()


def test_search_finds_by_meaning(client, make_user, db) -> None:
    make_user("tuki", "tukitiimi")
    login(client, "tuki")
    page = soup(client.get("/haku", params={"q": "nuoret pelaavat rahapelejä netissä"}))
    results = page.select(".search-results li")
    assert results
    top = " ".join(r.get_text(" ") for r in results[:5]).lower()
    assert any(w in top for w in ("kasino", "pela", "rahapel", "veto"))
    assert page.find(id="haku")["value"] == "nuoret pelaavat rahapelejä netissä"
    long = client.get("/haku", params={"q": "x" * 301})
    assert long.status_code == 422 and "liian pitkä" in long.text


def test_api_phenomena_signals_search(client, db, make_user) -> None:
    from nakyma.accounts import create_api_token

    make_user("tuki", "tukitiimi")
    headers = {"Authorization": f"Bearer {create_api_token(db, 'tuki')}"}
    listed = client.get("/api/phenomena", headers=headers).json()["phenomena"]
    assert listed and all(p["size"] > 0 for p in listed)
    one = client.get(f"/api/phenomena/{listed[0]['id']}", headers=headers).json()
    assert one["id"] == listed[0]["id"] and one["keywords"]
    signals = client.get("/api/signals?municipality=Äänekoskella", headers=headers).json()
    assert signals["signals"] and {"category", "reasons", "trend"} <= set(signals["signals"][0])
    assert client.get("/api/signals?municipality=Tampere", headers=headers).status_code == 404
    hits = client.get("/api/search?q=ikäihmisten kaatumiset", headers=headers).json()["results"]
    assert hits
    assert client.get("/api/phenomena", headers={}).status_code == 401


def test_cli_exports(settings, db) -> None:
    env = {"NAKYMA_DATA_DIR": str(settings.data_dir), "NAKYMA_SECRET_KEY": TEST_SECRET}
    runner = CliRunner()
    out = runner.invoke(cli, ["export", "assignments", "--format", "csv"], env=env)
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.output)))
    assert list(rows[0]) == ["item_id", "kind", "phenomenon_id", "phenomenon_title"]
    assert len(rows) == 409
    assert {r["kind"] for r in rows} == {"observation", "headline"}
    assert any(r["item_id"] == "demo-0001" for r in rows)  # imported: the external id
    signals = runner.invoke(cli, ["export", "signals", "--format", "csv"], env=env)
    srows = list(csv.DictReader(io.StringIO(signals.output)))
    assert list(srows[0]) == [
        "municipality",
        "phenomenon_id",
        "phenomenon_title",
        "category",
        "score",
        "reasons",
    ]
    past = runner.invoke(
        cli, ["export", "signals", "--as-of", "2026-06-01", "--format", "csv"], env=env
    )
    assert past.exit_code == 0
    prows = list(csv.DictReader(io.StringIO(past.output)))
    assert prows != srows  # scored for another day, not the stored rows
    assert db.execute("select distinct as_of from weak_signals").fetchall() == [
        (DEMO_TODAY.isoformat(),)
    ]


def test_cli_run_phenomena_is_reproducible(settings, db) -> None:
    env = {"NAKYMA_DATA_DIR": str(settings.data_dir), "NAKYMA_SECRET_KEY": TEST_SECRET}
    before = db.execute("select * from phenomenon_members order by 1, 2").fetchall()
    result = CliRunner().invoke(cli, ["run", "phenomena", "--as-of", "2026-11-22"], env=env)
    assert result.exit_code == 0, result.output
    assert "phenomena: onnistui" in result.output
    after = db.execute("select * from phenomenon_members order by 1, 2").fetchall()
    assert after == before  # nothing moved, so not even a timestamp was rewritten
    second = db.execute("select max(id) from runs where pipeline = 'phenomena'").fetchone()[0]
    assert {r[0] for r in db.execute("select distinct updated_run from phenomena")} == {second}
    bad = CliRunner().invoke(cli, ["run", "news", "--as-of", "2026-11-22"], env=env)
    assert bad.exit_code != 0 and "--as-of" in bad.output


def test_runs_page_summarises_the_phenomena_run(client, make_user, db) -> None:
    make_user("yllapito", "admin")
    login(client, "yllapito")
    page = BeautifulSoup(client.get("/ajot").text, "html.parser")
    row = next(tr for tr in page.select("tbody tr") if "Ilmiöt" in tr.get_text())
    summary = " ".join(row.select_one(".run-summary").get_text().split())
    assert summary.startswith("409 kohdetta, ")
    assert "ilmiötä" in summary and "ilman ilmiötä" in summary and " %" in summary
    assert "Kesto: luku " in summary and "ryhmittely " in summary and " s." in summary
