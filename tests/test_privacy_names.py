"""Person names in the privacy guard: the detector, its measured targets and every entry path."""

from __future__ import annotations

import csv
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlite_utils import Database

from nakyma import finnish, privacy, review
from nakyma.observations import IntakeError, submit_observation
from nakyma.privacy import Finding, find_person_names, find_personal_data, redact
from pipelines.observations import import_observations
from tests.conftest import csrf_from, valid_observation

ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT / "tests" / "data" / "names_labelled.csv"
DEMO = ROOT / "nakyma" / "data" / "demo" / "observations.csv"

NAME_TEXT = "Kuraattori tapasi tänään Eetu Rantasen koulun käytävällä ja kuuli kiusaamisesta."
NAME = "Eetu Rantasen"
ADVICE = "Poista nimi — kirjoita esim. 'koululainen' tai 'iäkäs asiakas'."


@pytest.fixture(scope="module", autouse=True)
def model() -> None:
    """Load the Finnish model once for this module (it is shared by the whole process)."""
    finnish.load()


def names(text: str) -> list[str]:
    return [text[f.start : f.end] for f in find_personal_data(text) if f.kind == "nimi"]


# --- the detector ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (NAME_TEXT, [NAME]),
        (
            "Marjatta Hämäläinen Kinnulasta kertoi kyläkaupan lopettamisesta.",
            ["Marjatta Hämäläinen"],
        ),
        ("Annoimme esitteen Jari Heinoselle ja hänen puolisolleen.", ["Jari Heinoselle"]),
        ("Soitin rouva Virtaselle kotihoidon käynneistä.", ["Virtaselle"]),
        ("Herra Korhonen on jäänyt pois päiväkeskuksen ryhmästä.", ["Korhonen"]),
        ("Rouva Koivu ei ole saanut ateriapalvelua.", ["Koivu"]),
        ("Rehtori Tikkanen ilmoitti kerhotoiminnan päättymisestä.", ["Tikkanen"]),
        ("eetu rantanen oli taas poissa ensimmäiseltä tunnilta.", ["eetu rantanen"]),
        (
            "Anni Mäkinen, Veeti Laine ja Iida Nieminen jäivät ilman kyytiä.",
            ["Anni Mäkinen", "Veeti Laine", "Iida Nieminen"],
        ),
        ("Rantasen Eetu istui taas välitunnit yksin.", ["Rantasen Eetu"]),
        ("Mäkisen perhe on muuttanut kylältä pois.", ["Mäkisen"]),
        ("Juha-Pekka Ojala on nukkunut porraskäytävässä.", ["Juha-Pekka Ojala"]),
    ],
)
def test_names_are_found_with_their_span(text: str, expected: list[str]) -> None:
    assert names(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Mannerheimin Lastensuojeluliitto järjestää perhekahvilan torstaisin.",
        "SPR:n ystäväpalveluun on jonoa, eikä uusia vapaaehtoisia ole saatu.",
        "Perhekeskus Kompassi on ruuhkautunut, ja Kela hylkää hakemuksia.",
        "Laukaassa, Äänekoskella ja Helsingissä tilanne on sama.",
        "Maanantaisin ja helmikuussa nuorisotalolla käy noin 30 nuorta.",
        "Toivo paremmasta on monella työttömällä nuorella hiipunut.",
        "Tuuli kaatoi puita Keuruun tielle, ja käynnit myöhästyivät.",
        "Wilmassa tulee vanhemmilta yhä enemmän viestejä kiusaamisesta.",
        "Aleksis Kiven kadun leikkipuisto on ollut rikki kuukauden.",
        "Hoivakoti Helmi ja Perhetalo Aurora ovat täynnä.",
        "Nuorisotalolla kävi 12 nuorta klo 18-21.",
    ],
)
def test_organisations_places_and_common_words_are_not_names(text: str) -> None:
    assert names(text) == []


def test_message_asks_for_a_rewrite_and_never_names_the_person() -> None:
    (finding,) = find_personal_data(NAME_TEXT)
    start = NAME_TEXT.index(NAME)
    assert finding == Finding("nimi", start, start + len(NAME))
    assert finding.label == "henkilön nimi"
    assert finding.message() == (
        f"Tekstissä näyttää olevan henkilön nimi (merkit {start + 1}–{start + len(NAME)}). "
        + ADVICE
    )
    for part in NAME.split():
        assert part not in finding.message()


def test_redact_writes_the_name_token() -> None:
    assert redact("Soitin rouva Virtaselle ja Eetu Rantaselle.") == (
        "Soitin rouva [NIMI] ja [NIMI]."
    )


def test_names_and_other_kinds_together() -> None:
    text = "Eetu Rantasen äidin numero on 040 123 4567 ja tunnus 131052-308T."
    assert [f.kind for f in find_personal_data(text)] == ["nimi", "puhelin", "hetu"]


