"""The loop in a real browser: leadership reviews and replies, the frontline user sees the
answer, and the main pages pass axe-core's WCAG 2.1 A/AA rules without serious issues."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from tests.conftest import copy_of_demo

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe.min.js"


@pytest.fixture
def db(demo_template, settings) -> Iterator[Database]:
    """This test's own copy of the computed demo."""
    yield from copy_of_demo(demo_template, settings)


def axe_problems(page) -> list[str]:
    """Serious and critical axe-core violations of WCAG 2.1 A/AA on the current page."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', "
        "values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} – {len(v['nodes'])} kohtaa"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(base + "/kirjaudu")
    page.get_by_label("Käyttäjätunnus").fill(username)
    page.get_by_label("Salasana").fill(password)
    page.get_by_role("button", name="Kirjaudu").click()


def test_leadership_reviews_and_frontline_sees_reply(
    live_server, browser_page, db, artifacts
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    pid = db.execute(
        "select m.phenomenon_id from phenomenon_members m join observations o "
        "on o.id = cast(m.item_key as integer) join users u on u.id = o.created_by "
        "where u.username = 'havainnoija' and o.municipality_code = '992' "
        "group by 1 order by count(*) desc limit 1"
    ).fetchone()[0]
    problems: dict[str, list[str]] = {}

    sign_in(page, live_server, "johto", "demo-johto")
    page.goto(live_server + "/kunnat/992")
    expect(page.get_by_role("heading", name="Ilmiöt ja heikot signaalit")).to_be_visible()
    problems["kunta"] = axe_problems(page)
    page.screenshot(path=str(artifacts / "review-municipality.png"))
    page.goto(live_server + f"/ilmiot/{pid}")
    problems["ilmiö"] = axe_problems(page)
    # Leadership records its own municipality's response; the region status is the
    # backbone team's (nakyma.review).
    page.get_by_label("Kunta", exact=True).select_option("992")
    page.get_by_label("Tila kunnassa").select_option("käsittelyssä")
    page.get_by_role("button", name="Tallenna kunnan vastaus").click()
    expect(page.get_by_role("status").first).to_contain_text("Kunnan vastaus tallennettu")
    page.get_by_label("Kommentoi tai vastaa").fill("Kiitos! Viemme asian HYTE-ryhmään.")
    page.get_by_role("button", name="Lähetä kommentti").click()
    expect(page.locator(".comment-leadership").last).to_contain_text("HYTE-ryhmään")
    page.screenshot(path=str(artifacts / "review-phenomenon.png"), full_page=True)
    page.goto(live_server + "/tyolista")
    problems["työlista"] = axe_problems(page)

    page.context.clear_cookies()
    sign_in(page, live_server, "havainnoija", "demo-havainnoija")
    page.goto(live_server + "/havainnot/omat")
    problems["omat"] = axe_problems(page)
    link = page.locator(f".observation .meta a[href='/ilmiot/{pid}']").first
    expect(link).to_be_visible()
    link.click()
    expect(page.locator(".response-list li").first).to_contain_text("Äänekoski: Käsittelyssä")
    expect(page.locator(".comment-leadership").last).to_contain_text("Viemme asian HYTE-ryhmään")
    page.screenshot(path=str(artifacts / "review-frontline-sees-reply.png"), full_page=True)
    page.goto(live_server + "/havainnot/uusi")
    problems["lomake"] = axe_problems(page)
    page.goto(live_server + "/alue")
    problems["alue"] = axe_problems(page)
    page.goto(live_server + "/haku?q=" + "yksinäisyys")
    problems["haku"] = axe_problems(page)

    # The check itself can fail: a control without a name is a critical violation.
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<button></button>')")
    assert any(p.startswith("button-name") for p in axe_problems(page))

    (artifacts / "axe.json").write_text(json.dumps(problems, ensure_ascii=False, indent=2))
    assert {name: found for name, found in problems.items() if found} == {}


def test_backbone_downloads_a_meeting_brief(live_server, browser_page, db, artifacts) -> None:
    import io

    import openpyxl
    from playwright.sync_api import expect
    from pypdf import PdfReader

    page = browser_page
    chosen = db.execute(
        "select id, title from phenomena where size > 0 and dismissed = 0 order by size desc "
        "limit 2"
    ).fetchall()
    sign_in(page, live_server, "tukitiimi", "demo-tukitiimi")
    page.get_by_role("link", name="Viennit").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert axe_problems(page) == []
    page.locator("details").first.evaluate("d => d.open = true")
    for pid, _ in chosen:
        page.locator(f"input[name=ilmio][value='{pid}']").check()
    page.get_by_role("button", name="Näytä valinta").click()
    expect(page.locator("table.preview tbody tr")).to_have_count(2)
    page.screenshot(path=str(artifacts / "exports.png"), full_page=True)

    with page.expect_download() as pdf_download:
        page.locator(".download-list a", has_text="PDF").click()
    pdf_path = artifacts / pdf_download.value.suggested_filename
    pdf_download.value.save_as(pdf_path)
    assert pdf_path.name.startswith("nakyma-muistio") and pdf_path.suffix == ".pdf"
    text = " ".join(p.extract_text() for p in PdfReader(pdf_path).pages)
    for _, title in chosen:
        assert title.split(",")[0] in text

    with page.expect_download() as xlsx_download:
        page.locator(".download-list a", has_text="Excel").click()
    data = Path(xlsx_download.value.path()).read_bytes()
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    cells = " ".join(
        str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row if v
    )
    for _, title in chosen:
        assert title in cells
