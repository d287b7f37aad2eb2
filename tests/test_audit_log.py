"""The admin "Tapahtumaloki": actions and details as Finnish sentences, display names."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from sqlite_utils import Database

from nakyma import review
from nakyma.accounts import get_user
from nakyma.db import open_db
from tests.conftest import copy_of_demo, login


@pytest.fixture
def db(demo_template, settings) -> Iterator[Database]:
    """This test's own copy of the computed demo."""
    yield from copy_of_demo(demo_template, settings)


def test_details_read_as_finnish_sentences() -> None:
    status = review.describe_audit("status", {"old": "uusi", "new": "käsittelyssä", "reason": None})
    assert status == "tila: Uusi → Käsittelyssä; perustelu: —"
    assert review.describe_audit("rename", {"old": "A", "new": "B"}) == "nimi: A → B"
    assert "indikaattori 3: hyväksytty" in review.describe_audit(
        "indicator_link", {"indicator": 3, "decision": "accepted"}
    )
    moved = review.describe_audit("move", {"item": ["observation", "7"], "previous": None})
    assert moved == "kohde: havainto 7; aiempi ilmiö: —"
    for action in review.AUDIT_ACTIONS:
        text = review.describe_audit(action, {})
        assert "None" not in text and "old" not in text and "reason" not in text


def test_every_audited_action_has_a_finnish_verb() -> None:
    assert set(review.CHANGE_ACTIONS) <= set(review.AUDIT_ACTIONS)
    assert review.AUDIT_ACTIONS["dismiss"] == "hylkäsi ilmiön"
    assert review.AUDIT_ACTIONS["municipal_response"] == "kirjasi kunnan vastauksen"


def test_audit_page_in_finnish_with_display_names(db, client, make_user) -> None:
    boss = get_user(db, "tukitiimi")
    pid = db.execute("select id from phenomena order by id limit 1").fetchone()[0]
    current = review.review_status(db, pid) or "uusi"
    target = review.TRANSITIONS[current][0]
    review.set_status(db, boss, pid, target, reason="Syy kirjattu")
    make_user("paakayttaja", "admin")
    login(client, "paakayttaja")
    page = client.get("/tapahtumaloki")
    assert page.status_code == 200
    table = BeautifulSoup(page.text, "html.parser").find("table")
    first = [td.get_text(" ", strip=True) for td in table.find("tbody").find("tr").find_all("td")]
    assert first[1] == boss.display_name
    assert first[2] == "muutti tilaa"
    assert first[4] == (
        f"tila: {review.STATUSES[current]} → {review.STATUSES[target]}; perustelu: Syy kirjattu"
    )
    assert "reason" not in table.get_text() and "None" not in table.get_text()


class TestEmptyLog:
    @pytest.fixture
    def db(self, settings) -> Iterator[Database]:
        """A fresh database: nothing has happened yet."""
        database = open_db(settings.database_path)
        yield database
        database.close()

    def test_empty_audit_log_says_so(self, client, make_user) -> None:
        make_user("paakayttaja", "admin")
        login(client, "paakayttaja")
        page = client.get("/tapahtumaloki")
        assert page.status_code == 200
        html = BeautifulSoup(page.text, "html.parser")
        assert "Tapahtumia ei ole vielä." in html.get_text()
        assert html.find("table") is None
