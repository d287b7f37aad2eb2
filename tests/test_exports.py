"""Exports for network meetings on the computed demo: the brief's data for each scope, every
format for the backbone team, access, and disclosure control in everything that leaves."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlite_utils import Database

from nakyma import review
from nakyma.accounts import get_user
from nakyma.disclosure import SuppressedTable
from nakyma.exports.brief import MeetingBrief
from nakyma.exports.build import build_brief
from nakyma.exports.csv_format import render_csv
from nakyma.exports.formats import export_filename
from nakyma.exports.markdown import markdown_text as render_markdown
from nakyma.exports.request import BriefRequest, ExportError, parse_brief_request, resolve_scope
from nakyma.exports.research import RESEARCH_COLUMNS, research_rows
from nakyma.exports.xlsx import render_xlsx
from tests.conftest import DEMO_TODAY, copy_of_demo, login

START, END = "2026-06-01", "2026-11-22"
WINDOW = {"alkaen": START, "asti": END}
SMALL = 5000
K = 5
ROUTES = [
    "/viennit",
    "/viennit/muistio",
    "/viennit/muistio.json",
    "/viennit/muistio.pdf",
    "/viennit/muistio.xlsx",
    "/viennit/muistio.csv",
    "/viennit/muistio.md",
    "/viennit/tutkimus.csv",
]


@pytest.fixture
def db(demo_template, settings) -> Iterator[Database]:
    """This test's own copy of the computed demo."""
    yield from copy_of_demo(demo_template, settings)


def request_for(region, **params: str | list[str]) -> BriefRequest:
    query = {**WINDOW, **params}
    return parse_brief_request(
        {k: v if isinstance(v, list) else [v] for k, v in query.items()}, region, today=DEMO_TODAY
    )


def brief_for(db, region, **params: str | list[str]) -> MeetingBrief:
    return build_brief(
        db,
        region,
        request_for(region, **params),
        k=K,
        min_population=SMALL,
        generated_on=DEMO_TODAY,
    )


def planted(db, word: str) -> int:
    return db.execute(
        "select m.phenomenon_id, count(*) n from phenomenon_members m join observations o "
        "on o.id = cast(m.item_key as integer) where m.item_kind = 'observation' "
        "and o.text like ? group by 1 order by n desc limit 1",
        [f"%{word}%"],
    ).fetchone()[0]


def observations_in(db, pid: int, codes, start=START, end=END) -> int:
    marks = ",".join("?" * len(codes))
    return db.execute(
        "select count(*) from phenomenon_members m join observations o "
        "on o.id = cast(m.item_key as integer) where m.item_kind = 'observation' "
        f"and m.phenomenon_id = ? and o.observed_on between ? and ? "
        f"and o.municipality_code in ({marks})",
        [pid, start, end, *codes],
    ).fetchone()[0]


def tables_of(brief: MeetingBrief) -> list[SuppressedTable]:
    out = []
    for p in brief.phenomena:
        out.append(p.months)
        if p.municipalities is not None:
            out.append(p.municipalities)
    return out


def backbone(client, make_user) -> None:
    make_user("tuki", "tukitiimi")
    login(client, "tuki")


# --- the request ----------------------------------------------------------------------------


def test_request_defaults_to_the_county_and_the_last_six_months(region) -> None:
    chosen = parse_brief_request({}, region, today=date(2026, 11, 22))
    assert chosen.scope.kind == "alue" and len(chosen.scope.municipalities) == 22
    assert (chosen.start, chosen.end) == (date(2026, 6, 1), date(2026, 11, 22))
    assert not chosen.filtered


def test_scopes_resolve_from_the_form_values(region) -> None:
    assert resolve_scope(region, "ryhma:jamsa-keuruu").municipalities == (
        "182",
        "249",
        "495",
        "592",
    )
    assert resolve_scope(region, "kunta:182").name == "Jämsä"
    assert resolve_scope(region, "Jämsä").code == "182"
    assert resolve_scope(region, "ryhma:ei-ole") is None


