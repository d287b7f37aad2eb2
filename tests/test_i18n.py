"""The user interface in Finnish, Swedish and English: catalogues complete, the language chosen
per request, Swedish pages free of Finnish chrome, dates, numbers and municipality names in
the chosen language, and the bilingual region file."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from nakyma import i18n, privacy
from nakyma.accounts import create_user, get_user
from nakyma.regions import load_region
from tests.conftest import csrf_from, login
from web.app import create_app

ROOT = Path(__file__).resolve().parents[1]
POHJANMAA = ROOT / "nakyma" / "data" / "regions" / "pohjanmaa.toml"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|%%")
# Finnish words of the page chrome (navigation, headings, buttons) that a Swedish page must
# not show. Text users wrote (observations, phenomenon titles) stays in its own language.
FINNISH_CHROME = (
    "Etusivu",
    "Kirjaa havainto",
    "Omat havainnot",
    ">Kunnat<",
    "Työlista",
    "Muutokset",
    "Kirjaudu ulos",
    "Hae merkityksen",
    "Siirry sisältöön",
    "Ennakointi",
    "Nousevat teemat",
    "Heikot signaalit",
    "havaintoa",
    "Tallenna",
    "(pakollinen)",
)


def _extracted() -> dict[str, tuple[str, ...]]:
    """Every message id in the code and the templates, as `pybabel extract -F babel.cfg`
    finds them, with the files it is in; a plural message (ngettext) by its singular."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str, list[str]] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords={"_": None, "gettext": None, "N_": None, "ngettext": (1, 2)},
    ):
        key = message[0] if isinstance(message, tuple) else message
        if key:
            found.setdefault(key, []).append(filename)
    return {m: tuple(files) for m, files in found.items()}


def _strings(value: str | tuple[str, ...] | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


@pytest.fixture(scope="module")
def extracted() -> dict[str, tuple[str, ...]]:
    return _extracted()


def _catalog(language: str):
    with (i18n.LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=language)


def test_every_message_is_in_the_swedish_catalogue_and_translated(extracted) -> None:
    catalog = _catalog("sv")
    missing = {m: f for m, f in extracted.items() if m not in catalog}
    assert not missing, f"not in sv/messages.po (run pybabel extract + update): {missing}"
    untranslated = [m.id for m in catalog if m.id and (m.fuzzy or not all(_strings(m.string)))]
    assert not untranslated, f"Swedish translation empty or fuzzy: {untranslated}"


def test_swedish_translations_keep_the_placeholders() -> None:
    for message in _catalog("sv"):
        if message.id:
            # A plural's forms together use the placeholders its ids use together (a
            # singular may write out "yksi" where the plural says %(n)s).
            wanted = sorted(PLACEHOLDER.findall(" ".join(_strings(message.id))))
            got = sorted(PLACEHOLDER.findall(" ".join(_strings(message.string))))
            if isinstance(message.id, str):
                assert got == wanted, message.id
            else:
                assert set(got) == set(wanted), message.id


def test_template_catalogue_is_up_to_date(extracted) -> None:
    with (i18n.LOCALE_DIR / "messages.pot").open("rb") as pot:
        template = {_strings(m.id)[0] for m in read_po(pot) if m.id}
    assert set(extracted) <= template, sorted(set(extracted) - template)


def test_finnish_is_the_source_and_needs_no_catalogue() -> None:
    assert i18n.gettext("fi", "Kirjaa havainto") == "Kirjaa havainto"
    assert i18n.gettext("sv", "Kirjaa havainto") == "Registrera observation"
    assert i18n.gettext("sv", "not a message id") == "not a message id"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("sv-FI,sv;q=0.9,fi;q=0.8", "sv"),
        ("fi-FI,fi;q=0.9,sv;q=0.8", "fi"),
        ("de-DE, en;q=0.5", "en"),
        ("fi;q=0.3, sv;q=0.7", "sv"),
        ("de", "fi"),
        ("", "fi"),
        (None, "sv"),
        ("sv;q=0, fi", "fi"),
        ("sv;q=abc", "fi"),
    ],
)
def test_accept_language_negotiation(header, expected) -> None:
    default = "sv" if header is None else "fi"
    assert i18n.negotiate(header, default) == expected


