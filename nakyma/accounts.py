"""Accounts: local users with roles, Argon2 passwords, hashed API tokens and browser sessions."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pwdlib import PasswordHash
from sqlite_utils import Database

from nakyma.db import best_effort_write, now_utc, write_transaction
from nakyma.regions import Region
from nakyma.vocabulary import USER_ROLES

MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "nky_"
USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")

_hasher = PasswordHash.recommended()  # Argon2id with the library's current parameters
# Verified against when the user does not exist, so a miss costs as much as a hit.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
# Used only when a caller gives no secret key (tests, scripts): the hashes then last as
# long as the process. The web app passes the deployment's secret key.
_PROCESS_KEY = secrets.token_bytes(32)

# The password_hash of an account that signs in only through single sign-on (nakyma/sso.py):
# not a hash of anything, so no password ever matches it.
NO_PASSWORD = "!sso"
# User names of single sign-on accounts begin with this; local accounts may not.
SSO_USERNAME_PREFIX = "sso-"

ATTEMPT_RETENTION_DAYS = 30  # login_attempts older than this are purged
TOKEN_TOUCH_SECONDS = 60  # at most one last_used_at write per token per minute
# The per-account ceiling, as a multiple of max_failures, over all clients together.
ACCOUNT_CEILING_FACTOR = 20
ACCOUNT_CEILING_DELAY_SECONDS = 1.0


class AccountError(ValueError):
    """A user could not be created or changed; the message is for the operator."""


class LoginThrottled(Exception):
    def __init__(self, retry_after_seconds: int):
        super().__init__(f"too many failed logins, retry after {retry_after_seconds} s")
        self.retry_after_seconds = retry_after_seconds


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: str
    municipalities: tuple[str, ...]
    # The user interface language the user chose, or None (then the browser and the region
    # decide: web.i18n.request_language).
    language: str | None = None

    @property
    def role_label(self) -> str:
        return USER_ROLES[self.role]

    @property
    def sees_whole_region(self) -> bool:
        return self.role in ("tukitiimi", "admin")


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _load_user(db: Database, row: dict) -> User:
    codes = tuple(
        r[0]
        for r in db.execute(
            "select municipality_code from user_municipalities where user_id = ? "
            "order by municipality_code",
            [row["id"]],
        ).fetchall()
    )
    return User(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"] or row["username"],
        role=row["role"],
        municipalities=codes,
        language=row.get("language"),
    )


def get_user(db: Database, username: str) -> User | None:
    rows = list(
        db.query(
            "select * from users where username = ? and active = 1", [username.strip().lower()]
        )
    )
    return _load_user(db, rows[0]) if rows else None


def get_user_by_id(db: Database, user_id: int) -> User | None:
    rows = list(db.query("select * from users where id = ? and active = 1", [user_id]))
    return _load_user(db, rows[0]) if rows else None


def list_users(db: Database) -> list[User]:
    return [_load_user(db, r) for r in db.query("select * from users order by username")]


def create_user(
    db: Database,
    username: str,
    *,
    role: str,
    password: str,
    region: Region,
    municipalities: Iterable[str] = (),
    display_name: str | None = None,
) -> User:
    """Create a local account. Leadership (`johto`) must be scoped to municipalities."""
    username = username.strip().lower()
    if not USERNAME_PATTERN.fullmatch(username):
        raise AccountError("Käyttäjätunnus: 2–64 merkkiä, pienet kirjaimet a–z, numerot ja . _ -")
    if username.startswith(SSO_USERNAME_PREFIX):
        raise AccountError(
            f"Etuliite {SSO_USERNAME_PREFIX!r} on varattu kertakirjautumisen käyttäjille."
        )
    if role not in USER_ROLES:
        raise AccountError(f"Tuntematon rooli {role!r}. Sallitut: {', '.join(USER_ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Salasanassa on oltava vähintään {MIN_PASSWORD_LENGTH} merkkiä.")
    codes: list[str] = []
    for written in municipalities:
        m = region.resolve(written)
        if m is None:
            raise AccountError(f"Tuntematon kunta: {written!r}")
        if m.code not in codes:
            codes.append(m.code)
    if role == "johto" and not codes:
        raise AccountError("Johdon käyttäjälle on annettava vähintään yksi kunta (--municipality).")
    if db.execute("select 1 from users where username = ?", [username]).fetchone():
        raise AccountError(f"Käyttäjä {username!r} on jo olemassa.")
    with write_transaction(db):
        users = db.table("users")
        users.insert(
            {
                "username": username,
                "display_name": display_name or username,
                "role": role,
                "password_hash": _hasher.hash(password),
                "active": 1,
                "created_at": now_utc(),
            }
        )
        user_id = users.last_pk
        db.table("user_municipalities").insert_all(
            {"user_id": user_id, "municipality_code": c} for c in codes
        )
    user = get_user(db, username)
    assert user is not None
    return user


def set_password(db: Database, username: str, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Salasanassa on oltava vähintään {MIN_PASSWORD_LENGTH} merkkiä.")
    user = get_user(db, username)
    if user is None:
        raise AccountError(f"Käyttäjää {username!r} ei ole.")
    if user.username.startswith(SSO_USERNAME_PREFIX):
        # A password would let the account in past the identity provider and its groups.
        raise AccountError("Kertakirjautumisen käyttäjälle ei voi asettaa salasanaa.")
    with write_transaction(db):
        db.table("users").update(user.id, {"password_hash": _hasher.hash(password)})
        db.execute("delete from sessions where user_id = ?", [user.id])


def set_language(db: Database, user_id: int, language: str | None) -> None:
    """Remember the user interface language a user chose (None: let the browser decide)."""
    with write_transaction(db):
        db.table("users").update(user_id, {"language": language})


def _since(minutes: int) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat(timespec="seconds")


def login_name_key(username: str, secret_key: str | None = None) -> str:
    """The keyed hash (HMAC-SHA256 with the secret key) a typed user name is kept as: people
    type passwords and e-mail addresses into the name field, so it is never stored as typed."""
    key = secret_key.encode("utf-8") if secret_key else _PROCESS_KEY
    name = username.strip().lower()[:64]
    return hmac.new(key, name.encode("utf-8"), hashlib.sha256).hexdigest()


def _failures(db: Database, where: str, params: list[str], since: str) -> int:
    return int(
        db.execute(
            f"select count(*) from login_attempts where {where} and succeeded = 0 "
            "and attempted_at >= ?",
            [*params, since],
        ).fetchone()[0]
    )


def _check_throttle(
    db: Database, name_key: str, client: str, *, max_failures: int, window_minutes: int
) -> None:
    """Refuse (LoginThrottled) or slow down an attempt. Three counts over the window:

    - per (account, client): `max_failures` — guessing one account from one place stops;
    - per client over all names: 4 × `max_failures` — one place trying many accounts;
    - per account over all clients: 20 × `max_failures` — a guess spread over many
      addresses. Past it, a client that has itself failed on the account is refused and
      every other attempt is delayed, so the owner elsewhere still gets in, only slower.
    """
    since = _since(window_minutes)
    here = _failures(db, "username = ? and client = ?", [name_key, client], since)
    by_client = _failures(db, "client = ?", [client], since)
    if here >= max_failures or by_client >= 4 * max_failures:
        raise LoginThrottled(window_minutes * 60)
    by_account = _failures(db, "username = ?", [name_key], since)
    if by_account >= ACCOUNT_CEILING_FACTOR * max_failures:
        if here:
            raise LoginThrottled(window_minutes * 60)
        time.sleep(ACCOUNT_CEILING_DELAY_SECONDS)


def authenticate(
    db: Database,
    username: str,
    password: str,
    *,
    client: str,
    max_failures: int = 5,
    window_minutes: int = 15,
    secret_key: str | None = None,
) -> User | None:
    """Check a password; record the attempt; refuse while the (name, client) pair or the
    client is throttled (see `_check_throttle`).

    The attempt is recorded with the name as a keyed hash only, and attempts older than
    30 days are purged in the same short write transaction. The password check (Argon2,
    tens of milliseconds) runs before the transaction, never holding the write lock."""
    username = username.strip().lower()[:64]
    name_key = login_name_key(username, secret_key)
    _check_throttle(db, name_key, client, max_failures=max_failures, window_minutes=window_minutes)

    rows = list(db.query("select * from users where username = ? and active = 1", [username]))
    if rows and rows[0]["password_hash"] == NO_PASSWORD:
        rows = []  # a single sign-on account has no password to sign in with
    stored = rows[0]["password_hash"] if rows else _DUMMY_HASH
    ok = _hasher.verify(password, stored) and bool(rows)
    purge_before = (datetime.now(UTC) - timedelta(days=ATTEMPT_RETENTION_DAYS)).isoformat(
        timespec="seconds"
    )
    with write_transaction(db):
        db.execute("delete from login_attempts where attempted_at < ?", [purge_before])
        db.table("login_attempts").insert(
            {
                "username": name_key,
                "client": client,
                "attempted_at": now_utc(),
                "succeeded": int(ok),
            }
        )
        if ok:
            # A success clears the failures of this name from this client, so the owner
            # is not throttled later by their own typos.
            db.execute(
                "delete from login_attempts where username = ? and client = ? and succeeded = 0",
                [name_key, client],
            )
    return _load_user(db, rows[0]) if ok else None


def create_api_token(db: Database, username: str) -> str:
    """A new personal API token; only its hash is stored, so it is shown once."""
    user = get_user(db, username)
    if user is None:
        raise AccountError(f"Käyttäjää {username!r} ei ole.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with write_transaction(db):
        db.table("api_tokens").insert(
            {"user_id": user.id, "token_hash": _sha256(token), "created_at": now_utc()}
        )
    return token


def user_for_token(db: Database, token: str) -> User | None:
    """The token's user, or None. A read: `last_used_at` is written at most once a minute
    per token, as a best-effort write that a busy database skips (never fails the request)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    rows = list(
        db.query(
            "select t.id as token_id, t.last_used_at as token_used, u.* from api_tokens t "
            "join users u on u.id = t.user_id "
            "where t.token_hash = ? and t.revoked_at is null and u.active = 1",
            [_sha256(token)],
        )
    )
    if not rows:
        return None
    touched = rows[0]["token_used"]
    stale = (datetime.now(UTC) - timedelta(seconds=TOKEN_TOUCH_SECONDS)).isoformat(
        timespec="seconds"
    )
    if touched is None or touched < stale:
        best_effort_write(
            db,
            "update api_tokens set last_used_at = ? where id = ? "
            "and (last_used_at is null or last_used_at < ?)",
            [now_utc(), rows[0]["token_id"], stale],
        )
    return _load_user(db, rows[0])