def test_bad_requests_are_refused_in_finnish(region) -> None:
    with pytest.raises(ExportError) as err:
        parse_brief_request(
            {
                "alue": ["Tampere"],
                "alkaen": ["eilen"],
                "tila": ["auki"],
                "luokka": ["kova"],
                "teema": ["sää"],
                "ilmio": ["x1"],
            },
            region,
            today=DEMO_TODAY,
        )
    text = " ".join(err.value.messages)
    for part in ("Tuntematon alue", "Alkupäivä", "tila", "signaaliluokka", "teema", "Ilmiön"):
        assert part in text
    with pytest.raises(ExportError, match="loppupäivän jälkeen"):
        parse_brief_request(
            {"alkaen": ["2026-12-01"], "asti": ["1.6.2026"]}, region, today=DEMO_TODAY
        )
    with pytest.raises(ExportError, match="liian pitkä"):
        parse_brief_request({"alkaen": ["2010-01-01"]}, region, today=DEMO_TODAY)


def test_unknown_hand_picked_phenomenon(db, region) -> None:
    with pytest.raises(ExportError, match="Ilmiötä 99999 ei ole"):
        brief_for(db, region, ilmio="99999")


# --- the brief's data -----------------------------------------------------------------------


def test_county_brief(db, region) -> None:
    brief = brief_for(db, region)
    tili = planted(db, "tili")
    assert brief.phenomena and brief.scope.label == "Koko hyvinvointialue"
    first = brief.phenomena[0]
    assert first.category in ("heikko_signaali", "vahvistuva")
    p = next(p for p in brief.phenomena if p.id == tili)
    assert p.status_label == "Uusi"
    assert p.category_label == "Vahvistuva" and p.reasons
    all_codes = [m.code for m in region.municipalities]
    assert p.observations.value == observations_in(db, tili, all_codes)
    assert [label for label in p.months.row_labels][0] == "kesäkuu 2026"
    assert len(p.months.row_labels) == 6
    assert p.municipalities is not None and "Jämsä" in p.municipalities.row_labels
    # Rows are alphabetical, so their order tells nothing about hidden counts.
    assert list(p.municipalities.row_labels) == sorted(p.municipalities.row_labels)
    assert p.questions and all(q.endswith("?") for q in p.questions)
    assert brief.signals_as_of == DEMO_TODAY.isoformat()


def test_group_brief(db, region) -> None:
    brief = brief_for(db, region, alue="ryhma:jamsa-keuruu")
    tili = planted(db, "tili")
    p = next(p for p in brief.phenomena if p.id == tili)
    # Rising in the group: new (heikko signaali) or, when the clustering gave the phenomenon
    # a few earlier members there, established and growing (vahvistuva).
    assert p.category in ("heikko_signaali", "vahvistuva")
    assert any("Jämsä–Keuruu" in r for r in p.reasons)
    assert p.observations.value == observations_in(db, tili, ["182", "249", "495", "592"])
    assert set(p.municipalities.row_labels) <= {"Jämsä", "Keuruu", "Multia", "Petäjävesi"}
    assert "Onko ilmiö tuttu muissakin kunnissa?" in p.questions
    county = {q.id: q.observations.value for q in brief_for(db, region).phenomena}
    assert all(q.observations.value <= county.get(q.id, 0) for q in brief.phenomena)


def test_municipality_brief(db, region) -> None:
    brief = brief_for(db, region, alue="kunta:182")
    tili = planted(db, "tili")
    p = next(p for p in brief.phenomena if p.id == tili)
    assert p.category == "heikko_signaali"
    assert p.municipalities is None
    assert p.observations.value == observations_in(db, tili, ["182"])
    assert p.texts and all(t.place == "Jämsä" for t in p.texts)


def test_selection_by_status_category_theme_and_hand(db, region) -> None:
    everything = brief_for(db, region)
    tili = planted(db, "tili")
    assert [p.id for p in brief_for(db, region, ilmio=str(tili)).phenomena] == [tili]
    growing = brief_for(db, region, luokka="vahvistuva")
    assert growing.phenomena and all(p.category == "vahvistuva" for p in growing.phenomena)
    assert brief_for(db, region, tila="suljettu").phenomena == ()
    assert len(brief_for(db, region, tila="uusi").phenomena) == len(everything.phenomena)
    mental = brief_for(db, region, teema="mielen_hyvinvointi")
    assert mental.phenomena
    assert all(p.theme == "mielen_hyvinvointi" for p in mental.phenomena)
    # A hand-picked phenomenon is included even without evidence in the window.
    quiet = brief_for(db, region, ilmio=str(tili), alkaen="2020-01-01", asti="2020-02-01")
    assert [p.id for p in quiet.phenomena] == [tili]
    assert quiet.phenomena[0].observations.text == "0"


