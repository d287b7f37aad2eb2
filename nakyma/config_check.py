"""`nakyma check-config`: is this a configuration fit for production, and if not, what is
wrong, in plain Finnish.

Each check is a small function `(settings) -> list[str]` that returns its problems (empty
when all is well) and is listed once in `CHECKS`, in the order they are shown. A check may
read the file system and load the language models, but never writes anything of the
service's and never uses the network. A feature that brings settings of its own (single
sign-on, say) adds its check function to `CHECKS`; the command and its tests pick it up.

The settings are built with `unchecked_settings`, which leaves the secret key to the check
here: the start-up refusal would otherwise stop at the first problem and hide the others.
"""

from __future__ import annotations

import ipaddress
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nakyma.config import Settings, secret_key_problem

ConfigCheck = Callable[[Settings], list[str]]


class _SecretUnchecked(Settings):
    """Settings without the start-up refusal of a weak secret key (checked below instead)."""

    def _refuse_placeholder_secret(self) -> Settings:  # type: ignore[override]
        return self


def unchecked_settings(**values: Any) -> Settings:
    """The deployment's settings as `Settings()` reads them, except that a placeholder or
    short secret key does not raise: `secret_key_problems` reports it with the rest.
    Raises pydantic's ValidationError for any other invalid value."""
    return _SecretUnchecked(**values)


def secret_key_problems(settings: Settings) -> list[str]:
    """The secret key is set, not the example's placeholder, and long enough."""
    problem = secret_key_problem(settings.secret_key)
    return [problem] if problem else []


def demo_mode_problems(settings: Settings) -> list[str]:
    """Demo mode is off (it allows published demo accounts and the placeholder key)."""
    if settings.demo:
        return ["Demotila on päällä (NAKYMA_DEMO=true): tuotannossa sen on oltava pois."]
    return []


def cookie_problems(settings: Settings) -> list[str]:
    """Cookies are Secure, so that a session never travels over plain HTTP."""
    if not settings.secure_cookies:
        return [
            "Evästeet eivät ole suojattuja (NAKYMA_COOKIE_SECURE=false): istunto voisi "
            "kulkea salaamattomana. Poista asetus tai aseta true, ja käytä HTTPS:ää."
        ]
    return []


