"""A person logs in, submits an observation, is stopped by the privacy guard, rewrites it."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

HETU = "131052-308T"


def test_submit_observation_privacy_stop_then_success(
    live_server: str, browser_page, make_user, db, artifacts
) -> None:
    from playwright.sync_api import expect

    make_user("kentta", "havainnoija", ("Laukaa",))
    page = browser_page

    page.goto(live_server + "/havainnot/uusi")
    expect(page).to_have_url(re.compile(r"/kirjaudu\?seuraava=/havainnot/uusi$"))
    page.get_by_label("Käyttäjätunnus").fill("kentta")
    page.get_by_label("Salasana").fill(PASSWORD)
    page.get_by_role("button", name="Kirjaudu").click()

    expect(page.get_by_role("heading", name="Kirjaa havainto")).to_be_visible()
    expect(page.get_by_label("Kunta")).to_have_value("410")  # the user's own municipality
    text = page.get_by_role("textbox", name="Havainto")
    text.fill(f"Nuori kertoi kuraattorille henkilötunnuksensa {HETU} ja huolestaan kotona.")
    page.get_by_label("Nuoret").check()
    page.get_by_label("Teema (valinnainen)").select_option("mielen_hyvinvointi")
    # The live check (htmx) warns while the text is still being written.
    expect(page.locator("#privacy-check mark")).to_have_text(HETU)
    page.get_by_role("button", name="Tallenna havainto").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Havaintoa ei tallennettu")
    expect(page.locator("#text-error")).to_contain_text("henkilötunnus")
    expect(page.locator("#text-marked mark")).to_have_text(HETU)
    expect(page.get_by_role("textbox", name="Havainto")).to_have_attribute("aria-invalid", "true")
    page.screenshot(path=str(artifacts / "observation-privacy-error.png"), full_page=True)
    assert db.table("observations").count == 0

    # Keyboard only: the error summary link moves focus to the field.
    page.locator("#error-summary a").first.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("textbox", name="Havainto")).to_be_focused()
    page.get_by_role("textbox", name="Havainto").fill(
        "Nuori kertoi kuraattorille huolestaan kotona; tukea tarvitaan iltaisin."
    )
    page.get_by_role("button", name="Tallenna havainto").click()

    expect(page.get_by_role("status")).to_contain_text("Havainto tallennettiin")
    page.screenshot(path=str(artifacts / "observation-saved.png"), full_page=True)
    rows = list(db.query("select text, municipality_code, theme from observations"))
    assert rows == [
        {
            "text": "Nuori kertoi kuraattorille huolestaan kotona; tukea tarvitaan iltaisin.",
            "municipality_code": "410",
            "theme": "mielen_hyvinvointi",
        }
    ]

    page.get_by_role("link", name="Omat havainnot").click()
    expect(page.locator(".observation-text")).to_have_text(rows[0]["text"])
    page.get_by_role("link", name="Kunnat").click()
    expect(page.get_by_role("row", name="Laukaa <5")).to_be_visible()  # small counts hidden
    page.screenshot(path=str(artifacts / "region.png"), full_page=True)