def test_very_long_text_is_checked_in_chunks() -> None:
    filler = "Nuorisotalolla oli tänään rauhallista. " * 400  # ~16,000 characters
    text = filler + NAME_TEXT
    assert names(text) == [NAME]


def test_regex_detectors_do_not_load_the_model() -> None:
    code = (
        "import sys; from nakyma import privacy; "
        "assert privacy.find_hetus('131052-308T') and privacy.find_emails('a@b.fi'); "
        "assert privacy.find_person_names('12 34') == []; "
        "assert 'spacy' not in sys.modules, 'model loaded'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_model_loads_once_and_is_thread_safe() -> None:
    assert finnish.load() is finnish.load()
    texts = [NAME_TEXT, "Rouva Koivu soitti.", "Kela ja SPR auttavat.", "eetu rantanen jäi pois."]
    expected = [names(t) for t in texts]
    results: list[list[list[str]]] = []

    def work() -> None:
        out = []
        for text in texts * 3:
            privacy._name_cache.clear()
            out.append(names(text))
        results.append(out)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected * 3] * 4


def test_helpers_for_the_rest_of_the_project() -> None:
    text = "Nuoret kokoontuvat Jyväskylässä ja Helsingissä kauppakeskuksen aulaan."
    assert [t for t, _, _ in finnish.gpe_entities(text)] == ["Jyväskylässä", "Helsingissä"]
    assert finnish.lemmas("Nuoret kokoontuvat aulaan.") == ["nuori", "kokoontua", "aula"]
    assert "sukunimi" in finnish.voikko_classes("Rantasen")


# --- measured targets -----------------------------------------------------------------


def _labelled() -> list[dict[str, str]]:
    with LABELLED.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_labelled_set_is_big_and_varied_enough() -> None:
    rows = _labelled()
    assert len(rows) >= 150
    with_names = [r for r in rows if r["has_name"] == "1"]
    assert len(with_names) >= 60 and len(rows) - len(with_names) >= 90
    for r in with_names:
        assert all(n in r["text"] for n in r["names"].split("|")), r["id"]
    assert any(r["text"][:1].islower() for r in with_names)  # lowercase typos


def test_name_recall_and_false_positive_targets() -> None:
    found = total = flagged = without = 0
    for r in _labelled():
        text = r["text"]
        if r["has_name"] == "1":
            spans = [(f.start, f.end) for f in find_person_names(text)]
            for name in r["names"].split("|"):
                a = text.index(name)
                b = a + len(name)
                total += 1
                found += any(x < b and a < y for x, y in spans)
        else:
            without += 1
            flagged += bool(find_personal_data(text))
    assert found / total >= 0.95, f"name recall {found}/{total}"
    assert flagged / without <= 0.05, f"false positives {flagged}/{without}"


def test_demo_observations_have_no_names() -> None:
    with DEMO.open(encoding="utf-8", newline="") as f:
        texts = [r["text"] for r in csv.DictReader(f)]
    flagged = [t[:60] for t in texts if find_personal_data(t)]
    assert flagged == []


# --- every entry path -----------------------------------------------------------------


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def database_bytes(db: Database) -> bytes:
    path = Path(db.execute("pragma database_list").fetchone()[2])
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def form_data(client: TestClient, text: str) -> dict[str, str]:
    return {
        "csrf_token": csrf_from(client, "/havainnot/uusi"),
        "text": text,
        "municipality": "992",
        "observed_on": "2026-02-10",
        "target_group": "nuoret",
        "theme": "",
        "role": "nuorisotyo",
    }


def test_intake_refuses_with_kind_and_span(db, region, today) -> None:
    with pytest.raises(IntakeError) as caught:
        submit_observation(
            db, valid_observation(text=NAME_TEXT), region=region, source="api", today=today
        )
    (error,) = caught.value.errors
    assert (error.code, error.kind) == ("personal_data", "nimi")
    assert NAME_TEXT[error.start : error.end] == NAME
    assert "Rantas" not in str(caught.value)
    assert db.table("observations").count == 0


def test_form_marks_the_name_and_stores_nothing(client: TestClient, frontline, db, caplog) -> None:
    caplog.set_level("DEBUG")
    response = client.post("/havainnot/uusi", data=form_data(client, NAME_TEXT))
    assert response.status_code == 422
    page = soup(response)
    marks = page.select("#text-marked mark")
    assert [m.get_text() for m in marks] == [NAME]
    assert marks[0]["title"] == "henkilön nimi"
    message = page.find(id="text-error").get_text()
    assert "henkilön nimi" in message and ADVICE in message and "Rantas" not in message
    assert "Rantas" not in page.find(id="error-summary").get_text()
    assert db.table("observations").count == 0
    rewritten = NAME_TEXT.replace(NAME, "erään koululaisen")
    ok = client.post("/havainnot/uusi", data=form_data(client, rewritten), follow_redirects=False)
    assert ok.status_code == 303
    assert "Rantas" not in "\n".join(r.getMessage() for r in caplog.records)


