"""The guard sees through disguises (issue #11 item 5): fullwidth digits, zero-width
characters, soft hyphens, spaced separators, (at)/[at]/＠; spans still point at what was
written; control and bidi characters are refused. Hypothesis generates the disguises."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

from nakyma.observations import IntakeError, submit_observation
from nakyma.privacy import find_personal_data
from nakyma.regions import Region
from nakyma.unmask import forbidden_characters, unmask
from tests.conftest import valid_observation

CHECK_CHARS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
SIGNS = {1800: "+", 1900: "-YXWVU", 2000: "ABCDEF"}
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
TODAY = date(2026, 11, 22)


def fullwidth(s: str) -> str:
    return "".join(chr(0xFF10 + int(c)) if c.isdigit() else c for c in s)


# --- strategies -----------------------------------------------------------------------


@st.composite
def hetus(draw: st.DrawFn) -> str:
    day = draw(st.dates(date(1800, 1, 1), date(2099, 12, 31)))
    century = day.year // 100 * 100
    sign = draw(st.sampled_from(SIGNS[century]))
    individual = draw(st.integers(2, 999))
    body = f"{day:%d%m}{day.year % 100:02d}{individual:03d}"
    return f"{body[:6]}{sign}{body[6:]}{CHECK_CHARS[int(body) % 31]}"


@st.composite
def phones(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(["40", "41", "44", "45", "46", "50", "9", "14"]))
    subscriber = draw(st.text("0123456789", min_size=7, max_size=7).filter(lambda s: s[0] != "0"))
    shape = draw(st.integers(0, 3))
    if shape == 0:
        return f"0{prefix}{subscriber}"
    if shape == 1:
        return f"0{prefix} {subscriber[:3]} {subscriber[3:]}"
    if shape == 2:
        return f"0{prefix}-{subscriber}"
    return f"+358 {prefix} {subscriber}"


_LABEL = st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=9)


@st.composite
def emails(draw: st.DrawFn) -> tuple[str, str]:
    """(disguised, plain) e-mail address."""
    local = draw(_LABEL)
    if draw(st.booleans()):
        local += "." + draw(_LABEL)
    domain = draw(_LABEL) + "." + draw(st.sampled_from(["fi", "com", "net", "org"]))
    at = draw(st.sampled_from(["(at)", "[at]", " at ", " (at) ", "＠", "(a)", "{at}", "@"]))
    return f"{local}{at}{domain}", f"{local}@{domain}"


def sprinkled(draw: st.DrawFn, value: str) -> str:
    """Invisible characters inserted anywhere strictly inside `value`."""
    chars = list(value)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(1, len(chars) - 1))
        chars.insert(at, draw(st.sampled_from(INVISIBLE)))
    return "".join(chars)


@st.composite
def disguised_hetus(draw: st.DrawFn) -> tuple[str, str]:
    plain = draw(hetus())
    out = plain
    tricks = draw(st.sets(st.sampled_from(["wide", "invisible", "spaced"]), min_size=1))
    if "wide" in tricks:
        out = fullwidth(out)
    if "spaced" in tricks:
        out = out[:6] + draw(st.sampled_from([" ", "  ", ""])) + out[6] + " " + out[7:]
    if "invisible" in tricks:
        out = sprinkled(draw, out)
    return out, plain


@st.composite
def disguised_phones(draw: st.DrawFn) -> tuple[str, str]:
    plain = draw(phones())
    out = plain
    tricks = draw(st.sets(st.sampled_from(["wide", "invisible"]), min_size=1))
    if "wide" in tricks:
        out = fullwidth(out)
    if "invisible" in tricks:
        out = sprinkled(draw, out)
    return out, plain


@st.composite
def disguised_emails(draw: st.DrawFn) -> tuple[str, str]:
    out, plain = draw(emails())
    if draw(st.booleans()):
        out = sprinkled(draw, out)
    return out, plain


SENTENCES = [
    "Huoltaja jätti yhteystiedon {} ja pyysi ottamaan yhteyttä.",
    "Yläkoulun oppilaan asiassa kirjattiin {} vahingossa lomakkeelle.",
    "Tieto {} välitettiin eteenpäin kotikäynnin jälkeen.",
    "{} löytyi lapsen repusta unohtuneesta lapusta.",
]


@st.composite
def in_sentence(draw: st.DrawFn, items: st.SearchStrategy[tuple[str, str]]) -> tuple[str, int, int]:
    """(sentence, start, end): the disguised item sits at text[start:end]."""
    disguised, _ = draw(items)
    template = draw(st.sampled_from(SENTENCES))
    start = template.index("{}")
    return template.format(disguised), start, start + len(disguised)


KINDS = [
    ("hetu", disguised_hetus()),
    ("puhelin", disguised_phones()),
    ("sahkoposti", disguised_emails()),
]
PROPERTY = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


# --- properties -----------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "items"), KINDS, ids=[k for k, _ in KINDS])
@PROPERTY
@given(data=st.data())
def test_guard_finds_disguised_personal_data_and_points_at_it(kind, items, data) -> None:
    text, start, end = data.draw(in_sentence(items))
    findings = [f for f in find_personal_data(text) if f.kind == kind]
    assert findings, f"{kind} not found"
    # The span is in the written text, inside the disguised item.
    assert any(start <= f.start < f.end <= end for f in findings)


@pytest.mark.parametrize(("kind", "items"), KINDS, ids=[k for k, _ in KINDS])
@PROPERTY
@given(data=st.data())
def test_intake_refuses_disguised_personal_data(
    kind, items, data, db: Database, region: Region
) -> None:
    text, start, end = data.draw(in_sentence(items))
    with pytest.raises(IntakeError) as caught:
        submit_observation(
            db, valid_observation(text=text), region=region, source="api", today=TODAY
        )
    assert "personal_data" in caught.value.codes
    spans = [(e.start, e.end) for e in caught.value.errors if e.kind == kind]
    assert any(s is not None and e is not None and start <= s < e <= end for s, e in spans)
    assert db.table("observations").count == 0


@PROPERTY
@given(item=disguised_hetus())
def test_unmasked_span_reads_as_the_plain_code(item) -> None:
    disguised, plain = item
    text = f"Tunnus {disguised} kirjattiin."
    (finding,) = find_personal_data(text)
    assert finding.kind == "hetu" and not finding.probable_typo
    assert unmask(text[finding.start : finding.end]).text == plain


@PROPERTY
@given(item=disguised_emails())
def test_unmasked_email_reads_as_the_plain_address(item) -> None:
    disguised, plain = item
    assert plain in unmask(f"Osoite {disguised} on väärässä paikassa.").text


# --- examples from the issue ----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Tunnus ０１０１９０－１２３Ｆ kirjattiin.",
        "Tunnus 010190\u200b-123F kirjattiin.",
        "Tunnus 0101\u00ad90-123F kirjattiin.",
        "Tunnus 010190 - 123F kirjattiin.",
        "Tunnus 010190 -123F kirjattiin.",
        "Tunnus 010190\u2013123F kirjattiin.",
        "Osoite matti(at)kunta.fi kirjattiin.",
        "Osoite matti [at] kunta.fi kirjattiin.",
        "Osoite matti at kunta.fi kirjattiin.",
        "Osoite matti＠kunta.fi kirjattiin.",
        "Osoite matti@kunta(dot)fi kirjattiin.",
        "Numero 040\u200b1234567 kirjattiin.",
        "Numero ０４０ １２３ ４５６７ kirjattiin.",
    ],
)
def test_the_tricks_from_the_issue_are_found(text: str) -> None:
    assert find_personal_data(text), text


@pytest.mark.parametrize(
    "text",
    [
        "Yläkoulun välitunneilla moni istuu yksin puhelimen kanssa.",
        "Iltapäiväkerhossa oli 12 - 15 lasta, ja ryhmä 2023-2024 jatkuu.",
        "Kokous at the library peruttiin; kello 14.30 alkaen.",
        "Vaihtoehto (a) tai (b): kumpikin käy.",
        "Vuonna 2025 ryhmässä oli 123456 - 7 kävijää yhteensä.",
    ],
)
def test_ordinary_text_is_not_flagged(text: str) -> None:
    assert find_personal_data(text) == []


def test_ordinary_text_unmasks_to_itself() -> None:
    text = "Äänekoskella nuoret – 15 % – kokivat yksinäisyyttä.\nToinen rivi\ttabulla."
    unmasked = unmask(text)
    assert unmasked.text == text
    assert unmasked.span(0, len(text)) == (0, len(text))


def test_spans_point_at_what_was_written() -> None:
    text = "Tunnus ０１０１９０\u200b－１２３Ｆ tuli lomakkeelle."
    (finding,) = find_personal_data(text)
    assert text[finding.start : finding.end] == "０１０１９０\u200b－１２３Ｆ"


# --- forbidden characters -------------------------------------------------------------


@pytest.mark.parametrize(
    "char", ["\x00", "\x07", "\x1b", "\x7f", "\u202e", "\u202a", "\u2066", "\u2069", "\u200f"]
)
def test_control_and_bidi_characters_refused(char, db: Database, region: Region) -> None:
    text = f"Yläkoulun välitunneilla {char}moni istuu yksin puhelimen kanssa."
    with pytest.raises(IntakeError) as caught:
        submit_observation(
            db, valid_observation(text=text), region=region, source="api", today=TODAY
        )
    (error,) = caught.value.errors
    assert error.code == "control_character" and error.field == "text"
    assert "ohjausmerk" in error.message
    assert db.table("observations").count == 0


def test_tab_and_line_breaks_are_allowed() -> None:
    assert not forbidden_characters("rivi\r\ntoinen\trivi\n")


def test_bidi_override_cannot_hide_a_code() -> None:
    assert [f.kind for f in find_personal_data("Tunnus 010190\u202e-123F.")] == ["hetu"]
