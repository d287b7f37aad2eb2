"""Shared fixtures: a fresh SQLite database per test in tmp_path, an app, and seed factories."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlite_utils import Database

from nakyma.accounts import User, create_api_token, create_user
from nakyma.config import Settings
from nakyma.db import open_db
from nakyma.regions import Region, load_region
from tests.oidc_provider import OidcProvider, start_provider
from web.app import create_app

TEST_SECRET = "testisalaisuus-" + "x" * 40
PASSWORD = "oikea-salasana-123"
# The demo file's dates are kept as written when loaded "today" = this day.
DEMO_TODAY = date(2026, 11, 22)
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own NAKYMA_* variables must not change what a test sees."""
    for name in list(os.environ):
        if name.startswith("NAKYMA_"):
            monkeypatch.delenv(name)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        secret_key=TEST_SECRET,
        scheduler_enabled=False,
        # The test client and the browser tests speak plain HTTP to 127.0.0.1; production
        # cookies are Secure (tests/test_web.py checks that with an HTTPS client).
        cookie_secure=False,
    )


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = open_db(settings.database_path)
    yield database
    database.close()


@pytest.fixture
def region() -> Region:
    return load_region()


@pytest.fixture
def today(settings: Settings) -> date:
    return settings.today()


@pytest.fixture
def make_user(db: Database, region: Region) -> Callable[..., User]:
    def make(
        username: str = "kenttä",
        role: str = "havainnoija",
        municipalities: tuple[str, ...] = (),
        password: str = PASSWORD,
    ) -> User:
        if role == "johto" and not municipalities:
            municipalities = ("Äänekoski",)
        return create_user(
            db,
            username.replace("ä", "a"),
            role=role,
            password=password,
            region=region,
            municipalities=municipalities,
        )

    return make


@pytest.fixture
def app(settings: Settings, db: Database):
    return create_app(settings)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def table_rows(db: Database, tables: tuple[str, ...]) -> dict[str, list[tuple]]:
    """Every row of `tables`, in a stable order: equal before and after an action that must
    write nothing."""
    return {t: sorted(db.execute(f"select * from {t}").fetchall(), key=repr) for t in tables}


