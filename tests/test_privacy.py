"""Tests for the privacy guard (nakyma.privacy)."""

from __future__ import annotations

import datetime as dt
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nakyma import privacy
from nakyma.privacy import (
    KINDS,
    REDACTION_TOKENS,
    Finding,
    find_personal_data,
    is_valid_hetu,
    redact,
)

# database=None: no .hypothesis directory is written into the working tree.
FAST = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

CHECK_CHARS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
SIGNS = {1800: "+", 1900: "-YXWVU", 2000: "ABCDEF"}

WORDS = [
    "nuori",
    "kertoi",
    "että",
    "koulussa",
    "on",
    "ollut",
    "kiusaamista",
    "välitunnilla",
    "ohjaaja",
    "soitti",
    "huoltajalle",
    "ja",
    "sovittiin",
    "tapaaminen",
    "nuorisotalolla",
    "oppilas",
    "jäi",
    "pois",
    "tunnilta",
    "yhteystieto",
    "puh.",
    "sähköposti:",
    "tunnus",
    "Ryhmässä",
    "äiti",
    "isä",
    "Kuraattori",
    "pyysi",
    "ilmoittamaan",
]


def check_char(dd: int, mm: int, yy: int, zzz: int) -> str:
    return CHECK_CHARS[int(f"{dd:02d}{mm:02d}{yy:02d}{zzz:03d}") % 31]


def recase(s: str, lower: bool) -> str:
    return s.lower() if lower else s.upper()


@st.composite
def hetus(draw: st.DrawFn, *, correct: bool = True) -> str:
    day = draw(st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2099, 12, 31)))
    century = day.year // 100 * 100
    sign = draw(st.sampled_from(SIGNS[century]))
    zzz = draw(st.integers(min_value=2, max_value=999))
    good = check_char(day.day, day.month, day.year % 100, zzz)
    check = good if correct else draw(st.sampled_from(CHECK_CHARS.replace(good, "")))
    sign = recase(sign, draw(st.booleans()))
    check = recase(check, draw(st.booleans()))
    return f"{day:%d%m%y}{sign}{zzz:03d}{check}"


MOBILE = ["40", "41", "42", "44", "45", "46", "49", "50", "400", "440", "457", "500"]
AREAS = ["2", "3", "5", "6", "8", "9", "13", "14", "15", "16", "17", "18", "19"]


@st.composite
def phone_numbers(draw: st.DrawFn) -> str:
    area = draw(st.sampled_from(MOBILE + AREAS))
    n = draw(st.integers(min_value=max(5, 7 - len(area)), max_value=min(8, 10 - len(area))))
    # 02 9... is the national 029 prefix, not Turku; subscriber numbers never start with 0.
    first = draw(st.sampled_from("12345678" if area == "2" else "123456789"))
    subscriber = first + draw(st.text(string.digits, min_size=n - 1, max_size=n - 1))
    # Split into groups the way people write them: a 3-4 digit group first, then 2-4.
    groups: list[str] = []
    rest = subscriber
    while rest:
        size = draw(st.integers(min_value=3 if not groups else 2, max_value=4))
        if len(rest) - size < 2 or len(groups) == 2:
            size = len(rest)
        groups.append(rest[:size])
        rest = rest[size:]
    sub_sep = draw(st.sampled_from(["", " ", "-", "\u00a0"]))  # also no-break space
    sub = sub_sep.join(groups)
    style = draw(st.sampled_from(["national", "paren", "intl", "intl0", "00358"]))
    if style == "national":
        return "0" + area + draw(st.sampled_from(["", " ", "-", "\u2013"])) + sub  # en dash
    if style == "paren":
        return f"(0{area})" + draw(st.sampled_from(["", " "])) + sub
    lead = "00358" if style == "00358" else "+358"
    trunk = "(0)" if style == "intl0" else ""
    sep = draw(st.sampled_from(["", " "]))
    return lead + sep + trunk + area + draw(st.sampled_from(["", " "])) + sub


LOCAL_CHARS = string.ascii_letters + string.digits + "_+-"


@st.composite
def emails(draw: st.DrawFn) -> str:
    local_parts = draw(
        st.lists(st.text(LOCAL_CHARS, min_size=1, max_size=10), min_size=1, max_size=3)
    )
    labels = draw(
        st.lists(
            st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=10),
            min_size=1,
            max_size=3,
        )
    )
    tld = draw(st.sampled_from(["fi", "com", "org", "uk", "net", "info", "ax"]))
    address = ".".join(local_parts) + "@" + ".".join([*labels, tld])
    return recase(address, draw(st.booleans())) if draw(st.booleans()) else address