def _directory_problems(directory: Path, variable: str) -> list[str]:
    """A directory that holds personal data: exists, is writable by this user, owned by it
    and closed to everyone else (mode 0700)."""
    if not directory.exists():
        return [f"{variable}: hakemistoa {directory} ei ole; luo se (mode 0700)."]
    if not directory.is_dir():
        return [f"{variable}: {directory} ei ole hakemisto."]
    problems = []
    try:
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        problems.append(f"{variable}: hakemistoon {directory} ei voi kirjoittaa ({exc.strerror}).")
    info = directory.stat()
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        problems.append(
            f"{variable}: hakemiston {directory} omistaja ei ole palvelun käyttäjä "
            f"(uid {info.st_uid}, palvelu uid {os.geteuid()})."
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        problems.append(
            f"{variable}: hakemisto {directory} on muiden luettavissa (oikeudet {mode:04o}); "
            f"aseta chmod 700 {directory}."
        )
    return problems


def data_dir_problems(settings: Settings) -> list[str]:
    """The data directory exists, is writable, belongs to the service's user and is 0700;
    the database file in it, if there is one, is not readable by others."""
    problems = _directory_problems(settings.data_dir, "NAKYMA_DATA_DIR")
    database = settings.database_path
    if database.is_file() and stat.S_IMODE(database.stat().st_mode) & 0o077:
        mode = stat.S_IMODE(database.stat().st_mode)
        problems.append(
            f"Tietokanta {database} on muiden luettavissa (oikeudet {mode:04o}); "
            f"aseta chmod 600 {database}."
        )
    return problems


def backup_dir_problems(settings: Settings) -> list[str]:
    """A backup directory is set, writable and as closed as the data directory, and is not
    the data directory itself (a backup must survive losing it)."""
    if settings.backup_dir is None:
        return [
            "NAKYMA_BACKUP_DIR puuttuu: öisille varmuuskopioille ei ole hakemistoa "
            "(ks. docs/deployment.md)."
        ]
    problems = _directory_problems(settings.backup_dir, "NAKYMA_BACKUP_DIR")
    if settings.backup_dir.resolve() == settings.data_dir.resolve():
        problems.append(
            "NAKYMA_BACKUP_DIR on sama kuin NAKYMA_DATA_DIR: varmuuskopiot katoaisivat "
            "tietokannan mukana; käytä toista hakemistoa, mieluiten toisella levyllä."
        )
    return problems


def trusted_proxy_problems(settings: Settings) -> list[str]:
    """A reverse proxy is named, and no network so wide that anyone could forge an address.
    (Each entry's syntax is checked when the settings are read.)"""
    if not settings.trusted_proxies:
        return [
            "NAKYMA_TRUSTED_PROXIES on tyhjä: palvelu ei tee TLS:ää itse, joten sen edessä on "
            "oltava käänteinen välityspalvelin, ja ilman sen osoitetta kaikki käyttäjät "
            "näyttävät tulevan samasta osoitteesta (kirjautumisten ja pyyntöjen rajat "
            "koskisivat heitä yhdessä)."
        ]
    wide = [
        entry
        for entry in settings.trusted_proxies
        if ipaddress.ip_network(entry, strict=False).prefixlen == 0
    ]
    if wide:
        return [
            f"NAKYMA_TRUSTED_PROXIES sisältää koko verkon ({', '.join(wide)}): kuka tahansa "
            "voisi väärentää osoitteensa. Anna vain välityspalvelimen osoite."
        ]
    return []


def region_problems(settings: Settings) -> list[str]:
    """The region file loads."""
    from nakyma.regions import load_region

    try:
        load_region(settings.region_file)
    except (OSError, ValueError) as exc:
        return [f"Aluetiedostoa ei voi lukea (NAKYMA_REGION_FILE): {exc}"]
    return []


def model_problems(settings: Settings) -> list[str]:
    """The language models load from the server's own disk: the privacy guard's Finnish
    spaCy pipeline with Voikko, and the embedding model (a sentence-transformers model
    must be a local directory: nothing is downloaded at run time)."""
    from nakyma.embedding import get_embedder
    from nakyma.finnish import ModelUnavailable, load

    problems = []
    try:
        load()
    except ModelUnavailable as exc:
        problems.append(f"Tietosuojatarkistuksen kielimalli ei lataudu: {exc}")
    model = settings.embedding_model.strip()
    if settings.embedding_backend == "sentence-transformers" and not Path(model).is_dir():
        problems.append(
            f"NAKYMA_EMBEDDING_MODEL ({model or 'tyhjä'}) ei ole palvelimen hakemisto: malli "
            "pitäisi ladata verkosta. Anna paikallisen mallihakemiston polku."
        )
        return problems
    try:
        get_embedder(settings)
    except (ImportError, OSError, ValueError) as exc:
        problems.append(f"Upotusmalli ei lataudu: {exc}")
    return problems


def oidc_problems(settings: Settings) -> list[str]:
    """Single sign-on (nakyma.oidc): the region file's [sso] rules and the provider's discovery
    document and keys, reached over the network; nothing when single sign-on is off."""
    from nakyma.oidc import oidc_config_problems

    return oidc_config_problems(settings)


# Every check, in the order shown. Features with settings of their own append theirs here.
CHECKS: list[ConfigCheck] = [
    secret_key_problems,
    demo_mode_problems,
    cookie_problems,
    data_dir_problems,
    backup_dir_problems,
    trusted_proxy_problems,
    region_problems,
    model_problems,
    oidc_problems,
]


def config_problems(settings: Settings, checks: list[ConfigCheck] | None = None) -> list[str]:
    """Every problem the checks find, in order; empty for a production-ready configuration.
    A check that crashes is itself reported as a problem, so the others still run."""
    problems: list[str] = []
    for check in CHECKS if checks is None else checks:
        try:
            problems += check(settings)
        except Exception as exc:  # one broken check must not hide the others
            problems.append(f"Tarkistus {check.__name__} kaatui: {type(exc).__name__}: {exc}")
    return problems