def test_linked_indicators_carry_values_and_attribution(db, region) -> None:
    brief = brief_for(db, region, alue="kunta:179")
    linked = [i for p in brief.phenomena for i in p.indicators]
    assert linked
    for ind in linked:
        assert ind.attribution.startswith("Lähde: THL, Sotkanet; tuottaja ")
        assert ind.url.startswith("https://sotkanet.fi/")
        assert {v.area for v in ind.values} <= {"Jyväskylä", region.name, "Koko maa"}
    assert any(v.area == "Jyväskylä" for i in linked for v in i.values)


def test_counts_one_to_four_never_appear_as_plain_numbers(db, region) -> None:
    for scope in ("koko", "ryhma:jamsa-keuruu", "ryhma:viitasaari", "kunta:182"):
        brief = brief_for(db, region, alue=scope)
        assert brief.phenomena
        for table in tables_of(brief):
            for row in table.grid():
                for cell in row:
                    assert not (0 < cell.value < K) or cell.text == "<5"
                    assert cell.text not in {"1", "2", "3", "4"}
        for p in brief.phenomena:
            for reason in p.reasons:
                assert not re.search(r"(?<![\d,])[1-4] (eri )?(havain|uuti|ammatti)", reason)
        workbook = load_workbook(io.BytesIO(render_xlsx(brief)))
        for sheet, columns in (("Ilmiöt", "JK"), ("Kuukausittain", "DE"), ("Kunnat", "D")):
            for column in columns:
                for cell in workbook[sheet][column][1:]:
                    assert cell.value not in (1, 2, 3, 4), (sheet, cell.coordinate)


def test_order_of_phenomena_tells_nothing_about_hidden_counts(db, region) -> None:
    brief = brief_for(db, region, alue="ryhma:viitasaari", alkaen="2025-11-01")
    published = [(p.category, p.observations.text, p.headlines.text, p.id) for p in brief.phenomena]
    assert len({row[:3] for row in published}) < len(published)  # some look alike
    for before, after in zip(published, published[1:], strict=False):
        if before[:3] == after[:3]:
            assert before[3] < after[3]  # alike when published: ordered by id alone


def test_small_municipality_texts_appear_only_under_their_group(db, region) -> None:
    small = {m.name for m in region.municipalities if (m.population or 0) < SMALL}
    seen_group = False
    for scope in ("koko", "ryhma:viitasaari", "ryhma:saarijarvi-karstula"):
        for p in brief_for(db, region, alue=scope).phenomena:
            for t in p.texts:
                assert t.place not in small
                assert not any(name in t.text for name in small)
                seen_group |= t.place.startswith("kuntaryhmä ")
    assert seen_group
    kinnula = brief_for(db, region, alue="kunta:256")
    assert kinnula.phenomena
    assert all(not p.texts for p in kinnula.phenomena)
    assert any(p.texts_note and "kuntaryhmä" in p.texts_note for p in kinnula.phenomena)


def test_markdown_and_csv_carry_the_brief(db, region) -> None:
    brief = brief_for(db, region, alue="ryhma:jamsa-keuruu")
    markdown = render_markdown(brief)
    table = list(csv.reader(io.StringIO(render_csv(brief).decode("utf-8-sig")), delimiter=";"))
    for p in brief.phenomena:
        assert f"(ilmiö {p.id})" in markdown
        assert p.title in markdown
    n, m = len(brief.phenomena), len(brief.emerging)
    assert [row[3] for row in table[1 : n + 1]] == [p.title for p in brief.phenomena]
    # Then the emerging themes flagged in the area, each marked as one, and the forecast
    # page's years (tests/test_forecast_brief.py).
    assert [row[3] for row in table[n + 1 : n + m + 1]] == [e.title for e in brief.emerging]
    assert all(row[4].startswith("Nouseva teema") for row in table[n + 1 : n + m + 1])
    assert all(row[4] == "Ennuste" for row in table[n + m + 1 :])
    assert "Lähde: THL, Sotkanet; tuottaja" in markdown
    assert "| Kuukausi | Havainnot | Uutiset |" in markdown


def test_file_names_are_ascii() -> None:
    from nakyma.regions import load_region

    region = load_region()
    scope = resolve_scope(region, "ryhma:jamsa-keuruu")
    assert export_filename("muistio", scope, DEMO_TODAY, "pdf") == (
        "nakyma-muistio-jamsa-keuruu-2026-11-22.pdf"
    )
    county = resolve_scope(region, "koko")
    assert (
        export_filename("tutkimus", county, DEMO_TODAY, "csv") == "nakyma-tutkimus-2026-11-22.csv"
    )
    assert export_filename("muistio", resolve_scope(region, "kunta:992"), DEMO_TODAY, "md") == (
        "nakyma-muistio-aanekoski-2026-11-22.md"
    )


