"""Review decisions, their refusals and confirmations, the audit log and the runs page in the
reader's language; the Finnish texts exactly as before."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from sqlite_utils import Database

from nakyma import progress, review
from nakyma.accounts import get_user, set_language
from nakyma.db import now_utc
from nakyma.i18n import N_
from tests.conftest import copy_of_demo, csrf_from, login

SV = {"Accept-Language": "sv-FI,sv;q=0.9"}


@pytest.fixture
def db(demo_template, settings) -> Iterator[Database]:
    yield from copy_of_demo(demo_template, settings)


def test_refusals_read_the_same_in_finnish_and_translate() -> None:
    wrong = review.ReviewError(
        N_("Tilasta ”%(old)s” ei voi siirtyä tilaan ”%(new)s”."),
        params={"old": review.STATUSES["uusi"], "new": review.STATUSES["suljettu"]},
        labels=("old", "new"),
    )
    assert str(wrong) == "Tilasta ”Uusi” ei voi siirtyä tilaan ”Suljettu”."
    assert wrong.in_language("sv") == ("Det går inte att byta från status ”Ny” till ”Stängd”."), (
        wrong.in_language("sv")
    )
    decided = review._theme_decided("hylätty")
    assert str(decided) == "Teemasta on jo päätetty (hylätty)."
    assert decided.in_language("sv") == "Temat har redan beslutats (avfärdat)."


def test_personal_data_in_a_reason_is_refused_in_the_readers_language(db) -> None:
    boss = get_user(db, "tukitiimi")
    pid = db.execute("select id from phenomena order by id limit 1").fetchone()[0]
    current = review.review_status(db, pid) or "uusi"
    target = review.TRANSITIONS[current][0]
    with pytest.raises(review.ReviewError) as caught:
        review.set_status(db, boss, pid, target, reason="Soita numeroon 040 123 4567 heti")
    assert str(caught.value).startswith("Perustelu: Tekstissä näyttää olevan")
    assert caught.value.in_language("sv").startswith("Motivering: ")
    assert caught.value.findings


def test_status_change_refused_and_done_on_a_swedish_page(db, client, make_user) -> None:
    boss = make_user("svtuki", "tukitiimi")
    set_language(db, boss.id, "sv")
    login(client, boss.username)
    pid = db.execute("select id from phenomena where size > 0 order by id limit 1").fetchone()[0]
    token = csrf_from(client, f"/ilmiot/{pid}")
    current = review.review_status(db, pid) or "uusi"
    assert "ei toimenpiteitä" in review.TRANSITIONS[current], current
    # "ei toimenpiteitä" needs a reason; without one the page says so, in Swedish.
    refused = client.post(
        f"/ilmiot/{pid}/tila",
        data={"csrf_token": token, "status": "ei toimenpiteitä", "reason": ""},
    )
    assert refused.status_code == 422
    assert "Skriv en motivering till varför inga åtgärder behövs." in refused.text
    assert "Kirjoita perustelu" not in refused.text
    target = review.TRANSITIONS[current][0]
    done = client.post(
        f"/ilmiot/{pid}/tila",
        data={"csrf_token": token, "status": target, "reason": "Sovittu"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = client.get(done.headers["location"])
    assert "Status ändrad:" in page.text and "Tila muutettu" not in page.text


def test_audit_log_in_swedish(db, client, make_user) -> None:
    boss = get_user(db, "tukitiimi")
    pid = db.execute("select id from phenomena order by id limit 1").fetchone()[0]
    current = review.review_status(db, pid) or "uusi"
    target = review.TRANSITIONS[current][0]
    review.set_status(db, boss, pid, target, reason="Syy kirjattu")
    admin = make_user("paakayttaja", "admin")
    set_language(db, admin.id, "sv")
    login(client, "paakayttaja")
    table = BeautifulSoup(client.get("/tapahtumaloki").text, "html.parser").find("table")
    first = [td.get_text(" ", strip=True) for td in table.find("tbody").find("tr").find_all("td")]
    assert first[2] == "ändrade status"
    assert first[4].startswith("status: ") and "motivering: Syy kirjattu" in first[4]
    assert "tila:" not in table.get_text() and "muutti" not in table.get_text()


def test_runs_page_progress_in_swedish(db, client, make_user) -> None:
    run = db.table("runs").insert(
        {
            "pipeline": "phenomena",
            "status": "running",
            "started_at": now_utc(),
            "trigger": "schedule",
            "details": '{"progress": {"phase": "embed", "done": 500, "total": 3000, "at": "'
            + now_utc()
            + '"}}',
        }
    )
    assert run.last_pk
    admin = make_user("paakayttaja", "admin")
    login(client, "paakayttaja")
    finnish = client.get("/ajot").text
    assert "upotettu 500/3000 (16 %)" in finnish and "ajastus" in finnish
    set_language(db, admin.id, "sv")
    swedish = client.get("/ajot").text
    assert "inbäddade 500/3000 (16 %)" in swedish and "schemaläggning" in swedish
    assert "upotettu" not in swedish and "Pågår" in swedish


def test_progress_line_in_each_language() -> None:
    assert (
        progress.describe("embed", 500, 3000, elapsed=100)
        == "upotettu 500/3000 (16 %), noin 8 min 20 s jäljellä"
    )
    assert (
        progress.describe("embed", 500, 3000, elapsed=100, language="sv")
        == "inbäddade 500/3000 (16 %), cirka 8 min 20 s kvar"
    )
    assert progress.describe("cluster", 0, None, language="sv") == "fenomen grupperas …"


@pytest.mark.parametrize(
    ("language", "shown", "expected"),
    [
        ("fi", "vähintään 7", "vähintään 7"),
        ("sv", "vähintään 7", "minst 7"),
        ("en", "vähintään 7", "at least 7"),
        ("sv", "<5", "<5"),
        ("sv", "12", "12"),
    ],
)
def test_a_hidden_totals_bound_in_the_pages_language(language, shown, expected) -> None:
    from jinja2 import Environment

    from web.i18n import install

    env = Environment()  # noqa: S701 (plain text, compared as such)
    install(env)
    rendered = env.from_string("{{ n | shown_count }}").render(n=shown, language=language)
    assert rendered == expected


def test_a_missing_confirmation_is_asked_for_in_swedish(db, client, make_user) -> None:
    boss = make_user("svtuki", "tukitiimi")
    set_language(db, boss.id, "sv")
    login(client, boss.username)
    pid = db.execute("select id from phenomena where size > 0 order by id limit 1").fetchone()[0]
    token = csrf_from(client, f"/ilmiot/{pid}")
    refused = client.post(f"/ilmiot/{pid}/hylkaa", data={"csrf_token": token})
    assert refused.status_code == 422
    assert "Bekräfta åtgärden genom att kryssa i bekräftelserutan." in refused.text
    assert "Vahvista toiminto" not in refused.text