def create_session(db: Database, user: User, *, hours: int, id_token: str | None = None) -> str:
    """Start a browser session; returns the cookie value (only its hash is stored).
    `id_token`: the ID token a single sign-on began with, kept for logout at the provider."""
    token = secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(hours=hours)
    with write_transaction(db):
        db.execute("delete from sessions where expires_at < ?", [now_utc()])
        db.table("sessions").insert(
            {
                "token_hash": _sha256(token),
                "user_id": user.id,
                "created_at": now_utc(),
                "expires_at": expires.isoformat(timespec="seconds"),
                "id_token": id_token,
            }
        )
    return token


def user_for_session(db: Database, token: str) -> User | None:
    rows = list(
        db.query(
            "select u.* from sessions s join users u on u.id = s.user_id "
            "where s.token_hash = ? and s.expires_at > ? and u.active = 1",
            [_sha256(token), now_utc()],
        )
    )
    return _load_user(db, rows[0]) if rows else None


def end_session(db: Database, token: str) -> str | None:
    """End a browser session; returns the ID token it began with (single sign-on), if any."""
    with write_transaction(db):
        row = db.execute(
            "select id_token from sessions where token_hash = ?", [_sha256(token)]
        ).fetchone()
        db.execute("delete from sessions where token_hash = ?", [_sha256(token)])
    return row[0] if row else None
