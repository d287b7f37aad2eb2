"""Accounts: local users with roles, Argon2 passwords, hashed API tokens and browser sessions."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pwdlib import PasswordHash
from sqlite_utils import Database

from nakyma.db import now_utc
from nakyma.regions import Region
from nakyma.vocabulary import USER_ROLES

MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "nky_"
USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")

_hasher = PasswordHash.recommended()  # Argon2id with the library's current parameters
# Verified against when the user does not exist, so a miss costs as much as a hit.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


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
    with db.atomic():
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
    with db.atomic():
        db.table("users").update(user.id, {"password_hash": _hasher.hash(password)})
        db.execute("delete from sessions where user_id = ?", [user.id])


def _since(minutes: int) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat(timespec="seconds")


def authenticate(
    db: Database,
    username: str,
    password: str,
    *,
    client: str,
    max_failures: int = 5,
    window_minutes: int = 15,
) -> User | None:
    """Check a password; record the attempt; refuse while the name or client is throttled.

    Counting failures both per user name and per client slows guessing one account
    from many addresses and many accounts from one address.
    """
    username = username.strip().lower()[:64]
    since = _since(window_minutes)
    by_name = db.execute(
        "select count(*) from login_attempts where username = ? and succeeded = 0 "
        "and attempted_at >= ?",
        [username, since],
    ).fetchone()[0]
    by_client = db.execute(
        "select count(*) from login_attempts where client = ? and succeeded = 0 "
        "and attempted_at >= ?",
        [client, since],
    ).fetchone()[0]
    if by_name >= max_failures or by_client >= 4 * max_failures:
        raise LoginThrottled(window_minutes * 60)

    rows = list(db.query("select * from users where username = ? and active = 1", [username]))
    stored = rows[0]["password_hash"] if rows else _DUMMY_HASH
    ok = _hasher.verify(password, stored) and bool(rows)
    with db.atomic():
        db.table("login_attempts").insert(
            {
                "username": username,
                "client": client,
                "attempted_at": now_utc(),
                "succeeded": int(ok),
            }
        )
        if ok:
            # A success clears the name's failure count so the owner is not locked out later.
            db.execute(
                "delete from login_attempts where username = ? and succeeded = 0", [username]
            )
    return _load_user(db, rows[0]) if ok else None


def create_api_token(db: Database, username: str) -> str:
    """A new personal API token; only its hash is stored, so it is shown once."""
    user = get_user(db, username)
    if user is None:
        raise AccountError(f"Käyttäjää {username!r} ei ole.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.table("api_tokens").insert(
        {"user_id": user.id, "token_hash": _sha256(token), "created_at": now_utc()}
    )
    return token


def user_for_token(db: Database, token: str) -> User | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    rows = list(
        db.query(
            "select t.id as token_id, u.* from api_tokens t join users u on u.id = t.user_id "
            "where t.token_hash = ? and t.revoked_at is null and u.active = 1",
            [_sha256(token)],
        )
    )
    if not rows:
        return None
    db.execute(
        "update api_tokens set last_used_at = ? where id = ?", [now_utc(), rows[0]["token_id"]]
    )
    db.conn.commit()
    return _load_user(db, rows[0])


def create_session(db: Database, user: User, *, hours: int) -> str:
    """Start a browser session; returns the cookie value (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(hours=hours)
    with db.atomic():
        db.execute("delete from sessions where expires_at < ?", [now_utc()])
        db.table("sessions").insert(
            {
                "token_hash": _sha256(token),
                "user_id": user.id,
                "created_at": now_utc(),
                "expires_at": expires.isoformat(timespec="seconds"),
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


def end_session(db: Database, token: str) -> None:
    with db.atomic():
        db.execute("delete from sessions where token_hash = ?", [_sha256(token)])