@st.composite
def embedded(draw: st.DrawFn, values: st.SearchStrategy[str]) -> tuple[str, str, int]:
    """(sentence, value, start) with value placed at a random word position."""
    value = draw(values)
    before = " ".join(draw(st.lists(st.sampled_from(WORDS), max_size=8)))
    after = " ".join(draw(st.lists(st.sampled_from(WORDS), max_size=8)))
    opener = draw(st.sampled_from(["", "(", '"']))
    closer = draw(st.sampled_from(["", ".", ",", ")", "!", ":", '"']))
    head = (before + " " if before else "") + opener
    text = head + value + closer + (" " + after if after else "")
    return text, value, len(head)


def spans(text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in find_personal_data(text)]


# --- identity codes --------------------------------------------------------------------


@FAST
@given(embedded(hetus()))
def test_valid_hetu_found_with_exact_span(case: tuple[str, str, int]) -> None:
    text, value, start = case
    assert is_valid_hetu(value)
    assert find_personal_data(text) == [Finding("hetu", start, start + len(value))]
    redacted = redact(text)
    assert value not in redacted
    assert REDACTION_TOKENS["hetu"] in redacted


@FAST
@given(embedded(hetus(correct=False)))
def test_hetu_with_wrong_check_char_is_probable_typo(case: tuple[str, str, int]) -> None:
    text, value, start = case
    assert not is_valid_hetu(value)
    assert find_personal_data(text) == [
        Finding("hetu", start, start + len(value), probable_typo=True)
    ]
    assert value not in redact(text)


@pytest.mark.parametrize(
    "code",
    ["131052-308T", "131052a308t", "131052A308T", "131052U308T", "131052y308t", "010100+002H"],
)
def test_is_valid_hetu_known_examples(code: str) -> None:
    assert is_valid_hetu(code)


@pytest.mark.parametrize(
    "code",
    [
        "131052-308U",  # wrong check character
        "131052G308T",  # not a century sign
        "290223A0021",  # 29.2.2023 does not exist
        "131052-000T",  # individual numbers 000-001 are not issued
        "131052-308",  # too short
        " 131052-308T",  # strict: no surrounding whitespace
        "131052-308T0",
        "１３１０５２-３０８T",  # non-ASCII digits
        "",
    ],
)
def test_is_valid_hetu_rejects(code: str) -> None:
    assert not is_valid_hetu(code)


def test_leap_day_only_in_leap_years() -> None:
    good = "290200A" + "123"
    good += check_char(29, 2, 0, 123)
    bad = "290201A123" + check_char(29, 2, 1, 123)
    assert is_valid_hetu(good)
    assert not is_valid_hetu(bad)
    assert spans(f"tunnus {good} ok") == [("hetu", good)]
    assert spans(f"tunnus {bad} ok") == []
    # 1900 was not a leap year, 2000 was
    assert not is_valid_hetu("290200-123" + check_char(29, 2, 0, 123))


@pytest.mark.parametrize(
    "text",
    ["x131052-308T", "131052-308Tx", "9131052-308T", "131052-308T9", "ä131052-308T"],
)
def test_hetu_glued_to_alphanumerics_is_not_flagged(text: str) -> None:
    assert [f for f in find_personal_data(text) if f.kind == "hetu"] == []


# --- phone numbers ---------------------------------------------------------------------

LISTED_PHONES = [
    "040 123 4567",
    "0401234567",
    "050-1234567",
    "040-123 4567",
    "+358 40 1234567",
    "+358401234567",
    "+358 (0)40 123 4567",
    "00358 40 1234567",
    "(014) 123 456",
    "014 123 456",
    "014-123456",
    "09 1234 5678",
    "044 1234 567",
    "+358 9 1234 5678",
    "0400 123 456",
    "045 123 45 67",
]


@pytest.mark.parametrize("number", LISTED_PHONES)
def test_listed_phone_formats(number: str) -> None:
    text = f"Äidin numero on {number}, soita iltaisin."
    assert spans(text) == [("puhelin", number)]
    assert redact(text) == "Äidin numero on [PUHELIN], soita iltaisin."


@FAST
@given(embedded(phone_numbers()))
def test_generated_phone_numbers_found_with_exact_span(case: tuple[str, str, int]) -> None:
    text, value, start = case
    assert find_personal_data(text) == [Finding("puhelin", start, start + len(value))]
    assert value not in redact(text)


def test_two_phone_numbers_side_by_side() -> None:
    text = "puh. 040 123 4567 050 765 4321 tai 040-1234567/050-7654321, 0401234567,0501234567"
    assert [v for _, v in spans(text)] == [
        "040 123 4567",
        "050 765 4321",
        "040-1234567",
        "050-7654321",
        "0401234567",
        "0501234567",
    ]