# --- research export ------------------------------------------------------------------------


def test_research_rows_have_no_account_ids_or_free_text(db, region) -> None:
    rows = research_rows(
        db, region, request_for(region), min_population=SMALL, generated_on=DEMO_TODAY
    )
    assert rows and all(list(r) == list(RESEARCH_COLUMNS) for r in rows)
    expected = db.execute(
        "select count(*) from observations where observed_on between ? and ?", [START, END]
    ).fetchone()[0]
    assert len(rows) == expected
    texts = {r[0] for r in db.execute("select text from observations")}
    small = {m.code for m in region.municipalities if (m.population or 0) < SMALL}
    for r in rows:
        assert not set(r.values()) & texts
        assert r["municipality_group"]
        if r["municipality_code"]:
            assert r["municipality_code"] not in small
    hidden = [r for r in rows if not r["municipality_code"]]
    assert hidden and all(not r["municipality"] for r in hidden)
    tili = planted(db, "tili")
    chosen = research_rows(
        db,
        region,
        request_for(region, ilmio=str(tili)),
        min_population=SMALL,
        generated_on=DEMO_TODAY,
    )
    assert chosen and {r["phenomenon_id"] for r in chosen} == {str(tili)}


def test_research_columns_are_documented_in_the_readme() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for column in RESEARCH_COLUMNS:
        assert f"| `{column}` |" in readme


# --- over HTTP ------------------------------------------------------------------------------


def test_backbone_downloads_every_format(client, make_user, db, region) -> None:
    backbone(client, make_user)
    tili = planted(db, "tili")
    title = db.execute("select title from phenomena where id = ?", [tili]).fetchone()[0]
    # Leadership has accepted an indicator for it (suggestions depend on the clustering).
    indicator = db.execute("select min(id) from indicators").fetchone()[0]
    tuki = get_user(db, "tuki")
    assert tuki is not None
    review.decide_link(db, tuki, tili, indicator, "accepted")
    query = {**WINDOW, "alue": "ryhma:jamsa-keuruu", "ilmio": [str(tili), "2"]}
    today = client.app.state.settings.today().isoformat()

    page = client.get("/viennit", params=query)
    assert page.status_code == 200
    assert title in page.text and "/viennit/muistio.pdf?" in page.text

    html = client.get("/viennit/muistio", params=query)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    soup = BeautifulSoup(html.text, "html.parser")
    assert soup.find("link", href="/static/brief.css")
    assert [a.get_text() for a in soup.select("article.phenomenon h2")][0].endswith(title)
    assert soup.select("article.phenomenon svg.month-chart[role=img]")

    pdf = client.get("/viennit/muistio.pdf", params=query)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == (
        f'attachment; filename="nakyma-muistio-jamsa-keuruu-{today}.pdf"'
    )
    assert pdf.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf.content))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert title in text and "Kokousmuistio: Kuntaryhmä Jämsä–Keuruu" in text
    assert "Lähde: THL, Sotkanet" in text
    assert len(reader.pages) >= 3  # cover + one page per phenomenon

    xlsx = client.get("/viennit/muistio.xlsx", params=query)
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="nakyma-muistio-jamsa-keuruu-' in xlsx.headers["content-disposition"]
    workbook = load_workbook(io.BytesIO(xlsx.content))
    # The demo's money-mule theme lies in Jämsä and Keuruu: the group's brief lists it.
    assert workbook.sheetnames == [
        "Ilmiöt",
        "Kuukausittain",
        "Kunnat",
        "Nousevat teemat",
        "Ennusteet",  # the demo's forecasts of indicators linked to the group's phenomena
        "Tietoja",
    ]
    assert title in [c.value for c in workbook["Ilmiöt"]["D"]]
    assert workbook["Nousevat teemat"].max_row >= 2

    for path, kind in (
        ("/viennit/muistio.csv", "text/csv"),
        ("/viennit/muistio.md", "text/markdown"),
    ):
        response = client.get(path, params=query)
        assert response.status_code == 200
        assert response.headers["content-type"] == f"{kind}; charset=utf-8"
        assert title in response.content.decode("utf-8-sig")

    data = client.get("/viennit/muistio.json", params=query).json()
    assert [p["id"] for p in data["phenomena"]][0] == tili

    research = client.get("/viennit/tutkimus.csv", params=query)
    assert research.headers["content-disposition"].endswith(f'-{today}.csv"')
    header = research.text.splitlines()[0].split(",")
    assert header == list(RESEARCH_COLUMNS)


