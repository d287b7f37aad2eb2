"""Tests for the observation intake rules (nakyma.observations)."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from nakyma.observations import (
    SOURCES,
    FieldError,
    IntakeError,
    Submission,
    normalise_text,
    parse_date,
    submit_observation,
    text_key,
    validate_observation,
)
from nakyma.regions import Region
from nakyma.vocabulary import OBSERVER_ROLES, TARGET_GROUPS, THEMES
from tests.conftest import valid_observation

CHECK_CHARS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
CENTURY_SIGNS = {1800: "+", 1900: "-", 2000: "A"}


def hetu(day: date, individual: int, sign: str | None = None) -> str:
    """A valid Finnish personal identity code for `day` (check character computed)."""
    sign = sign or CENTURY_SIGNS[day.year // 100 * 100]
    digits = f"{day:%d%m%y}{individual:03d}"
    return f"{digits[:6]}{sign}{digits[6:]}{CHECK_CHARS[int(digits) % 31]}"


HETU_1900 = hetu(date(1952, 10, 13), 308)
HETU_Y = hetu(date(1994, 5, 1), 903, sign="Y")
HETU_B = hetu(date(2012, 2, 29), 457, sign="B")  # new 2000s sign, on a leap day


def test_hetu_helper_reproduces_published_examples() -> None:
    assert HETU_1900 == "131052-308T"
    assert HETU_Y == "010594Y9032"
    assert HETU_B == "290212B4575"


def validate(raw: dict[str, object], region: Region, today: date, **kw: object):
    return validate_observation(raw, region=region, today=today, **kw)  # type: ignore[arg-type]


def submit(
    db: Database, region: Region, today: date, *, source: str = "lomake", **overrides: object
) -> Submission:
    return submit_observation(
        db, valid_observation(**overrides), region=region, source=source, today=today
    )


def errors_of(raw: dict[str, object], region: Region, today: date) -> list[FieldError]:
    with pytest.raises(IntakeError) as excinfo:
        validate(raw, region, today)
    return excinfo.value.errors


def codes_by_field(raw: dict[str, object], region: Region, today: date) -> dict[str, str]:
    errors = errors_of(raw, region, today)
    by_field = {e.field: e.code for e in errors}
    assert len(by_field) == len(errors), errors
    return by_field


def stored(db: Database) -> list[dict]:
    return list(db.query("select * from observations order by id"))


def database_bytes(db: Database) -> bytes:
    path = Path(db.execute("pragma database_list").fetchone()[2])
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


# --- text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 10, "a" * 10),
        ("a" * 2000, "a" * 2000),
        ("   " + "b" * 10 + " \n\t ", "b" * 10),
        ("\n  " + "c" * 2000 + "  \n", "c" * 2000),
        ("Nuoret   pelaavat\t\tsählyä", "Nuoret pelaavat sählyä"),
        ("Rivi yksi\r\nrivi kaksi", "Rivi yksi\nrivi kaksi"),
    ],
)
def test_text_accepted_and_trimmed(region, today, text, expected) -> None:
    assert validate(valid_observation(text=text), region, today).text == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("a" * 9, "too_short"),
        ("   " + "a" * 9 + "   ", "too_short"),
        ("a" * 2001, "too_long"),
        ("  " + "a" * 2001, "too_long"),
        ("", "required"),
        ("   \n\t  ", "required"),
        (None, "required"),
    ],
)
def test_text_rejected(region, today, text, code) -> None:
    assert codes_by_field(valid_observation(text=text), region, today) == {"text": code}


def test_text_too_long_message_gives_limit_and_length(region, today) -> None:
    (error,) = errors_of(valid_observation(text="a" * 2001), region, today)
    assert "2000" in error.message and "2001" in error.message


def test_normalise_text_keeps_paragraphs_but_not_runs_of_blank_lines() -> None:
    assert normalise_text("  Eka  \n\n\n\n  toka\u00a0 sana ") == "Eka\n\ntoka sana"


# --- municipality ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("Äänekoski", "992"),
        ("aanekoski", "992"),
        ("ÄÄNEKOSKI", "992"),
        ("Jyväskylässä", "179"),
        (" jyvaskylan kaupunki ", "179"),
        ("179", "179"),
        ("77", "077"),
        ("Laukaan kunta", "410"),
    ],
)
def test_municipality_resolves_from_any_written_form(region, today, written, code) -> None:
    obs = validate(valid_observation(municipality=written), region, today)
    assert obs.municipality.code == code


@pytest.mark.parametrize("written", ["Tampere", "Kuntala-QX7", "999", "Äänekoski Jyväskylä"])
def test_unknown_municipality(region, today, written) -> None:
    errors = errors_of(valid_observation(municipality=written), region, today)
    assert [(e.field, e.code) for e in errors] == [("municipality", "unknown_municipality")]
    assert written not in errors[0].message


def test_missing_municipality_is_required(region, today) -> None:
    assert codes_by_field(valid_observation(municipality="  "), region, today) == {
        "municipality": "required"
    }


# --- date ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-05", date(2026, 3, 5)),
        ("5.3.2026", date(2026, 3, 5)),
        ("05.03.2026", date(2026, 3, 5)),
        (" 2026-03-05 ", date(2026, 3, 5)),
        ("2026-03-05T10:15:00", date(2026, 3, 5)),
        (date(2026, 3, 5), date(2026, 3, 5)),
        (datetime(2026, 3, 5, 23, 59), date(2026, 3, 5)),
        ("31.2.2026", None),
        ("2026-02-30", None),
        ("huomenna", None),
        ("5/3/2026", None),
        ("2026-3", None),
        (45000, None),
    ],
)
def test_parse_date(value, expected) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2000-01-01", date(2000, 1, 1)),
        ("1.1.2000", date(2000, 1, 1)),
        ("2026-03-05", date(2026, 3, 5)),
        ("5.3.2026", date(2026, 3, 5)),
    ],
)
def test_date_accepted(region, today, value, expected) -> None:
    assert validate(valid_observation(observed_on=value), region, today).observed_on == expected


def test_today_is_accepted_in_both_formats(region, today) -> None:
    for value in (today.isoformat(), f"{today.day}.{today.month}.{today.year}", today):
        assert validate(valid_observation(observed_on=value), region, today).observed_on == today


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("1999-12-31", "too_old"),
        ("31.12.1999", "too_old"),
        ("31.2.2026", "invalid_date"),
        ("huomenna", "invalid_date"),
        ("2026-13-01", "invalid_date"),
        ("", "required"),
        (None, "required"),
    ],
)
def test_date_rejected(region, today, value, code) -> None:
    assert codes_by_field(valid_observation(observed_on=value), region, today) == {
        "observed_on": code
    }


def test_tomorrow_is_in_the_future(region, today) -> None:
    tomorrow = today + timedelta(days=1)
    for value in (tomorrow.isoformat(), f"{tomorrow.day}.{tomorrow.month}.{tomorrow.year}"):
        assert codes_by_field(valid_observation(observed_on=value), region, today) == {
            "observed_on": "future_date"
        }


# --- vocabularies ----------------------------------------------------------------------


@pytest.mark.parametrize("key", list(TARGET_GROUPS))
def test_every_target_group_key_accepted(region, today, key) -> None:
    assert validate(valid_observation(target_group=key), region, today).target_group == key


def test_target_groups_are_the_agreed_seven() -> None:
    assert set(TARGET_GROUPS) == {
        "lapset",
        "nuoret",
        "perheet",
        "tyoikaiset",
        "ikaantyneet",
        "vammaiset",
        "kaikki",
    }


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Työikäiset", "tyoikaiset"),
        ("työikäiset", "tyoikaiset"),
        ("IKÄÄNTYNEET", "ikaantyneet"),
        ("  Lapset ", "lapset"),
    ],
)
def test_target_group_by_finnish_label(region, today, written, key) -> None:
    assert validate(valid_observation(target_group=written), region, today).target_group == key


@pytest.mark.parametrize(
    ("target_group", "code"),
    [("aikuiset", "invalid_choice"), ("", "required"), (None, "required")],
)
def test_target_group_rejected(region, today, target_group, code) -> None:
    assert codes_by_field(valid_observation(target_group=target_group), region, today) == {
        "target_group": code
    }


def test_themes_are_the_agreed_four() -> None:
    assert list(THEMES) == [
        "arjen_turvallisuus",
        "mielen_hyvinvointi",
        "liikunnallinen_elamantapa",
        "muu",
    ]


@pytest.mark.parametrize(
    ("written", "key"),
    [
        *((k, k) for k in THEMES),
        ("Liikunnallinen elämäntapa", "liikunnallinen_elamantapa"),
        ("ARJEN TURVALLISUUS", "arjen_turvallisuus"),
        ("", None),
        (None, None),
    ],
)
def test_theme_optional_and_from_vocabulary(region, today, written, key) -> None:
    assert validate(valid_observation(theme=written), region, today).theme == key


@pytest.mark.parametrize(
    ("written", "key"),
    [
        *((k, k) for k in OBSERVER_ROLES),
        ("Terveydenhoitaja tai neuvola", "terveydenhoitaja"),
        ("nuorisotyö", "nuorisotyo"),
        ("", None),
        (None, None),
    ],
)
def test_role_optional_and_from_vocabulary(region, today, written, key) -> None:
    assert validate(valid_observation(role=written), region, today).role == key


@pytest.mark.parametrize(("field", "value"), [("theme", "urheilu"), ("role", "poliisi")])
def test_unknown_theme_or_role(region, today, field, value) -> None:
    assert codes_by_field(valid_observation(**{field: value}), region, today) == {
        field: "invalid_choice"
    }


# --- all problems at once, and messages that do not echo input --------------------------


def test_all_problems_reported_together(region, today) -> None:
    raw = valid_observation(text="lyhyt", municipality="Tampere", observed_on="31.2.2026")
    assert codes_by_field(raw, region, today) == {
        "text": "too_short",
        "municipality": "unknown_municipality",
        "observed_on": "invalid_date",
    }


def test_every_field_wrong_at_once(region, today) -> None:
    raw = {
        "text": "x",
        "municipality": "Atlantis",
        "observed_on": "1999-12-31",
        "target_group": "aikuiset",
        "theme": "urheilu",
        "role": "poliisi",
        "external_id": "i" * 201,
    }
    assert codes_by_field(raw, region, today) == {
        "text": "too_short",
        "municipality": "unknown_municipality",
        "observed_on": "too_old",
        "target_group": "invalid_choice",
        "theme": "invalid_choice",
        "role": "invalid_choice",
        "external_id": "too_long",
    }


def test_empty_submission_lists_each_required_field(region, today) -> None:
    assert codes_by_field({}, region, today) == {
        "text": "required",
        "municipality": "required",
        "observed_on": "required",
        "target_group": "required",
    }


def test_error_messages_never_echo_the_input(db, region, today) -> None:
    marker = "QX7ZZ"
    raw = valid_observation(
        municipality=f"Kuntala{marker}",
        target_group=f"Ryhmä{marker}",
        theme=f"Teema{marker}",
        role=f"Rooli{marker}",
        observed_on=f"{marker}.3.2026",
        external_id=f"{marker}" + "9" * 200,
    )
    with pytest.raises(IntakeError) as excinfo:
        submit_observation(db, raw, region=region, source="api", today=today)
    fields = {e.field for e in excinfo.value.errors}
    assert fields == {"municipality", "target_group", "theme", "role", "observed_on", "external_id"}
    assert marker not in str(excinfo.value)
    for error in excinfo.value.errors:
        assert marker not in error.message
        assert marker not in repr(error.as_dict())
    assert stored(db) == []


# --- storing, duplicates, external ids ---------------------------------------------------


def test_submit_stores_clean_values(db, region, today) -> None:
    submission = submit(
        db,
        region,
        today,
        text="  Nuorisotalolla  kävi ennätysmäärä nuoria.  ",
        municipality="jyväskylässä",
        observed_on="5.3.2026",
        target_group="Nuoret",
        theme="Mielen hyvinvointi",
        role="Nuorisotyö",
        external_id=" W-1 ",
        source="api",
    )
    assert submission.status == "stored"
    (row,) = stored(db)
    assert {k: row[k] for k in row if k not in ("id", "created_at")} == {
        "external_id": "W-1",
        "text": "Nuorisotalolla kävi ennätysmäärä nuoria.",
        "text_key": text_key("Nuorisotalolla kävi ennätysmäärä nuoria."),
        "municipality_code": "179",
        "observed_on": "2026-03-05",
        "target_group": "nuoret",
        "theme": "mielen_hyvinvointi",
        "role": "nuorisotyo",
        "source": "api",
        "redacted": 0,
        "created_by": None,
    }
    assert submission.record is not None
    assert submission.record["id"] == row["id"]
    assert submission.record["municipality"] == {"code": "179", "name": "Jyväskylä"}


def test_dry_run_submission_stores_nothing(db, region, today) -> None:
    raw = valid_observation()
    result = submit_observation(db, raw, region=region, source="api", today=today, dry_run=True)
    assert result.status == "valid"
    assert result.record is None
    assert stored(db) == []


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Nuoret pelaavat sählyä", "nuoret  PELAAVAT\tsählyä"),
        ("Äiti kertoi", "ÄITI KERTOI"),
        (unicodedata.normalize("NFC", "Päivä"), unicodedata.normalize("NFD", "päivä")),
        ("Rivi\nkaksi", "rivi kaksi"),
    ],
)
def test_text_key_ignores_case_whitespace_and_encoding(a, b) -> None:
    assert text_key(a) == text_key(b)


def test_text_key_distinguishes_different_words() -> None:
    assert text_key("Nuoret pelaavat sählyä") != text_key("Nuoret pelaavat jalkapalloa")
    assert text_key("Päivä") != text_key("Paiva")


def test_exact_duplicate_is_refused(db, region, today) -> None:
    text = "Yläkoulun välitunneilla yhä useampi istuu yksin puhelimen kanssa."
    submit(db, region, today, text=text, municipality="Äänekoski", observed_on="2026-01-15")
    with pytest.raises(IntakeError) as excinfo:
        submit(
            db,
            region,
            today,
            text="  " + text.upper().replace(" ", "   "),
            municipality="992",
            observed_on="15.1.2026",
            target_group="kaikki",
        )
    assert [(e.field, e.code) for e in excinfo.value.errors] == [("text", "duplicate")]
    assert len(stored(db)) == 1


@pytest.mark.parametrize(
    "overrides",
    [{"municipality": "Jyväskylä"}, {"observed_on": "2026-01-16"}, {"text": "Eri teksti, toinen"}],
)
def test_same_text_elsewhere_or_on_another_day_is_fine(db, region, today, overrides) -> None:
    submit(db, region, today)
    assert submit(db, region, today, **overrides).status == "stored"
    assert len(stored(db)) == 2


def test_same_external_id_same_content_is_already_stored(db, region, today) -> None:
    first = submit(db, region, today, external_id="webropol-17")
    again = submit(
        db,
        region,
        today,
        external_id="webropol-17",
        text=valid_observation()["text"].lower(),  # type: ignore[union-attr]
        municipality="aanekoski",
    )
    assert (first.status, again.status) == ("stored", "already_stored")
    assert again.record is not None and first.record is not None
    assert again.record["id"] == first.record["id"]
    assert len(stored(db)) == 1


@pytest.mark.parametrize(
    "changed",
    [
        {"text": "Kokonaan toinen havainto samalla tunnisteella."},
        {"municipality": "Jyväskylä"},
        {"observed_on": "2026-01-16"},
    ],
)
def test_same_external_id_other_content_is_a_conflict(db, region, today, changed) -> None:
    submit(db, region, today, external_id="A-1")
    before = stored(db)
    with pytest.raises(IntakeError) as excinfo:
        submit(db, region, today, external_id="A-1", **changed)
    assert [(e.field, e.code) for e in excinfo.value.errors] == [("external_id", "conflict")]
    assert stored(db) == before


def test_other_external_id_same_content_is_a_duplicate(db, region, today) -> None:
    submit(db, region, today, external_id="A-1")
    with pytest.raises(IntakeError) as excinfo:
        submit(db, region, today, external_id="A-2")
    assert excinfo.value.codes == {"duplicate"}
    assert [r["external_id"] for r in stored(db)] == ["A-1"]


def test_dry_run_submission_still_refuses_a_duplicate(db, region, today) -> None:
    submit(db, region, today)
    with pytest.raises(IntakeError) as excinfo:
        submit_observation(
            db, valid_observation(), region=region, source="api", today=today, dry_run=True
        )
    assert excinfo.value.codes == {"duplicate"}


def test_no_external_id_resending_is_a_duplicate(db, region, today) -> None:
    submit(db, region, today)
    with pytest.raises(IntakeError) as excinfo:
        submit(db, region, today)
    assert excinfo.value.codes == {"duplicate"}


# --- source and created_by -------------------------------------------------------------


@pytest.mark.parametrize("source", SOURCES)
def test_known_sources_are_stored(db, region, today, source) -> None:
    submit(db, region, today, source=source)
    assert [r["source"] for r in stored(db)] == [source]


@pytest.mark.parametrize("source", ["", "sähköposti", "LOMAKE", "web"])
def test_unknown_source_raises_value_error(db, region, today, source) -> None:
    with pytest.raises(ValueError, match="unknown source"):
        submit(db, region, today, source=source)
    assert stored(db) == []


def test_created_by_is_stored(db, region, today, make_user) -> None:
    user = make_user("kenttä")
    submit_observation(
        db, valid_observation(), region=region, source="lomake", today=today, created_by=user.id
    )
    assert [r["created_by"] for r in stored(db)] == [user.id]


# --- privacy ---------------------------------------------------------------------------

PERSONAL_DATA = [
    pytest.param(HETU_1900, "hetu", "[HETU]", id="hetu-1900"),
    pytest.param(HETU_Y, "hetu", "[HETU]", id="hetu-Y"),
    pytest.param(HETU_B, "hetu", "[HETU]", id="hetu-B"),
    pytest.param("040 123 4567", "puhelin", "[PUHELIN]", id="mobile"),
    pytest.param("+358 40 1234567", "puhelin", "[PUHELIN]", id="intl"),
    pytest.param("(014) 123 456", "puhelin", "[PUHELIN]", id="area-code"),
    pytest.param("matti.meikalainen@example.fi", "sahkoposti", "[SÄHKÖPOSTI]", id="email"),
]


@pytest.mark.parametrize(("value", "kind", "token"), PERSONAL_DATA)
def test_personal_data_is_refused_with_kind_and_span(db, region, today, value, kind, token):
    text = f"Huoltaja pyysi kirjaamaan tiedon {value} ennen tapaamista koululla."
    with pytest.raises(IntakeError) as excinfo:
        submit(db, region, today, text=text)
    (error,) = excinfo.value.errors
    assert (error.field, error.code, error.kind) == ("text", "personal_data", kind)
    assert error.start is not None and error.end is not None
    assert text[error.start : error.end] == value
    assert error.as_dict()["start"] == text.index(value)
    assert value not in str(excinfo.value)
    assert value not in error.message
    assert stored(db) == []
    assert value.encode() not in database_bytes(db)


def test_every_personal_data_finding_is_reported(db, region, today) -> None:
    text = f"Tunnus {HETU_1900}, puh. 040 123 4567, posti testi@example.com."
    with pytest.raises(IntakeError) as excinfo:
        submit(db, region, today, text=text)
    assert [(e.kind, text[e.start : e.end]) for e in excinfo.value.errors] == [
        ("hetu", HETU_1900),
        ("puhelin", "040 123 4567"),
        ("sahkoposti", "testi@example.com"),
    ]


def test_personal_data_reported_alongside_other_errors(db, region, today) -> None:
    with pytest.raises(IntakeError) as excinfo:
        submit(db, region, today, text=f"Soita {HETU_Y} nyt", municipality="Tampere")
    assert {(e.field, e.code) for e in excinfo.value.errors} == {
        ("text", "personal_data"),
        ("municipality", "unknown_municipality"),
    }


@pytest.mark.parametrize(("value", "kind", "token"), PERSONAL_DATA)
def test_redact_stores_placeholder_and_never_the_value(db, region, today, value, kind, token):
    text = f"Huoltaja pyysi kirjaamaan tiedon {value} ennen tapaamista koululla."
    result = submit_observation(
        db,
        valid_observation(text=text),
        region=region,
        source="tuonti",
        today=today,
        redact=True,
    )
    assert result.status == "stored"
    assert result.observation.redacted_kinds == (kind,)
    (row,) = stored(db)
    assert row["text"] == text.replace(value, token)
    assert row["redacted"] == 1
    db.conn.commit()
    assert value.encode() not in database_bytes(db)
    assert token.encode() in database_bytes(db)


def test_redact_replaces_every_kind(db, region, today) -> None:
    text = f"Tunnus {HETU_1900}, puh. 040 123 4567, posti testi@example.com."
    obs = validate(valid_observation(text=text), region, today, redact=True)
    assert obs.text == "Tunnus [HETU], puh. [PUHELIN], posti [SÄHKÖPOSTI]."
    assert obs.redacted_kinds == ("hetu", "puhelin", "sahkoposti")


@pytest.mark.parametrize(
    "text",
    [
        "Perhekahvila 5.3.2026 klo 14.30–16.00 keräsi 25 osallistujaa.",
        "Kokous 12.3.2026 kello 17:45, liput 12,50 € tai 1 250 euroa ryhmältä.",
        "Nuorisotalo osoitteessa 40100 Jyväskylä on auki 8-16 arkisin.",
        "Vuonna 2025 kävijöitä oli 1500, budjetti 30 000 €, postinumero 44100.",
        "Ilmoitukset numeroon 112 ja 116 111 lisääntyivät 24.12.2025 jälkeen.",
    ],
)
def test_dates_times_amounts_and_postal_codes_are_not_personal_data(db, region, today, text):
    assert submit(db, region, today, text=text).status == "stored"
    assert [r["text"] for r in stored(db)] == [text]


def test_external_id_with_personal_data_is_refused(db, region, today) -> None:
    with pytest.raises(IntakeError) as excinfo:
        submit(db, region, today, external_id=HETU_1900)
    assert [(e.field, e.code) for e in excinfo.value.errors] == [("external_id", "personal_data")]
    assert HETU_1900 not in str(excinfo.value)
    assert stored(db) == []


def test_personal_data_spans_point_into_the_text_as_written(db, region, today) -> None:
    written = "   Asiakas  antoi   numeron 040 123 4567 ja pyysi soittoa."
    with pytest.raises(IntakeError) as caught:
        submit_observation(
            db, valid_observation(text=written), region=region, source="api", today=today
        )
    (error,) = caught.value.errors
    assert written[error.start : error.end] == "040 123 4567"
    assert caught.value.checked_text == written


def test_personal_data_made_visible_by_normalising_is_still_refused(db, region, today) -> None:
    # Runs of spaces collapse when the text is normalised; the stored form must be clean.
    written = "Asiakas antoi numeron 040\t123\t4567 ja pyysi soittoa."
    with pytest.raises(IntakeError) as caught:
        submit_observation(
            db, valid_observation(text=written), region=region, source="api", today=today
        )
    (error,) = caught.value.errors
    assert error.code == "personal_data"
    checked = caught.value.checked_text
    assert checked is not None and checked[error.start : error.end] == "040 123 4567"
    assert db.table("observations").count == 0