def test_phone_after_date() -> None:
    assert spans("Tapaaminen 02-03-2025 040 1234567") == [("puhelin", "040 1234567")]
    assert spans("Tapaaminen 05.12.2025 040 1234567") == [("puhelin", "040 1234567")]


# --- e-mail ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["etunimi.sukunimi@jkl.fi", "x_y+z@example.co.uk", "MATTI.MEIKÄLÄINEN@Hel.FI", "a@b.fi"],
)
def test_listed_emails(address: str) -> None:
    text = f"Lähetä tiedot osoitteeseen {address}."
    assert spans(text) == [("sahkoposti", address)]
    assert redact(text) == "Lähetä tiedot osoitteeseen [SÄHKÖPOSTI]."


@FAST
@given(embedded(emails()))
def test_generated_emails_found_with_exact_span(case: tuple[str, str, int]) -> None:
    text, value, start = case
    assert find_personal_data(text) == [Finding("sahkoposti", start, start + len(value))]
    assert value not in redact(text)


# --- must not flag ---------------------------------------------------------------------

NOT_PERSONAL = [
    # dates and times
    "Tapaaminen 12.3.2025 klo 14.30.",
    "Seuraava kerta 1.12. nuorisotalolla.",
    "Ilmoitettu 01.03.2025, käsitelty 2025-03-12.",
    "Päivämäärä 05-12-2025 ja 09-11-25.",
    "Avoinna klo 8-16, perjantaisin klo 21 asti.",
    "Klo 08.00-16.00 ja 08-16 välillä.",
    # postal codes and addresses
    "Osoite Kauppakatu 1, 40100 Jyväskylä.",
    "Kirjeet: PL 35, 40101 Jyväskylä tai 00100 Helsinki.",
    "Toimipiste 02100 Espoo, huone 0123.",
    # money, years, counts, percentages
    "Avustus 1 500 € ja 250 euroa, pääsymaksu 12,50 €.",
    "Vuonna 2025 hanke jatkuu, kausi 2020–2024 ja 2020-2024.",
    "Paikalla 15 oppilasta, käynti 3-4 kertaa viikossa.",
    "Kasvua 12 % ja 0,5 prosenttiyksikköä.",
    "Budjetti 1 050 000 euroa, kokonaisuudessaan 2 045 123 456 € ja 1 040 123 456 EUR.",
    # business ids, service numbers, corporate numbers
    "Yhdistyksen Y-tunnus 1234567-8, toinen 0201256-6.",
    "Hätänumero 112, lasten ja nuorten puhelin 116 111, kriisipuhelin 116 123.",
    "Maksuton neuvonta 0800 123 456 tai 0800-12345.",
    "Palvelunumerot 0100 100, 0600 123 45 ja 0700 123 456.",
    "Kela 020 692 207, Verohallinto 029 497 000, vaihde 010 1234567.",
    "Yritysnumero 0201234567 ja +358 10 1234567 ja 030 123 4567.",
    "Vaihde 075 123 4567 ja 073 123 4567.",
    # schools, rooms, ids
    "Mukana 8.-9.-luokkalaiset ja 7.-luokkalaiset.",
    "Kokous huoneessa 214, ID 12345, tapaus nro 0042.",
    "Luokat 05 06 07 ja 08.",
    # realistic observations
    "Nuorisotalolla kävi 1.12. klo 18-21 noin 40 nuorta, heistä 12 ensimmäistä kertaa.",
    "Koulun välitunnilla 3.-4.-luokkalaisten kesken riitaa, 2-3 kertaa viikossa syksystä 2024.",
    "Retken hinta 35 € / hlö, ilmoittautuminen 15.3.2025 mennessä, max 20 osallistujaa.",
    "Etsivä nuorisotyö tavoitti syyskuussa 27 nuorta (18–29 v), joista 60 % työttömiä.",
    "Ryhmä kokoontuu ti 16.00-17.30, tila B 204, kevään 2025 aikana 12 kertaa.",
    "Klo 14.30 paikalla 8 nuorta, kello 21.45 enää 3.",
    "Kysely: 45 vastaajaa, keskiarvo 7,8 / 10.",
    "Tukea haettu 12 000 euroa, myönnetty 9 500 €.",
    "Tilastoissa 2018-2023 kasvu 0,8 %.",
    "Kampanja @nuorisotila somessa, #nuoret",
    "Versio 1.2.3 ja 010190 ilman merkkiä.",
]


