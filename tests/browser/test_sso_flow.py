"""Single sign-on in a real browser against a real OpenID provider (tests/oidc): each mapped
role signs in and sees its own menu, a user without a mapped group is refused, and logout
ends the session here and at the provider."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nakyma.config import Settings
from nakyma.db import open_db
from tests.browser.conftest import serve
from tests.conftest import TEST_SECRET
from tests.oidc_provider import OidcProvider

pytestmark = pytest.mark.browser

# What each role's menu must and must not show.
MENUS = {
    "johto-jamsa": ("Johto", {"Työlista"}, {"Viennit", "Ajot"}),
    "havainnoija": ("Havainnoija", {"Kirjaa havainto"}, {"Työlista", "Viennit", "Ajot"}),
    "tukitiimi": ("Tukitiimi", {"Työlista", "Viennit"}, {"Ajot"}),
    "admin": ("Ylläpitäjä", {"Työlista", "Viennit", "Ajot", "Tapahtumaloki"}, set()),
}


@pytest.fixture
def sso_server(tmp_path, oidc_provider: OidcProvider) -> Iterator[str]:
    oidc_provider.reset()
    settings: Settings = oidc_provider.settings(tmp_path / "data", TEST_SECRET)
    open_db(settings.database_path).close()
    yield from serve(settings, oidc_provider.app_port)


@pytest.fixture
def page(browser_page):
    # The provider's development pages import a web font; there is no network here.
    browser_page.route("https://fonts.googleapis.com/**", lambda route: route.abort())
    return browser_page


def sign_in(page, base: str, account: str) -> None:
    page.goto(base + "/kirjaudu")
    page.click("#sso-login")
    page.fill("input[name=login]", account)
    page.fill("input[name=password]", "mikä-tahansa")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/**")


def menu(page) -> set[str]:
    return {t.strip() for t in page.locator("nav .nav a").all_inner_texts()}


@pytest.mark.parametrize("account", list(MENUS))
def test_each_role_signs_in_through_the_provider(page, sso_server, account):
    role_label, shown, hidden = MENUS[account]
    sign_in(page, sso_server, account)
    assert page.locator(".account .role").inner_text() == f"({role_label})"
    items = menu(page)
    assert shown <= items, items
    assert not hidden & items, items
    # Logout: the session ends here, the provider asks to end its own, then back to login.
    page.click("text=Kirjaudu ulos")
    page.click("button[name=logout]")
    page.wait_for_url(sso_server + "/kirjaudu")
    page.goto(sso_server + "/alue")
    assert page.url.startswith(sso_server + "/kirjaudu")
    # The provider's session ended too: signing in again asks for the login once more.
    page.click("#sso-login")
    page.wait_for_selector("input[name=login]")


def test_user_without_a_mapped_group_is_refused(page, sso_server, artifacts):
    for width, height in ((1280, 900), (375, 800)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(sso_server + "/kirjaudu")
        assert page.locator("#sso-login").inner_text() == "Kirjaudu organisaation tunnuksilla"
        page.screenshot(path=str(artifacts / f"oidc-login-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    with page.expect_response(lambda r: "/kirjaudu/sso/paluu" in r.url) as answer:
        sign_in(page, sso_server, "ei-ryhmaa")
    assert answer.value.status == 403
    assert page.locator("h1").inner_text() == "Sinulla ei ole käyttöoikeutta Näkymään"
    assert page.locator(".account").count() == 0  # not signed in
    for width, height in ((1280, 900), (375, 800)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(artifacts / f"oidc-refused-{width}.png"), full_page=True)
