"""Beyond the catalogue: Sotkanet's whole indicator list kept by the indicator run, searched
by an administrator, and an indicator added to this installation's catalogue fetched by the
next run (offline, from a recorded directory)."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlite_utils import Database

from nakyma import indicator_list
from nakyma.accounts import set_language
from nakyma.indicators import load_catalogue
from pipelines.registry import run_pipeline
from tests.conftest import csrf_from, login

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "nakyma" / "data" / "demo" / "sotkanet"
SNAPSHOT = ROOT / "nakyma" / "data" / "indicators" / "sotkanet_indicators_2015.json"
TODAY = date(2025, 6, 1)
EXTRA = 3146  # "Pelaa rahapelejä viikoittain, % 8. ja 9. luokan oppilaista": not in the catalogue


def _recorded(tmp_path: Path) -> Path:
    """The demo's recorded directory with the 2015 list of 2,434 indicators and the values
    of one indicator outside the catalogue (copied from another one's, renumbered)."""
    source = tmp_path / "sotkanet"
    shutil.copytree(DEMO, source)
    shutil.copyfile(SNAPSHOT, source / "indicators.json")
    meta = json.loads((source / "indicators" / "4.json").read_text(encoding="utf-8"))
    meta["id"] = EXTRA
    meta["title"] = {"fi": "Pelaa rahapelejä viikoittain, % 8. ja 9. luokan oppilaista"}
    (source / "indicators" / f"{EXTRA}.json").write_text(json.dumps(meta), encoding="utf-8")
    rows = json.loads((source / "data" / "4.json").read_text(encoding="utf-8"))
    for row in rows:
        row["indicator"] = EXTRA
    (source / "data" / f"{EXTRA}.json").write_text(json.dumps(rows), encoding="utf-8")
    return source


def test_the_2015_list_parses_with_its_languages() -> None:
    rows = indicator_list.parse_list(json.loads(SNAPSHOT.read_text(encoding="utf-8")))
    assert len(rows) == 2434
    by_id = {r["id"]: r for r in rows}
    assert by_id[3894]["title"].startswith("Rikoksista syyllisiksi epäillyt 15 - 17")
    assert by_id[3894]["title_sv"].startswith("Brottsmisstänkta, 15 - 17")
    assert by_id[4]["municipal"] == 1
    # Elements without an id or a Finnish title are left out; a copied title is no translation.
    assert indicator_list.parse_list([{"id": "x"}, {"title": {"fi": "a"}}]) == []
    same = indicator_list.parse_list([{"id": 1, "title": {"fi": "Sama", "sv": "Sama"}}])
    assert same[0]["title_sv"] is None


def test_an_empty_answer_keeps_the_stored_list(db: Database) -> None:
    assert indicator_list.store_list(db, [{"id": 1, "title": {"fi": "Yksi"}}]) == 1
    assert indicator_list.store_list(db, []) == 0
    assert indicator_list.store_list(db, {"error": "x"}) == 0
    assert [r["id"] for r in db.query("select id from sotkanet_indicators")] == [1]


def test_run_keeps_the_list_and_fetches_what_an_admin_added(
    db: Database, settings, make_user, tmp_path
) -> None:
    source = _recorded(tmp_path)
    first = run_pipeline(db, settings, "indicators", source=source, today=TODAY)
    assert first.status == "ok", first.errors
    assert first.details["indicator_list"] == 2434
    assert not db.execute("select 1 from indicators where id = ?", [EXTRA]).fetchone()
    hits = indicator_list.search(db, "rahapel 8. ja 9.")
    assert EXTRA in [h["id"] for h in hits]
    admin = make_user("paakayttaja", "admin")
    catalogue = [e.id for e in load_catalogue()]
    indicator_list.add(db, admin, EXTRA, "higher", catalogue=catalogue)
    with pytest.raises(indicator_list.ListError):
        indicator_list.add(db, admin, EXTRA, "higher", catalogue=catalogue)
    with pytest.raises(indicator_list.ListError):
        indicator_list.add(db, admin, catalogue[0], "higher", catalogue=catalogue)
    with pytest.raises(indicator_list.ListError):
        indicator_list.add(db, admin, 999999, "higher", catalogue=catalogue)
    with pytest.raises(PermissionError):
        indicator_list.add(db, make_user("johtaja", "johto"), 3893, "higher", catalogue=[])
    second = run_pipeline(db, settings, "indicators", source=source, today=TODAY)
    assert second.status == "ok", second.errors
    stored = db.execute(
        "select title, higher_is_worse, in_catalogue from indicators where id = ?", [EXTRA]
    ).fetchone()
    assert stored == ("Pelaa rahapelejä viikoittain, % 8. ja 9. luokan oppilaista", 1, 1)
    assert (
        db.execute(
            "select count(*) from indicator_values where indicator_id = ?", [EXTRA]
        ).fetchone()[0]
        > 0
    )


def test_admin_page_searches_and_adds_in_the_readers_language(
    db: Database, settings, client, make_user, tmp_path
) -> None:
    run_pipeline(db, settings, "indicators", source=_recorded(tmp_path), today=TODAY)
    admin = make_user("paakayttaja", "admin")
    login(client, admin.username)
    page = client.get("/indikaattorit?q=rahapelejä")
    assert page.status_code == 200
    assert "Pelaa rahapelejä viikoittain" in page.text and "Lisää luetteloon" in page.text
    token = csrf_from(client, "/indikaattorit")
    refused = client.post(
        "/indikaattorit/lisaa", data={"csrf_token": token, "indicator": EXTRA, "q": "rahapel"}
    )
    assert refused.status_code == 422
    assert "Valitse, onko suurempi arvo huonompi" in refused.text
    done = client.post(
        "/indikaattorit/lisaa",
        data={"csrf_token": token, "indicator": EXTRA, "direction": "higher", "q": "rahapel"},
    )
    assert done.status_code == 200 and "seuraava indikaattoriajo hakee sen tiedot" in done.text
    assert "Lisätyt indikaattorit" in done.text
    set_language(db, admin.id, "sv")
    swedish = client.get("/indikaattorit?q=3146")
    assert "Tillagd, hämtas vid nästa indikatorkörning." in swedish.text
    assert "Indikatorer utanför förteckningen" in swedish.text
    log = client.get("/tapahtumaloki").text
    assert "lade till en indikator i förteckningen" in log


def test_only_administrators_reach_it(client, make_user) -> None:
    leader = make_user("johtaja", "johto")
    login(client, leader.username)
    assert client.get("/indikaattorit").status_code == 403


class TestBeyondTheCatalogue:
    """A phenomenon no catalogue indicator fits gets the stored list's best ones: the demo's
    money-and-gambling phenomenon is offered the School Health Promotion study's gambling
    item, which the catalogue does not have."""

    @pytest.fixture
    def db(self, demo_template, settings):
        from tests.conftest import copy_of_demo

        yield from copy_of_demo(demo_template, settings)

    def test_gambling_gets_sotkanets_gambling_item(self, db, settings, client, make_user) -> None:
        from nakyma.embedding import get_embedder
        from nakyma.phenomena import ensure_list_vectors, suggest_indicator_links

        school = [
            item
            for item in json.loads(SNAPSHOT.read_text(encoding="utf-8"))
            if "oppilai" in item["title"]["fi"] or "nuor" in item["title"]["fi"]
        ]
        assert indicator_list.store_list(db, school) == len(school) > 100
        embedder = get_embedder(settings)
        assert ensure_list_vectors(db, embedder) > 50
        suggest_indicator_links(db, embedder.name)
        money = db.execute(
            "select id from phenomena where keywords like '%kasino%' and size > 0"
        ).fetchone()[0]
        offered = [
            r[0]
            for r in db.execute(
                "select indicator_id from phenomenon_list_suggestions where phenomenon_id = ? "
                "order by score desc",
                [money],
            )
        ]
        assert EXTRA in offered, offered
        # It is offered because it fits better than the catalogue's best suggestion.
        catalogue_best = db.execute(
            "select max(score) from phenomenon_indicator_links where phenomenon_id = ?", [money]
        ).fetchone()[0]
        listed_best = db.execute(
            "select max(score) from phenomenon_list_suggestions where phenomenon_id = ?", [money]
        ).fetchone()[0]
        assert catalogue_best is None or listed_best > catalogue_best
        admin = make_user("paakayttaja", "admin")
        login(client, admin.username)
        page = client.get(f"/ilmiot/{money}").text
        assert "Sotkanetissa olisi myös" in page and "Pelaa rahapelejä viikoittain" in page
        assert f'href="/indikaattorit?q={EXTRA}"' in page


@pytest.mark.parametrize(
    ("model", "finnish", "swedish"),
    [
        (
            {"decisions": 41, "fitted": True, "minimum": 30},
            "Indikaattoriehdotukset: malli sovitettiin 41 päätökseen.",
            "Indikatorförslag: modellen anpassades till 41 beslut.",
        ),
        (
            {"decisions": 12, "fitted": False, "minimum": 30},
            "Indikaattoriehdotukset: kiinteät painot (päätöksiä 12; malli sovitetaan, kun "
            "niitä on 30).",
            "Indikatorförslag: fasta vikter (beslut 12; modellen anpassas när de är 30).",
        ),
    ],
)
def test_runs_page_says_how_links_were_ranked(db, client, make_user, model, finnish, swedish):
    from nakyma.db import now_utc

    details = {"items": 10, "phenomena": 2, "new": 1, "unassigned_share": 0.1, "link_model": model}
    db.table("runs").insert(
        {
            "pipeline": "phenomena",
            "status": "ok",
            "trigger": "schedule",
            "started_at": now_utc(),
            "finished_at": now_utc(),
            "details": json.dumps(details),
        }
    )
    admin = make_user("paakayttaja", "admin")
    login(client, admin.username)
    assert finnish in client.get("/ajot").text
    set_language(db, admin.id, "sv")
    assert swedish in client.get("/ajot").text
