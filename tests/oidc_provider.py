"""A real OpenID provider for the single sign-on tests: panva's oidc-provider (tests/oidc), run
with Node.js on a free port for the test session, and a driver for its login form."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from bs4 import BeautifulSoup

from nakyma.config import Settings

OIDC_DIR = Path(__file__).resolve().parent / "oidc"
CLIENT_ID = "nakyma"
CLIENT_SECRET = "nakyma-testiasiakkaan-salaisuus"
# The provider's accounts (login name -> claims); any password signs in.
ACCOUNTS: dict[str, dict[str, object]] = {
    "johto-jamsa": {
        "name": "Jaana Johtaja",
        "email": "jaana.johtaja@example.org",
        "groups": ["nakyma-johto-jamsa", "henkilosto"],
    },
    "tukitiimi": {"name": "Tuula Tukitiimi", "groups": ["nakyma-tukitiimi"]},
    "admin": {"name": "Aki Ylläpitäjä", "groups": ["nakyma-admin"]},
    "havainnoija": {"name": "Hilla Havainnoija", "groups": ["nakyma-havainnoija-muurame"]},
    "ei-ryhmaa": {"name": "Eero Ulkopuolinen", "groups": ["henkilosto"]},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class OidcProvider:
    issuer: str
    app_port: int  # the registered redirect URIs point to this port
    accounts_file: Path

    @property
    def app_url(self) -> str:
        return f"http://127.0.0.1:{self.app_port}"

    def set_groups(self, account: str, groups: list[str]) -> None:
        """Change an account's groups at the provider (read again at its next login)."""
        accounts = json.loads(self.accounts_file.read_text(encoding="utf-8"))
        accounts[account]["groups"] = groups
        self.accounts_file.write_text(json.dumps(accounts), encoding="utf-8")

    def reset(self) -> None:
        self.accounts_file.write_text(json.dumps(ACCOUNTS), encoding="utf-8")

    def settings(self, data_dir: Path, secret_key: str, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "data_dir": data_dir,
            "secret_key": secret_key,
            "scheduler_enabled": False,
            "cookie_secure": False,
            "oidc_issuer": self.issuer,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": CLIENT_SECRET,
            "oidc_redirect_uri": f"{self.app_url}/kirjaudu/sso/paluu",
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def start_provider(tmp: Path) -> Iterator[OidcProvider]:
    node = shutil.which("node")
    if node is None:
        pytest.skip(
            "Node.js is not installed: the single sign-on tests run a real OpenID provider "
            "(oidc-provider) with it"
        )
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail(
            "oidc-provider is not installed: run `npm ci --prefix tests/oidc` (make test does)"
        )
    port, app_port = free_port(), free_port()
    provider = OidcProvider(f"http://127.0.0.1:{port}", app_port, tmp / "accounts.json")
    provider.reset()
    log = (tmp / "provider.log").open("w")
    process = subprocess.Popen(
        [node, "provider.mjs", str(port), str(app_port), str(provider.accounts_file)],
        cwd=OIDC_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "NODE_ENV": "test"},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(provider.issuer + "/.well-known/openid-configuration", timeout=1)
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "the OpenID provider did not start: "
                        + (tmp / "provider.log").read_text(encoding="utf-8")
                    ) from None
                time.sleep(0.1)
        yield provider
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def sign_in_at_provider(authorization_url: str, account: str, redirect_prefix: str) -> str:
    """Follow the provider's login from the authorization URL, signing in as `account` on
    its development login form; returns the callback URL it finally redirects to."""
    url = authorization_url
    with httpx.Client(timeout=10) as browser:
        for _ in range(10):
            response = browser.get(url)
            while response.status_code == 200:
                form = BeautifulSoup(response.text, "html.parser").find("form")
                assert form is not None, response.text
                data = {
                    str(i["name"]): str(i.get("value", ""))
                    for i in form.find_all("input")
                    if i.get("name")
                }
                data.update(login=account, password="mikä-tahansa")
                response = browser.post(urljoin(url, str(form["action"])), data=data)
            location = response.headers.get("location")
            assert location, f"{response.status_code}: {response.text[:300]}"
            url = urljoin(url, location)
            if url.startswith(redirect_prefix):
                return url
    raise AssertionError("the provider did not redirect back")
