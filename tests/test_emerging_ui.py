"""Emerging themes in the product: who sees and decides them, the decisions (promote,
attach, dismiss, restore) with their audit rows and their survival of a clustering run, the
theme page and its forms, the lists beside the weak signals, the work list's ranking and
the JSON twins. Themes are planted over real demo observations (`plant_theme`)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from sqlite_utils import Database

from nakyma import review
from nakyma.accounts import create_api_token, get_user
from nakyma.emerging_views import emerging_for, emerging_for_user, theme_detail
from nakyma.regions import load_region
from tests.conftest import CSRF_RE, DEMO_TODAY, copy_of_demo, login, plant_theme

HTML = {"accept": "text/html"}


@pytest.fixture
def db(demo_template, settings) -> Iterator[Database]:
    """The computed demo without the detector's own themes: each test plants the ones it
    needs (tests/test_scope_leaks.py walks the detector's too)."""
    for database in copy_of_demo(demo_template, settings):
        for table in ("emerging_areas", "emerging_members", "emerging_themes"):
            database.execute(f"delete from {table}")
        database.conn.commit()
        yield database


def user(db: Database, name: str):
    found = get_user(db, name)
    assert found is not None
    return found


def members_of(db: Database, theme_id: int) -> set[tuple[str, str]]:
    return {
        (r[0], r[1])
        for r in db.execute(
            "select item_kind, item_key from emerging_members where theme_id = ?", [theme_id]
        )
    }


def phenomenon_members(db: Database, pid: int) -> set[tuple[str, str]]:
    return {
        (r[0], r[1])
        for r in db.execute(
            "select item_kind, item_key from phenomenon_members where phenomenon_id = ?", [pid]
        )
    }


def test_who_sees_and_decides_a_theme(db) -> None:
    own = plant_theme(db, ("992", "275"), title="Omien kuntien teema")
    reaching = plant_theme(db, ("992", "410"), title="Laukaaseen ulottuva teema")
    elsewhere = plant_theme(db, ("410",), title="Vain Laukaan teema")
    boss, staff = user(db, "johto"), user(db, "havainnoija")
    team, admin = user(db, "tukitiimi"), user(db, "admin")
    assert [review.can_view_theme(db, boss, t) for t in (own, reaching, elsewhere)] == [
        True,
        True,
        False,
    ]
    assert [review.can_decide_theme(db, boss, t) for t in (own, reaching, elsewhere)] == [
        True,
        False,
        False,
    ]
    # Frontline staff see the themes their own observations joined, and decide none.
    assert review.can_view_theme(db, staff, own) and not review.can_view_theme(db, staff, elsewhere)
    assert not any(review.can_decide_theme(db, staff, t) for t in (own, reaching, elsewhere))
    for backbone in (team, admin):
        assert all(review.can_decide_theme(db, backbone, t) for t in (own, reaching, elsewhere))
    with pytest.raises(review.Forbidden):
        review.promote_theme(db, boss, reaching, "Ei saa nostaa")
    with pytest.raises(review.Forbidden):
        review.dismiss_theme(db, staff, own)
    with pytest.raises(review.Forbidden):
        theme_detail(db, load_region(), elsewhere, boss)
    assert review.theme_decision(db, reaching) == "avoin"


def test_promote_moves_pins_audits_and_survives_a_run(db, settings) -> None:
    from pipelines.registry import run_pipeline

    theme = plant_theme(db, ("992",), per_municipality=4, title="Skuuttiturvallisuus")
    items = members_of(db, theme)
    parents = {
        int(r[0])
        for r in db.execute(
            "select distinct phenomenon_id from emerging_members where theme_id = ?", [theme]
        )
        if r[0]
    }
    boss = user(db, "johto")
    with pytest.raises(review.ReviewError, match="3–120"):
        review.promote_theme(db, boss, theme, "x")
    with pytest.raises(review.ReviewError, match="Nimi"):
        review.promote_theme(db, boss, theme, "Soita 040 1234567")
    pid = review.promote_theme(db, boss, theme, "  Sähköpotkulautojen   vaaratilanteet ")
    row = next(db.query("select * from phenomena where id = ?", [pid]))
    assert row["title"] == "Sähköpotkulautojen vaaratilanteet" and row["title_edited"] == 1
    assert phenomenon_members(db, pid) == items and row["size"] == len(items)
    pinned = {
        (r[0], r[1])
        for r in db.execute(
            "select item_kind, item_key from manual_assignments where phenomenon_id = ?", [pid]
        )
    }
    assert pinned == items
    lineage = {
        r[0]
        for r in db.execute(
            "select from_id from phenomenon_lineage where to_id = ? and kind = 'manual_split'",
            [pid],
        )
    }
    assert lineage == parents
    theme_row = next(db.query("select * from emerging_themes where id = ?", [theme]))
    assert (theme_row["decision"], theme_row["phenomenon_id"]) == ("ylennetty", pid)
    assert theme_row["decided_by"] == boss.id and theme_row["decided_at"]
    audit = review.audit_entries(db, phenomenon_id=pid)
    assert audit[0]["action"] == "theme_promote" and audit[0]["details"]["theme"] == theme
    with pytest.raises(review.ReviewError, match="jo päätetty"):
        review.promote_theme(db, boss, theme, "Toinen kerta")
    # A full run of the phenomena pipeline keeps the new phenomenon with its members.
    assert run_pipeline(db, settings, "phenomena", as_of=DEMO_TODAY).status == "ok"
    assert phenomenon_members(db, pid) == items
    after = next(
        db.query("select title, dismissed, merged_into from phenomena where id = ?", [pid])
    )
    assert after == {
        "title": "Sähköpotkulautojen vaaratilanteet",
        "dismissed": 0,
        "merged_into": None,
    }
    assert review.theme_decision(db, theme) == "ylennetty"
    changes = review.what_changed(db, boss)
    assert changes[0]["action"] == "theme_promote" and changes[0]["theme_title"]
    # The frontline writer sees the decision on their own observations; Laukaa's does not.
    assert review.what_changed(db, user(db, "havainnoija"))[0]["action"] == "theme_promote"


def test_attach_into_a_managed_phenomenon_only(db, make_user) -> None:
    theme = plant_theme(db, ("410",), title="Laukaan teema")
    items = members_of(db, theme)
    leader = make_user("laukaa", "johto", ("Laukaa",))
    unmanaged = db.execute(
        "select id from phenomena where size > 0 and dismissed = 0 order by size desc limit 1"
    ).fetchone()[0]
    assert not review.can_manage(db, leader, unmanaged)
    with pytest.raises(review.ReviewError, match="voit käsitellä"):
        review.attach_theme(db, leader, theme, unmanaged)
    with pytest.raises(review.ReviewError, match="ei löydy"):
        review.attach_theme(db, leader, theme, 999999)
    team = user(db, "tukitiimi")
    review.attach_theme(db, team, theme, unmanaged)
    assert items <= phenomenon_members(db, unmanaged)
    assert review.theme_decision(db, theme) == "liitetty"
    assert review.audit_entries(db, phenomenon_id=unmanaged)[0]["action"] == "theme_attach"


def test_dismiss_and_restore_and_vanished_members(db) -> None:
    region = load_region()
    team = user(db, "tukitiimi")
    theme = plant_theme(db, ("992",), title="Hylättävä teema")

    def listed() -> list[int]:
        found = emerging_for(db, region, team, area_kind="kunta", area_code="992")
        return [t["theme_id"] for t in found]

    assert theme in listed()
    review.dismiss_theme(db, team, theme)
    assert theme not in listed() and review.theme_decision(db, theme) == "hylätty"
    assert theme not in [t["theme_id"] for t in emerging_for(db, region, team)]
    with pytest.raises(review.ReviewError, match="jo päätetty"):
        review.dismiss_theme(db, team, theme)
    review.dismiss_theme(db, team, theme, dismissed=False)
    assert theme in listed()
    actions = [a["action"] for a in review.audit_entries(db) if a["details"].get("theme") == theme]
    assert actions == ["theme_restore", "theme_dismiss"]
    # Members that no longer exist are skipped; none left: refused.
    keys = sorted(int(k) for _, k in members_of(db, theme))
    gone_keys = keys[:-1]
    db.execute(
        f"delete from observations where id in ({','.join('?' * len(gone_keys))})", gone_keys
    )
    db.conn.commit()
    pid = review.promote_theme(db, team, theme, "Yksi jäljellä")
    assert phenomenon_members(db, pid) == {("observation", str(keys[-1]))}
    gone = plant_theme(db, ("275",), per_municipality=1, title="Kadonnut teema")
    db.execute(
        "delete from observations where id = (select cast(item_key as integer) "
        "from emerging_members where theme_id = ?)",
        [gone],
    )
    db.conn.commit()
    with pytest.raises(review.ReviewError, match="ei enää ole"):
        review.promote_theme(db, team, gone, "Ei mitään")


def test_counts_and_reasons_outside_own_municipalities_are_disclosed(db) -> None:
    region = load_region()
    theme = plant_theme(db, ("992", "410"), per_municipality=3, title="Kahden kunnan teema")
    boss, team = user(db, "johto"), user(db, "tukitiimi")
    own = emerging_for(db, region, boss, area_kind="kunta", area_code="992")
    assert own[0]["items"] == 3 and own[0]["reasons"][0].startswith("3 havaintoa")
    other = emerging_for(db, region, team, area_kind="kunta", area_code="410")
    assert other[0]["items"] is None and other[0]["items_shown"] == "<5"
    assert other[0]["reasons"][0].startswith("<5 havaintoa")
    page = theme_detail(db, region, theme, boss)
    shown = {m["code"]: m["shown"] for m in page.municipalities}
    assert shown["992"] == "3" and shown["410"] == "<5"
    assert page.size is None and {o["municipality"] for o in page.observations} == {"Äänekoski"}
    laukaa = next(a for a in page.areas if a["area_code"] == "410")
    assert laukaa["reasons"][0].startswith("<5") and laukaa["items"] is None
    # The theme's total (6) less Äänekoski's 3 would give Laukaa's away: no sentence states
    # it, nor does the county's row.
    assert all("6 havaintoa" not in r for r in page.reasons)
    county_row = next(a for a in page.areas if a["area_kind"] == "alue")
    assert county_row["items"] is None and county_row["reasons"] == []
    # The county's list for the backbone team ranks by the category in that area.
    plant_theme(db, ("275",), title="Hiipuva teema", category="hiipuva")
    county = [t["category"] for t in emerging_for(db, region, team)]
    assert county == sorted(county, key=["nouseva", "vahvistuva", "ennallaan", "hiipuva"].index)


def test_work_list_ranks_by_the_category_where_the_user_works(db) -> None:
    region = load_region()
    boss, team = user(db, "johto"), user(db, "tukitiimi")
    first, second = [
        r[0]
        for r in db.execute(
            "select m.phenomenon_id from phenomenon_members m join observations o "
            "on o.id = cast(m.item_key as integer) where o.municipality_code = '992' "
            "group by 1 order by count(*) desc limit 2"
        ).fetchall()
    ]
    template = next(db.query("select * from weak_signals limit 1"))
    rows = []
    for pid, county, local in (
        (first, "hiipuva", "heikko_signaali"),
        (second, "heikko_signaali", "hiipuva"),
    ):
        rows.append(
            {
                **template,
                "phenomenon_id": pid,
                "area_kind": "alue",
                "area_code": region.code,
                "category": county,
            }
        )
        rows.append(
            {
                **template,
                "phenomenon_id": pid,
                "area_kind": "kunta",
                "area_code": "992",
                "category": local,
            }
        )
        # Another municipality's category never counts for leadership of 992 and 275.
        rows.append(
            {
                **template,
                "phenomenon_id": pid,
                "area_kind": "kunta",
                "area_code": "410",
                "category": "vahvistuva",
            }
        )
    db.table("weak_signals").upsert_all(rows, pk=("phenomenon_id", "area_kind", "area_code"))
    db.conn.commit()
    mine = {w["id"]: w for w in review.work_list(db, region, boss)}
    assert (mine[first]["category"], mine[second]["category"]) == ("heikko_signaali", "hiipuva")
    order = [w["id"] for w in review.work_list(db, region, boss)]
    assert order.index(first) < order.index(second)
    theirs = {w["id"]: w for w in review.work_list(db, region, team)}
    assert (theirs[first]["category"], theirs[second]["category"]) == ("hiipuva", "heikko_signaali")
    order = [w["id"] for w in review.work_list(db, region, team)]
    assert order.index(second) < order.index(first)
    # Themes on the work list: leadership's own municipalities, each theme once.
    both = plant_theme(db, ("992", "275"), title="Molempien kuntien teema")
    plant_theme(db, ("410",), title="Laukaan teema")
    assert [t["theme_id"] for t in emerging_for_user(db, region, boss)] == [both]


def _token(client, path: str) -> str:
    return CSRF_RE.search(client.get(path).text).group(1)


def test_theme_page_forms_and_lists(client, db) -> None:
    theme = plant_theme(db, ("992",), title="Välituntien yksinäisyys")
    hidden = plant_theme(db, ("410",), title="Salainen Laukaan teema")
    login(client, "johto", "demo-johto")
    municipality = client.get("/kunnat/992")
    assert "Nouseva teema" in municipality.text and "Välituntien yksinäisyys" in municipality.text
    assert "Salainen Laukaan teema" not in client.get("/kunnat/410").text
    worklist = client.get("/tyolista").text
    assert f'href="/teemat/{theme}"' in worklist and "Salainen" not in worklist
    page = client.get(f"/teemat/{theme}")
    assert page.status_code == 200
    html = BeautifulSoup(page.text, "html.parser")
    assert html.select_one("#promote-title")["value"] == "Välituntien yksinäisyys"
    assert {b.get_text(strip=True) for b in html.select("form button")} >= {
        "Nosta ilmiöksi",
        "Hylkää teema",
    }
    assert client.get(f"/teemat/{hidden}", headers=HTML).status_code == 403
    # A theme reaching Laukaa: leadership of Äänekoski sees it but may not decide it.
    reaching = plant_theme(db, ("992", "410"), title="Laukaaseen ulottuva teema")
    seen = client.get(f"/teemat/{reaching}")
    assert seen.status_code == 200 and "promote-title" not in seen.text
    assert "päättää tukitiimi" in seen.text
    refused_token = CSRF_RE.search(seen.text).group(1)
    assert (
        client.post(
            f"/teemat/{reaching}/nosta",
            data={"csrf_token": refused_token, "title": "Ei saa", "vahvista": "1"},
            headers=HTML,
        ).status_code
        == 403
    )
    assert review.theme_decision(db, reaching) == "avoin"
    assert client.get("/teemat/999999", headers=HTML).status_code == 404
    token = _token(client, f"/teemat/{theme}")
    # Without the confirmation the page comes back with the error and the typed title.
    refused = client.post(f"/teemat/{theme}/nosta", data={"csrf_token": token, "title": "Oma nimi"})
    assert refused.status_code == 422 and "Vahvista toiminto" in refused.text
    assert (
        BeautifulSoup(refused.text, "html.parser").select_one("#promote-title")["value"]
        == "Oma nimi"
    )
    assert (
        client.post(
            f"/teemat/{hidden}/nosta",
            data={"csrf_token": token, "title": "Oma nimi", "vahvista": "1"},
            headers=HTML,
        ).status_code
        == 403
    )
    done = client.post(
        f"/teemat/{theme}/nosta",
        data={"csrf_token": token, "title": "Oma nimi", "vahvista": "1"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/ilmiot/")
    landed = client.get(done.headers["location"])
    assert "Oma nimi" in landed.text and "nostettiin uudeksi ilmiöksi" in landed.text
    # The new phenomenon names the theme it came from, with a link back.
    origin = BeautifulSoup(landed.text, "html.parser").select_one(".from-themes")
    assert origin is not None and "nostettu ilmiöksi" in origin.get_text()
    assert origin.select_one(f'a[href="/teemat/{theme}"]') is not None
    after = client.get(f"/teemat/{theme}").text
    assert "Nostettu ilmiöksi" in after and "promote-title" not in after
    assert "Välituntien yksinäisyys" not in client.get("/kunnat/992").text
    changes = client.get("/muutokset").text
    assert "nostettu ilmiöksi nousevasta teemasta" in changes and "Salainen" not in changes


def test_frontline_sees_its_theme_but_no_forms(client, db) -> None:
    theme = plant_theme(db, ("992",), title="Kentän teema", created_by="havainnoija")
    login(client, "havainnoija", "demo-havainnoija")
    page = client.get(f"/teemat/{theme}")
    assert page.status_code == 200 and "promote-title" not in page.text
    token = CSRF_RE.search(page.text).group(1)
    answer = client.post(
        f"/teemat/{theme}/hylkaa", data={"csrf_token": token, "vahvista": "1"}, headers=HTML
    )
    assert answer.status_code == 403 and review.theme_decision(db, theme) == "avoin"


def test_json_twins(client, db) -> None:
    theme = plant_theme(db, ("992", "410"), title="Rajapinnan teema")
    hidden = plant_theme(db, ("410",), title="Piilotettu teema")
    api = {"Authorization": f"Bearer {create_api_token(db, 'johto')}"}
    listed = client.get("/api/emerging?municipality=Äänekoski", headers=api).json()
    assert listed["area_kind"] == "kunta" and [t["theme_id"] for t in listed["themes"]] == [theme]
    laukaa = client.get("/api/emerging?municipality=410", headers=api).json()["themes"]
    assert [t["theme_id"] for t in laukaa] == [theme] and laukaa[0]["items_shown"] == "<5"
    county = client.get("/api/emerging", headers=api).json()
    assert county["area_kind"] == "alue" and hidden not in [t["theme_id"] for t in county["themes"]]
    assert client.get("/api/emerging?municipality=Atlantis", headers=api).status_code == 404
    group = load_region().group_of("992").key
    grouped = client.get(f"/api/emerging?group={group}", headers=api).json()
    assert grouped["area_kind"] == "kuntaryhma" and theme in [
        t["theme_id"] for t in grouped["themes"]
    ]
    assert client.get("/api/emerging?group=ei-ole", headers=api).status_code == 404
    detail = client.get(f"/api/emerging/{theme}", headers=api).json()
    assert detail["decision"] == "avoin" and "tools" not in detail
    assert json.dumps(detail).count("Piilotettu") == 0
    assert client.get(f"/api/emerging/{hidden}", headers=api).status_code == 403
    work = client.get("/api/worklist", headers=api).json()
    assert [t["theme_id"] for t in work["emerging"]] == [theme]


def test_meeting_brief_lists_emerging_themes_under_disclosure(db) -> None:
    import csv
    import io

    from openpyxl import load_workbook
    from pypdf import PdfReader

    from nakyma.exports.build import build_brief
    from nakyma.exports.csv_format import render_csv
    from nakyma.exports.json_format import render_json
    from nakyma.exports.markdown import markdown_text
    from nakyma.exports.pdf import render_pdf
    from nakyma.exports.request import parse_brief_request
    from nakyma.exports.xlsx import render_xlsx

    region = load_region()
    kinnula = region.municipality("256")
    assert (kinnula.population or 0) < 5000
    group = region.group_of("256").key
    theme = plant_theme(db, ("256",), title="Kinnulan kyläkoulun kuljetukset")
    db.execute(
        "update emerging_areas set reasons = ? where theme_id = ? and area_kind = 'kuntaryhma'",
        [
            json.dumps(
                [f"3 havaintoa {kinnula.from_form} 4 viikossa.", f"Uusi aihe {kinnula.from_form}."]
            ),
            theme,
        ],
    )
    db.conn.commit()
    request = parse_brief_request(
        {"alue": [f"ryhma:{group}"], "alkaen": ["2026-06-01"], "asti": ["2026-11-22"]},
        region,
        today=DEMO_TODAY,
    )
    brief = build_brief(db, region, request, k=5, min_population=5000, generated_on=DEMO_TODAY)
    [entry] = [e for e in brief.emerging if e.id == theme]
    assert entry.items == "<5" and entry.places == (f"kuntaryhmä {region.group_of('256').name}",)
    assert "Kinnula" not in entry.title and "[kunta]" in entry.title
    # A group's sentences count several municipalities: those with a count are left out.
    assert entry.reasons == ("Uusi aihe [kunta].",)
    markdown = markdown_text(brief)
    # Municipality count tables name every municipality; the themes' texts do not.
    section = markdown.split("## Nousevat teemat", 1)[1].split("\n## ", 1)[0]
    assert "\\[kunta\\]" in section and "Kinnula" not in section
    assert json.loads(render_json(brief))["emerging"][0]["items"] == "<5"
    pdf = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(render_pdf(brief))).pages)
    assert "Nousevat teemat" in pdf and "Kinnulan kyläkoulun" not in pdf
    sheet = load_workbook(io.BytesIO(render_xlsx(brief)))["Nousevat teemat"]
    assert [c.value for c in sheet[2]][4] == "<5"
    rows = list(csv.DictReader(io.StringIO(render_csv(brief).decode("utf-8-sig")), delimiter=";"))
    [csv_row] = [r for r in rows if r["tila"].startswith("Nouseva teema")]
    assert csv_row["havainnot"] == "<5" and csv_row["ilmio_id"] == ""
    assert csv_row["otsikko"] == entry.title and "Kinnula" not in " ".join(csv_row.values())
    # A decided theme leaves the brief.
    review.dismiss_theme(db, user(db, "tukitiimi"), theme)
    again = build_brief(db, region, request, k=5, min_population=5000, generated_on=DEMO_TODAY)
    assert theme not in [e.id for e in again.emerging]


def test_brief_page_shows_the_section(client, db) -> None:
    plant_theme(db, ("992",), title="Muistion nouseva teema")
    login(client, "tukitiimi", "demo-tukitiimi")
    page = client.get("/viennit/muistio?alue=kunta:992&alkaen=2026-06-01&asti=2026-11-22")
    assert page.status_code == 200
    html = BeautifulSoup(page.text, "html.parser")
    assert html.select_one("#nousevat").get_text() == "Nousevat teemat"
    assert "Muistion nouseva teema" in html.get_text()


def test_region_page_lists_the_county_themes_the_user_may_open(client, db) -> None:
    mine = plant_theme(db, ("992",), title="Oman kunnan nouseva teema")
    plant_theme(db, ("410",), title="Toisen kunnan nouseva teema")
    login(client, "johto", "demo-johto")
    html = BeautifulSoup(client.get("/alue").text, "html.parser")
    listed = html.select("#nousevat ~ .emerging-list .emerging-theme")
    assert [li.select_one("a")["href"] for li in listed] == [f"/teemat/{mine}"]
    assert "Toisen kunnan" not in html.get_text()


def test_sentences_counting_several_municipalities_never_give_a_hidden_count_away() -> None:
    """The detector's own wording: Keuruu's 4 is hidden, Saarijärvi's 5 hidden with it
    (".."), the total 21 shown; a sentence stating 6 + 6 + 5 would give Keuruu's 4 away."""
    from nakyma.disclosure import disclose_line
    from nakyma.emerging_views import _disclosed_area, theme_reasons

    region = load_region()
    boss = type(
        "U", (), {"role": "johto", "municipalities": ("992", "275"), "sees_whole_region": False}
    )()
    line = disclose_line({"182": 6, "249": 4, "729": 5, "992": 6}, {"992", "275"}, 5)
    assert line.total == 21 and line.shown["249"] == "<5" and line.shown["729"] == ".."
    said = [
        "6 havaintoa Jämsästä, 6 havaintoa Äänekoskelta, 5 havaintoa Saarijärveltä ja "
        "4 havaintoa Keuruulta 5 viikossa.",
        "Aihe on tuttu muualta, mutta keskittyy nyt tänne.",
    ]
    assert theme_reasons(said, line, boss, 5) == [said[1]]
    row = {
        "area_kind": "kuntaryhma",
        "area_code": "jamsa-keuruu",
        "items": 10,
        "category": "nouseva",
        "score": 1.0,
        "reasons": json.dumps(said),
        "as_of": "2026-11-22",
    }
    group = _disclosed_area(region, row, boss, 5, line)
    assert group["items"] is None and group["reasons"] == [said[1]]
    # Leadership's own group is known exactly, yet its sentences still count the others.
    own = _disclosed_area(region, {**row, "area_code": "aanekoski", "items": 6}, boss, 5, line)
    assert own["items_shown"] == "6" and own["reasons"] == [said[1]]
    saarijarvi = {
        **row,
        "area_kind": "kunta",
        "area_code": "729",
        "items": 5,
        "reasons": json.dumps(["5 havaintoa Saarijärveltä 5 viikossa."]),
    }
    shown = _disclosed_area(region, saarijarvi, boss, 5, line)
    assert shown["items_shown"] == ".." and shown["reasons"] == []


def test_theme_page_says_observations_are_hidden_only_when_some_are(client, db) -> None:
    """A three-item theme of the leader's own municipality hides nothing from them, even
    when its total is published as "<5"; one reaching another municipality hides some."""
    own = plant_theme(db, ("992",), title="Oman kunnan pieni teema")
    reaching = plant_theme(db, ("992", "410"), title="Naapuriin ulottuva teema")
    login(client, "johto", "demo-johto")
    own_page = BeautifulSoup(client.get(f"/teemat/{own}").text, "html.parser").get_text()
    assert "muista kunnista" not in own_page
    reaching_page = BeautifulSoup(client.get(f"/teemat/{reaching}").text, "html.parser")
    assert "muista kunnista" in reaching_page.get_text()