@pytest.mark.parametrize("text", NOT_PERSONAL)
def test_not_personal_data(text: str) -> None:
    assert spans(text) == []
    assert redact(text) == text


# --- general properties ----------------------------------------------------------------


def _check_invariants(text: str) -> None:
    findings = find_personal_data(text)
    previous_end = 0
    for f in findings:
        assert f.kind in KINDS
        assert 0 <= f.start < f.end <= len(text)
        assert f.start >= previous_end  # sorted and non-overlapping
        previous_end = f.end
        raw = text[f.start : f.end]
        assert raw not in f.message()
    redacted = redact(text, findings)
    for f in findings:
        assert text[f.start : f.end] not in redacted
    assert redact(text) == redacted


@FAST
@given(st.text())
def test_arbitrary_text_invariants(text: str) -> None:
    _check_invariants(text)


@FAST
@given(st.text(alphabet="0123456789 -+()@._,.aAyYxé", max_size=60))
def test_digit_heavy_text_invariants(text: str) -> None:
    _check_invariants(text)


@FAST
@given(
    st.lists(
        st.one_of(hetus(), hetus(correct=False), phone_numbers(), emails(), st.sampled_from(WORDS)),
        max_size=8,
    )
)
def test_mixed_sentences_invariants(parts: list[str]) -> None:
    _check_invariants(" ".join(parts))


# --- messages, tokens, redact ----------------------------------------------------------


def test_message_texts() -> None:
    text = "Asiakkaan 131052-308T tiedot"
    (finding,) = find_personal_data(text)
    assert finding.label == "henkilötunnus"
    assert finding.message() == (
        "Tekstissä näyttää olevan henkilötunnus (merkit 11–21). "
        "Poista se: havaintoon ei saa kirjata henkilötietoja."
    )
    typo = find_personal_data("Asiakkaan 131052-308U tiedot")[0]
    assert typo.probable_typo
    assert "(tarkiste ei täsmää, mahdollinen kirjoitusvirhe)" in typo.message()
    assert "11–21" in typo.message()
    assert Finding("puhelin", 0, 10).label == "puhelinnumero"
    assert Finding("sahkoposti", 0, 10).label == "sähköpostiosoite"


@pytest.mark.parametrize(
    "text",
    [
        "Soita 040 123 4567 tai mailaa matti.m@jkl.fi, tunnus 131052-308T.",
        "0401234567 131052-308T a@b.fi",
    ],
)
def test_messages_never_contain_raw_value(text: str) -> None:
    findings = find_personal_data(text)
    assert {f.kind for f in findings} == {"hetu", "puhelin", "sahkoposti"}
    for f in findings:
        assert text[f.start : f.end] not in f.message()


def test_public_constants() -> None:
    assert KINDS == {
        "hetu": "henkilötunnus",
        "puhelin": "puhelinnumero",
        "sahkoposti": "sähköpostiosoite",
        "nimi": "henkilön nimi",
    }
    assert REDACTION_TOKENS == {
        "hetu": "[HETU]",
        "puhelin": "[PUHELIN]",
        "sahkoposti": "[SÄHKÖPOSTI]",
        "nimi": "[NIMI]",
    }
    assert set(privacy.DETECTORS) == {
        privacy.find_hetus,
        privacy.find_phone_numbers,
        privacy.find_emails,
        privacy.find_person_names,
    }


def test_redact_multiple_and_explicit_findings() -> None:
    text = "Tunnus 131052-308T, puh 040 123 4567, posti a.b@c.fi."
    assert redact(text) == "Tunnus [HETU], puh [PUHELIN], posti [SÄHKÖPOSTI]."
    assert redact(text, []) == text
    # caller-supplied overlapping / unsorted findings are merged, nothing leaks
    overlapping = [Finding("puhelin", 24, 36), Finding("hetu", 7, 18), Finding("hetu", 10, 30)]
    assert redact(text, overlapping) == "Tunnus [HETU], posti a.b@c.fi."


def test_overlap_prefers_hetu_over_phone() -> None:
    # 050590-1235 is also shaped like a mobile number 050 590 1235
    code = "050590-123" + check_char(5, 5, 90, 123)
    assert spans(f"tunnus {code} ok") == [("hetu", code)]


def test_email_containing_phone_is_one_email() -> None:
    assert spans("osoite 0401234567@example.com") == [("sahkoposti", "0401234567@example.com")]


def test_finding_rejects_bad_span() -> None:
    with pytest.raises(ValueError):
        Finding("hetu", 5, 5)
    with pytest.raises(ValueError):
        Finding("hetu", -1, 3)
