"""Review workflow, dialogue and feedback, end to end on a copy of the computed demo."""

from __future__ import annotations

import ast
import re
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlite_utils import Database

from nakyma import review
from nakyma.accounts import get_user
from nakyma.phenomena import run_clustering
from tests.conftest import CSRF_RE, copy_of_demo, login, table_rows

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def db(demo_template, settings) -> Iterator[Database]:
    """This test's own copy of the computed demo."""
    yield from copy_of_demo(demo_template, settings)


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def frontline_phenomenon(db) -> int:
    """A phenomenon that the demo frontline user's own observations joined."""
    return db.execute(
        "select m.phenomenon_id from phenomenon_members m join observations o "
        "on o.id = cast(m.item_key as integer) join users u on u.id = o.created_by "
        "where u.username = 'havainnoija' and o.municipality_code = '992' "
        "group by 1 order by count(*) desc limit 1"
    ).fetchone()[0]


def token(client, path: str) -> str:
    return CSRF_RE.search(client.get(path).text).group(1)


def test_work_list_keeps_an_opened_item_until_someone_acts_on_it(client, db) -> None:
    """Opening the page only clears "uusi sinulle"; a comment by anyone takes it off the
    list, for everyone, until the phenomenon changes again."""
    pid = frontline_phenomenon(db)

    def listed() -> dict[str, str]:
        page = soup(client.get("/tyolista"))
        return {li.a["href"]: li.get_text(" ", strip=True) for li in page.select(".signal-list li")}

    login(client, "johto", "demo-johto")
    assert "uusi sinulle" in listed()[f"/ilmiot/{pid}"]
    client.get(f"/ilmiot/{pid}")  # opened, not acted on
    after_opening = listed()
    assert f"/ilmiot/{pid}" in after_opening
    assert "uusi sinulle" not in after_opening[f"/ilmiot/{pid}"]

    login(client, "tukitiimi", "demo-tukitiimi")
    csrf = token(client, f"/ilmiot/{pid}")
    client.post(f"/ilmiot/{pid}/kommentit", data={"csrf_token": csrf, "body": "Katsotaan tätä."})
    login(client, "johto", "demo-johto")
    assert f"/ilmiot/{pid}" not in listed()
    # A later change (a run touching it) brings it back.
    db.table("phenomena").update(pid, {"updated_at": "2999-01-01T00:00:00+00:00"})
    assert f"/ilmiot/{pid}" in listed()


def test_status_workflow_with_history_and_reason(db) -> None:
    # The region status is region-wide curation: the backbone team's (nakyma.review).
    boss = get_user(db, "tukitiimi")
    pid = frontline_phenomenon(db)
    with pytest.raises(review.ReviewError, match="ei voi siirtyä"):
        review.set_status(db, boss, pid, "suljettu")
    review.set_status(db, boss, pid, "käsittelyssä")
    with pytest.raises(review.ReviewError, match="perustelu"):
        review.set_status(db, boss, pid, "ei toimenpiteitä", reason="")
    review.set_status(db, boss, pid, "ei toimenpiteitä", reason="Hoidetaan jo perhekeskuksessa.")
    history = review.status_history(db, pid)
    assert [h["status"] for h in history] == ["käsittelyssä", "ei toimenpiteitä"]
    assert history[-1]["reason"] == "Hoidetaan jo perhekeskuksessa."
    log = review.audit_entries(db, phenomenon_id=pid)
    assert [e["action"] for e in log][:2] == ["status", "status"]
    assert log[0]["username"] == "tukitiimi"


