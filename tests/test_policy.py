"""The access matrix: every route declares a policy, and each role gets what it should."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlite_utils import Database

from nakyma.accounts import create_api_token
from tests.conftest import copy_of_demo, login
from web.policy import POLICY, route_keys


def test_every_route_declares_a_policy(app) -> None:
    routes = route_keys(app)
    assert len(routes) >= 35
    missing = sorted(routes - set(POLICY))
    assert missing == [], f"routes without an access policy: {missing}"
    # FastAPI's OpenAPI document is a Starlette route, public by design.
    stale = sorted(set(POLICY) - routes)
    assert stale == ["GET /api/openapi.json"]


def test_undeclared_route_is_refused(app, client) -> None:
    @app.get("/salainen")
    def secret() -> dict[str, str]:  # pragma: no cover - must never run
        return {"leak": "yes"}

    response = client.get("/salainen")
    assert response.status_code == 500
    assert "leak" not in response.text


@pytest.fixture
def db(demo_template, settings) -> Iterator[Database]:
    """This test's own copy of the computed demo."""
    yield from copy_of_demo(demo_template, settings)


def _phenomenon_in(db, code: str) -> int:
    return db.execute(
        "select m.phenomenon_id from phenomenon_members m join observations o "
        "on o.id = cast(m.item_key as integer) where o.municipality_code = ? "
        "group by 1 order by count(*) desc limit 1",
        [code],
    ).fetchone()[0]


def _phenomenon_without(db, code: str) -> int:
    return db.execute(
        "select p.id from phenomena p where p.size > 0 and not exists ("
        " select 1 from phenomenon_members m join observations o"
        " on o.id = cast(m.item_key as integer) where m.phenomenon_id = p.id"
        " and o.municipality_code = ?) and not exists ("
        " select 1 from phenomenon_members m join headline_municipalities h"
        " on h.guid = m.item_key where m.phenomenon_id = p.id and h.municipality_code = ?)"
        " order by p.id limit 1",
        [code, code],
    ).fetchone()[0]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("havainnoija", {"/tyolista": 403, "/ajot": 403, "/tapahtumaloki": 403, "/muutokset": 200}),
        ("johto", {"/tyolista": 200, "/ajot": 403, "/tapahtumaloki": 403, "/muutokset": 200}),
        ("tukitiimi", {"/tyolista": 200, "/ajot": 403, "/tapahtumaloki": 403, "/muutokset": 200}),
        ("admin", {"/tyolista": 200, "/ajot": 200, "/tapahtumaloki": 200, "/muutokset": 200}),
    ],
)
def test_role_pages(client, make_user, role, expected) -> None:
    make_user("kayttaja", role, ("Laukaa",) if role == "johto" else ())
    login(client, "kayttaja")
    for path, status in expected.items():
        assert client.get(path, headers={"accept": "text/html"}).status_code == status, path


def test_leadership_sees_only_its_municipalities_phenomena(client, make_user, db) -> None:
    mine, other = _phenomenon_in(db, "410"), _phenomenon_without(db, "410")
    make_user("laukaa", "johto", ("Laukaa",))
    login(client, "laukaa")
    assert client.get(f"/ilmiot/{mine}").status_code == 200
    html = {"accept": "text/html"}
    assert client.get(f"/ilmiot/{other}", headers=html).status_code == 403
    token = client.get(f"/ilmiot/{mine}").text.split('name="csrf_token" value="')[1].split('"')[0]
    forbidden = client.post(
        f"/ilmiot/{other}/tila",
        data={"csrf_token": token, "status": "käsittelyssä"},
        headers=html,
    )
    assert forbidden.status_code == 403
    headers = {"Authorization": f"Bearer {create_api_token(db, 'laukaa')}"}
    listed = {p["id"] for p in client.get("/api/phenomena", headers=headers).json()["phenomena"]}
    assert mine in listed and other not in listed
    assert client.get(f"/api/phenomena/{other}", headers=headers).status_code == 403
    results = client.get("/api/search?q=ikäihmisten kaatumiset", headers=headers).json()["results"]
    texts_from = {r.get("municipality") for r in results if r["kind"] == "observation"}
    assert texts_from <= {"Laukaa"}
    assert all(
        r["phenomenon"] is None or r["phenomenon"]["id"] != other
        for r in results
        if r["kind"] != "phenomenon"
    )


def test_backbone_sees_the_region(client, make_user, db) -> None:
    other = _phenomenon_without(db, "410")
    make_user("tuki", "tukitiimi")
    login(client, "tuki")
    assert client.get(f"/ilmiot/{other}").status_code == 200


def test_api_anonymous_and_unknown_phenomenon(client, make_user, db) -> None:
    assert client.get("/api/worklist").status_code == 401
    make_user("tuki", "tukitiimi")
    headers = {"Authorization": f"Bearer {create_api_token(db, 'tuki')}"}
    assert client.get("/api/phenomena/999999", headers=headers).status_code == 404
    assert client.get("/api/worklist", headers=headers).status_code == 200


@pytest.mark.parametrize("path", ["/havainnot/omat", "/alue", "/api/observations"])
def test_each_request_works_out_the_user_once_on_one_connection(
    monkeypatch, client, frontline, api_headers, path
) -> None:
    """The access check puts the caller on request.state; the route reads it there and
    shares the check's database connection. Counted at the SQLite level, whoever opens."""
    import sqlite3

    connections: list[sqlite3.Connection] = []
    statements: list[str] = []
    real_connect = sqlite3.connect

    def counting_connect(*args, **kwargs):
        conn = real_connect(*args, **kwargs)
        conn.set_trace_callback(statements.append)
        connections.append(conn)
        return conn

    monkeypatch.setattr(sqlite3, "connect", counting_connect)
    headers = api_headers if path.startswith("/api/") else {}
    response = client.get(path, headers=headers)
    assert response.status_code == 200
    assert len(connections) == 1
    lookups = [s for s in statements if "from sessions" in s or "from api_tokens" in s]
    assert len(lookups) == 1, lookups
