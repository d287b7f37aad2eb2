"""Single sign-on: claims to roles (nakyma/sso.py), the region file's [sso] rules, ID-token
validation (nakyma/oidc.py) and the whole login against a real OpenID provider."""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from sqlite_utils import Database

from nakyma.accounts import AccountError, authenticate, create_user, set_password
from nakyma.config import Settings
from nakyma.db import open_db
from nakyma.oidc import (
    OidcClient,
    OidcError,
    PendingLogin,
    oidc_config_problems,
    open_pending,
    seal_pending,
)
from nakyma.regions import load_region
from nakyma.sso import claim_values, grant_for
from tests.conftest import PASSWORD, TEST_SECRET, csrf_from
from tests.oidc_provider import CLIENT_ID, OidcProvider, sign_in_at_provider
from web.app import create_app

REGION = load_region()


# --- Claims to roles -------------------------------------------------------------------------


def _grant(*values: str):
    grant = grant_for(values, REGION)
    assert grant is not None, values
    return grant


def test_each_group_maps_to_its_role_and_municipalities():
    assert _grant("nakyma-johto-jamsa").role == "johto"
    assert _grant("nakyma-johto-jamsa").municipalities == ("182",)
    assert _grant("nakyma-johto-182").municipalities == ("182",)
    assert _grant("nakyma-tukitiimi").role == "tukitiimi"
    assert _grant("nakyma-admin").role == "admin"


def test_unmapped_claims_get_nothing_never_a_default_role():
    assert grant_for([], REGION) is None
    assert (
        grant_for(["henkilosto", "NAKYMA-ADMIN", "nakyma-johto-", "nakyma-johto-tampere"], REGION)
        is None
    )


def test_highest_role_wins_with_only_its_own_municipalities():
    grant = grant_for(
        ["nakyma-havainnoija-muurame", "nakyma-johto-jamsa", "nakyma-johto-keuruu"], REGION
    )
    assert grant is not None
    assert grant.role == "johto"
    assert grant.municipalities == ("182", "249")  # Jämsä, Keuruu; never Muurame
    assert _grant(*["nakyma-johto-jamsa", "nakyma-admin"]).role == "admin"


def test_claim_values_reads_lists_strings_and_nested_claims():
    claims = {"groups": ["a", 3, "b"], "role": "c", "realm_access": {"roles": ["d"]}}
    assert claim_values(claims, "groups") == ["a", "b"]
    assert claim_values(claims, "role") == ["c"]
    assert claim_values(claims, "realm_access.roles") == ["d"]
    assert claim_values(claims, "missing.path") == []


def _region_file(tmp_path: Path, sso: str) -> Path:
    text = Path("nakyma/data/regions/keski-suomi.toml").read_text(encoding="utf-8")
    text = text[: text.index("[sso]")] + sso
    path = tmp_path / "alue.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("sso", "message"),
    [
        ('[sso]\nrules = [{ claim_value = "x", role = "johto" }]\n', "needs municipalities"),
        ('[sso]\nrules = [{ claim_value = "x", role = "pomo" }]\n', "unknown role"),
        ('[sso]\nrules = [{ claim_value = "x", role = "admin", ryhma = 1 }]\n', "unknown key"),
        (
            '[sso]\nrules = [{ claim_value = "x", role = "johto", '
            'municipalities = ["Tampere"] }]\n',
            "unknown municipality",
        ),
        ("[sso]\nsaannot = []\n", "unknown key"),
    ],
)
def test_region_file_refuses_bad_sso_rules(tmp_path, sso, message):
    with pytest.raises(ValueError, match=message):
        load_region(_region_file(tmp_path, sso))


def test_region_file_rule_with_explicit_municipalities(tmp_path):
    region = load_region(
        _region_file(
            tmp_path,
            '[sso]\nrules = [{ claim_value = "keski-johto", role = "johto", '
            'municipalities = ["Jämsä", "Keuruu"] }]\n',
        )
    )
    grant = grant_for(["keski-johto"], region)
    assert grant is not None and grant.municipalities == ("182", "249")


