"""OpenID Connect relying party: discovery, the login request, the code exchange and ID-token
validation, for single sign-on with the county's identity provider.

The flow is the authorization code flow with PKCE (S256), `state` and `nonce`:

1. `OidcClient.start_login` makes a fresh state, nonce and code verifier, and the provider's
   authorization URL (Authlib's `prepare_grant_uri`). The three secrets travel in a pending
   login sealed with the deployment's secret key (`seal_pending`), which the web layer keeps
   in a short-lived HttpOnly cookie: the callback is bound to the browser that started it.
2. `OidcClient.finish_login` checks the callback's state against the pending login (Authlib's
   `parse_authorization_code_response`, which raises on a mismatch), exchanges the code with
   the code verifier (Authlib's token request and client authentication), and validates the
   ID token: the signature with the provider's JWKS (joserfc), then issuer, audience,
   authorized party, expiry, issue time and nonce (Authlib's `CodeIDToken`), with a minute
   of leeway for clock skew.

Discovery (`/.well-known/openid-configuration`) and the JWKS are cached in the client; the
JWKS is fetched again when a token names a key id it does not hold (the provider rotated its
keys), at most once per `JWKS_MIN_REFRESH_SECONDS`, so tokens with made-up key ids cannot
make us hammer the provider. The network sits behind one httpx client; tests replace it at
the transport or run a real provider.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749.errors import OAuth2Error
from authlib.oauth2.rfc6749.parameters import (
    parse_authorization_code_response,
    prepare_grant_uri,
    prepare_token_request,
)
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from nakyma.config import Settings
from nakyma.regions import load_region

METADATA_TTL_SECONDS = 3600
JWKS_TTL_SECONDS = 24 * 3600
JWKS_MIN_REFRESH_SECONDS = 10
PENDING_LOGIN_SECONDS = 600  # how long the provider's login may take
LEEWAY_SECONDS = 60
# Asymmetric signatures only: a symmetric ("HS256") ID token would be signed with the client
# secret, and "none" is no signature at all.
ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"]


class OidcError(Exception):
    """A login through the provider could not be completed. The message is for the log;
    the user sees a general Finnish page."""


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None


@dataclass(frozen=True)
class PendingLogin:
    """What the callback needs from the start of a login; never sent to the provider except
    the nonce and the code verifier's S256 challenge."""

    state: str
    nonce: str
    code_verifier: str
    next_path: str
    started_at: int


@dataclass(frozen=True)
class LoginResult:
    claims: dict[str, Any]
    id_token: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal_pending(pending: PendingLogin, secret_key: str) -> str:
    """The pending login as a cookie value: JSON with an HMAC-SHA256 of the secret key."""
    body = _b64(json.dumps(asdict(pending), separators=(",", ":")).encode("utf-8"))
    mac = hmac.new(secret_key.encode(), b"oidc-pending:" + body.encode(), hashlib.sha256)
    return body + "." + _b64(mac.digest())


def open_pending(value: str, secret_key: str, *, now: float | None = None) -> PendingLogin | None:
    """The pending login sealed in `value`, or None when it is forged, damaged or too old."""
    body, _, mac = value.partition(".")
    expected = hmac.new(secret_key.encode(), b"oidc-pending:" + body.encode(), hashlib.sha256)
    try:
        if not hmac.compare_digest(_unb64(mac), expected.digest()):
            return None
        pending = PendingLogin(**json.loads(_unb64(body)))
    except (ValueError, TypeError):
        return None
    age = (time.time() if now is None else now) - pending.started_at
    return pending if 0 <= age <= PENDING_LOGIN_SECONDS else None