def test_dates_and_numbers_in_each_language() -> None:
    assert i18n.format_date(date(2026, 3, 5), "fi") == "5.3.2026"
    assert i18n.format_date("2026-03-05T10:00:00", "sv") == "5.3.2026"
    assert i18n.format_date(date(2026, 3, 5), "en") == "5 Mar 2026"
    assert i18n.format_datetime("2026-09-12T07:22:00+00:00", "fi") == "12.9.2026 klo 10.22"
    assert i18n.format_datetime("2026-09-12T07:22:00+00:00", "sv") == "12.9.2026 kl. 10.22"
    assert i18n.format_number(1234.5, "fi") == "1\u00a0234,5"
    assert i18n.format_number(1234.5, "sv") == "1\u00a0234,5"
    assert i18n.format_number(1234.5, "en") == "1,234.5"
    assert i18n.format_number(None, "sv") == "–"


def test_pohjanmaa_region_file_loads_with_swedish_names() -> None:
    region = load_region(POHJANMAA)
    assert region.key == "pohjanmaa"
    assert region.default_language == "sv"
    assert region.name_in("sv") == "Österbottens välfärdsområde"
    # The county's 14 municipalities (Isokyrö moved to Etelä-Pohjanmaa in 2021), each in
    # exactly one sub-region.
    assert len(region.municipalities) == 14
    assert "152" not in {m.code for m in region.municipalities}
    grouping = {g.key: g for g in region.groupings}["seutukunta"]
    members = [code for group in grouping.groups for code in group.members]
    assert sorted(members) == sorted(m.code for m in region.municipalities)
    jakobstad = region.municipality("598")
    assert (jakobstad.name, jakobstad.name_in("sv"), jakobstad.name_in("fi")) == (
        "Pietarsaari",
        "Jakobstad",
        "Pietarsaari",
    )
    assert region.municipality("599").name_in("sv") == "Pedersöre"  # alike in both
    # Swedish names resolve and are found in free text, like the Finnish forms.
    assert region.resolve("Jakobstad") == jakobstad
    assert region.resolve("Vasa") == region.municipality("905")
    found = region.find_in_text("Barnskyddsanmälningarna ökar i Vasa och Nykarleby.")
    assert [m.code for m in found] == ["905", "893"]


def test_swedish_place_forms() -> None:
    assert i18n.place_form("Vaasassa", "Vasa", "in_form", "sv") == "i Vasa"
    assert i18n.place_form("Pietarsaaresta", "Jakobstad", "from_form", "sv") == "från Jakobstad"
    assert i18n.place_form("Jyväskylässä", "Jyväskylä", "in_form", "fi") == "Jyväskylässä"
    assert i18n.place_form("Vaasan", "Vasa", "genitive", "sv") == "Vasas"
    assert i18n.place_form("Närpiön", "Närpes", "genitive", "sv") == "Närpes"


def test_region_file_rejects_an_unknown_default_language(tmp_path) -> None:
    text = POHJANMAA.read_text(encoding="utf-8").replace(
        'default_language = "sv"', 'default_language = "de"'
    )
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="default_language"):
        load_region(bad)


def _assert_swedish_page(html: str, path: str) -> None:
    assert '<html lang="sv">' in html, path
    leftovers = [w for w in FINNISH_CHROME if w in html]
    assert not leftovers, f"{path}: Finnish chrome on a Swedish page: {leftovers}"


SV = {"Accept-Language": "sv-FI,sv;q=0.9"}


@pytest.mark.parametrize(
    ("role", "paths"),
    [
        (
            "havainnoija",
            ["/havainnot/uusi", "/havainnot/omat", "/alue", "/kunnat/179", "/muutokset"],
        ),
        ("johto", ["/", "/tyolista"]),
        ("tukitiimi", ["/", "/tyolista", "/alue"]),
    ],
)
def test_main_pages_in_swedish(make_user, client: TestClient, role, paths) -> None:
    user = make_user("sv" + role, role)
    login(client, user.username)
    for path in paths:
        response = client.get(path, headers=SV)
        assert response.status_code == 200, path
        _assert_swedish_page(response.text, path)
    nav = client.get(paths[0], headers=SV).text
    assert "Registrera observation" in nav and "Logga ut" in nav and "Kommuner" in nav


def test_login_and_error_pages_in_swedish(client: TestClient) -> None:
    page = client.get("/kirjaudu", headers=SV).text
    _assert_swedish_page(page, "/kirjaudu")
    assert "Användarnamn" in page and "Lösenord" in page
    missing = client.get("/ei-ole", headers={**SV, "Accept": "text/html"}).text
    assert "Sidan hittades inte." in missing


def test_finnish_by_default(frontline, client: TestClient) -> None:
    page = client.get("/havainnot/uusi").text
    assert '<html lang="fi">' in page
    assert "Kirjaa havainto" in page and "Registrera" not in page