# --- ID-token validation against a provider on a mock transport ----------------------------

ISSUER = "https://tunnistus.example.fi"


class FakeProvider:
    """Discovery and JWKS over httpx.MockTransport; tokens signed with its current key."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "avain-1"})
        self.jwks_requests = 0

    def rotate(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "avain-2"})

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/openid-configuration":
            return httpx.Response(
                200,
                json={
                    "issuer": ISSUER,
                    "authorization_endpoint": ISSUER + "/auth",
                    "token_endpoint": ISSUER + "/token",
                    "jwks_uri": ISSUER + "/jwks",
                    "code_challenge_methods_supported": ["S256"],
                },
            )
        if request.url.path == "/jwks":
            self.jwks_requests += 1
            return httpx.Response(200, json=KeySet([self.key]).as_dict(private=False))
        return httpx.Response(404)

    def token(self, **overrides: object) -> str:
        now = int(time.time())
        claims: dict[str, object] = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "sub": "kayttaja-1",
            "iat": now,
            "exp": now + 300,
            "nonce": "kertakaytto",
        }
        claims.update(overrides)
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key)


@pytest.fixture
def fake() -> FakeProvider:
    return FakeProvider()


def _client(fake: FakeProvider, clock=time.time) -> OidcClient:
    settings = Settings(
        _env_file=None,
        secret_key=TEST_SECRET,
        oidc_issuer=ISSUER,
        oidc_client_id=CLIENT_ID,
    )
    return OidcClient(settings, transport=httpx.MockTransport(fake.handler), clock=clock)


def test_a_valid_id_token_is_accepted(fake):
    claims = _client(fake).validate_id_token(fake.token(), nonce="kertakaytto")
    assert claims["sub"] == "kayttaja-1"


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "joku-muu-palvelu"},
        {"aud": ["joku-muu-palvelu", "kolmas"]},
        {"iss": "https://huijari.example.com"},
        {"nonce": "toisen-kirjautumisen"},
        {"exp": int(time.time()) - 3600},
        {"iat": int(time.time()) + 3600},
        {"aud": [CLIENT_ID, "toinen"], "azp": "toinen"},
    ],
    ids=["audience", "audiences", "issuer", "nonce", "expired", "future", "azp"],
)
def test_wrong_claims_are_refused(fake, overrides):
    with pytest.raises(OidcError):
        _client(fake).validate_id_token(fake.token(**overrides), nonce="kertakaytto")


def test_missing_nonce_is_refused(fake):
    token = fake.token()
    claims = json.loads(__import__("base64").urlsafe_b64decode(token.split(".")[1] + "==").decode())
    claims.pop("nonce")
    unsigned = jwt.encode({"alg": "RS256", "kid": fake.key.kid}, claims, fake.key)
    with pytest.raises(OidcError):
        _client(fake).validate_id_token(unsigned, nonce="kertakaytto")


def _tamper(token: str, **changes: object) -> str:
    """The token with its payload changed and the original signature kept."""
    import base64

    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{body}.{signature}"


def test_a_tampered_id_token_fails_its_signature(fake):
    token = _tamper(fake.token(), groups=["nakyma-admin"])
    with pytest.raises(OidcError, match="BadSignature"):
        _client(fake).validate_id_token(token, nonce="kertakaytto")


def test_unsigned_and_symmetric_tokens_are_refused(fake):
    from joserfc.jwk import OctKey

    hs = jwt.encode(
        {"alg": "HS256"},
        {"iss": ISSUER, "aud": CLIENT_ID, "sub": "x", "iat": 1, "exp": 2**31, "nonce": "n"},
        OctKey.import_key("salainen-avain-joka-on-riittavan-pitka-hs256"),
    )
    with pytest.raises(OidcError):
        _client(fake).validate_id_token(hs, nonce="n")


def test_expiry_is_checked_against_the_clock(fake):
    token = fake.token()
    assert _client(fake).validate_id_token(token, nonce="kertakaytto")
    late = _client(fake, clock=lambda: time.time() + 3600)
    with pytest.raises(OidcError, match="Expired"):
        late.validate_id_token(token, nonce="kertakaytto")


def test_keys_are_cached_and_fetched_again_for_a_new_key_id(fake):
    now = [1_000_000.0]
    client = _client(fake, clock=lambda: now[0])
    client.clock = lambda: now[0]
    first = fake.token(iat=int(now[0]), exp=int(now[0]) + 300)
    client.validate_id_token(first, nonce="kertakaytto")
    client.validate_id_token(first, nonce="kertakaytto")
    assert fake.jwks_requests == 1  # cached
    fake.rotate()
    now[0] += 60
    second = fake.token(iat=int(now[0]), exp=int(now[0]) + 300)
    assert client.validate_id_token(second, nonce="kertakaytto")["sub"] == "kayttaja-1"
    assert fake.jwks_requests == 2  # refreshed once for the unknown key id


def test_made_up_key_ids_do_not_make_us_refetch_again_and_again(fake):
    client = _client(fake)
    client.validate_id_token(fake.token(), nonce="kertakaytto")
    fake.rotate()
    for _ in range(5):
        with pytest.raises(OidcError):
            client.validate_id_token(fake.token(), nonce="kertakaytto")
    assert fake.jwks_requests <= 2


def test_discovery_naming_another_issuer_is_refused(fake):
    settings = Settings(
        _env_file=None,
        secret_key=TEST_SECRET,
        oidc_issuer="https://toinen.example.fi",
        oidc_client_id=CLIENT_ID,
    )
    client = OidcClient(settings, transport=httpx.MockTransport(fake.handler))
    with pytest.raises(OidcError, match="issuer"):
        client.metadata()


def test_pending_login_is_sealed_and_expires():
    pending = PendingLogin("s", "n", "v" * 64, "/alue", int(time.time()))
    sealed = seal_pending(pending, TEST_SECRET)
    assert open_pending(sealed, TEST_SECRET) == pending
    assert open_pending(sealed, "toinen-" + TEST_SECRET) is None
    assert open_pending(sealed[:-2] + "xx", TEST_SECRET) is None
    assert open_pending(sealed, TEST_SECRET, now=time.time() + 3600) is None


def test_start_login_asks_for_code_with_pkce_state_and_nonce(fake):
    url, pending = _client(fake).start_login("https://nakyma.example.fi/cb", "/")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256"
    assert query["state"] == pending.state and query["nonce"] == pending.nonce
    assert pending.code_verifier not in url
    assert "openid" in query["scope"].split()


# --- Settings and configuration checks -------------------------------------------------------


def test_settings_refuse_no_way_to_sign_in():
    with pytest.raises(ValueError, match="NAKYMA_LOCAL_LOGIN"):
        Settings(_env_file=None, secret_key=TEST_SECRET, local_login=False)


def test_settings_need_a_client_id_with_an_issuer():
    with pytest.raises(ValueError, match="NAKYMA_OIDC_CLIENT_ID"):
        Settings(_env_file=None, secret_key=TEST_SECRET, oidc_issuer=ISSUER)


def test_config_problems(fake):
    off = Settings(_env_file=None, secret_key=TEST_SECRET)
    assert oidc_config_problems(off) == []
    good = Settings(
        _env_file=None, secret_key=TEST_SECRET, oidc_issuer=ISSUER, oidc_client_id=CLIENT_ID
    )
    assert oidc_config_problems(good, transport=httpx.MockTransport(fake.handler)) == []
    down = oidc_config_problems(good, transport=httpx.MockTransport(lambda r: httpx.Response(503)))
    assert down and "Tunnistuspalveluun" in down[0]
    plain = Settings(
        _env_file=None,
        secret_key=TEST_SECRET,
        oidc_issuer="http://tunnistus.example.fi",
        oidc_client_id=CLIENT_ID,
    )
    assert "https" in oidc_config_problems(plain)[0]


# --- The whole login against the real provider -------------------------------------------


@pytest.fixture
def provider(oidc_provider: OidcProvider) -> Iterator[OidcProvider]:
    oidc_provider.reset()
    yield oidc_provider
    oidc_provider.reset()


@pytest.fixture
def sso_settings(tmp_path, provider: OidcProvider) -> Settings:
    return provider.settings(tmp_path / "data", TEST_SECRET)


@pytest.fixture
def sso_db(sso_settings: Settings) -> Iterator[Database]:
    database = open_db(sso_settings.database_path)
    yield database
    database.close()


@pytest.fixture
def sso_client(sso_settings: Settings, sso_db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(sso_settings), base_url="http://127.0.0.1") as c:
        yield c


def _login(client: TestClient, provider: OidcProvider, account: str, **kwargs):
    start = client.get("/kirjaudu/sso", params={"seuraava": "/alue"}, follow_redirects=False)
    assert start.status_code == 303, start.text
    callback = sign_in_at_provider(
        start.headers["location"], account, provider.app_url + "/kirjaudu/sso/paluu"
    )
    parts = urlsplit(callback)
    return client.get(f"{parts.path}?{parts.query}", follow_redirects=False, **kwargs), callback


def _user_rows(db: Database) -> list[dict]:
    return list(db.query("select * from users order by id"))


def test_login_page_shows_the_sso_button(sso_client):
    page = sso_client.get("/kirjaudu")
    assert 'id="sso-login"' in page.text
    assert "Kirjaudu organisaation tunnuksilla" in page.text
    assert 'name="password"' in page.text  # local login stays on by default


def test_csp_lets_forms_lead_to_the_provider(sso_client, provider):
    csp = sso_client.get("/kirjaudu").headers["content-security-policy"]
    assert f"form-action 'self' {provider.issuer}" in csp


def test_leader_signs_in_with_role_and_municipality_from_groups(sso_client, sso_db, provider):
    response, _ = _login(sso_client, provider, "johto-jamsa")
    assert response.status_code == 303
    assert response.headers["location"] == "/alue"
    (row,) = _user_rows(sso_db)
    assert row["role"] == "johto" and row["display_name"] == "Jaana Johtaja"
    assert row["username"].startswith("sso-")
    codes = [r[0] for r in sso_db.execute("select municipality_code from user_municipalities")]
    assert codes == ["182"]
    home = sso_client.get("/")
    assert "Jaana Johtaja" in home.text and "Työlista" in home.text
    assert sso_client.get("/viennit").status_code == 403


def test_claims_are_evaluated_again_at_every_login(sso_client, sso_db, provider):
    _login(sso_client, provider, "johto-jamsa")
    (first,) = _user_rows(sso_db)
    provider.set_groups("johto-jamsa", ["nakyma-tukitiimi"])
    response, _ = _login(sso_client, provider, "johto-jamsa")
    assert response.status_code == 303
    (second,) = _user_rows(sso_db)
    assert second["id"] == first["id"] and second["role"] == "tukitiimi"
    assert sso_client.get("/viennit").status_code == 200
    # Taken out of every group: refused, the account closed and its sessions ended.
    provider.set_groups("johto-jamsa", ["henkilosto"])
    response, _ = _login(sso_client, provider, "johto-jamsa")
    assert response.status_code == 403
    (third,) = _user_rows(sso_db)
    assert third["active"] == 0
    assert sso_db.execute("select count(*) from sessions").fetchone()[0] == 0


def test_user_whose_groups_map_to_nothing_is_refused(sso_client, sso_db, provider):
    response, _ = _login(sso_client, provider, "ei-ryhmaa", headers={"accept": "text/html"})
    assert response.status_code == 403
    assert "Sinulla ei ole käyttöoikeutta Näkymään" in response.text
    assert _user_rows(sso_db) == []
    assert sso_client.get("/", follow_redirects=False).status_code == 303  # still signed out


def test_state_mismatch_is_refused(sso_client, sso_db, provider):
    start = sso_client.get("/kirjaudu/sso", follow_redirects=False)
    callback = sign_in_at_provider(
        start.headers["location"], "admin", provider.app_url + "/kirjaudu/sso/paluu"
    )
    parts = urlsplit(callback)
    forged = parts.query.replace("state=", "state=x")
    response = sso_client.get(f"{parts.path}?{forged}", follow_redirects=False)
    assert response.status_code == 400
    assert "Kirjautuminen epäonnistui" in response.text
    assert _user_rows(sso_db) == []


def test_callback_without_the_browsers_pending_login_is_refused(sso_client, sso_db, provider):
    start = sso_client.get("/kirjaudu/sso", follow_redirects=False)
    callback = sign_in_at_provider(
        start.headers["location"], "admin", provider.app_url + "/kirjaudu/sso/paluu"
    )
    sso_client.cookies.clear()  # another browser (login CSRF): no pending login
    parts = urlsplit(callback)
    response = sso_client.get(f"{parts.path}?{parts.query}", follow_redirects=False)
    assert response.status_code == 400
    assert "Kirjautuminen vanhentui" in response.text
    assert _user_rows(sso_db) == []


def test_nonce_mismatch_is_refused(sso_client, sso_db, provider):
    start = sso_client.get("/kirjaudu/sso", follow_redirects=False)
    sealed = sso_client.cookies.get("nakyma_oidc")
    pending = open_pending(sealed, TEST_SECRET)
    assert pending is not None
    # The same state and verifier but another login's nonce: a replayed ID token.
    other = PendingLogin(
        pending.state, "toisen-kirjautumisen-nonce", pending.code_verifier, "/", pending.started_at
    )
    callback = sign_in_at_provider(
        start.headers["location"], "admin", provider.app_url + "/kirjaudu/sso/paluu"
    )
    sso_client.cookies.clear()
    sso_client.cookies.set("nakyma_oidc", seal_pending(other, TEST_SECRET))
    parts = urlsplit(callback)
    response = sso_client.get(f"{parts.path}?{parts.query}", follow_redirects=False)
    assert response.status_code == 400
    assert _user_rows(sso_db) == []


def test_expired_id_token_is_refused_at_the_callback(sso_client, sso_db, provider):
    # The provider's ID tokens live 10 minutes; the service's clock runs two hours ahead.
    sso_client.app.state.oidc.clock = lambda: time.time() + 7200  # type: ignore[attr-defined]
    start = sso_client.get("/kirjaudu/sso", follow_redirects=False)
    callback = sign_in_at_provider(
        start.headers["location"], "admin", provider.app_url + "/kirjaudu/sso/paluu"
    )
    parts = urlsplit(callback)
    response = sso_client.get(f"{parts.path}?{parts.query}", follow_redirects=False)
    assert response.status_code == 400
    assert _user_rows(sso_db) == []


class TamperingTransport(httpx.HTTPTransport):
    """The real provider, except that the token response's ID token gets the admin group
    (its signature kept): what a man in the middle would try."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.url.path != "/token":
            return response
        body = json.loads(response.read())
        body["id_token"] = _tamper(body["id_token"], groups=["nakyma-admin"])
        return httpx.Response(response.status_code, json=body)