def is_secure_url(url: str) -> bool:
    """https, or http to this machine's loopback (tests, a provider on the same host)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


class OidcClient:
    """One deployment's relying party: settings, caches and the HTTP client.

    `transport` replaces the network in tests; `clock` gives "now" in seconds for token
    expiry, caches and pending logins."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuer = settings.oidc_issuer.strip()
        self.client_id = settings.oidc_client_id.strip()
        self.client_secret = settings.oidc_client_secret
        self.scopes = settings.oidc_scopes.split()
        self.clock = clock
        self._http = httpx.Client(
            transport=transport,
            timeout=settings.http_timeout_seconds,
            headers={"User-Agent": settings.user_agent},
            follow_redirects=False,
        )
        self._lock = threading.Lock()
        self._metadata: tuple[float, ProviderMetadata] | None = None
        self._jwks: tuple[float, KeySet] | None = None
        self.jwks_fetches = 0  # for tests and diagnostics

    def close(self) -> None:
        self._http.close()

    # --- Discovery and keys ---------------------------------------------------------------

    def _get_json(self, url: str) -> dict[str, Any]:
        if not is_secure_url(url):
            raise OidcError(f"refusing a non-https provider URL: {url}")
        try:
            response = self._http.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcError(f"could not read {url}: {exc}") from exc
        if not isinstance(data, dict):
            raise OidcError(f"{url} did not answer a JSON object")
        return data

    def metadata(self) -> ProviderMetadata:
        """The provider's discovery document (cached for an hour), checked against the
        configured issuer."""
        with self._lock:
            if self._metadata and self.clock() - self._metadata[0] < METADATA_TTL_SECONDS:
                return self._metadata[1]
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        data = self._get_json(url)
        issuer = data.get("issuer")
        if not isinstance(issuer, str) or issuer.rstrip("/") != self.issuer.rstrip("/"):
            raise OidcError(f"discovery names issuer {issuer!r}, expected {self.issuer!r}")
        methods = data.get("code_challenge_methods_supported")
        if isinstance(methods, list) and "S256" not in methods:
            raise OidcError("the provider does not support PKCE with S256")
        try:
            metadata = ProviderMetadata(
                issuer=issuer,
                authorization_endpoint=str(data["authorization_endpoint"]),
                token_endpoint=str(data["token_endpoint"]),
                jwks_uri=str(data["jwks_uri"]),
                end_session_endpoint=(
                    str(data["end_session_endpoint"]) if data.get("end_session_endpoint") else None
                ),
            )
        except KeyError as exc:
            raise OidcError(f"discovery document lacks {exc}") from None
        with self._lock:
            self._metadata = (self.clock(), metadata)
        return metadata

    def keys(self, *, refresh: bool = False) -> KeySet:
        """The provider's signing keys (cached for a day; `refresh` fetches them again
        unless they were fetched within JWKS_MIN_REFRESH_SECONDS)."""
        with self._lock:
            cached = self._jwks
        now = self.clock()
        if cached is not None:
            age = now - cached[0]
            if (not refresh and age < JWKS_TTL_SECONDS) or (
                refresh and age < JWKS_MIN_REFRESH_SECONDS
            ):
                return cached[1]
        data = self._get_json(self.metadata().jwks_uri)
        try:
            public = [k for k in data.get("keys", []) if isinstance(k, dict) and "d" not in k]
            key_set = KeySet.import_key_set({"keys": public})
        except (JoseError, ValueError, TypeError) as exc:
            raise OidcError(f"the provider's JWKS could not be read: {exc}") from exc
        with self._lock:
            self._jwks = (now, key_set)
            self.jwks_fetches += 1
        return key_set

    # --- The login ------------------------------------------------------------------------

    def start_login(self, redirect_uri: str, next_path: str) -> tuple[str, PendingLogin]:
        """The provider's authorization URL to send the browser to, and the pending login
        to keep in the browser until it comes back."""
        pending = PendingLogin(
            state=generate_token(43),
            nonce=generate_token(43),
            code_verifier=generate_token(64),  # RFC 7636: 43–128 unreserved characters
            next_path=next_path,
            started_at=int(self.clock()),
        )
        url = prepare_grant_uri(
            self.metadata().authorization_endpoint,
            client_id=self.client_id,
            response_type="code",
            redirect_uri=redirect_uri,
            scope=self.scopes,
            state=pending.state,
            nonce=pending.nonce,
            code_challenge=create_s256_code_challenge(pending.code_verifier),
            code_challenge_method="S256",
        )
        return url, pending

    def finish_login(
        self, callback_url: str, pending: PendingLogin, redirect_uri: str
    ) -> LoginResult:
        """Check the callback, exchange its code and validate the ID token; OidcError on
        any failure (the provider's own error answer included)."""
        query = dict(httpx.URL(callback_url).params)
        if "error" in query:
            raise OidcError(
                f"the provider answered {query['error']}: {query.get('error_description')}"
            )
        try:
            params = parse_authorization_code_response(callback_url, state=pending.state)
        except OAuth2Error as exc:
            raise OidcError(f"callback refused: {exc.error}") from exc
        if not params.get("state"):
            raise OidcError("callback refused: no state")
        metadata = self.metadata()
        # RFC 9207: a provider that names itself in the callback must be the one we asked.
        if "iss" in params and params["iss"] != metadata.issuer:
            raise OidcError(f"callback from issuer {params['iss']!r}")
        token = self._exchange_code(metadata, params["code"], pending, redirect_uri)
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("the token response has no ID token")
        access_token = token.get("access_token")
        claims = self.validate_id_token(
            id_token,
            nonce=pending.nonce,
            access_token=access_token if isinstance(access_token, str) else None,
        )
        return LoginResult(claims=claims, id_token=id_token)

    def _exchange_code(
        self, metadata: ProviderMetadata, code: str, pending: PendingLogin, redirect_uri: str
    ) -> dict[str, Any]:
        body = prepare_token_request(
            "authorization_code",
            code=code,
            redirect_uri=redirect_uri,
            code_verifier=pending.code_verifier,
        )
        method = "client_secret_basic" if self.client_secret else "none"
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        url, headers, body = ClientAuth(self.client_id, self.client_secret, method).prepare(
            "POST", metadata.token_endpoint, headers, body
        )
        if not is_secure_url(url):
            raise OidcError(f"refusing a non-https token endpoint: {url}")
        try:
            response = self._http.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise OidcError(f"token request failed: {exc}") from exc
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code != 200 or not isinstance(data, dict):
            error = data.get("error") if isinstance(data, dict) else None
            raise OidcError(f"token request answered {response.status_code} {error or ''}".strip())
        return data

    def validate_id_token(
        self, id_token: str, *, nonce: str, access_token: str | None = None
    ) -> dict[str, Any]:
        """The ID token's claims once its signature (the provider's JWKS), issuer, audience,
        authorized party, expiry, issue time and nonce are checked; OidcError otherwise."""
        metadata = self.metadata()
        try:
            try:
                token = jwt.decode(id_token, self.keys(), algorithms=ID_TOKEN_ALGORITHMS)
            except InvalidKeyIdError:
                # A key id we do not hold: the provider may have rotated its keys.
                token = jwt.decode(
                    id_token, self.keys(refresh=True), algorithms=ID_TOKEN_ALGORITHMS
                )
            claims = CodeIDToken(
                token.claims,
                token.header,
                options={
                    "iss": {"essential": True, "value": metadata.issuer},
                    "aud": {"essential": True, "value": self.client_id},
                    "sub": {"essential": True},
                    "exp": {"essential": True},
                    "iat": {"essential": True},
                    "nonce": {"essential": True, "value": nonce},
                },
                params={"nonce": nonce, "client_id": self.client_id, "access_token": access_token},
            )
            claims.validate(now=int(self.clock()), leeway=LEEWAY_SECONDS)
        except (JoseError, ValueError) as exc:
            raise OidcError(f"ID token refused: {type(exc).__name__}: {exc}") from exc
        return dict(claims)

    def logout_url(self, id_token: str | None, post_logout_redirect_uri: str) -> str | None:
        """The provider's end-session URL (RP-initiated logout), or None when it has none."""
        try:
            endpoint = self.metadata().end_session_endpoint
        except OidcError:
            return None  # the local session is ended all the same
        if not endpoint:
            return None
        params = [("client_id", self.client_id)]
        if id_token:
            params.append(("id_token_hint", id_token))
        params.append(("post_logout_redirect_uri", post_logout_redirect_uri))
        return str(add_params_to_uri(endpoint, params))