def test_switcher_remembers_the_users_choice(db, frontline, client: TestClient) -> None:
    page = client.get("/havainnot/omat").text
    assert 'action="/kieli"' in page and 'lang="sv"' in page
    token = csrf_from(client, "/havainnot/omat")
    response = client.post(
        "/kieli",
        data={"kieli": "sv", "seuraava": "/havainnot/omat", "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/havainnot/omat"
    assert get_user(db, frontline.username).language == "sv"
    client.cookies.clear()  # the setting is the user's, not this browser's
    login(client, frontline.username)
    _assert_swedish_page(client.get("/havainnot/omat").text, "/havainnot/omat")
    # The user's setting wins over the browser's Accept-Language.
    page = client.get("/havainnot/omat", headers={"Accept-Language": "fi"}).text
    assert '<html lang="sv">' in page


def test_switcher_signed_out_sets_a_cookie_and_refuses_foreign_targets(client) -> None:
    token = csrf_from(client, "/kirjaudu")
    response = client.post(
        "/kieli",
        data={"kieli": "sv", "seuraava": "https://evil.example/", "csrf_token": token},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"
    assert '<html lang="sv">' in client.get("/kirjaudu").text
    # An unknown language changes nothing.
    token = csrf_from(client, "/kirjaudu")
    client.post("/kieli", data={"kieli": "de", "csrf_token": token}, follow_redirects=False)
    assert '<html lang="sv">' in client.get("/kirjaudu").text


def test_bilingual_region_defaults_to_swedish_with_swedish_names(settings) -> None:
    settings = settings.model_copy(update={"region_file": POHJANMAA})
    app = create_app(settings)
    region = load_region(POHJANMAA)
    from nakyma.db import open_db

    db = open_db(settings.database_path)
    create_user(
        db,
        "johto",
        role="johto",
        password="salasana-joka-on-pitka",
        region=region,
        municipalities=("598",),
    )
    db.close()
    with TestClient(app) as client:
        login(client, "johto", "salasana-joka-on-pitka")
        page = client.get("/kunnat/598").text  # no Accept-Language: the region's default
        assert '<html lang="sv">' in page
        assert "<h1>Jakobstad</h1>" in page and "från Jakobstad" in page
        home = client.get("/").text
        assert "i Jakobstad" in home
        finnish = client.get("/kunnat/598", headers={"Accept-Language": "fi"}).text
        assert "<h1>Pietarsaari</h1>" in finnish and "Pietarsaaresta" in finnish


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Eleven med personbeteckningen 131052-308T har ofta varit frånvarande.", "hetu"),
        ("Föräldern bad att bli uppringd på 040 123 4567 efter skoltid.", "puhelin"),
        ("Kontakta kuratorn via anna.andersson@skola.fi om saken.", "sahkoposti"),
        ("Ring +358 50 765 4321 och fråga efter socialjouren.", "puhelin"),
    ],
)
def test_privacy_guard_structured_checks_work_on_swedish_text(text, kind) -> None:
    findings = [
        f
        for f in (
            *privacy.find_hetus(text),
            *privacy.find_phone_numbers(text),
            *privacy.find_emails(text),
        )
    ]
    assert [f.kind for f in findings] == [kind], text


@pytest.fixture
def pohjanmaa_places():
    """The privacy guard treating Pohjanmaa's municipality names (Swedish ones too) as places;
    the default region again afterwards."""
    privacy.use_region(load_region(POHJANMAA))
    yield
    privacy.use_region(load_region())


def test_swedish_municipality_names_are_places_not_person_names(pohjanmaa_places) -> None:
    assert privacy.find_person_names("Unga i Korsholm saknar fritidsaktiviteter.") == []
    text = "Eleven Anna Andersson har ofta varit frånvarande i Nykarleby."
    found = [text[f.start : f.end] for f in privacy.find_person_names(text)]
    assert found == ["Anna Andersson"]


def test_markdown_brief_and_spreadsheet_headers_in_swedish(make_user, client) -> None:
    user = make_user("svtuki", "tukitiimi")
    login(client, user.username)
    text = client.get("/viennit/muistio.md", headers=SV).content.decode("utf-8")
    assert text.startswith("# Mötespromemoria: ")
    assert "· tidsperiod " in text and "Kokousmuistio" not in text
    finnish = client.get("/viennit/muistio.md").content.decode("utf-8")
    assert finnish.startswith("# Kokousmuistio: ")
    from io import BytesIO

    from openpyxl import load_workbook

    xlsx = client.get("/viennit/muistio.xlsx", headers=SV).content
    headers = [c.value for c in load_workbook(BytesIO(xlsx)).worksheets[0][1]]
    assert headers[:4] == ["Område", "Tidsperiod", "Fenomenets id", "Rubrik"]
