"""Intake under load and attack (issue #11 items 2, 5, 7): size limits before any model,
rate limits with Retry-After, 503 instead of 500 when the guard's model is missing, and
search queries that never reach the access log."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlite_utils import Database

from nakyma import finnish, privacy, review
from nakyma.accounts import create_api_token, get_user
from nakyma.cli import cli
from nakyma.config import Settings
from nakyma.ratelimit import SlidingWindowLimiter
from tests.conftest import TEST_SECRET, copy_of_demo, csrf_from, login, valid_observation
from web.app import create_app

ROOT = Path(__file__).resolve().parents[1]
HUGE = "Yläkoulun välitunneilla moni istuu yksin. " * 29_000  # about 1.2 MB


@pytest.fixture
def model_calls(monkeypatch) -> list[int]:
    """Counts the texts handed to the Finnish language model."""
    calls: list[int] = []
    real = finnish.analyse_many

    def spy(texts, *args, **kwargs):
        calls.append(sum(len(t) for t in texts))
        return real(texts, *args, **kwargs)

    monkeypatch.setattr(finnish, "analyse_many", spy)
    return calls


@pytest.fixture
def no_model(monkeypatch) -> None:
    """As on a server without libvoikko1: the real loader fails to import it."""
    monkeypatch.setattr(finnish, "_nlp", None)
    monkeypatch.setitem(sys.modules, "libvoikko", None)
    monkeypatch.setattr(privacy, "_name_cache", {})


def form(client: TestClient, text: str) -> dict[str, str]:
    return {
        "csrf_token": csrf_from(client, "/havainnot/uusi"),
        "text": text,
        "municipality": "992",
        "observed_on": "2026-02-10",
        "target_group": "nuoret",
    }


# --- bounded work per request ---------------------------------------------------------


def test_huge_text_refused_by_the_api_without_the_model(
    client, db: Database, api_headers, model_calls
) -> None:
    assert len(HUGE.encode()) > 1_200_000
    response = client.post(
        "/api/observations", json=valid_observation(text=HUGE), headers=api_headers
    )
    assert response.status_code == 413
    (error,) = response.json()["detail"]
    assert error["code"] == "too_long" and "liian pitkä" in error["message"]
    assert response.headers["Content-Security-Policy"]  # the usual headers still apply
    assert model_calls == []
    assert db.table("observations").count == 0


def test_huge_body_without_content_length_is_refused_too(client, api_headers, model_calls):
    body = json.dumps(valid_observation(text=HUGE)).encode()

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(body), 16_384):
            yield body[i : i + 16_384]

    response = client.post(
        "/api/observations",
        content=chunks(),
        headers={**api_headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 413 and model_calls == []


def test_text_over_the_byte_cap_refused_by_the_intake_without_the_model(
    client, db: Database, api_headers, model_calls
) -> None:
    text = "Nuoret kertovat yksinäisyydestä. " * 900  # about 30 kB: under the body cap
    response = client.post(
        "/api/observations", json=valid_observation(text=text), headers=api_headers
    )
    assert response.status_code == 422
    assert [e["code"] for e in response.json()["detail"]] == ["too_long"]
    assert model_calls == []
    assert db.table("observations").count == 0


def test_huge_text_refused_by_the_form_without_the_model(
    client, db: Database, frontline, model_calls
) -> None:
    response = client.post("/havainnot/uusi", data=form(client, HUGE))
    assert response.status_code == 413
    assert "Havainto on liian pitkä" in response.text and HUGE[:200] not in response.text
    assert model_calls == []
    assert db.table("observations").count == 0
    text = "Nuoret kertovat yksinäisyydestä. " * 80  # 2,640 characters: a form error
    response = client.post("/havainnot/uusi", data=form(client, text))
    assert response.status_code == 422 and "Havainto on liian pitkä" in response.text
    assert model_calls == []


def test_live_check_has_the_same_cap(client, frontline, model_calls) -> None:
    token = csrf_from(client, "/havainnot/uusi")
    response = client.post("/havainnot/tarkista", data={"csrf_token": token, "text": HUGE})
    assert response.status_code == 200
    assert "liian pitkä" in response.text
    assert len(response.text) < 1000  # a notice, not the text echoed back
    assert model_calls == []
    just_over = "sana " * 420  # 2,100 characters: over the limit, under the byte cap
    response = client.post("/havainnot/tarkista", data={"csrf_token": token, "text": just_over})
    assert "liian pitkä" in response.text and model_calls == []


def test_text_just_over_the_limit_is_not_guarded(client, api_headers, model_calls) -> None:
    text = "Nuoret kertovat yksinäisyydestä. " * 70  # 2,310 characters
    response = client.post(
        "/api/observations", json=valid_observation(text=text), headers=api_headers
    )
    assert response.status_code == 422
    assert [e["code"] for e in response.json()["detail"]] == ["too_long"]
    assert model_calls == []


def test_a_normal_text_still_goes_through_the_model(client, api_headers, model_calls) -> None:
    text = "Perheiden arki kuormittuu, kun koulukuljetukset muuttuvat syksyllä."
    response = client.post(
        "/api/observations", json=valid_observation(text=text), headers=api_headers
    )
    assert response.status_code == 201
    assert model_calls  # the spy sees the guard's name check


# --- rate limits ----------------------------------------------------------------------


def test_sliding_window_limits_and_resets() -> None:
    now = [100.0]
    limiter = SlidingWindowLimiter(3, 60.0, clock=lambda: now[0])
    assert [limiter.hit("account:1") for _ in range(3)] == [None, None, None]
    wait = limiter.hit("account:1")
    assert wait is not None and 59.0 < wait <= 60.0
    assert limiter.hit("account:2") is None  # another key has its own window
    now[0] += 30
    assert limiter.hit("account:1") is not None  # a refused attempt is not counted
    now[0] += 30.001
    assert limiter.hit("account:1") is None
    limiter.reset()
    assert [limiter.hit("account:1") for _ in range(3)] == [None, None, None]


@pytest.fixture
def strict_settings(tmp_path) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        secret_key=TEST_SECRET,
        scheduler_enabled=False,
        rate_limit_submissions_per_minute=3,
        rate_limit_checks_per_minute=2,
        rate_limit_client_per_minute=5,
        cookie_secure=False,  # the test client speaks plain HTTP
    )


@pytest.fixture
def strict_client(strict_settings, db) -> Iterator[TestClient]:
    with TestClient(create_app(strict_settings)) as c:
        yield c


@pytest.fixture
def strict_headers(strict_settings, make_user) -> dict[str, str]:
    from nakyma.db import open_db

    user = make_user("rajapinta", "havainnoija")
    database = open_db(strict_settings.database_path)
    try:
        return {"Authorization": f"Bearer {create_api_token(database, user.username)}"}
    finally:
        database.close()


def test_api_submissions_are_rate_limited_per_account(
    strict_client, strict_headers, db: Database
) -> None:
    short = valid_observation(text="lyhyt")  # refused at once, but still counted
    codes = [
        strict_client.post("/api/observations", json=short, headers=strict_headers).status_code
        for _ in range(3)
    ]
    assert codes == [422, 422, 422]
    limited = strict_client.post(
        "/api/observations", json=valid_observation(), headers=strict_headers
    )
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.json() == {
        "detail": [
            {
                "field": "body",
                "message": "Liian monta pyyntöä lyhyessä ajassa. Odota hetki ja yritä "
                "uudelleen (tekstiäsi ei tallennettu).",
                "code": "rate_limited",
            }
        ]
    }
    assert db.table("observations").count == 0
    strict_client.app.state.rate_limiters["submit"].reset()
    ok = strict_client.post("/api/observations", json=valid_observation(), headers=strict_headers)
    assert ok.status_code == 201


def test_form_and_live_check_are_rate_limited(strict_client, make_user) -> None:
    user = make_user("kentta", "havainnoija")
    login(strict_client, user.username)
    token = csrf_from(strict_client, "/havainnot/uusi")
    checks = [
        strict_client.post(
            "/havainnot/tarkista", data={"csrf_token": token, "text": "Tavallinen teksti."}
        )
        for _ in range(3)
    ]
    assert [r.status_code for r in checks] == [200, 200, 429]
    assert "Retry-After" in checks[2].headers and "Liian monta" in checks[2].text
    data = form(strict_client, "lyhyt")
    posts = [strict_client.post("/havainnot/uusi", data=data) for _ in range(3)]
    # The client window (5 a minute) is used up by 2 checks and 3 form posts.
    assert [r.status_code for r in posts] == [422, 422, 422]
    limited = strict_client.post("/havainnot/uusi", data=data)
    assert limited.status_code == 429 and "Liian monta pyyntöä" in limited.text
    assert int(limited.headers["Retry-After"]) >= 1


def test_client_limit_spans_accounts(strict_client, strict_settings, make_user) -> None:
    from nakyma.db import open_db

    database = open_db(strict_settings.database_path)
    headers = []
    for name in ("eka", "toka"):
        make_user(name, "havainnoija")
        headers.append({"Authorization": f"Bearer {create_api_token(database, name)}"})
    database.close()
    short = valid_observation(text="lyhyt")
    codes = [
        strict_client.post("/api/observations", json=short, headers=headers[i % 2]).status_code
        for i in range(6)
    ]
    assert codes == [422, 422, 422, 422, 422, 429]


# --- honest degradation ---------------------------------------------------------------


def test_healthz_names_the_missing_guard_model(no_model, client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["missing"] == ["privacy guard model"]
    assert "Tietosuojatarkistus" in response.json()["message"]


def test_healthz_ok_with_the_model(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_without_the_model_api_submission_is_503_and_nothing_stored(
    no_model, client, db: Database, api_headers
) -> None:
    text = "Perheiden arki kuormittuu, kun kuljetukset muuttuvat taas syksyllä."
    response = client.post(
        "/api/observations", json=valid_observation(text=text), headers=api_headers
    )
    assert response.status_code == 503
    (error,) = response.json()["detail"]
    assert error["code"] == "guard_unavailable" and "kielimalli" in error["message"]
    assert db.table("observations").count == 0


def test_without_the_model_form_and_live_check_are_503(
    no_model, client, db: Database, frontline
) -> None:
    text = "Perheiden arki kuormittuu, kun kuljetukset muuttuvat taas keväällä."
    response = client.post("/havainnot/uusi", data=form(client, text))
    assert response.status_code == 503 and "Tietosuojatarkistus ei ole" in response.text
    token = csrf_from(client, "/havainnot/uusi")
    check = client.post("/havainnot/tarkista", data={"csrf_token": token, "text": text + " 2"})
    assert check.status_code == 503 and "kielimalli puuttuu" in check.text
    assert db.table("observations").count == 0


def test_without_the_model_comments_are_503(demo_template, settings, no_model) -> None:
    database = next(gen := copy_of_demo(demo_template, settings))
    pid = database.execute("select id from phenomena order by id limit 1").fetchone()[0]
    headers = {"Authorization": f"Bearer {create_api_token(database, 'tukitiimi')}"}
    before = database.table("comments").count
    with TestClient(create_app(settings)) as client:
        response = client.post(
            f"/api/phenomena/{pid}/comments",
            json={"body": "Sama näkyy meilläkin syksyn aikana."},
            headers=headers,
        )
    assert response.status_code == 503
    assert response.json()["detail"][0]["code"] == "guard_unavailable"
    assert database.table("comments").count == before
    gen.close()


def test_serve_refuses_to_start_without_the_model(no_model, tmp_path, monkeypatch) -> None:
    import uvicorn

    def must_not_run(*args, **kwargs):
        raise AssertionError("uvicorn must not start")

    monkeypatch.setattr(uvicorn, "run", must_not_run)
    monkeypatch.chdir(tmp_path)
    env = {"NAKYMA_DATA_DIR": str(tmp_path / "data"), "NAKYMA_SECRET_KEY": TEST_SECRET}
    result = CliRunner().invoke(cli, ["serve"], env=env)
    assert result.exit_code == 1
    assert "Palvelua ei käynnistetty" in result.output and "Not starting" in result.output
    assert "Traceback" not in result.output and result.exception is not None
    assert isinstance(result.exception, SystemExit)


def test_import_without_the_model_exits_with_one_line(
    no_model, tmp_path, settings, db: Database, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "havainnot.csv"
    path.write_text(
        "id,text,municipality,observed_on,target_group\n"
        "1,Nuoret kertovat yksinäisyydestä välitunneilla.,Äänekoski,2026-01-15,nuoret\n",
        encoding="utf-8",
    )
    env = {"NAKYMA_DATA_DIR": str(settings.data_dir), "NAKYMA_SECRET_KEY": TEST_SECRET}
    result = CliRunner().invoke(cli, ["import", "observations", str(path)], env=env)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: Suomen kielimallia")
    assert isinstance(result.exception, SystemExit)
    assert db.table("observations").count == 0


# --- search queries never reach a log -------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_searched_identity_code_appears_in_no_log_line(tmp_path) -> None:
    code = "131052-308T"
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NAKYMA_")},
        "NAKYMA_DEMO": "true",
        "NAKYMA_DATA_DIR": str(tmp_path / "data"),
        "NAKYMA_SCHEDULER_ENABLED": "false",
        "PYTHONPATH": str(ROOT),
    }
    server = subprocess.Popen(
        [sys.executable, "-c", "from nakyma.cli import cli; cli()", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.3)
        with httpx.Client(base_url=base, follow_redirects=True, timeout=10) as http:
            http.get("/haku", params={"q": f"tunnus {code}"})
            http.get("/api/search", params={"q": code})
            http.get(f"/haku?q={code}")
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "GET /haku" in output and "GET /api/search" in output  # the lines are there
    assert code not in output
    assert "131052" not in output


def test_comments_and_municipal_responses_are_rate_limited(demo_template, strict_settings) -> None:
    """Texts that go through the privacy guard on the review side count like submissions:
    3 a minute per account here, the 4th answers 429 with Retry-After and stores nothing."""
    database = next(gen := copy_of_demo(demo_template, strict_settings))
    boss = get_user(database, "johto")
    assert boss is not None
    pid = next(
        p
        for (p,) in database.execute("select id from phenomena where dismissed = 0 order by id")
        if "992" in review.phenomenon_municipalities(database, p)
    )
    headers = {"Authorization": f"Bearer {create_api_token(database, 'johto')}"}
    before = (database.table("comments").count, database.table("municipal_responses").count)
    with TestClient(create_app(strict_settings)) as client:
        answers = [
            client.post(
                f"/api/phenomena/{pid}/comments",
                json={"body": f"Sama näkyy meilläkin, kerta {i}."},
                headers=headers,
            )
            for i in range(2)
        ]
        answers.append(
            client.post(
                f"/api/phenomena/{pid}/responses",
                json={"municipality": "992", "status": "käsittelyssä", "note": ""},
                headers=headers,
            )
        )
        limited = [
            client.post(
                f"/api/phenomena/{pid}/comments", json={"body": "Vielä yksi."}, headers=headers
            ),
            client.post(
                f"/api/phenomena/{pid}/responses",
                json={"municipality": "992", "status": "seurannassa", "note": ""},
                headers=headers,
            ),
        ]
        login(client, "johto", "demo-johto")
        token = csrf_from(client, f"/ilmiot/{pid}")
        page = client.post(
            f"/ilmiot/{pid}/kommentit",
            data={"csrf_token": token, "body": "Lomakkeelta."},
            follow_redirects=False,
        )
    assert [a.status_code for a in answers] == [201, 201, 200]
    assert [a.status_code for a in limited] == [429, 429]
    assert all(int(a.headers["Retry-After"]) >= 1 for a in limited)
    assert page.status_code == 429 and "Liian monta pyyntöä" in page.text
    after = (database.table("comments").count, database.table("municipal_responses").count)
    assert after == (before[0] + 2, before[1] + 1)
    gen.close()
