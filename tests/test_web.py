"""In-process tests of every page and API route, including their error paths."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from nakyma.observations import FIELDS
from tests.conftest import CSRF_RE, PASSWORD, csrf_from, login, valid_observation

HETU = "131052-308T"
PHONE = "040 123 4567"


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def form_data(client: TestClient, **overrides: str) -> dict[str, str]:
    data = {
        "csrf_token": csrf_from(client, "/havainnot/uusi"),
        "text": "Nuorisotilalla kävijöitä on syksyn aikana ollut selvästi aiempaa enemmän.",
        "municipality": "992",
        "observed_on": "2026-02-10",
        "target_group": "nuoret",
        "theme": "",
        "role": "nuorisotyo",
    }
    data.update(overrides)
    return data


def stored_texts(db) -> list[str]:
    return [r["text"] for r in db.query("select text from observations")]


# --- signing in and out -------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/havainnot/uusi", "/havainnot/omat", "/alue"])
def test_pages_redirect_to_login_when_signed_out(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/kirjaudu?seuraava={path}"


def test_login_page_is_finnish_labelled_and_secured(client: TestClient) -> None:
    response = client.get("/kirjaudu")
    assert response.status_code == 200
    page = soup(response)
    assert page.html["lang"] == "fi"
    for input_id in ("username", "password"):
        assert page.find("label", attrs={"for": input_id}) is not None
    assert page.find("button", string="Kirjaudu")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "nakyma_csrf" in response.headers["set-cookie"]
    assert "httponly" in response.headers["set-cookie"].lower()


def test_login_sets_session_cookie_and_redirects_home(client: TestClient, make_user) -> None:
    make_user("kentta")
    token = csrf_from(client, "/kirjaudu")
    response = client.post(
        "/kirjaudu",
        data={
            "username": "KENTTA ",
            "password": PASSWORD,
            "csrf_token": token,
            "seuraava": "/alue",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/alue"
    cookie = response.headers["set-cookie"].lower()
    assert "nakyma_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    home = client.get("/", follow_redirects=False)
    assert home.headers["location"] == "/havainnot/uusi"  # frontline users start at the form


def test_leadership_home_is_its_own_municipalities(client: TestClient, make_user) -> None:
    make_user("johtaja", "johto", ("Laukaa",))
    login(client, "johtaja")
    assert client.get("/", follow_redirects=False).headers["location"] == "/omat-kunnat"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "\\\\evil"])
def test_login_never_redirects_off_site(client: TestClient, make_user, target: str) -> None:
    make_user("kentta")
    token = csrf_from(client, "/kirjaudu")
    response = client.post(
        "/kirjaudu",
        data={"username": "kentta", "password": PASSWORD, "csrf_token": token, "seuraava": target},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_wrong_password_shows_finnish_error_tied_to_fields(client: TestClient, make_user) -> None:
    make_user("kentta")
    token = csrf_from(client, "/kirjaudu")
    response = client.post(
        "/kirjaudu",
        data={"username": "kentta", "password": "väärä-salasana", "csrf_token": token},
    )
    assert response.status_code == 400
    page = soup(response)
    error = page.find(id="login-error")
    assert error.get_text(strip=True) == "Käyttäjätunnus tai salasana on väärin."
    assert error["role"] == "alert"
    assert page.find(id="password")["aria-describedby"] == "login-error"
    assert page.find(id="username")["value"] == "kentta"
    assert "nakyma_session" not in response.headers.get("set-cookie", "")


def test_repeated_login_failures_are_throttled(client: TestClient, make_user, settings) -> None:
    make_user("kentta")
    token = csrf_from(client, "/kirjaudu")
    for _ in range(settings.login_max_failures):
        bad = {"username": "kentta", "password": "väärin-väärin", "csrf_token": token}
        assert client.post("/kirjaudu", data=bad).status_code == 400
    response = client.post(
        "/kirjaudu", data={"username": "kentta", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 429
    assert "Liian monta epäonnistunutta kirjautumisyritystä" in response.text
    assert client.get("/alue", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("token", [None, "", "väärä"])
def test_form_posts_without_valid_csrf_token_are_refused(
    client: TestClient, make_user, token: str | None
) -> None:
    make_user("kentta")
    client.get("/kirjaudu")  # get the CSRF cookie, but send no or a wrong token
    data = {"username": "kentta", "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = token
    response = client.post("/kirjaudu", data=data, headers={"accept": "text/html"})
    assert response.status_code == 403
    assert "Lomakkeen turvatarkiste puuttui" in response.text


def test_csrf_token_from_another_browser_is_refused(app, client: TestClient, frontline) -> None:
    with TestClient(app) as other:
        foreign_token = csrf_from(other, "/kirjaudu")
    response = client.post("/havainnot/uusi", data=form_data(client, csrf_token=foreign_token))
    assert response.status_code == 403


def test_logout_ends_the_session(client: TestClient, frontline, db) -> None:
    token = csrf_from(client, "/havainnot/uusi")
    response = client.post("/kirjaudu-ulos", data={"csrf_token": token}, follow_redirects=False)
    assert response.headers["location"] == "/kirjaudu"
    assert db.table("sessions").count == 0
    assert client.get("/alue", follow_redirects=False).status_code == 303


# --- the observation form -------------------------------------------------------------


def test_form_fields_are_labelled_and_date_limited(client: TestClient, frontline, today) -> None:
    page = soup(client.get("/havainnot/uusi"))
    for field_id in ("text", "municipality", "observed_on", "theme", "role"):
        assert page.find("label", attrs={"for": field_id}), field_id
    assert page.find("legend").get_text(" ", strip=True).startswith("Kohderyhmä")
    assert len(page.select("input[name=target_group]")) == 7
    date_input = page.find(id="observed_on")
    assert date_input["max"] == today.isoformat()
    assert date_input["value"] == today.isoformat()
    assert len(page.select("#municipality option")) == 23  # 22 municipalities + prompt
    assert page.find("a", class_="skip-link")["href"] == "#sisalto"


def test_form_preselects_the_users_municipality(client: TestClient, make_user) -> None:
    make_user("laukaa", "havainnoija", ("Laukaa",))
    login(client, "laukaa")
    page = soup(client.get("/havainnot/uusi"))
    assert page.select_one("#municipality option[selected]").get_text() == "Laukaa"


def test_form_stores_observation_and_confirms(client: TestClient, frontline, db) -> None:
    response = client.post("/havainnot/uusi", data=form_data(client), follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/havainnot/uusi?tallennettu=")
    confirmation = soup(client.get(response.headers["location"])).find(role="status")
    assert "Havainto tallennettiin" in confirmation.get_text()
    row = next(db.query("select * from observations"))
    assert row["source"] == "lomake"
    assert row["created_by"] == frontline.id
    assert row["municipality_code"] == "992"
    assert row["role"] == "nuorisotyo"


def test_form_shows_every_error_at_its_field(client: TestClient, frontline, db, today) -> None:
    future = (today + timedelta(days=1)).isoformat()
    data = form_data(client, text="lyhyt", municipality="", observed_on=future, target_group="")
    response = client.post("/havainnot/uusi", data=data)
    assert response.status_code == 422
    page = soup(response)
    summary = page.find(id="error-summary")
    assert summary["role"] == "alert"
    links = {a["href"] for a in summary.find_all("a")}
    assert links == {"#text", "#municipality", "#observed_on", "#target_group"}
    assert page.find(id="text-error").get_text().startswith("Havainto on liian lyhyt")
    assert page.find(id="municipality-error").get_text() == "Valitse kunta."
    assert page.find(id="observed_on-error").get_text() == (
        "Päivämäärä ei voi olla tulevaisuudessa."
    )
    assert page.find(id="target_group-error").get_text() == "Valitse kohderyhmä."
    text_area = page.find(id="text")
    assert text_area["aria-invalid"] == "true"
    assert "text-error" in text_area["aria-describedby"].split()
    assert text_area.get_text() == "lyhyt"  # what the user wrote is kept
    assert db.table("observations").count == 0


@pytest.mark.parametrize(
    ("secret", "label"),
    [(HETU, "henkilötunnus"), (PHONE, "puhelinnumero"), ("nuori.x@koulu.fi", "sähköpostiosoite")],
)
def test_form_marks_personal_data_and_stores_nothing(
    client: TestClient, frontline, db, secret: str, label: str
) -> None:
    text = f"Tapasin nuoren, joka kertoi tietonsa {secret} ja pyysi apua asumiseen."
    response = client.post("/havainnot/uusi", data=form_data(client, text=text))
    assert response.status_code == 422
    page = soup(response)
    marks = page.select("#text-marked mark")
    assert [m.get_text() for m in marks] == [secret]
    assert marks[0]["title"] == label
    message = page.find(id="text-error").get_text()
    assert label in message and secret not in message
    assert secret not in page.find(id="error-summary").get_text()
    assert db.table("observations").count == 0


def test_form_succeeds_after_rewriting_the_personal_data(client: TestClient, frontline, db):
    bad = form_data(client, text=f"Nuori kertoi henkilötunnuksensa {HETU} ohjaajalle.")
    assert client.post("/havainnot/uusi", data=bad).status_code == 422
    good = form_data(client, text="Nuori kertoi ohjaajalle huolestaan asumisesta.")
    assert client.post("/havainnot/uusi", data=good, follow_redirects=False).status_code == 303
    assert stored_texts(db) == ["Nuori kertoi ohjaajalle huolestaan asumisesta."]


def test_form_refuses_a_duplicate(client: TestClient, frontline, db) -> None:
    assert client.post("/havainnot/uusi", data=form_data(client)).status_code == 200
    response = client.post("/havainnot/uusi", data=form_data(client))
    assert response.status_code == 422
    assert "Sama havainto on jo kirjattu" in soup(response).find(id="text-error").get_text()
    assert db.table("observations").count == 1


def test_live_privacy_check_partial(client: TestClient, frontline) -> None:
    token = csrf_from(client, "/havainnot/uusi")
    warned = client.post(
        "/havainnot/tarkista", data={"csrf_token": token, "text": f"soita {PHONE} illalla"}
    )
    assert warned.status_code == 200
    assert [m.get_text() for m in soup(warned).find_all("mark")] == [PHONE]
    assert "puhelinnumero" in warned.text
    clean = client.post(
        "/havainnot/tarkista", data={"csrf_token": token, "text": "klo 14.30 oli 12 nuorta"}
    )
    assert clean.text.strip() == ""


def test_live_privacy_check_needs_login_and_csrf(client: TestClient, make_user) -> None:
    response = client.post("/havainnot/tarkista", data={"text": HETU}, follow_redirects=False)
    assert response.status_code == 303  # access policy first: sign in
    make_user("kentta")
    login(client, "kentta")
    response = client.post("/havainnot/tarkista", data={"text": HETU}, follow_redirects=False)
    assert response.status_code == 403  # then the CSRF token


# --- my observations ------------------------------------------------------------------


def test_my_observations_lists_only_own(
    client: TestClient, frontline, db, region, today, make_user
):
    from nakyma.observations import submit_observation

    other = make_user("toinen")
    for user, text in ((frontline, "Oma havainto nuorisotilalta."), (other, "Toisen havainto.")):
        submit_observation(
            db,
            valid_observation(text=text),
            region=region,
            source="lomake",
            today=today,
            created_by=user.id,
        )
    page = soup(client.get("/havainnot/omat"))
    texts = [p.get_text() for p in page.select(".observation-text")]
    assert texts == ["Oma havainto nuorisotilalta."]
    assert "Olet kirjannut 1 havainnon." in page.get_text()
    assert "15.1.2026" in page.select_one(".meta").get_text()


def test_my_observations_empty_state(client: TestClient, frontline) -> None:
    assert "Et ole vielä kirjannut havaintoja" in client.get("/havainnot/omat").text


# --- region page ----------------------------------------------------------------------


def _seed(db, region, today, items: list[tuple[str, str]]) -> None:
    from nakyma.observations import submit_observation

    for municipality, text in items:
        submit_observation(
            db,
            valid_observation(municipality=municipality, text=text),
            region=region,
            source="tuonti",
            today=today,
        )


def test_region_page_groups_municipalities_with_counts(client, frontline, db, region, today):
    _seed(
        db,
        region,
        today,
        [("Jämsä", f"Havainto Jämsästä numero {i}.") for i in range(6)]
        + [("Keuruu", f"Havainto Keuruulta numero {i}.") for i in range(7)]
        + [("Multia", "Havainto Multialta numero yksi.")],
    )
    page = soup(client.get("/alue"))
    assert page.h1.get_text() == "Keski-Suomen hyvinvointialue"
    groups = page.select("section.group")
    assert len(groups) == 7
    rows = {tr.th.get_text(): tr.td.get_text() for tr in page.select("section.group tbody tr")}
    assert len(rows) == 22
    assert rows["Jyväskylä"] == "0"
    # Multia's single observation is hidden as "<5"; one more count in its group is hidden
    # too, so that Multia's count cannot be recovered from the group total (14).
    assert rows["Multia"] == "<5"
    assert sorted([rows["Jämsä"], rows["Keuruu"]]) == ["..", "7"]
    jamsa_keuruu = next(g for g in groups if g.h2.get_text().startswith("Jämsä–Keuruu"))
    assert jamsa_keuruu.select_one(".count").get_text() == "14"
    assert "Havaintoja yhteensä 14" in page.select_one(".lead").get_text(" ", strip=True)


def test_region_page_other_grouping_and_unknown_grouping(client, frontline) -> None:
    page = soup(client.get("/alue?ryhmittely=seutukunta"))
    assert len(page.select("section.group")) == 6
    assert page.select_one(".tabs a[aria-current=page]").get_text() == "Seutukunnat"
    missing = client.get("/alue?ryhmittely=eiole", headers={"accept": "text/html"})
    assert missing.status_code == 404
    assert "Sivua ei löytynyt." in missing.text


# --- JSON API -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer nky_vaara"}, {"Authorization": "Basic abc"}],
)
def test_api_requires_a_valid_token(client: TestClient, headers) -> None:
    response = client.post("/api/observations", json=valid_observation(), headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/region", headers=headers).status_code == 401


def test_api_session_cookie_is_not_enough(client: TestClient, frontline) -> None:
    # Cookie-authenticated JSON posts would be open to CSRF; the API takes tokens only.
    assert client.post("/api/observations", json=valid_observation()).status_code == 401


def test_api_creates_observation(client: TestClient, api_headers, db) -> None:
    body = valid_observation(external_id="webropol-17", municipality="Äänekoskella")
    response = client.post("/api/observations", json=body, headers=api_headers)
    assert response.status_code == 201
    record = response.json()
    assert record["municipality"] == {"code": "992", "name": "Äänekoski"}
    assert record["external_id"] == "webropol-17"
    assert record["source"] == "api"
    assert isinstance(record["id"], int)
    # The same external_id and content again: stored once, answered 200.
    again = client.post("/api/observations", json=body, headers=api_headers)
    assert again.status_code == 200 and again.json()["id"] == record["id"]
    assert db.table("observations").count == 1


def test_api_answers_field_errors(client: TestClient, api_headers, db) -> None:
    body = valid_observation(text="lyhyt", municipality="Tampere", target_group="koirat")
    response = client.post("/api/observations", json=body, headers=api_headers)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert {(d["field"], d["code"]) for d in detail} == {
        ("text", "too_short"),
        ("municipality", "unknown_municipality"),
        ("target_group", "invalid_choice"),
    }
    assert all(d["message"] for d in detail)
    assert "Tampere" not in response.text
    assert db.table("observations").count == 0


def test_api_names_personal_data_kind_and_span(client: TestClient, api_headers, db) -> None:
    text = f"Asiakas antoi numeron {PHONE} ja pyysi soittoa."
    response = client.post(
        "/api/observations", json=valid_observation(text=text), headers=api_headers
    )
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["field"] == "text" and error["kind"] == "puhelin"
    assert text[error["start"] : error["end"]] == PHONE
    assert PHONE not in response.text
    assert db.table("observations").count == 0


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({**valid_observation(), "nimi": "x"}, "nimi", "unknown_field"),
        ({**valid_observation(), "observed_on": 20260115}, "observed_on", "invalid_type"),
    ],
)
def test_api_refuses_unknown_fields_and_types(client, api_headers, body, field, code) -> None:
    response = client.post("/api/observations", json=body, headers=api_headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == field
    assert response.json()["detail"][0]["code"] == code


def test_api_body_errors_are_in_finnish_and_do_not_echo_the_input(client, api_headers) -> None:
    body = {**valid_observation(), "henkilotunnus": "131052-308T", "role": 7}
    response = client.post("/api/observations", json=body, headers=api_headers)
    assert response.status_code == 422
    detail = {e["field"]: e for e in response.json()["detail"]}
    assert detail["henkilotunnus"]["message"] == "Tuntematon kenttä."
    assert detail["role"] == {
        "field": "role",
        "message": "Arvon on oltava merkkijono.",
        "code": "invalid_type",
    }
    assert "131052" not in response.text


def test_api_bodies_are_described_in_the_openapi_document(client) -> None:
    schemas = client.get("/api/openapi.json").json()["components"]["schemas"]
    assert set(schemas["ObservationIn"]["properties"]) == set(FIELDS)
    assert schemas["ObservationIn"]["additionalProperties"] is False
    assert schemas["CommentIn"]["required"] == ["body"]
    assert schemas["StatusIn"]["required"] == ["status"]


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]"])
def test_api_malformed_body_gets_the_same_error_shape(client, api_headers, raw) -> None:
    response = client.post(
        "/api/observations",
        content=raw,
        headers={**api_headers, "content-type": "application/json"},
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail and {"field", "message"} <= set(detail[0])


def test_api_lists_own_observations_and_region(client, api_headers) -> None:
    client.post("/api/observations", json=valid_observation(), headers=api_headers)
    own = client.get("/api/observations", headers=api_headers).json()
    assert own["total"] == 1 and own["observations"][0]["municipality"]["name"] == "Äänekoski"
    overview = client.get("/api/region", headers=api_headers).json()
    assert overview["grouping"] == "hyte"
    aanekoski = next(g for g in overview["groups"] if g["name"] == "Äänekoski")
    # One observation: hidden by disclosure control, here as in the page.
    assert aanekoski["observations"] is None and aanekoski["shown"] == "<5"
    assert overview["observations"] is None and overview["disclosure_k"] == 5
    assert aanekoski["municipalities"][0]["in_form"] == "Äänekoskella"
    assert client.get("/api/region?grouping=x", headers=api_headers).status_code == 404


# --- plumbing -------------------------------------------------------------------------


def test_static_assets_are_vendored(client: TestClient) -> None:
    htmx = client.get("/static/vendor/htmx.min.js")
    assert htmx.status_code == 200 and len(htmx.content) > 10_000
    assert client.get("/static/nakyma.css").status_code == 200
    page = client.get("/kirjaudu").text
    assert "http://" not in page.replace("http://www.w3.org", "")
    assert "https://" not in page


def test_health_and_not_found(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/api/eiole").status_code == 404
    html = client.get("/eiole", headers={"accept": "text/html"})
    assert html.status_code == 404 and "Sivua ei löytynyt." in html.text
    # No logout form for anonymous visitors (the language switcher's form is on every page).
    assert 'action="/kirjaudu-ulos"' not in html.text


def test_personal_data_never_reaches_the_logs(client, api_headers, frontline, caplog) -> None:
    caplog.set_level("DEBUG")
    text = f"Asiakkaan tunnus {HETU} ja numero {PHONE} kirjattiin vahingossa."
    client.post("/api/observations", json=valid_observation(text=text), headers=api_headers)
    client.post("/havainnot/uusi", data=form_data(client, text=text))
    client.post(
        "/havainnot/tarkista",
        data={"csrf_token": csrf_from(client, "/havainnot/uusi"), "text": text},
    )
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert HETU not in logged and PHONE not in logged


# --- municipality pages and runs --------------------------------------------------------


@pytest.fixture
def demo_sources_loaded(db, settings):
    from pipelines.demo import demo_sources
    from pipelines.registry import run_pipeline

    for name, source in demo_sources().items():
        assert run_pipeline(db, settings, name, source=source).status == "ok"


def test_municipality_page_shows_signals_charts_and_headlines(
    client, frontline, demo_sources_loaded
) -> None:
    response = client.get("/kunnat/992")
    assert response.status_code == 200
    page = soup(response)
    assert page.h1.get_text() == "Äänekoski"
    signals = [li.get_text(" ", strip=True) for li in page.select(".signal-worse")]
    assert any("lastensuojeluilmoituksen saaneet" in s and "9,1 % → 11,4 %" in s for s in signals)
    # The indicator charts (the Ennakointi section's forecast charts have their own test).
    charts = [c for c in page.select("svg.chart[role=img]") if "forecast-chart" not in c["class"]]
    assert len(charts) >= 25
    first = charts[0]
    label = first["aria-label"]  # the chart's text alternative carries every value
    assert re.search(r"Äänekoski: 20\d\d", label), label
    assert "Hyvinvointialue: " in label and "Koko maa: " in label
    attribution = page.select_one(".chart-card .attribution")
    assert attribution.get_text().startswith("Lähde: THL, Sotkanet")
    assert attribution.a["href"].startswith("https://sotkanet.fi/sotkanet/fi/metadata/indicators/")
    headlines = page.select(".headline-list a")
    assert headlines and all(a["href"].endswith("?origin=rss") for a in headlines)
    assert page.find("h2", id="uutiset").get_text() == "Uutisia Äänekoskelta"


def test_context_indicator_chart_has_no_direction(client, frontline, demo_sources_loaded):
    page = soup(client.get("/kunnat/179"))
    population = next(f for f in page.select("figure.chart-card") if "(ind. 127)" in f.get_text())
    assert population.select_one("text.direction") is None
    worse = next(f for f in page.select("figure.chart-card") if "(ind. 1086)" in f.get_text())
    assert worse.select_one("text.direction").get_text() == "↑ suurempi on huonompi"


def test_municipality_page_by_name_redirects_and_unknown_is_404(client, frontline) -> None:
    response = client.get("/kunnat/Laukaa", follow_redirects=False)
    assert response.status_code == 301 and response.headers["location"] == "/kunnat/410"
    missing = client.get("/kunnat/Tampere", headers={"accept": "text/html"})
    assert missing.status_code == 404


def test_municipality_page_before_any_pipeline_run(client, frontline) -> None:
    page = soup(client.get("/kunnat/435"))
    assert "Indikaattoritietoja ei ole vielä haettu" in page.get_text()
    assert "Ei uutisia, jotka koskisivat Luhankaa." in page.get_text()


def test_region_page_links_to_municipality_pages(client, frontline) -> None:
    page = soup(client.get("/alue"))
    assert page.find("a", string="Äänekoski")["href"] == "/kunnat/992"


def test_runs_page_is_for_admins_only(client, make_user, db, settings, tmp_path) -> None:
    from pipelines.registry import run_pipeline

    bad = tmp_path / "bad.xml"
    bad.write_text("<html></html>")
    run_pipeline(db, settings, "news", source=bad)
    make_user("kentta")
    login(client, "kentta")
    assert client.get("/ajot", headers={"accept": "text/html"}).status_code == 403
    make_user("yllapito", "admin")
    login(client, "yllapito")
    page = soup(client.get("/ajot"))
    row = page.select_one("table.runs tbody tr")
    assert row.select_one(".badge").get_text() == "Epäonnistui"
    assert "bad.xml" in row.select_one(".run-error").get_text()
    assert page.find("a", string="Ajot")["aria-current"] == "page"


def test_demo_mode_says_the_data_is_made_up(settings, db) -> None:
    from web.app import create_app

    settings.demo = True
    with TestClient(create_app(settings)) as demo_client:
        assert "Demotila" in demo_client.get("/kirjaudu").text


# --- sessions and headers -------------------------------------------------------------


def test_production_cookies_are_secure_with_the_host_prefix(settings, db, make_user) -> None:
    from web.app import create_app

    settings.cookie_secure = None  # the production default outside demo mode
    make_user("kentta")
    with TestClient(create_app(settings), base_url="https://testserver") as https:
        form = https.get("/kirjaudu")
        assert "__Host-nakyma_csrf=" in form.headers["set-cookie"]
        assert "secure" in form.headers["set-cookie"].lower()
        token = CSRF_RE.search(form.text).group(1)  # type: ignore[union-attr]
        response = https.post(
            "/kirjaudu",
            data={"username": "kentta", "password": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("__Host-nakyma_session=") and "Secure" in cookie
        assert "Path=/" in cookie and "Domain" not in cookie
        assert https.get("/havainnot/omat").status_code == 200


def test_csrf_token_is_bound_to_the_session(client, make_user) -> None:
    """A token seen in one session is worthless in the next one, even in the same browser
    (same CSRF cookie): a shared computer's next user cannot be made to post by it."""
    make_user("kentta")
    make_user("toinen")
    login(client, "kentta")
    stale = csrf_from(client, "/havainnot/uusi")
    client.post("/kirjaudu-ulos", data={"csrf_token": stale})
    login(client, "toinen")
    fresh = csrf_from(client, "/havainnot/uusi")
    assert fresh != stale
    refused = client.post("/havainnot/uusi", data={**valid_observation(), "csrf_token": stale})
    assert refused.status_code == 403
    accepted = client.post(
        "/havainnot/uusi", data={**valid_observation(), "csrf_token": fresh}, follow_redirects=False
    )
    assert accepted.status_code == 303


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example"},
        {"origin": "null"},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
    ],
)
def test_unsafe_requests_from_another_site_are_refused(
    client, frontline, api_headers, db, headers
) -> None:
    token = csrf_from(client, "/havainnot/uusi")
    form = client.post(
        "/havainnot/uusi", data={**valid_observation(), "csrf_token": token}, headers=headers
    )
    assert form.status_code == 403
    api = client.post(
        "/api/observations", json=valid_observation(), headers={**api_headers, **headers}
    )
    assert api.status_code == 403
    assert db.table("observations").count == 0
    same = client.post(
        "/havainnot/uusi",
        data={**valid_observation(), "csrf_token": token},
        headers={"origin": "http://testserver", "sec-fetch-site": "same-origin"},
        follow_redirects=False,
    )
    assert same.status_code == 303 and db.table("observations").count == 1


