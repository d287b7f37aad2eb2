"""Privacy guard: finds personal data in free text before anything is stored, logged or embedded.

Every detector is a small pure function ``str -> Iterable[Finding]`` listed in ``DETECTORS``.
``find_personal_data`` runs them all and resolves overlaps (longest span wins, ties go to
the more specific kind).  A later detector (e.g. person names via NER) is added by writing
one more function, appending it to ``DETECTORS`` and adding its kind to ``KINDS``,
``REDACTION_TOKENS`` and ``_SPECIFICITY``.

Design notes on borderline cases (false positives make staff give up on the form, so the
phone detector only flags numbers that can belong to a private person):

* Flagged phone prefixes (national significant number, i.e. without the trunk ``0``):
  mobile ``4x`` and ``50`` (040-046, 049, 0400, 0457, 050, ...) and the geographic area
  codes ``2``, ``3``, ``5``, ``6``, ``8``, ``9`` and ``13``-``19``.
* Not flagged: corporate/national numbers ``010``, ``0100``, ``020``, ``0200``, ``029``
  (state agencies, e.g. ``0295 ...``), ``030``, ``073``, ``075``; service and premium
  numbers ``0600``, ``0700``; free-phone ``0800``; short public service numbers
  (``112``, ``116 111``, ``116 123``).  These are organisations, not private persons,
  and this is decided the same way whether written nationally or with ``+358``.
  A geographic area code is never followed by a subscriber number starting with ``0``
  (that is what makes ``020``/``030``/``0600``/``0800`` distinguishable from ``02``, ``03``,
  ``06``, ``08``); ``02 9...`` is read as the national ``029`` prefix, not Turku.
* The national significant number must have 7-10 digits; digit groups may be separated
  by a single space or hyphen (no-break/thin spaces and en dashes count as such); at most
  four groups, not all of them two digits long; groups after the first have at least two
  digits (so ``0123456-7`` business ids are not phone numbers).  ``DD-MM-YYYY`` /
  ``DD MM YY`` shaped dates and amounts/percentages (``... €``, ``... %``) are rejected,
  and a number never starts right after ``<digit>-`` or ``<digit>.`` (ranges, dates).
  Numbers separated only by a space, comma or slash are still found one by one.
* Identity codes: the date must exist for the century given by the century sign and the
  individual number must be 002-999; a code of that shape with a wrong check character is
  flagged with ``probable_typo=True``.  Individual numbers 000-001 are never issued, so
  such strings are not identity codes.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

__all__ = [
    "DETECTORS",
    "KINDS",
    "REDACTION_TOKENS",
    "Finding",
    "find_emails",
    "find_hetus",
    "find_personal_data",
    "find_phone_numbers",
    "is_valid_hetu",
    "redact",
]

KINDS: dict[str, str] = {
    "hetu": "henkilötunnus",
    "puhelin": "puhelinnumero",
    "sahkoposti": "sähköpostiosoite",
}

REDACTION_TOKENS: dict[str, str] = {
    "hetu": "[HETU]",
    "puhelin": "[PUHELIN]",
    "sahkoposti": "[SÄHKÖPOSTI]",
}

# Lower number = more specific; breaks ties between equally long overlapping findings.
_SPECIFICITY: dict[str, int] = {"hetu": 0, "sahkoposti": 1, "puhelin": 2}

_TYPO_NOTE = " (tarkiste ei täsmää, mahdollinen kirjoitusvirhe)"


@dataclass(frozen=True)
class Finding:
    """One piece of personal data: ``text[start:end]`` is the span."""

    kind: str
    start: int
    end: int
    probable_typo: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"invalid span {self.start}..{self.end}")

    @property
    def label(self) -> str:
        """Finnish name of the kind of personal data."""
        return KINDS.get(self.kind, "henkilötieto")

    def message(self) -> str:
        """Finnish message for the user; never contains the raw value."""
        where = f"{self.start + 1}–{self.end}"  # 1-based, inclusive
        if self.probable_typo:
            found = f"{self.label}{_TYPO_NOTE} merkeissä {where}"
        else:
            found = f"{self.label} (merkit {where})"
        return (
            f"Tekstissä näyttää olevan {found}. "
            "Poista se: havaintoon ei saa kirjata henkilötietoja."
        )


Detector = Callable[[str], Iterable[Finding]]

# "Not glued to a letter or digit" (Unicode-aware; underscore is not alphanumeric).
_NOT_AFTER_ALNUM = r"(?<![^\W_])"
_NOT_BEFORE_ALNUM = r"(?![^\W_])"

# --- henkilötunnus ---------------------------------------------------------------------

_HETU_CHECK_CHARS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
_HETU_CENTURIES: dict[str, int] = {"+": 1800, "-": 1900, "A": 2000}
_HETU_CENTURIES.update(dict.fromkeys("YXWVU", 1900))
_HETU_CENTURIES.update(dict.fromkeys("BCDEF", 2000))

# No re.IGNORECASE on purpose: Unicode case folding would let e.g. the Kelvin sign match K.
_HETU_BODY = (
    r"(?P<dd>[0-9]{2})(?P<mm>[0-9]{2})(?P<yy>[0-9]{2})"
    r"(?P<sign>[-+A-FU-Ya-fu-y])(?P<zzz>[0-9]{3})(?P<check>[0-9A-Za-z])"
)
_HETU_RE = re.compile(_NOT_AFTER_ALNUM + _HETU_BODY + _NOT_BEFORE_ALNUM)
_HETU_EXACT_RE = re.compile(_HETU_BODY)


def _hetu_parts(m: re.Match[str]) -> tuple[bool, bool]:
    """Return (well_formed, check_ok) for a matched code candidate."""
    year = _HETU_CENTURIES[m["sign"].upper()] + int(m["yy"])
    try:
        _dt.date(year, int(m["mm"]), int(m["dd"]))
    except ValueError:
        return False, False
    if int(m["zzz"]) < 2:
        return False, False
    expected = _HETU_CHECK_CHARS[int(m["dd"] + m["mm"] + m["yy"] + m["zzz"]) % 31]
    return True, m["check"].upper() == expected


def is_valid_hetu(code: str) -> bool:
    """Strict check of a Finnish personal identity code (date, individual number, checksum)."""
    m = _HETU_EXACT_RE.fullmatch(code)
    if m is None:
        return False
    well_formed, check_ok = _hetu_parts(m)
    return well_formed and check_ok


def find_hetus(text: str) -> Iterator[Finding]:
    """Personal identity codes; wrong check character -> ``probable_typo=True``."""
    for m in _HETU_RE.finditer(text):
        well_formed, check_ok = _hetu_parts(m)
        if well_formed:
            yield Finding("hetu", m.start(), m.end(), probable_typo=not check_ok)


# --- puhelinnumero ---------------------------------------------------------------------

# Group separators: a space (also no-break / thin spaces) or a hyphen (also en dash etc.,
# which word processors substitute).  Only one separator between two digit groups.
_SEP = "[ \u00a0\u2009\u202f\\-\u2010\u2011\u2013]"
# Candidates are matched inside a lookahead so that overlapping starts are all seen; the
# longest acceptable prefix of digit groups is then chosen in Python.
_PHONE_CANDIDATE_RE = re.compile(
    _NOT_AFTER_ALNUM
    + r"""
    (?<![0-9][.\-\u2010\u2011\u2013])  # not the tail of a range, date or business id
    (?=
        (?:
            (?:\+|00)358 SEP? (?:\(0\) SEP? | 0)? (?P<intl>[1-9][0-9]{0,11})
          | \((?P<paren>0[1-9][0-9]{0,2})\) SEP? (?P<pfirst>[0-9]{1,12})
          | (?P<nat>0[1-9][0-9]{0,11})
        )
        (?P<rest>(?: SEP [0-9]{1,12}){0,5})
    )
    """.replace("SEP", _SEP),
    re.VERBOSE,
)
_PHONE_GROUP_RE = re.compile(_SEP + r"([0-9]+)")
# Not glued, not a decimal, not an amount ("1 045 123 456 €") or a percentage.
_PHONE_END_OK_RE = re.compile(r"(?![^\W_]|\.[0-9]|\s?(?:€|%|(?i:eur)))")
# National significant numbers that can belong to a private person (see module docstring).
_PHONE_PRIVATE_NSN_RE = re.compile(r"4[0-9]|5[0-9]|[3689][1-9]|2[1-8]|1[3-9]")
_MAX_PHONE_GROUPS = 4


def _looks_like_date(groups: Sequence[str]) -> bool:
    if len(groups) < 3:
        return False
    dd, mm, yy = groups[0], groups[1], groups[2]
    return (
        len(dd) <= 2
        and 1 <= int(dd) <= 31
        and len(mm) <= 2
        and 1 <= int(mm) <= 12
        and len(yy) in (2, 4)
    )


def _phone_at(text: str, m: re.Match[str]) -> Finding | None:
    """Longest acceptable phone number starting at candidate ``m``, if any."""
    # (digits contributing to the national significant number, end offset) per group
    groups: list[tuple[str, int]] = []
    if m["intl"] is not None:
        groups.append((m["intl"], m.end("intl")))
    elif m["paren"] is not None:
        groups.append((m["paren"][1:], m.end("paren") + 1))
        groups.append((m["pfirst"], m.end("pfirst")))
    else:
        groups.append((m["nat"][1:], m.end("nat")))
    rest_offset = m.start("rest")
    groups.extend((g[1], rest_offset + g.end()) for g in _PHONE_GROUP_RE.finditer(m["rest"]))
    # Groups after the leading one need at least two digits.
    for i in range(1, len(groups)):
        if len(groups[i][0]) < 2:
            del groups[i:]
            break
    del groups[_MAX_PHONE_GROUPS:]

    national = m["nat"] is not None
    written = ([m["nat"]] + [g for g, _ in groups[1:]]) if national else []
    for k in range(len(groups), 0, -1):
        nsn = "".join(g for g, _ in groups[:k])
        end = groups[k - 1][1]
        if not 7 <= len(nsn) <= 10 or not _PHONE_PRIVATE_NSN_RE.match(nsn):
            continue
        if not _PHONE_END_OK_RE.match(text, end):
            continue
        if national and (_looks_like_date(written[:k]) or all(len(g) <= 2 for g in written[:k])):
            continue
        return Finding("puhelin", m.start(), end)
    return None


def find_phone_numbers(text: str) -> Iterator[Finding]:
    """Finnish phone numbers of private persons (mobile and geographic numbers)."""
    last_end = 0
    for m in _PHONE_CANDIDATE_RE.finditer(text):
        if m.start() < last_end:
            continue
        finding = _phone_at(text, m)
        if finding is not None:
            last_end = finding.end
            yield finding


# --- sähköpostiosoite ------------------------------------------------------------------

_EMAIL_RE = re.compile(
    r"(?<![\w+%-])"
    r"[\w+%-]+(?:\.[\w+%-]+)*"  # local part (Unicode letters allowed)
    r"@"
    r"(?:[^\W_][\w-]*\.)+[^\W\d_]{2,63}"  # domain labels and an alphabetic TLD
    r"(?![\w-])"
)


def find_emails(text: str) -> Iterator[Finding]:
    """E-mail addresses (any case)."""
    for m in _EMAIL_RE.finditer(text):
        yield Finding("sahkoposti", m.start(), m.end())


# --- combination -----------------------------------------------------------------------

DETECTORS: list[Detector] = [find_hetus, find_phone_numbers, find_emails]


def find_personal_data(text: str) -> list[Finding]:
    """All findings, sorted by start, non-overlapping (longest/most specific wins on overlap)."""
    candidates = [f for detector in DETECTORS for f in detector(text)]
    candidates.sort(key=lambda f: (f.start - f.end, _SPECIFICITY.get(f.kind, 99), f.start))
    chosen: list[Finding] = []
    for f in candidates:
        if all(f.end <= c.start or c.end <= f.start for c in chosen):
            chosen.append(f)
    chosen.sort(key=lambda f: f.start)
    return chosen


def _token(kind: str) -> str:
    return REDACTION_TOKENS.get(kind, f"[{kind.upper()}]")


def redact(text: str, findings: Sequence[Finding] | None = None) -> str:
    """Replace each finding's span with its token; findings default to find_personal_data(text).

    Overlapping findings (possible only when passed in by the caller) are merged into one
    redacted region carrying the token of the finding that starts first.
    """
    if findings is None:
        findings = find_personal_data(text)
    parts: list[str] = []
    cursor = 0
    for f in sorted(findings, key=lambda f: (f.start, -f.end)):
        if f.end <= cursor:
            continue
        if f.start >= cursor:
            parts.append(text[cursor : f.start])
            parts.append(_token(f.kind))
        cursor = max(cursor, f.end)
    parts.append(text[cursor:])
    return "".join(parts)