def test_live_check_marks_the_name(client: TestClient, frontline) -> None:
    token = csrf_from(client, "/havainnot/uusi")
    warned = client.post("/havainnot/tarkista", data={"csrf_token": token, "text": NAME_TEXT})
    assert [m.get_text() for m in soup(warned).find_all("mark")] == [NAME]
    assert "henkilön nimi" in warned.text


def test_api_answers_422_with_kind_and_span(client: TestClient, api_headers, db, caplog) -> None:
    caplog.set_level("DEBUG")
    response = client.post(
        "/api/observations", json=valid_observation(text=NAME_TEXT), headers=api_headers
    )
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert (error["field"], error["code"], error["kind"]) == ("text", "personal_data", "nimi")
    assert NAME_TEXT[error["start"] : error["end"]] == NAME
    assert "Rantas" not in response.text
    assert "Rantas" not in "\n".join(r.getMessage() for r in caplog.records)
    assert db.table("observations").count == 0


def _csv(path: Path, texts: list[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "text", "municipality", "observed_on", "target_group"])
        for i, text in enumerate(texts, 1):
            w.writerow([str(i), text, "Laukaa", "5.3.2026", "nuoret"])
    return path


CLEAN = "Nuoret viettävät iltoja kirjaston aulassa, koska nuorisotila on kiinni."


def test_import_refuses_the_row(db, region, today, tmp_path) -> None:
    path = _csv(tmp_path / "h.csv", [CLEAN, NAME_TEXT])
    report = import_observations(db, path, region=region, today=today)
    (rejected,) = report.rejected
    assert rejected.line == 3
    assert [(e.kind, NAME_TEXT[e.start : e.end]) for e in rejected.errors] == [("nimi", NAME)]
    assert [r["text"] for r in db.query("select text from observations")] == [CLEAN]
    assert b"Rantas" not in database_bytes(db)


def test_import_with_redact_writes_the_token(db, region, today, tmp_path) -> None:
    path = _csv(tmp_path / "h.csv", [NAME_TEXT, "Soitin rouva Virtaselle kotihoidon käynneistä."])
    report = import_observations(db, path, region=region, today=today, redact=True)
    assert report.rejected == []
    assert [(r["text"], r["redacted"]) for r in db.query("select * from observations")] == [
        (NAME_TEXT.replace(NAME, "[NIMI]"), 1),
        ("Soitin rouva [NIMI] kotihoidon käynneistä.", 1),
    ]
    db.conn.commit()
    data = database_bytes(db)
    assert b"Rantas" not in data and b"Virtas" not in data


def _phenomenon(db: Database) -> int:
    table = db.table("phenomena")
    table.insert({"title": "Yksinäisyys", "title_auto": "Yksinäisyys", "status": "uusi"})
    return int(table.last_pk)  # type: ignore[arg-type]


def test_comment_with_a_name_is_refused(db, make_user) -> None:
    pid = _phenomenon(db)
    user = make_user("tuki", "tukitiimi")
    with pytest.raises(review.ReviewError) as caught:
        review.add_comment(db, user, pid, "Sama näkyy meillä, esim. rouva Virtasella.")
    assert "henkilön nimi" in str(caught.value) and "Virtas" not in str(caught.value)
    assert db.table("comments").count == 0
    review.add_comment(db, user, pid, "Sama näkyy meillä iäkkäillä asiakkailla.")
    assert db.table("comments").count == 1


def test_api_comment_with_a_name_is_refused(client: TestClient, db, make_user) -> None:
    from nakyma.accounts import create_api_token

    pid = _phenomenon(db)
    make_user("tuki", "tukitiimi")
    headers = {"Authorization": f"Bearer {create_api_token(db, 'tuki')}"}
    response = client.post(
        f"/api/phenomena/{pid}/comments",
        json={"body": "Eetu Rantanen kertoi saman asian."},
        headers=headers,
    )
    assert response.status_code == 422
    assert "henkilön nimi" in response.text and "Rantan" not in response.text
    assert db.table("comments").count == 0


def test_batched_name_check_gives_the_same_findings(monkeypatch) -> None:
    with LABELLED.open(encoding="utf-8") as f:
        texts = [row["text"] for row in csv.DictReader(f)]
    one_by_one = []
    for text in texts:
        privacy._name_cache.clear()
        one_by_one.append(find_person_names(text))
    privacy._name_cache.clear()
    privacy.prepare_names(texts)
    assert len(privacy._name_cache) == len(set(texts))
    finnish_calls: list[str] = []
    original = finnish.analyse
    monkeypatch.setattr(finnish, "analyse", lambda t: finnish_calls.append(t) or original(t))
    batched = [find_person_names(text) for text in texts]
    assert batched == one_by_one
    assert finnish_calls == []  # every check after the batch was a cache hit
    assert sum(1 for f in one_by_one if f) >= 90  # the set is full of names