def form_action_origins(settings: Settings) -> list[str]:
    """Origins the login and logout forms may lead to (the CSP's form-action): the
    provider's, when single sign-on is on. A form's redirect to the provider (logout) is
    otherwise blocked by `form-action 'self'`."""
    if not settings.sso_enabled:
        return []
    parts = urlsplit(settings.oidc_issuer.strip())
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme and parts.netloc else []


def oidc_config_problems(
    settings: Settings, *, transport: httpx.BaseTransport | None = None
) -> list[str]:
    """What is wrong with the single sign-on configuration, in plain Finnish; empty when it
    is off or works. Reads the region file's [sso] rules and the provider's discovery
    document and keys (the network), so a configuration check shows an unreachable or
    misconfigured provider before users do. `transport` replaces the network in tests."""
    if not settings.sso_enabled:
        return []
    problems: list[str] = []
    try:
        region_rules = len(load_region(settings.region_file).sso_rules)
    except (OSError, ValueError) as exc:
        problems.append(f"Aluetiedostoa ei voitu lukea: {exc}")
        region_rules = None
    if not is_secure_url(settings.oidc_issuer.strip()):
        problems.append(
            "NAKYMA_OIDC_ISSUER: osoitteen on oltava https:// (http vain tämän koneen "
            "omaan osoitteeseen testeissä)."
        )
    if region_rules == 0:
        problems.append(
            "Aluetiedostossa ei ole [sso]-sääntöjä: yksikään kertakirjautuja ei saisi "
            "käyttöoikeutta."
        )
    if problems:
        return problems
    client = OidcClient(settings, transport=transport)
    try:
        client.metadata()
        client.keys()
    except OidcError as exc:
        problems.append(f"Tunnistuspalveluun {settings.oidc_issuer} ei saatu yhteyttä: {exc}")
    finally:
        client.close()
    return problems


def redirect_uri_for(settings: Settings, base_url: str) -> str:
    """The callback URL: the configured one, else this server's /kirjaudu/sso/paluu."""
    if settings.oidc_redirect_uri.strip():
        return settings.oidc_redirect_uri.strip()
    return base_url.rstrip("/") + "/kirjaudu/sso/paluu"


def claims_summary(claims: Mapping[str, Any]) -> str:
    """Issuer and subject for a log line (never the whole token)."""
    return f"iss={claims.get('iss')!r} sub={claims.get('sub')!r}"