def csrf_from(client: TestClient, path: str) -> str:
    page = client.get(path)
    match = CSRF_RE.search(page.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    token = csrf_from(client, "/kirjaudu")
    response = client.post(
        "/kirjaudu",
        data={"username": username, "password": password, "csrf_token": token, "seuraava": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


@pytest.fixture
def frontline(make_user, client: TestClient) -> User:
    """A signed-in frontline user on `client`."""
    user = make_user("kentta", "havainnoija")
    login(client, user.username)
    return user


@pytest.fixture
def api_headers(db: Database, make_user) -> dict[str, str]:
    user = make_user("rajapinta", "havainnoija")
    return {"Authorization": f"Bearer {create_api_token(db, user.username)}"}


def valid_observation(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "text": "Yläkoulun välitunneilla yhä useampi istuu yksin puhelimen kanssa.",
        "municipality": "Äänekoski",
        "observed_on": "2026-01-15",
        "target_group": "nuoret",
        "theme": "mielen_hyvinvointi",
        "role": "opettaja",
    }
    base.update(overrides)
    return base


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """A database with the whole demo loaded and phenomena computed with the bundled model,
    built once per session (embedding takes ~30 s); tests get their own copy."""
    from pipelines.demo import demo_sources, load_demo
    from pipelines.registry import run_pipeline

    base = tmp_path_factory.mktemp("demo")
    demo_settings = Settings(
        _env_file=None,
        data_dir=base,
        secret_key=TEST_SECRET,
        scheduler_enabled=False,
    )
    database = open_db(demo_settings.database_path)
    load_demo(database, region=load_region(), today=DEMO_TODAY)
    for name, source in demo_sources().items():
        assert run_pipeline(database, demo_settings, name, source=source).status == "ok"
    report = run_pipeline(database, demo_settings, "phenomena", as_of=DEMO_TODAY)
    assert report.status == "ok", report.errors
    database.conn.execute("pragma wal_checkpoint(truncate)")
    database.close()
    return demo_settings.database_path


def copy_of_demo(demo_template: Path, settings: Settings) -> Iterator[Database]:
    """A test's own copy of the computed demo database; modules that need it override the
    `db` fixture with `yield from copy_of_demo(demo_template, settings)`."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(demo_template, settings.database_path)
    database = open_db(settings.database_path)
    yield database
    database.close()


def plant_theme(
    db: Database,
    codes: tuple[str, ...],
    *,
    per_municipality: int = 3,
    title: str = "Nouseva teema",
    category: str = "nouseva",
    decision: str = "avoin",
    created_by: str | None = None,
    as_of: str = "2026-11-22",
) -> int:
    """An emerging theme over real observations of the given municipalities (the newest
    `per_municipality` of each; with `created_by`, that user's own), as the detector
    (nakyma.emerging) stores one: the theme, its members and an area row per municipality,
    for the municipality group of each, and for the county. Returns the theme's id."""
    from nakyma.regions import load_region

    region = load_region()
    members = []
    for code in codes:
        where, params = "o.municipality_code = ?", [code]
        if created_by:
            where += " and o.created_by = (select id from users where username = ?)"
            params.append(created_by)
        members += db.execute(
            "select o.id, o.municipality_code, o.observed_on, m.phenomenon_id from observations o "
            "left join phenomenon_members m on m.item_kind = 'observation' "
            f"and m.item_key = cast(o.id as text) where {where} "
            "order by o.observed_on desc, o.id desc limit ?",
            [*params, per_municipality],
        ).fetchall()
    assert members, f"no observations in {codes}"
    nearest = sorted({m[3] for m in members if m[3]})[:2]
    table = db.table("emerging_themes")
    table.insert(
        {
            "title": title,
            "title_auto": title,
            "category": category,
            "score": 2.5,
            "size": len(members),
            "terms": json.dumps(["kaverit", "yksinäisyys"], ensure_ascii=False),
            "reasons": json.dumps(
                [f"{len(members)} havaintoa 4 viikossa, aiemmin ei yhtään."], ensure_ascii=False
            ),
            "nearest": json.dumps(
                [{"id": p, "title": "lähin"} for p in nearest], ensure_ascii=False
            ),
            "first_seen": as_of,
            "last_seen": as_of,
            "as_of": as_of,
            "active": 1,
            "decision": decision,
            "created_at": as_of,
            "updated_at": as_of,
        }
    )
    theme_id = int(table.last_pk)
    db.table("emerging_members").insert_all(
        {
            "theme_id": theme_id,
            "item_kind": "observation",
            "item_key": str(m[0]),
            "municipality_code": m[1],
            "observed_on": m[2],
            "phenomenon_id": m[3],
        }
        for m in members
    )
    areas = []
    for code in codes:
        n = sum(1 for m in members if m[1] == code)
        name = region.municipality(code).from_form
        areas.append(("kunta", code, n, [f"{n} havaintoa {name} 4 viikossa"]))
        group = region.group_of(code).key
        areas.append(("kuntaryhma", group, n, [f"{n} havaintoa kuntaryhmästä 4 viikossa"]))
    areas.append(("alue", region.code, len(members), [f"{len(members)} havaintoa alueelta"]))
    db.table("emerging_areas").upsert_all(
        (
            {
                "theme_id": theme_id,
                "area_kind": kind,
                "area_code": code,
                "items": n,
                "score": 2.5,
                "category": category,
                "reasons": json.dumps(reasons, ensure_ascii=False),
                "as_of": as_of,
            }
            for kind, code, n, reasons in areas
        ),
        pk=("theme_id", "area_kind", "area_code"),
    )
    db.conn.commit()
    return theme_id


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory) -> Iterator[OidcProvider]:
    """A real OpenID provider (tests/oidc) for the session; skipped only without Node.js."""
    yield from start_provider(tmp_path_factory.mktemp("oidc-provider"))