def test_tampered_id_token_from_the_token_endpoint_is_refused(
    sso_client, sso_settings, sso_db, provider
):
    sso_client.app.state.oidc = OidcClient(sso_settings, transport=TamperingTransport())  # type: ignore[attr-defined]
    response, _ = _login(sso_client, provider, "ei-ryhmaa")
    assert response.status_code == 400
    assert _user_rows(sso_db) == []


def test_logout_ends_the_session_here_and_at_the_provider(sso_client, sso_db, provider):
    _login(sso_client, provider, "admin")
    token = csrf_from(sso_client, "/alue")
    response = sso_client.post("/kirjaudu-ulos", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    target = urlsplit(response.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == provider.issuer + "/session/end"
    query = parse_qs(target.query)
    assert query["post_logout_redirect_uri"] == [provider.app_url + "/kirjaudu"]
    assert query["id_token_hint"] and query["client_id"] == [CLIENT_ID]
    assert sso_db.execute("select count(*) from sessions").fetchone()[0] == 0
    assert sso_client.get("/", follow_redirects=False).status_code == 303


def test_sso_identity_never_merges_with_a_local_account(sso_client, sso_db, provider):
    create_user(sso_db, "jaana", role="havainnoija", password=PASSWORD, region=REGION)
    _login(sso_client, provider, "johto-jamsa")
    rows = _user_rows(sso_db)
    assert [r["role"] for r in rows] == ["havainnoija", "johto"]
    assert rows[0]["username"] == "jaana"
    # The SSO account has no password to sign in with, and cannot be given one.
    assert authenticate(sso_db, rows[1]["username"], "!sso", client="t") is None
    with pytest.raises(AccountError):
        set_password(sso_db, rows[1]["username"], PASSWORD)
    with pytest.raises(AccountError, match="varattu"):
        create_user(sso_db, "sso-omatunnus", role="admin", password=PASSWORD, region=REGION)


def test_local_login_can_be_switched_off(tmp_path, provider):
    settings = provider.settings(tmp_path / "data", TEST_SECRET, local_login=False)
    db = open_db(settings.database_path)
    create_user(db, "varmistus", role="admin", password=PASSWORD, region=REGION)
    db.close()
    with TestClient(create_app(settings)) as client:
        page = client.get("/kirjaudu")
        assert 'name="password"' not in page.text and 'id="sso-login"' in page.text
        # No form on the page, so no token in it: made as the form would carry it.
        seed = client.cookies["nakyma_csrf"]
        token = hmac.new(TEST_SECRET.encode(), f"browser:{seed}".encode(), "sha256").hexdigest()
        response = client.post(
            "/kirjaudu",
            data={"username": "varmistus", "password": PASSWORD, "csrf_token": token},
            headers={"accept": "text/html"},
            follow_redirects=False,
        )
        assert response.status_code == 403
        assert "Kirjautuminen salasanalla ei ole käytössä" in response.text


def test_without_sso_there_is_no_button_and_no_route(client):
    assert 'id="sso-login"' not in client.get("/kirjaudu").text
    assert client.get("/kirjaudu/sso", follow_redirects=False).status_code == 404
    assert client.get("/kirjaudu/sso/paluu", follow_redirects=False).status_code == 404


def test_config_problems_with_the_real_provider(sso_settings):
    assert oidc_config_problems(sso_settings) == []


def test_config_problems_name_a_region_file_without_rules(tmp_path, fake):
    text = Path("nakyma/data/regions/keski-suomi.toml").read_text(encoding="utf-8")
    path = tmp_path / "ilman-sso.toml"
    path.write_text(text[: text.index("[sso]")], encoding="utf-8")
    settings = Settings(
        _env_file=None,
        secret_key=TEST_SECRET,
        oidc_issuer=ISSUER,
        oidc_client_id=CLIENT_ID,
        region_file=path,
    )
    (problem,) = oidc_config_problems(settings, transport=httpx.MockTransport(fake.handler))
    assert "[sso]" in problem


def test_sso_can_be_switched_off_with_an_issuer_set():
    settings = Settings(
        _env_file=None,
        secret_key=TEST_SECRET,
        oidc_issuer=ISSUER,
        oidc_client_id=CLIENT_ID,
        oidc_enabled=False,
    )
    assert not settings.sso_enabled