def test_every_answer_carries_the_headers_and_is_never_cached(app, client, frontline) -> None:
    from web.policy import POLICY

    @app.get("/rikki")
    def broken() -> None:
        raise RuntimeError("bug")

    POLICY["GET /rikki"] = "signed_in"
    try:
        for path, status in (("/havainnot/omat", 200), ("/ei-ole", 404), ("/rikki", 500)):
            response = client.get(path, headers={"accept": "text/html"})
            assert response.status_code == status, path
            assert response.headers["cache-control"] == "no-store", path
            assert "default-src 'self'" in response.headers["content-security-policy"], path
            assert response.headers["x-frame-options"] == "DENY", path
            assert "RuntimeError" not in response.text
    finally:
        del POLICY["GET /rikki"]
    assert "no-store" not in client.get("/static/nakyma.css").headers.get("cache-control", "")


# --- hostile input ------------------------------------------------------------------------


def test_malformed_input_never_answers_500(client, api_headers, db) -> None:
    headers = {**api_headers, "content-type": "application/json"}
    surrogate = (
        '{"text": "Nuoret \\ud800 kokoontuvat iltaisin kirjaston edessä.", '
        '"municipality": "992", "observed_on": "2026-11-20", "target_group": "nuoret"}'
    )
    response = client.post("/api/observations", content=surrogate.encode(), headers=headers)
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "text"
    deep = ("[" * 5000 + "]" * 5000).encode()
    response = client.post("/api/observations", content=deep, headers=headers)
    assert response.status_code in (400, 422)
    assert response.json()["detail"][0]["message"].startswith("Pyynnön")
    for pid in ("9223372036854775808", "99999999999999999999", "0", "-1"):
        assert client.get(f"/api/phenomena/{pid}", headers=api_headers).status_code == 404
    assert db.table("observations").count == 0


def test_api_docs_come_from_vendored_assets(client) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "https://" not in page.text and "cdn" not in page.text.lower()
    for asset in ("/static/vendor/swagger-ui-bundle.js", "/static/vendor/swagger-ui.css"):
        assert asset in page.text
        served = client.get(asset)
        assert served.status_code == 200 and len(served.content) > 50_000
    assert "SwaggerUIBundle" in client.get("/static/api-docs.js").text
    assert "<script>" not in page.text  # no inline script: the CSP would block it
