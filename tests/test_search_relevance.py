"""Search returns nothing for nonsense ("Ei osumia") and still finds real topics."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from sqlite_utils import Database

from nakyma.accounts import create_api_token
from tests.conftest import copy_of_demo, login


@pytest.fixture
def db(demo_template, settings) -> Iterator[Database]:
    """This test's own copy of the computed demo."""
    yield from copy_of_demo(demo_template, settings)


@pytest.mark.parametrize("query", ["abc", "qwerty", "asdf", "lorem ipsum"])
def test_nonsense_finds_nothing(client, make_user, query) -> None:
    make_user("tuki", "tukitiimi")
    login(client, "tuki")
    page = BeautifulSoup(client.get("/haku", params={"q": query}).text, "html.parser")
    assert not page.select(".search-results li")
    assert "Ei osumia" in page.get_text()


def test_nonsense_finds_nothing_over_the_api(client, db, make_user) -> None:
    make_user("tuki", "tukitiimi")
    headers = {"Authorization": f"Bearer {create_api_token(db, 'tuki')}"}
    assert client.get("/api/search?q=qwerty", headers=headers).json()["results"] == []
    found = client.get("/api/search?q=lasten ylipaino", headers=headers).json()["results"]
    assert found


@pytest.mark.parametrize("query", ["nuorten päihteet", "koulukiusaaminen", "lasten ylipaino"])
def test_a_real_query_still_finds(client, make_user, query) -> None:
    make_user("tuki", "tukitiimi")
    login(client, "tuki")
    page = BeautifulSoup(client.get("/haku", params={"q": query}).text, "html.parser")
    assert page.select(".search-results li")
    assert "Ei osumia" not in page.get_text()