def test_audit_log_cannot_be_edited(db) -> None:
    review.set_status(db, get_user(db, "tukitiimi"), frontline_phenomenon(db), "käsittelyssä")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("update audit_log set username = 'joku'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("delete from audit_log")


def test_leadership_of_other_municipality_cannot_act(db, make_user) -> None:
    pid = frontline_phenomenon(db)
    outsider = make_user("luhanka", "johto", ("Luhanka",))
    if review.can_manage(db, outsider, pid):
        pytest.skip("the demo phenomenon happens to reach Luhanka")
    with pytest.raises(review.Forbidden):
        review.set_status(db, outsider, pid, "käsittelyssä")


def test_comment_refuses_personal_data(db) -> None:
    pid = frontline_phenomenon(db)
    boss = get_user(db, "johto")
    with pytest.raises(review.ReviewError, match="henkilötunnus"):
        review.add_comment(db, boss, pid, "Asiakkaan tunnus on 131052-308T.")
    assert db.table("comments").count == 0
    review.add_comment(db, boss, pid, "Otetaan asia esiin perhekeskusverkostossa.")
    assert [c["body"] for c in review.comments(db, pid)] == [
        "Otetaan asia esiin perhekeskusverkostossa."
    ]


def test_feedback_loop_in_the_browser_flow(client, db) -> None:
    """Leadership changes the status and replies; the frontline user sees both."""
    pid = frontline_phenomenon(db)
    login(client, "johto", "demo-johto")
    work = soup(client.get("/tyolista"))
    assert any(a["href"] == f"/ilmiot/{pid}" for a in work.select(".signal-list a"))
    csrf = token(client, f"/ilmiot/{pid}")
    # Leadership records its own municipality's response (the region status is not its).
    changed = client.post(
        f"/ilmiot/{pid}/kunnan-vastaus",
        data={"csrf_token": csrf, "municipality": "992", "status": "käsittelyssä"},
    )
    assert "Kunnan vastaus tallennettu." in changed.text
    client.post(
        f"/ilmiot/{pid}/kommentit",
        data={"csrf_token": csrf, "body": "Kiitos havainnoista, asia on käsittelyssä."},
    )
    # Acted on (a response and a reply): the work list no longer shows it until it changes.
    again = soup(client.get("/tyolista"))
    assert not any(a["href"] == f"/ilmiot/{pid}" for a in again.select(".signal-list a"))

    login(client, "havainnoija", "demo-havainnoija")
    page = soup(client.get(f"/ilmiot/{pid}"))
    responses = [li.get_text(" ", strip=True) for li in page.select(".response-list li")]
    assert any(r.startswith("Äänekoski : Käsittelyssä") for r in responses), responses
    replies = [c.get_text(" ", strip=True) for c in page.select(".comment-leadership")]
    assert any("asia on käsittelyssä" in r for r in replies)
    assert page.find(id="hallinta") is None  # frontline cannot manage
    mine = soup(client.get("/havainnot/omat"))
    assert any(a["href"] == f"/ilmiot/{pid}" for a in mine.select(".observation .meta a"))
    assert "Käsittelyssä" in mine.get_text()
    changes = soup(client.get("/muutokset"))
    entries = [li.get_text(" ", strip=True) for li in changes.select(".change-list li")]
    boss = get_user(db, "johto")
    assert boss is not None and boss.display_name != boss.username
    # The municipality by name and the person by display name, never a code or login name.
    response = next(e for e in entries if "kunnan vastaus" in e)
    assert "kunnan vastaus: Äänekoski – Käsittelyssä" in response, response
    assert boss.display_name in response and f"· {boss.username}" not in response


def test_related_observation_is_pinned_to_the_phenomenon(client, db) -> None:
    pid = frontline_phenomenon(db)
    login(client, "havainnoija", "demo-havainnoija")
    form = soup(client.get(f"/havainnot/uusi?ilmio={pid}"))
    assert form.find("input", attrs={"name": "phenomenon"})["value"] == str(pid)
    response = client.post(
        "/havainnot/uusi",
        data={
            "csrf_token": token(client, "/havainnot/uusi"),
            "text": "Sama ilmiö näkyi tällä viikolla myös iltapäiväkerhossa.",
            "municipality": "992",
            "observed_on": "2026-11-20",
            "target_group": "lapset",
            "phenomenon": str(pid),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    new_id = int(response.headers["location"].split("=")[1])
    row = next(db.query("select * from phenomenon_members where item_key = ?", [str(new_id)]))
    assert (row["phenomenon_id"], row["origin"]) == (pid, "manual")


def test_decisions_survive_a_clustering_rerun(client, db, settings) -> None:
    from nakyma.embedding import embed_pending, get_embedder

    pid = frontline_phenomenon(db)
    boss = get_user(db, "tukitiimi")
    review.set_status(db, boss, pid, "käsittelyssä")
    review.rename(db, boss, pid, "Nuorten rahapelit ja velat")
    review.write_summary(db, boss, pid, "Käsitellään HYTE-ryhmässä joulukuussa.")
    review.add_comment(db, boss, pid, "Pidetään silmällä.")
    review.set_municipal_response(
        db, get_user(db, "johto"), pid, "992", "seurannassa", "Seurataan koulujen kanssa."
    )
    embedder = get_embedder(settings)
    embed_pending(db, embedder)
    run_clustering(db, embedder.name)
    row = next(db.query("select * from phenomena where id = ?", [pid]))
    assert (row["title"], row["status"], row["summary"]) == (
        "Nuorten rahapelit ja velat",
        "käsittelyssä",
        "Käsitellään HYTE-ryhmässä joulukuussa.",
    )
    assert row["size"] > 0
    assert len(review.comments(db, pid)) == 1
    assert [(r["municipality_code"], r["status"]) for r in review.municipal_responses(db, pid)] == [
        ("992", "seurannassa")
    ]


def test_api_status_and_comments(client, db) -> None:
    from nakyma.accounts import create_api_token

    pid = frontline_phenomenon(db)
    leadership = {"Authorization": f"Bearer {create_api_token(db, 'johto')}"}
    # The demo phenomenon reaches beyond the leadership's municipalities: no region status.
    assert (
        client.post(
            f"/api/phenomena/{pid}/status", json={"status": "käsittelyssä"}, headers=leadership
        ).status_code
        == 403
    )
    headers = {"Authorization": f"Bearer {create_api_token(db, 'tukitiimi')}"}
    ok = client.post(
        f"/api/phenomena/{pid}/status", json={"status": "käsittelyssä"}, headers=headers
    )
    assert ok.json() == {"id": pid, "status": "käsittelyssä"}
    bad = client.post(f"/api/phenomena/{pid}/status", json={"status": "suljettu"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "status"
    posted = client.post(
        f"/api/phenomena/{pid}/comments", json={"body": "Selvitetään."}, headers=headers
    )
    assert posted.status_code == 201
    thread = client.get(f"/api/phenomena/{pid}/comments", headers=headers).json()["comments"]
    assert [c["body"] for c in thread] == ["Selvitetään."]
    frontline = {"Authorization": f"Bearer {create_api_token(db, 'havainnoija')}"}
    refused = client.post(
        f"/api/phenomena/{pid}/status", json={"status": "seurannassa"}, headers=frontline
    )
    assert refused.status_code == 403


def test_manage_forms_merge_split_move_dismiss(client, db) -> None:
    login(client, "tukitiimi", "demo-tukitiimi")
    ids = [
        r[0]
        for r in db.execute(
            "select phenomenon_id from phenomenon_members where item_kind = 'observation' "
            "group by 1 having count(*) >= 6 order by 1"
        )
    ]
    a, b = ids[0], ids[1]
    csrf = token(client, f"/ilmiot/{a}")
    members = [
        r[0]
        for r in db.execute(
            "select item_key from phenomenon_members where phenomenon_id = ? "
            "and item_kind = 'observation' order by item_key",
            [a],
        )
    ]
    unconfirmed = client.post(
        f"/ilmiot/{a}/jaa",
        data={"csrf_token": csrf, "havainto": members[:2], "title": "Erotettu osa"},
    )
    assert "Vahvista toiminto" in unconfirmed.text
    split = client.post(
        f"/ilmiot/{a}/jaa",
        data={
            "csrf_token": csrf,
            "havainto": members[:2],
            "title": "Erotettu osa",
            "vahvista": "1",
        },
        follow_redirects=False,
    )
    new_id = int(split.headers["location"].split("/")[2].split("?")[0])
    assert db.execute("select title from phenomena where id = ?", [new_id]).fetchone()[0] == (
        "Erotettu osa"
    )
    item = f"observation:{members[2]}"
    unconfirmed = client.post(
        f"/ilmiot/{a}/siirra", data={"csrf_token": csrf, "item": item, "target": b}
    )
    assert unconfirmed.status_code == 422 and "Vahvista toiminto" in unconfirmed.text
    moved = client.post(
        f"/ilmiot/{a}/siirra",
        data={"csrf_token": csrf, "item": item, "target": b, "vahvista": "1"},
    )
    assert "Siirretty ilmiöön" in moved.text
    unconfirmed = client.post(f"/ilmiot/{new_id}/yhdista", data={"csrf_token": csrf, "target": b})
    assert "Vahvista toiminto" in unconfirmed.text
    merged = client.post(
        f"/ilmiot/{new_id}/yhdista", data={"csrf_token": csrf, "target": b, "vahvista": "1"}
    )
    assert "yhdistettiin" in merged.text
    unconfirmed = client.post(f"/ilmiot/{a}/hylkaa", data={"csrf_token": csrf})
    assert "Vahvista toiminto" in unconfirmed.text
    assert not db.execute("select dismissed from phenomena where id = ?", [a]).fetchone()[0]
    dismissed = client.post(f"/ilmiot/{a}/hylkaa", data={"csrf_token": csrf, "vahvista": "1"})
    assert "Ilmiö hylätty" in dismissed.text
    actions = [e["action"] for e in review.audit_entries(db)]
    assert {"split", "move", "merge", "dismiss"} <= set(actions)
    bad = client.post(f"/ilmiot/{a}/tila", data={"csrf_token": csrf, "status": "suljettu"})
    assert "ei voi siirtyä" in bad.text


# --- a decision and its audit row commit together --------------------------------------

# Every table a review decision may write; a failed decision must leave all of them as
# they were.
TABLES = (
    "phenomena",
    "phenomenon_members",
    "manual_assignments",
    "phenomenon_lineage",
    "phenomenon_status_history",
    "phenomenon_indicator_links",
    "comments",
    "audit_log",
)


def snapshot(db) -> dict[str, list[tuple]]:
    return table_rows(db, TABLES)


def fail_audit_inserts(db) -> None:
    """Make the audit row's insert fail in the database itself, as a full disk would."""
    db.execute(
        "create trigger audit_insert_fails before insert on audit_log "
        "begin select raise(abort, 'auditointi epäonnistui'); end"
    )


def two_phenomena(db) -> tuple[int, int]:
    ids = [
        r[0]
        for r in db.execute(
            "select phenomenon_id from phenomenon_members where item_kind = 'observation' "
            "group by 1 having count(*) >= 6 order by 1"
        )
    ]
    return ids[0], ids[1]


def observation_members(db, pid: int) -> list[tuple[str, str]]:
    return [
        ("observation", r[0])
        for r in db.execute(
            "select item_key from phenomenon_members where phenomenon_id = ? "
            "and item_kind = 'observation' order by item_key",
            [pid],
        )
    ]


def first_indicator(db) -> int:
    return db.execute("select min(id) from indicators").fetchone()[0]


DECISIONS = {
    "status": lambda db, user, a, b: review.set_status(db, user, a, "käsittelyssä"),
    "rename": lambda db, user, a, b: review.rename(db, user, a, "Nuorten rahapelit"),
    "summary": lambda db, user, a, b: review.write_summary(db, user, a, "Käsitellään pian."),
    "merge": lambda db, user, a, b: review.merge(db, user, a, b),
    "split": lambda db, user, a, b: review.split(
        db, user, a, observation_members(db, a)[:2], "Erotettu osa"
    ),
    "move": lambda db, user, a, b: review.move(db, user, observation_members(db, a)[0], b),
    "dismiss": lambda db, user, a, b: review.dismiss(db, user, a),
    "restore": lambda db, user, a, b: review.dismiss(db, user, a, dismissed=False),
    "indicator_link": lambda db, user, a, b: review.decide_link(
        db, user, a, first_indicator(db), "accepted"
    ),
    "comment": lambda db, user, a, b: review.add_comment(db, user, a, "Selvitetään asiaa."),
}


@pytest.mark.parametrize("kind", sorted(DECISIONS))
def test_a_decision_is_not_kept_when_its_audit_row_fails(db, kind) -> None:
    user = get_user(db, "tukitiimi")
    a, b = two_phenomena(db)
    if kind == "restore":
        review.dismiss(db, user, a)
    decide = DECISIONS[kind]
    before = snapshot(db)
    fail_audit_inserts(db)
    with pytest.raises(sqlite3.IntegrityError, match="auditointi epäonnistui"):
        decide(db, user, a, b)
    assert not db.conn.in_transaction
    assert snapshot(db) == before
    # The same decision goes through, with its audit row, once the audit log accepts it.
    db.execute("drop trigger audit_insert_fails")
    decide(db, user, a, b)
    after = snapshot(db)
    assert after != before
    assert len(after["audit_log"]) == len(before["audit_log"]) + 1


def test_related_observation_is_not_pinned_when_its_audit_row_fails(client, db) -> None:
    pid = frontline_phenomenon(db)
    login(client, "havainnoija", "demo-havainnoija")
    csrf = token(client, "/havainnot/uusi")
    fail_audit_inserts(db)
    response = client.post(
        "/havainnot/uusi",
        data={
            "csrf_token": csrf,
            "text": "Sama ilmiö näkyi tällä viikolla myös iltapäiväkerhossa.",
            "municipality": "992",
            "observed_on": "2026-11-20",
            "target_group": "lapset",
            "phenomenon": str(pid),
        },
    )
    # The trigger's IntegrityError reaches the app's last-resort handler: a 500 page with
    # the security headers, no traceback.
    assert response.status_code == 500 and "auditointi" not in response.text
    new_id = db.execute("select max(id) from observations").fetchone()[0]
    assert not db.execute(
        "select 1 from phenomenon_members where item_kind = 'observation' and item_key = ?",
        [str(new_id)],
    ).fetchone()
    assert not db.execute(
        "select 1 from manual_assignments where item_kind = 'observation' and item_key = ?",
        [str(new_id)],
    ).fetchone()


def test_a_decision_waits_for_another_writer(db, settings) -> None:
    """A decision reads (its checks) before it writes: its transaction must take the write
    lock first, or it fails at once with "database is locked" while another connection
    (a clustering run, an import) writes, instead of waiting for it."""
    pid = frontline_phenomenon(db)
    other = sqlite3.connect(settings.database_path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute(
        "insert into login_attempts (username, client, attempted_at, succeeded) "
        "values ('muu', 'x', '2026-01-01T00:00:00+00:00', 0)"
    )
    # The other writer commits a moment after the decision has begun, not before.
    release = threading.Timer(0.2, other.execute, ["COMMIT"])
    db.conn.set_trace_callback(lambda sql: None if release.ident else release.start())
    try:
        review.rename(db, get_user(db, "tukitiimi"), pid, "Nuorten rahapelit ja velat")
    finally:
        db.conn.set_trace_callback(None)
        release.join()
        other.close()
    title = db.execute("select title from phenomena where id = ?", [pid]).fetchone()[0]
    assert title == "Nuorten rahapelit ja velat"
    assert db.execute("select count(*) from login_attempts where username = 'muu'").fetchone() == (
        1,
    )


# --- where the review code lives ------------------------------------------------------


def private_names_of_others(path: Path) -> list[str]:
    """`_name`s a module takes from other modules: imported, or reached through an import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported: set[str] = set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                name = alias.asname or alias.name.split(".")[0]
                imported.add(name)
                if alias.name.startswith("_"):
                    found.append(f"line {node.lineno}: imports {alias.name}")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in imported
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    return found


@pytest.mark.parametrize("module", ["nakyma/review.py", "nakyma/views.py"])
def test_no_private_names_of_other_modules(module: str) -> None:
    assert private_names_of_others(ROOT / module) == []


@pytest.mark.parametrize(
    "module", sorted(str(p.relative_to(ROOT)) for p in (ROOT / "web").rglob("*.py"))
)
def test_the_web_layer_holds_no_sql(module: str) -> None:
    """Pages' data comes from nakyma.views, decisions from nakyma.review (STYLE.md: routes
    and templates never contain SQL)."""
    text = (ROOT / module).read_text(encoding="utf-8")
    assert not re.search(r"\.(execute|query)\(|\bselect\b[^\n]*\bfrom\b", text, re.I)


# --- every write scoped (issue 11) -------------------------------------------------------


def test_leadership_cannot_curate_a_phenomenon_reaching_beyond_its_municipalities(db) -> None:
    boss = get_user(db, "johto")
    pid = frontline_phenomenon(db)
    assert review.phenomenon_municipalities(db, pid) - set(boss.municipalities)
    other = next(
        p["id"] for p in db.query("select id from phenomena where id != ? order by id", [pid])
    )
    members = observation_members(db, pid)
    attempts = {
        "dismiss": lambda: review.dismiss(db, boss, pid),
        "rename": lambda: review.rename(db, boss, pid, "Johdon oma nimi"),
        "summary": lambda: review.write_summary(db, boss, pid, "Yhteenveto."),
        "status": lambda: review.set_status(db, boss, pid, "käsittelyssä"),
        "merge": lambda: review.merge(db, boss, pid, other),
        "split": lambda: review.split(db, boss, pid, members[:1], "Oma osa"),
        "link": lambda: review.decide_link(db, boss, pid, first_indicator(db), "accepted"),
    }
    before = snapshot(db)
    for name, attempt in attempts.items():
        with pytest.raises(review.Forbidden):
            attempt()
        assert snapshot(db) == before, name
    # Its own municipality's response it may record, and only for its own municipality.
    review.set_municipal_response(db, boss, pid, "992", "toimenpiteitä sovittu", "Sovittu.")
    with pytest.raises(review.Forbidden):
        review.set_municipal_response(db, boss, pid, "179", "käsittelyssä")
    assert [r["municipality_code"] for r in review.municipal_responses(db, pid)] == ["992"]
    assert review.audit_entries(db, phenomenon_id=pid)[0]["action"] == "municipal_response"
    with pytest.raises(review.ReviewError, match="henkilötunnus"):
        review.set_municipal_response(db, boss, pid, "992", "käsittelyssä", "Tunnus 131052-308T")


def test_leadership_curates_a_phenomenon_wholly_within_its_municipalities(db, make_user) -> None:
    pid = frontline_phenomenon(db)
    everywhere = make_user(
        "kaikki", "johto", tuple(sorted(review.phenomenon_municipalities(db, pid)))
    )
    assert review.can_manage(db, everywhere, pid)
    review.rename(db, everywhere, pid, "Koko alueen johdon nimi")
    assert review.review_status(db, pid) is not None


def test_move_refuses_unknown_and_foreign_items(db) -> None:
    backbone, boss = get_user(db, "tukitiimi"), get_user(db, "johto")
    a, b = two_phenomena(db)
    with pytest.raises(review.ReviewError, match="ei löydy"):
        review.move(db, backbone, ("observation", "987654321"), b)
    with pytest.raises(review.ReviewError, match="ei löydy"):
        review.move(db, backbone, ("headline", "ei-ole-olemassa"), b)
    foreign = db.execute(
        "select id from observations where municipality_code not in (?, ?) limit 1",
        list(boss.municipalities),
    ).fetchone()[0]
    assert not review.item_visible(db, boss, ("observation", str(foreign)))
    with pytest.raises((review.ReviewError, review.Forbidden)):
        review.move(db, boss, ("observation", str(foreign)), b)
    assert not db.execute(
        "select 1 from phenomenon_members where item_key = '987654321'"
    ).fetchone()


def test_move_form_refuses_an_unknown_item_in_finnish(client, db) -> None:
    login(client, "tukitiimi", "demo-tukitiimi")
    a, b = two_phenomena(db)
    csrf = token(client, f"/ilmiot/{a}")
    answer = client.post(
        f"/ilmiot/{a}/siirra",
        data={"csrf_token": csrf, "item": "observation:987654321", "target": b, "vahvista": "1"},
    )
    assert answer.status_code == 422
    assert "Siirrettävää havaintoa tai uutista ei löydy" in answer.text


def test_pages_tolerate_a_member_whose_item_is_gone(client, db) -> None:
    """A stale member (its observation deleted, or written by hand) never makes a 500."""
    a, _ = two_phenomena(db)
    db.table("phenomenon_members").insert(
        {
            "item_kind": "observation",
            "item_key": "987654321",
            "phenomenon_id": a,
            "origin": "manual",
            "assigned_at": "2026-11-22T00:00:00+00:00",
        }
    )
    login(client, "tukitiimi", "demo-tukitiimi")
    from nakyma.accounts import create_api_token

    api = {"Authorization": f"Bearer {create_api_token(db, 'tukitiimi')}"}
    for path, headers in (
        (f"/ilmiot/{a}", {}),
        ("/viennit/tutkimus.csv", {}),
        ("/viennit/muistio", {}),
        ("/muutokset", {}),
        ("/tyolista", {}),
        (f"/api/phenomena/{a}", api),
        ("/api/signals", api),
    ):
        assert client.get(path, headers=headers).status_code == 200, path
    page = client.get(f"/api/phenomena/{a}", headers=api).json()
    assert 987654321 not in {o["id"] for o in page["observations"]}


def test_destructive_actions_show_in_what_changed_and_can_be_undone(db) -> None:
    backbone = get_user(db, "tukitiimi")
    a, b = two_phenomena(db)
    review.dismiss(db, backbone, a)
    review.dismiss(db, backbone, a, dismissed=False)
    items = observation_members(db, b)[:2]
    new_id = review.split(db, backbone, b, items, "Erotettu osa")
    review.merge(db, backbone, new_id, b)  # undoes the split
    assert set(items) <= set(observation_members(db, b))
    merge_row = review.audit_entries(db, phenomenon_id=new_id)[0]
    assert merge_row["action"] == "merge"
    assert sorted(map(tuple, merge_row["details"]["items"])) == sorted(items)
    actions = [c["action"] for c in review.what_changed(db, backbone)]
    assert {"dismiss", "restore", "split", "merge"} <= set(actions)
    assert not db.execute("select dismissed from phenomena where id = ?", [a]).fetchone()[0]


def test_municipal_response_through_the_api(demo_template, settings) -> None:
    """The JSON twin of the response form: own municipality 200 with the responses, another
    municipality 403, personal data in the note 422, and nothing stored by a refusal."""
    from fastapi.testclient import TestClient

    from nakyma.accounts import create_api_token
    from web.app import create_app

    database = next(gen := copy_of_demo(demo_template, settings))
    pid = next(
        p
        for (p,) in database.execute("select id from phenomena where dismissed = 0 order by id")
        if "992" in review.phenomenon_municipalities(database, p)
    )
    headers = {"Authorization": f"Bearer {create_api_token(database, 'johto')}"}
    url = f"/api/phenomena/{pid}/responses"
    with TestClient(create_app(settings)) as client:
        ok = client.post(
            url,
            json={"municipality": "992", "status": "toimenpiteitä sovittu", "note": "Sovittu."},
            headers=headers,
        )
        foreign = client.post(
            url, json={"municipality": "179", "status": "käsittelyssä"}, headers=headers
        )
        personal = client.post(
            url,
            json={"municipality": "992", "status": "käsittelyssä", "note": "Soita 040 123 4567"},
            headers=headers,
        )
        bad_status = client.post(
            url, json={"municipality": "992", "status": "valmis"}, headers=headers
        )
    assert ok.status_code == 200, ok.text
    [mine] = [r for r in ok.json()["responses"] if r["municipality_code"] == "992"]
    assert (mine["municipality"], mine["status"], mine["note"]) == (
        "Äänekoski",
        "toimenpiteitä sovittu",
        "Sovittu.",
    )
    assert foreign.status_code == 403
    assert personal.status_code == 422
    [finding] = personal.json()["detail"]
    assert finding["field"] == "note" and finding["code"] == "personal_data"
    assert (finding["start"], finding["end"]) == (6, 18)  # "040 123 4567" in the note
    assert "merkit 7–18" in finding["message"]  # offsets: a client has nothing marked
    assert bad_status.status_code == 422
    rows = list(database.query("select * from municipal_responses where phenomenon_id = ?", [pid]))
    assert [(r["municipality_code"], r["status"]) for r in rows] == [
        ("992", "toimenpiteitä sovittu")
    ]
    gen.close()
