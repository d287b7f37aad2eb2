"""Swedish for what the intake, the privacy guard, the API's errors, the import, the region's
groups and the meeting brief's PDF and CSV generate in Python (issue 15): the messages follow
the user's language, their machine-readable parts (field, code, kind) do not, and Finnish
stays as it was."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlite_utils import Database

from nakyma.cli import cli
from nakyma.exports.build import month_label, open_questions
from nakyma.privacy import Finding
from pipelines.observations import ImportFileError, import_observations
from tests.conftest import TEST_SECRET, copy_of_demo, csrf_from, login, valid_observation

SV = {"Accept-Language": "sv-FI,sv;q=0.9"}
PHONE = "Vanhempi pyysi soittamaan numeroon 040 123 4567 koulupäivän jälkeen."
HETU = "Oppilaan henkilötunnus 131052-308T oli lomakkeessa mukana."


def _swedish_user(db: Database, make_user, username: str = "kentta", role: str = "havainnoija"):
    user = make_user(username, role)
    db["users"].update(user.id, {"language": "sv"})
    return user


# --- the guard's explanation and the brief's sentences, without HTTP ------------------------


def test_finding_message_in_swedish_and_finnish_unchanged() -> None:
    typo = Finding("hetu", 3, 14, probable_typo=True)
    assert typo.message() == (
        "Tekstissä näyttää olevan henkilötunnus (tarkiste ei täsmää, mahdollinen "
        "kirjoitusvirhe) merkeissä 4–14. Poista se: havaintoon ei saa kirjata henkilötietoja."
    )
    swedish = typo.message(language="sv")
    assert swedish.startswith("Texten verkar innehålla en personuppgift: personbeteckning")
    assert "kontrolltecknet stämmer inte" in swedish and "4–14" in swedish
    marked = Finding("nimi", 0, 4).message(offsets=False, language="sv")
    assert marked == (
        "Texten verkar innehålla en personuppgift: personens namn (markerad nedan). "
        "Ta bort namnet — skriv t.ex. 'skolelev' eller 'äldre klient'."
    )


def test_meeting_questions_and_months_in_swedish() -> None:
    kwargs = {"status": "uusi", "category": "vahvistuva", "has_summary": False}
    finnish = open_questions(scope_kind="kunta", indicator="Toimeentulotuki", **kwargs)
    assert finnish[0] == "Mikä selittää kasvun, ja tarvitaanko yhteisiä toimia nyt?"
    swedish = open_questions(
        scope_kind="kunta", indicator="Toimeentulotuki", language="sv", **kwargs
    )
    assert swedish == (
        "Vad förklarar ökningen, och behövs gemensamma åtgärder nu?",
        "Tas fenomenet upp till behandling, och vem äger det?",
        "Känner man igen fenomenet i andra kommuner också?",
        "Syns fenomenet i indikatorn ”Toimeentulotuki”?",
        "Vem skriver en sammanfattning av fenomenet?",
    )
    assert month_label("2026-11") == "marraskuu 2026"
    assert month_label("2026-11", "sv") == "november 2026"


# --- the observation form and the API -------------------------------------------------------


def test_form_refuses_a_phone_number_in_the_users_language(db, make_user, client) -> None:
    user = _swedish_user(db, make_user)
    login(client, user.username)
    token = csrf_from(client, "/havainnot/uusi")
    fields = {k: str(v) for k, v in valid_observation(text=PHONE).items()}
    response = client.post("/havainnot/uusi", data={**fields, "csrf_token": token})
    assert response.status_code == 422
    page = response.text
    assert "Texten verkar innehålla en personuppgift: telefonnummer (tecken" in page
    assert "Ta bort den: personuppgifter får inte registreras i en observation." in page
    assert "Tekstissä näyttää olevan" not in page and "Poista se:" not in page
    assert '<mark title="telefonnummer">040 123 4567</mark>' in page
    assert db["observations"].count == 0


def test_form_in_finnish_is_unchanged(db, frontline, client) -> None:
    token = csrf_from(client, "/havainnot/uusi")
    fields = {k: str(v) for k, v in valid_observation(text=PHONE).items()}
    page = client.post("/havainnot/uusi", data={**fields, "csrf_token": token}).text
    assert "Tekstissä näyttää olevan puhelinnumero (merkit" in page
    assert '<mark title="puhelinnumero">' in page and "Texten verkar" not in page


def test_live_check_in_swedish(db, make_user, client) -> None:
    user = _swedish_user(db, make_user)
    login(client, user.username)
    token = csrf_from(client, "/havainnot/uusi")
    too_long = client.post(
        "/havainnot/tarkista", data={"text": "x" * 2100, "csrf_token": token}
    ).text
    assert "Texten är för lång för att kontrolleras och sparas: högst 2000 tecken." in too_long
    found = client.post("/havainnot/tarkista", data={"text": HETU, "csrf_token": token}).text
    assert "personbeteckning" in found


def test_api_refuses_an_identity_code_in_swedish_with_stable_codes(db, client, api_headers) -> None:
    body = valid_observation(text=HETU, municipality="Jyväskylä", observed_on="2026-01-15")
    response = client.post("/api/observations", json=body, headers={**api_headers, **SV})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["field"] == "text" and error["code"] == "personal_data"
    assert error["kind"] == "hetu" and HETU[error["start"] : error["end"]] == "131052-308T"
    assert error["message"].startswith(
        "Texten verkar innehålla en personuppgift: personbeteckning (tecken "
    )
    english = client.post(
        "/api/observations", json=body, headers={**api_headers, "Accept-Language": "en"}
    ).json()
    assert english["detail"][0]["message"].startswith(
        "The text seems to contain personal data: personal identity code (characters "
    )
    finnish = client.post("/api/observations", json=body, headers=api_headers).json()
    assert finnish["detail"][0]["message"].startswith(
        "Tekstissä näyttää olevan henkilötunnus (merkit "
    )


def test_api_field_errors_in_swedish(client, api_headers) -> None:
    body = valid_observation(municipality="Atlantis", target_group="", observed_on="2099-01-01")
    response = client.post("/api/observations", json=body, headers={**api_headers, **SV})
    detail = {e["field"]: e for e in response.json()["detail"]}
    assert detail["municipality"]["code"] == "unknown_municipality"
    assert detail["municipality"]["message"] == (
        "Kommunen kändes inte igen. Skriv namnet på en kommun i området "
        "(Mellersta Finlands välfärdsområde)."
    )
    assert detail["target_group"] == {
        "field": "target_group",
        "message": "Välj målgrupp.",
        "code": "required",
    }
    assert detail["observed_on"]["message"] == "Datumet kan inte vara i framtiden."


def test_api_errors_follow_the_request_language(db, client, api_headers, make_user) -> None:
    unknown = client.get("/api/signals", params={"municipality": "Atlantis"}, headers=SV)
    assert unknown.status_code == 401
    assert unknown.json()["detail"].startswith("Inloggning krävs")
    missing = client.get(
        "/api/signals", params={"municipality": "Atlantis"}, headers={**api_headers, **SV}
    )
    assert missing.status_code == 404 and missing.json() == {"detail": "Okänd kommun."}
    finnish = client.get("/api/signals", params={"municipality": "Atlantis"}, headers=api_headers)
    assert finnish.json() == {"detail": "Tuntematon kunta."}
    extra = client.post(
        "/api/observations",
        json={**valid_observation(), "nimi": "x"},
        headers={**api_headers, **SV},
    )
    assert extra.json()["detail"] == [
        {"field": "nimi", "message": "Okänt fält.", "code": "unknown_field"}
    ]
    # The user's own setting wins over the header.
    user = _swedish_user(db, make_user, "svapi")
    from nakyma.accounts import create_api_token

    headers = {"Authorization": f"Bearer {create_api_token(db, user.username)}"}
    mine = client.get("/api/forecasts", params={"municipality": "Atlantis"}, headers=headers)
    assert mine.json() == {"detail": "Okänd kommun."}
    long_query = client.get("/api/search", params={"q": "x" * 301}, headers=headers)
    assert long_query.json()["detail"] == [
        {"field": "q", "message": "Sökfrasen är för lång.", "code": "too_long"}
    ]


# --- the import ------------------------------------------------------------------------------


IMPORT_CSV = (
    "text;municipality;observed_on;target_group\n"
    f"{PHONE};Jyväskylä;2026-01-15;nuoret\n"
    "Nuoret kokoontuvat iltaisin kauppakeskukseen.;Atlantis;2026-01-15;nuoret\n"
)


def test_import_errors_in_swedish(db, region, today, tmp_path) -> None:
    path = tmp_path / "havainnot.csv"
    path.write_text(IMPORT_CSV, encoding="utf-8")
    report = import_observations(db, path, region=region, today=today, dry_run=True, language="sv")
    rejected = {r.line: r.errors for r in report.rejected}
    (phone,) = rejected[2]
    assert (phone.field, phone.code, phone.kind) == ("text", "personal_data", "puhelin")
    assert phone.message.startswith("Texten verkar innehålla en personuppgift: telefonnummer")
    (place,) = rejected[3]
    assert place.code == "unknown_municipality" and place.message.startswith(
        "Kommunen kändes inte igen."
    )
    finnish = import_observations(db, path, region=region, today=today, dry_run=True)
    assert finnish.rejected[1].errors[0].message.startswith("Kuntaa ei tunnistettu.")
    path.write_text("teksti;kunta\nx;y\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="^Filen saknar en kolumn: observed_on"):
        import_observations(db, path, region=region, today=today, language="sv")


def test_import_command_reports_in_swedish(settings, db, tmp_path, monkeypatch) -> None:
    path = tmp_path / "havainnot.csv"
    path.write_text(IMPORT_CSV, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    env = {"NAKYMA_DATA_DIR": str(settings.data_dir), "NAKYMA_SECRET_KEY": TEST_SECRET}
    args = ["import", "observations", str(path), "--dry-run", "--language", "sv"]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 1
    assert "Testkörning: 0 rader duger, inget sparades." in result.output
    assert "Avvisade: 2 rader." in result.output
    assert "  rad 3: municipality: Kommunen kändes inte igen." in result.output
    assert "Hylätty" not in result.output and "rivi " not in result.output


# --- the region's groups ---------------------------------------------------------------------


def test_region_page_names_groups_in_swedish(db, make_user, client) -> None:
    user = _swedish_user(db, make_user)
    login(client, user.username)
    page = client.get("/alue", params={"ryhmittely": "seutukunta"}).text
    assert "Jyväskylä ekonomiska region" in page and "Jyväskylän seutukunta" not in page
    finnish = client.get(
        "/alue", params={"ryhmittely": "seutukunta"}, headers={"Accept-Language": "fi"}
    )
    assert "Jyväskylä ekonomiska region" in finnish.text  # the user's setting wins
    db["users"].update(user.id, {"language": None})
    finnish = client.get("/alue", params={"ryhmittely": "seutukunta"}).text
    assert "Jyväskylän seutukunta" in finnish and "ekonomiska region" not in finnish


def test_export_form_offers_scopes_in_swedish(db, make_user, client) -> None:
    user = _swedish_user(db, make_user, "svtuki", "tukitiimi")
    login(client, user.username)
    page = client.get("/viennit").text
    assert '<optgroup label="Kommungrupper (HYTE-kommungrupper)">' in page
    assert '<optgroup label="Kommuner">' in page and "Hela välfärdsområdet</option>" in page
    assert "Kommungrupp Jämsä–Keuruu</option>" in page
    wrong = client.get("/viennit", params={"alue": "ryhma:atlantis", "alkaen": "x"}).text
    assert "Okänt område: ”ryhma:atlantis”. Välj ett område i listan." in wrong
    assert "Startdagen är inte ett datum" in wrong and "Tuntematon alue" not in wrong


# --- the meeting brief's PDF and CSV on the computed demo ------------------------------------


@pytest.fixture
def demo_db(demo_template, settings) -> Iterator[Database]:
    yield from copy_of_demo(demo_template, settings)


@pytest.fixture
def demo_client(settings, demo_db) -> Iterator[TestClient]:
    from web.app import create_app

    with TestClient(create_app(settings)) as c:
        yield c


BRIEF = {"alkaen": "2026-06-01", "asti": "2026-11-22", "alue": "ryhma:jamsa-keuruu"}
FINNISH_BRIEF_TEXTS = (
    "Kokousmuistio",
    "Pienet luvut on suojattu",
    "Kysymyksiä kokoukselle",
    "Aineisto kuukausittain",
    "Onko ilmiö tuttu muissakin kunnissa?",
    "Kuka kirjoittaa ilmiölle yhteenvedon?",
    "Kuntaryhmä Jämsä–Keuruu",
)


def test_brief_pdf_in_swedish(demo_db, demo_client, make_user) -> None:
    user = _swedish_user(demo_db, make_user, "svtuki", "tukitiimi")
    login(demo_client, user.username)
    pdf = demo_client.get("/viennit/muistio.pdf", params=BRIEF)
    assert pdf.status_code == 200
    reader = PdfReader(io.BytesIO(pdf.content))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Mötespromemoria: Kommungrupp Jämsä–Keuruu" in text
    assert "Små tal är skyddade: ”<5” betyder 1–4" in text
    assert "Frågor till mötet" in text and "Material per månad" in text
    assert "Känner man igen fenomenet i andra kommuner också?" in text
    assert "sida 1" in text
    for finnish in FINNISH_BRIEF_TEXTS:
        assert finnish not in text, finnish


def test_brief_csv_in_swedish(demo_db, demo_client, make_user) -> None:
    user = _swedish_user(demo_db, make_user, "svtuki", "tukitiimi")
    login(demo_client, user.username)
    body = demo_client.get("/viennit/muistio.csv", params=BRIEF).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    header = rows[0]
    assert header[:4] == ["Område", "Tidsperiod", "Fenomenets id", "Rubrik"]
    assert "Prognosintervall 80 %, nedre gräns" in header and "alue" not in header
    assert all(row[0] == "Kommungrupp Jämsä–Keuruu" for row in rows[1:])
    questions = " ".join(row[header.index("Frågor")] for row in rows[1:])
    assert "Känner man igen fenomenet i andra kommuner också?" in questions
    for finnish in FINNISH_BRIEF_TEXTS:
        assert finnish not in body, finnish
    finnish_csv = demo_client.get(
        "/viennit/muistio.csv", params=BRIEF, headers={"Accept-Language": "fi"}
    )
    # The user's setting wins; Finnish is asked by the setting, and keeps its short names.
    demo_db["users"].update(user.id, {"language": "fi"})
    finnish_csv = demo_client.get("/viennit/muistio.csv", params=BRIEF)
    assert finnish_csv.content.decode("utf-8-sig").startswith("alue;aikavali;ilmio_id;")


def test_brief_xlsx_sheets_and_notes_in_swedish(demo_db, demo_client, make_user) -> None:
    from openpyxl import load_workbook

    user = _swedish_user(demo_db, make_user, "svtuki", "tukitiimi")
    login(demo_client, user.username)
    content = demo_client.get("/viennit/muistio.xlsx", params=BRIEF).content
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames[:3] == ["Fenomen", "Per månad", "Kommuner"]
    assert workbook.sheetnames[-1] == "Uppgifter"
    notes = {r[0].value: r[1].value for r in workbook["Uppgifter"].iter_rows()}
    assert notes["Område"].startswith("Kommungrupp Jämsä–Keuruu (Mellersta Finlands")
    assert notes["Dataskydd"].startswith("Små tal är skyddade")
    assert "Fenomen: Observationer, Nyheter" in notes["Skyddade kolumner"]
    months = [c.value for c in workbook["Per månad"][1]]
    assert months == ["Fenomenets id", "Rubrik", "Månad", "Observationer", "Nyheter"]
    assert "november 2026" in {r[2].value for r in workbook["Per månad"].iter_rows(min_row=2)}


def test_region_files_group_names(tmp_path: Path) -> None:
    from nakyma.regions import load_region

    pohjanmaa = load_region(
        Path(__file__).resolve().parent.parent / "nakyma" / "data" / "regions" / "pohjanmaa.toml"
    )
    group = pohjanmaa.group_of("598")  # Pietarsaari / Jakobstad
    assert group.name_in("fi") == "Pietarsaaren seutukunta"
    assert group.name_in("sv") == "Jakobstadsregionen"
    assert pohjanmaa.grouping().title_in("sv") == "Ekonomiska regioner"
