"""Single sign-on accounts: an identity provider's claims mapped to a role and municipalities,
and the local user row kept in step with them at every login.

The mapping is data, declared in the region file's `[sso]` rules (`nakyma.regions.SsoRule`):
each rule matches one value of the roles claim exactly (a group name or id), and
"{municipality}" in a rule stands for any written form or code of one of the region's
municipalities. Decisions, all deliberate:

- **Highest role wins.** When several rules match, the user gets the highest of their roles
  (admin > tukitiimi > johto > havainnoija) with the municipalities of the matched rules *of
  that role* only: leadership of Jämsä and frontline work in Muurame is leadership of Jämsä,
  never leadership of Muurame.
- **Nothing matched, nothing given.** Claims that map to no rule refuse the login (the caller
  shows a Finnish 403 page); there is no default role. An SSO account that was mapped before
  is then deactivated and its sessions ended, so removing someone from the group in the
  identity provider takes effect at their next login attempt.
- **Re-evaluated at every login**: role, municipalities and name are rewritten from the
  claims each time.
- **Keyed by (issuer, subject)**, never by name or e-mail: an SSO identity gets its own users
  row (user name "sso-" + a digest of the pair, no password), so it cannot silently take over
  a local account of the same name, and a local break-glass account stays separate.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from nakyma.accounts import NO_PASSWORD, SSO_USERNAME_PREFIX, User, get_user_by_id
from nakyma.db import now_utc, write_transaction
from nakyma.regions import SSO_MUNICIPALITY_PLACEHOLDER, Region, SsoRule

# Higher wins when several rules match.
ROLE_RANK = {"havainnoija": 0, "johto": 1, "tukitiimi": 2, "admin": 3}
MAX_NAME_LENGTH = 200


@dataclass(frozen=True)
class Grant:
    """What a user's claims map to."""

    role: str
    municipalities: tuple[str, ...]  # Statistics Finland codes, sorted


class SsoRefused(Exception):
    """The claims map to no rule: the user gets no access."""


def claim_values(claims: Mapping[str, Any], path: str) -> list[str]:
    """The string values of the claim at `path` (dotted for nested claims): a list of
    strings, or one string as a one-item list; anything else is no values."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return []
        value = value.get(part)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _match(rule: SsoRule, value: str, region: Region) -> tuple[str, ...] | None:
    """The municipality codes `rule` grants for claim value `value`, or None if no match."""
    if SSO_MUNICIPALITY_PLACEHOLDER not in rule.claim_value:
        return rule.municipalities if value == rule.claim_value else None
    prefix, _, suffix = rule.claim_value.partition(SSO_MUNICIPALITY_PLACEHOLDER)
    middle = len(value) - len(prefix) - len(suffix)
    if middle <= 0 or not value.startswith(prefix) or not value.endswith(suffix):
        return None
    municipality = region.resolve(value[len(prefix) : len(prefix) + middle])
    if municipality is None:
        return None
    return (*rule.municipalities, municipality.code)


def grant_for(values: Iterable[str], region: Region) -> Grant | None:
    """The role and municipalities the claim values map to (highest role wins), or None."""
    matched: list[tuple[str, tuple[str, ...]]] = []
    for value in values:
        for rule in region.sso_rules:
            codes = _match(rule, value, region)
            if codes is not None:
                matched.append((rule.role, codes))
    if not matched:
        return None
    role = max((r for r, _ in matched), key=ROLE_RANK.__getitem__)
    granted = tuple(sorted({c for r, cs in matched if r == role for c in cs}))
    if role == "johto" and not granted:  # the loader refuses such rules; never unscoped
        return None
    return Grant(role=role, municipalities=granted)


def sso_username(issuer: str, subject: str) -> str:
    """The local user name of an SSO identity: stable, unique per (issuer, subject)."""
    digest = hashlib.sha256(f"{issuer}\x00{subject}".encode()).hexdigest()
    return SSO_USERNAME_PREFIX + digest[:16]


def display_name(claims: Mapping[str, Any], name_claim: str) -> str:
    for key in (name_claim, "name", "preferred_username", "email"):
        value = claims.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:MAX_NAME_LENGTH]
    return str(claims.get("sub", ""))[:MAX_NAME_LENGTH]


def sign_in_sso_user(
    db: Database,
    *,
    issuer: str,
    claims: Mapping[str, Any],
    region: Region,
    roles_claim: str,
    name_claim: str,
) -> User:
    """The local user for validated ID-token claims, created or rewritten from them.

    Raises SsoRefused when the claims map to nothing; an identity seen before is then
    deactivated and its sessions ended, in the same transaction."""
    subject = str(claims["sub"])
    grant = grant_for(claim_values(claims, roles_claim), region)
    with write_transaction(db):
        row = db.execute(
            "select user_id from user_identities where issuer = ? and subject = ?",
            [issuer, subject],
        ).fetchone()
        if grant is None:
            if row is not None:
                db.execute("update users set active = 0 where id = ?", [row[0]])
                db.execute("delete from sessions where user_id = ?", [row[0]])
            refused = True
        else:
            refused = False
            name = display_name(claims, name_claim)
            user_id = _write_user(db, row[0] if row else None, issuer, subject, name, grant)
            _write_identity(db, issuer, subject, user_id, new=row is None)
    if refused:
        raise SsoRefused(subject)
    user = get_user_by_id(db, user_id)
    assert user is not None
    return user


def _write_user(
    db: Database,
    user_id: int | None,
    issuer: str,
    subject: str,
    name: str,
    grant: Grant,
) -> int:
    fields = {
        "display_name": name,
        "role": grant.role,
        "active": 1,
    }
    users = db.table("users")
    if user_id is None:
        users.insert(
            {
                "username": sso_username(issuer, subject),
                "password_hash": NO_PASSWORD,
                "created_at": now_utc(),
                **fields,
            }
        )
        user_id = int(str(users.last_pk))
    else:
        users.update(user_id, fields)
    db.execute("delete from user_municipalities where user_id = ?", [user_id])
    db.table("user_municipalities").insert_all(
        {"user_id": user_id, "municipality_code": c} for c in grant.municipalities
    )
    return user_id


def _write_identity(db: Database, issuer: str, subject: str, user_id: int, *, new: bool) -> None:
    if new:
        db.table("user_identities").insert(
            {
                "issuer": issuer,
                "subject": subject,
                "user_id": user_id,
                "created_at": now_utc(),
                "last_login_at": now_utc(),
            }
        )
    else:
        db.execute(
            "update user_identities set last_login_at = ? where issuer = ? and subject = ?",
            [now_utc(), issuer, subject],
        )