def test_export_form(client, make_user) -> None:
    backbone(client, make_user)
    page = BeautifulSoup(client.get("/viennit").text, "html.parser")
    assert page.h1.get_text() == "Viennit verkostotapaamisiin"
    options = [o["value"] for o in page.select("select#alue option")]
    assert options[0] == "koko" and "ryhma:jamsa-keuruu" in options and "kunta:256" in options
    assert page.select("input[name=tila]") and page.select("input[name=ilmio]")
    assert page.select('button[formaction="/viennit/muistio.pdf"]')
    assert page.select_one('nav a[href="/viennit"]')


@pytest.mark.parametrize("route", ROUTES)
def test_bad_parameters_give_a_finnish_page(client, make_user, route) -> None:
    backbone(client, make_user)
    response = client.get(route, params={"alue": "Tampere", "alkaen": "huomenna"})
    assert response.status_code == 422
    assert "Tuntematon alue" in response.text
    assert "Traceback" not in response.text


@pytest.mark.parametrize("role", ["johto", "havainnoija"])
def test_only_the_backbone_team_and_admins_export(client, make_user, role) -> None:
    make_user("toinen", role)
    login(client, "toinen")
    for route in ROUTES:
        response = client.get(route, params=WINDOW, headers={"accept": "text/html"})
        assert response.status_code == 403, route
    page = client.get("/", follow_redirects=True)
    assert 'href="/viennit"' not in page.text


def test_admin_may_export(client, make_user) -> None:
    make_user("yllapito", "admin")
    login(client, "yllapito")
    assert client.get("/viennit/muistio.md", params=WINDOW).status_code == 200


def test_signed_out_user_is_sent_to_log_in(client) -> None:
    response = client.get("/viennit/muistio.pdf", params=WINDOW, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/kirjaudu")


def test_an_unknown_format_is_a_finnish_404_for_the_backbone_team(client, make_user) -> None:
    make_user("yllapito", "admin")
    login(client, "yllapito")
    response = client.get("/viennit/muistio.docx", params=WINDOW)
    assert response.status_code == 404
    assert response.json() == {"detail": "Tuntematon tiedostomuoto."}
    page = client.get("/viennit/muistio.docx", params=WINDOW, headers={"accept": "text/html"})
    assert page.status_code == 404 and "Sivua ei löytynyt." in page.text


def test_xlsx_headers_in_finnish_numbers_as_numbers_marks_only_where_explained(db, region) -> None:
    from nakyma.exports.xlsx import PROTECTED_COLUMNS

    brief = brief_for(db, region, alue="ryhma:viitasaari", alkaen="2025-11-01")
    workbook = load_workbook(io.BytesIO(render_xlsx(brief)))
    headers = [c.value for c in workbook["Ilmiöt"][1]]
    assert headers[:3] == ["Alue", "Aikaväli", "Ilmiön tunnus"]
    assert not any("_" in h or h != h.strip() or h[0].islower() for h in headers)
    for sheet in workbook.sheetnames:
        if sheet != "Tietoja":
            assert all(c.value and c.value[0].isupper() for c in workbook[sheet][1]), sheet
    assert all(isinstance(c.value, int) for c in workbook["Ilmiöt"]["C"][1:])
    notes = {r[0].value: r[1].value for r in workbook["Tietoja"].iter_rows()}
    mark = re.compile(r"<\d|\.\.")
    marked = 0
    for explained in PROTECTED_COLUMNS.values():
        for column in explained:
            assert column in notes["Suojatut sarakkeet"]
    for sheet in workbook.sheetnames:
        if sheet == "Tietoja":
            continue
        ws = workbook[sheet]
        names = [c.value for c in ws[1]]
        for row in ws.iter_rows(min_row=2):
            for name, cell in zip(names, row, strict=True):
                if isinstance(cell.value, str) and mark.search(cell.value):
                    marked += 1
                    assert name in PROTECTED_COLUMNS.get(sheet, ()), (sheet, name, cell.value)
                if isinstance(cell.value, str) and cell.value.isdigit():
                    raise AssertionError(f"number stored as text: {sheet} {cell.coordinate}")
    assert marked  # the group's brief does hide some small counts
