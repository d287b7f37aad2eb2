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

Person names (kind ``nimi``) come from ``nakyma.finnish``: the Finnish spaCy model's NER
(``PERSON``) and Voikko's word classes (``etunimi``, ``sukunimi``), loaded once per process
on first use; the regex detectors above never load it.  Rules on top:

* Counted: runs of name words — a first name and a surname in any case form ("Eetu
  Rantasen", "Hämäläiselle"), also surname first ("Rantasen Eetu") and in lower case when
  Voikko knows both words only as names or NER calls them a person ("eetu rantanen"); after
  a first name any capitalised word is taken as the surname ("Pekka Kivi").  A lone word
  counts if Voikko knows it only as a name ("Virtanen", "Eetu"), or NER calls a capitalised
  name-like word a person away from a sentence start.  After an honorific ("rouva",
  "herra", "neiti") the next capitalised word is a surname whatever it is ("rouva Koivu");
  after a role or relation ("rehtori", "kuraattori", "äiti", "asiakas") it is one if it can
  be a name.  A surname before a family word counts ("Mäkisen perhe").
* Policy: every person's name is refused, public officials' included ("rehtori Tikkanen"):
  an observation describes a phenomenon, and the role alone says enough.
* Not counted: acronyms (SPR, MLL), months, weekdays and holidays, the region's
  municipalities in any form, places (NER ``GPE``/``LOC``, Voikko ``paikannimi``), single
  words NER calls an organisation or a product (Kela, Elisa), a few services Voikko knows
  only as first names (Wilma), capitalised sentence starts with a common-word reading
  ("Toivo paremmasta…", "Tuuli kaatoi…"), names that are part of a street's, an
  organisation's or a flag day's name ("Aleksis Kiven katu", "Mannerheimin
  Lastensuojeluliitto", "Minna Canthin päivä"), a lone surname before "koulu", "kirkko" and
  the like ("Kilpisen koulu"), and a name right after a capitalised service word
  ("Hoivakoti Helmi", "Perhetalo Aurora").
* Known misses: foreign names that neither Voikko nor NER knows at a sentence start
  ("Olena Kovalenko pyysi…"), and a lone first name that is also a common word
  at a sentence start ("Helmi kertoi…").  The form asks users to leave all names out.
* Results are cached per process by a digest of the text (offsets only, never the text).

Disguises: ``find_personal_data`` runs the detectors on ``nakyma.unmask.unmask(text)`` —
NFKC-folded, zero-width characters, soft hyphens and controls dropped, ``(at)``/``[at]``/
`` at `` read as ``@``, spaces around an identity code's century sign closed up — and maps
each finding back to the characters the user wrote. Ordinary text unmasks to itself.
Callers check sizes first (``nakyma.observations``): the guard is never handed more than an
observation may hold, so the name model's lock is held for one short text at a time.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nakyma import i18n
from nakyma.i18n import N_
from nakyma.regions import Region, load_region
from nakyma.unmask import unmask
from nakyma.vocabulary import MONTHS_FI

if TYPE_CHECKING:
    from nakyma.finnish import Analysis, Token

__all__ = [
    "DETECTORS",
    "KINDS",
    "REDACTION_TOKENS",
    "Finding",
    "find_emails",
    "find_hetus",
    "find_person_names",
    "find_personal_data",
    "find_phone_numbers",
    "is_valid_hetu",
    "redact",
]

KINDS: dict[str, str] = {
    "hetu": N_("henkilötunnus"),
    "puhelin": N_("puhelinnumero"),
    "sahkoposti": N_("sähköpostiosoite"),
    "nimi": N_("henkilön nimi"),
}

REDACTION_TOKENS: dict[str, str] = {
    "hetu": "[HETU]",
    "puhelin": "[PUHELIN]",
    "sahkoposti": "[SÄHKÖPOSTI]",
    "nimi": "[NIMI]",
}

# Lower number = more specific; breaks ties between equally long overlapping findings.
_SPECIFICITY: dict[str, int] = {"hetu": 0, "sahkoposti": 1, "puhelin": 2, "nimi": 3}

# The guard's explanations, Finnish message ids translated where they are shown
# (`Finding.message(language=...)`); what it detects does not depend on the language.
_ADVICE: dict[str, str] = {
    "nimi": N_("Poista nimi — kirjoita esim. 'koululainen' tai 'iäkäs asiakas'."),
}
_DEFAULT_ADVICE = N_("Poista se: havaintoon ei saa kirjata henkilötietoja.")
_MARKED_ADVICE = N_("Poista se: henkilötietoja ei saa kirjata.")


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
        """Finnish name of the kind of personal data (a message id: translate where shown)."""
        return KINDS.get(self.kind, N_("henkilötieto"))

    def message(self, *, offsets: bool = True, language: str = "fi") -> str:
        """The message for the user in `language` (Finnish by default); never contains the
        raw value. Without `offsets` the message says where in words, for a page that marks
        the span in the text."""
        _ = i18n.translator(language)
        values = {"kind": _(self.label), "where": f"{self.start + 1}–{self.end}"}  # 1-based
        if not offsets and self.probable_typo:
            found = _(
                "Tekstissä näyttää olevan %(kind)s (tarkiste ei täsmää, mahdollinen "
                "kirjoitusvirhe) (merkitty alla)."
            )
        elif not offsets:
            found = _("Tekstissä näyttää olevan %(kind)s (merkitty alla).")
        elif self.probable_typo:
            found = _(
                "Tekstissä näyttää olevan %(kind)s (tarkiste ei täsmää, mahdollinen "
                "kirjoitusvirhe) merkeissä %(where)s."
            )
        else:
            found = _("Tekstissä näyttää olevan %(kind)s (merkit %(where)s).")
        # Marked in place it may be a comment or a reason, not an observation.
        default = _DEFAULT_ADVICE if offsets else _MARKED_ADVICE
        return f"{found % values} {_(_ADVICE.get(self.kind, default))}"


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


# --- henkilön nimi ---------------------------------------------------------------------

# Voikko's classes for personal names; "nimi" is any other proper noun (brands, Lidl, Alko).
_NAME_CLASSES = frozenset({"etunimi", "sukunimi"})
# A word that may be (part of) a name: letters, inner hyphens and apostrophes.
_NAME_WORD_RE = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_HAS_WORD_RE = re.compile(r"[^\W\d_]{2}")
# Honorifics point at a private person: the word after one is a surname ("rouva Koivu").
_HONORIFICS = frozenset({"rouva", "rva", "herra", "hra", "neiti", "nti"})
# Roles and relations: the word after one is a name if it can be one ("rehtori Laine").
_ROLE_WORDS = frozenset(
    {
        "kuraattori",
        "rehtori",
        "apulaisrehtori",
        "opettaja",
        "luokanopettaja",
        "luokanvalvoja",
        "erityisopettaja",
        "opinto-ohjaaja",
        "opo",
        "terveydenhoitaja",
        "lääkäri",
        "psykologi",
        "sairaanhoitaja",
        "lähihoitaja",
        "hoitaja",
        "sosiaalityöntekijä",
        "sosiaaliohjaaja",
        "ohjaaja",
        "nuoriso-ohjaaja",
        "nuorisotyöntekijä",
        "pastori",
        "kirkkoherra",
        "kappalainen",
        "diakoni",
        "diakonissa",
        "kanttori",
        "kunnanjohtaja",
        "kaupunginjohtaja",
        "johtaja",
        "valtuutettu",
        "puheenjohtaja",
        "poliisi",
        "konstaapeli",
        "ylikonstaapeli",
        "komisario",
        "tohtori",
        "asiakas",
        "oppilas",
        "opiskelija",
        "huoltaja",
        "äiti",
        "isä",
        "mummo",
        "mummi",
        "pappa",
        "vaari",
        "täti",
        "setä",
        "eno",
        "naapuri",
    }
)
# After a surname these point at a private family ("Mäkisen perhe", "Koivun pojat").
_FAMILY_WORDS = frozenset(
    {
        "perhe",
        "suku",
        "lapsi",
        "poika",
        "tyttö",
        "äiti",
        "isä",
        "mummo",
        "mummi",
        "pappa",
        "vaari",
        "täti",
        "setä",
        "veli",
        "sisko",
        "sisar",
        "vaimo",
        "puoliso",
        "pariskunta",
    }
)
# A following word ending so makes the name part of the name of a street, organisation or
# institution ("Aleksis Kiven katu", "Mannerheimin Lastensuojeluliitto").
_INSTITUTION_ENDINGS = (
    "katu",
    "tie",
    "kuja",
    "polku",
    "raitti",
    "väylä",
    "aukio",
    "puisto",
    "tori",
    "silta",
    "liitto",
    "säätiö",
    "seura",
    "yhdistys",
    "rahasto",
    "instituutti",
    "museo",
    "yliopisto",
    "lukio",
    "opisto",
    "palkinto",
    "stipendi",
    "päivä",  # flag days: "Minna Canthin päivä", "Runebergin päivä"
)
# After a lone surname, these make it the name of an institution ("Kilpisen koulu").
_SURNAME_INSTITUTIONS = ("koulu", "päiväkoti", "kirkko", "kappeli", "kirjasto", "sairaala")
_COMPANY_WORDS = frozenset({"oy", "oyj", "ry", "ky", "tmi", "ab"})
# A capitalised word ending so, right before a name, makes it the name of a service or a
# place ("Hoivakoti Helmi", "Perhetalo Aurora", "Nuorten talo Onnela").
_FACILITY_ENDINGS = (
    "koti",
    "talo",
    "keskus",
    "kerho",
    "tupa",
    "pesä",
    "kahvila",
    "asema",
    "kylä",
    "ryhmä",
    "paja",
    "piste",
    "pirtti",
    "tila",
)
_CALENDAR_WORDS = frozenset(
    {
        *MONTHS_FI,
        "maanantai",
        "tiistai",
        "keskiviikko",
        "torstai",
        "perjantai",
        "lauantai",
        "sunnuntai",
        "joulu",
        "juhannus",
        "pääsiäinen",
        "vappu",
        "helatorstai",
        "uusivuosi",
    }
)
# Services and brands that Voikko knows only as first names.
_NOT_NAMES = frozenset({"wilma", "elisa", "alma"})
# NER labels that make a single capitalised word something other than a person.
_OTHER_ENTITIES = frozenset(
    {"ORG", "PRODUCT", "WORK_OF_ART", "EVENT", "FAC", "GPE", "LOC", "NORP", "LAW", "LANGUAGE"}
)
_SENTENCE_END = frozenset({".", "!", "?", "…", ":", ";"})
_OPENERS = frozenset({"-", "–", "—", "•", "*", "(", "[", '"', "”", "“", "'", "’", "»", "«"})

_NAME_CACHE_SIZE = 4096
_name_cache: dict[bytes, tuple[Finding, ...]] = {}
_name_cache_lock = threading.Lock()


@dataclass(frozen=True)
class _Word:
    """What the name rules need to know of one token."""

    word: bool  # letters only (inner hyphens/apostrophes allowed)
    cap: bool  # capitalised, not an acronym
    start: bool  # first word of a sentence, line or list item
    blocked: bool  # never part of a name: acronym, month, weekday, municipality, brand
    first: bool  # Voikko: a first name (possibly also something else)
    sur: bool  # Voikko: a surname (possibly also something else)
    pure: bool  # Voikko: nothing but a first name or a surname
    unknown: bool  # Voikko does not know it, or only as some proper noun ("nimi")
    place: bool  # NER or Voikko says it is a place, and it is not also a name
    person: bool  # inside a NER PERSON entity
    other: bool  # inside another NER entity (organisation, product, place…)
    lemma: str

    @property
    def nameish(self) -> bool:
        return self.first or self.sur


_names_region: Region | None = None


def use_region(region: Region) -> None:
    """Name the deployment's region: its municipality names are places, never person names.
    The app factory and the CLI call this with the region their Settings name, so a region
    file set only in `.env` reaches the guard too. Until then the packaged region is used."""
    global _names_region
    with _name_cache_lock:
        if region is not _names_region:
            _name_cache.clear()  # findings depend on which words are municipalities
        _names_region = region


def names_region() -> Region:
    """The region whose municipality names the guard treats as places."""
    return _names_region or load_region()


def _words(analysis: Analysis) -> list[_Word]:
    region = names_region()
    out: list[_Word] = []
    start = True
    for t in analysis.tokens:
        text = t.text
        if not text.strip():
            start = start or "\n" in text
            out.append(_Word(False, False, False, True, *(False,) * 7, ""))
            continue
        word = bool(_NAME_WORD_RE.fullmatch(text))
        lemma = t.lemma.lower()
        classes = t.classes
        first = "etunimi" in classes
        sur = "sukunimi" in classes
        pure = bool(classes) and classes <= _NAME_CLASSES
        # SPR, MLL, KELA; but a name written in capitals ("EETU RANTANEN") is still a name.
        acronym = word and len(text) > 1 and text.isupper() and not pure
        blocked = (
            not word
            or acronym
            or lemma in _CALENDAR_WORDS
            or lemma in _NOT_NAMES
            or text.lower() in _NOT_NAMES
            or (not pure and region.resolve(text) is not None)
        )
        person = t.ent == "PERSON"
        place = not first and not sur and ("paikannimi" in classes or t.ent in ("GPE", "LOC"))
        out.append(
            _Word(
                word=word,
                cap=word and text[:1].isupper() and not acronym,
                start=start,
                blocked=blocked,
                first=first,
                sur=sur,
                pure=pure,
                unknown=not classes or classes == {"nimi"},
                place=place,
                person=person,
                other=t.ent in _OTHER_ENTITIES,
                lemma=lemma,
            )
        )
        if word or text[:1].isdigit():
            start = False
        elif text in _SENTENCE_END or text.endswith(("!", "?")):
            start = True
        elif text not in _OPENERS:
            start = False
    return out


def _is_core(w: _Word) -> bool:
    """Can be a name on its own evidence (with the run rules below)."""
    if w.blocked:
        return False
    if w.pure:
        return True
    return (w.cap or w.person) and (w.nameish or (w.unknown and not w.place))


def _surname_slot(w: _Word) -> bool:
    """Right after a first name, a capitalised word ("Pekka Kivi") or a surname is one."""
    return not w.blocked and (w.sur or w.person or (w.cap and not w.place))


def _prev_word(words: list[_Word], i: int) -> int | None:
    j = i - 1
    while j >= 0 and not words[j].word and not words[j].lemma:
        j -= 1  # skip whitespace only
    return j if j >= 0 and words[j].word else None


def _title_before(words: list[_Word], tokens: Sequence[Token], i: int) -> str | None:
    j = _prev_word(words, i)
    if j is None:
        return None
    low = tokens[j].text.lower()
    if low in _HONORIFICS or words[j].lemma in _HONORIFICS:
        return "honorific"
    if low in _ROLE_WORDS or words[j].lemma in _ROLE_WORDS:
        return "role"
    return None


def _name_spans(analysis: Analysis) -> list[tuple[int, int]]:
    tokens = analysis.tokens
    words = _words(analysis)
    n = len(words)
    spans: list[tuple[int, int]] = []
    i = 0
    while i < n:
        w = words[i]
        title = _title_before(words, tokens, i) if w.word else None
        honorific = title == "honorific" and not w.blocked and (w.cap or w.nameish)
        if not (_is_core(w) or honorific):
            i += 1
            continue
        # The run: core words in a row; a capitalised word or surname may follow a first name.
        j = i
        while j + 1 < n:
            nxt = words[j + 1]
            if _is_core(nxt):
                j += 1
            elif words[j].first and _surname_slot(nxt):
                j += 1
                break
            else:
                break
        run = list(range(i, j + 1))
        i = j + 1
        # A capitalised sentence start is no evidence: drop it unless NER or Voikko vouch.
        while run and not honorific and words[run[0]].start:
            head = words[run[0]]
            if head.pure or head.person or (len(run) > 1 and head.nameish):
                break
            run.pop(0)
            title = None
        if not run or not _accept_run(words, tokens, run, title, honorific):
            continue
        spans.append((tokens[run[0]].start, tokens[run[-1]].end))
    return spans


def _accept_run(
    words: list[_Word], tokens: Sequence[Token], run: list[int], title: str | None, honorific: bool
) -> bool:
    ws = [words[k] for k in run]
    after = run[-1] + 1
    while after < len(words) and not words[after].word and not tokens[after].text.strip():
        after += 1
    nxt = words[after] if after < len(words) and words[after].word else None
    if nxt is not None and (
        nxt.lemma.endswith(_INSTITUTION_ENDINGS)
        or tokens[after].text.lower().endswith(_INSTITUTION_ENDINGS)
        or tokens[after].text.lower() in _COMPANY_WORDS
    ):
        return False  # "Aleksis Kiven katu", "Mannerheimin Lastensuojeluliitto"
    if (
        nxt is not None
        and len(run) == 1
        and not words[run[0]].first
        and nxt.lemma in _SURNAME_INSTITUTIONS
    ):
        return False  # "Kilpisen koulu"
    before = _prev_word(words, run[0])
    if (
        before is not None
        and words[before].cap
        and tokens[before].text.lower().endswith(_FACILITY_ENDINGS)
    ):
        return False  # "Hoivakoti Helmi", "Perhetalo Aurora"
    if honorific or (title == "role" and any(w.nameish or w.person for w in ws)):
        return True
    names = sum(w.nameish for w in ws)
    if len(ws) >= 2:
        if not any(w.person for w in ws) and any(w.other for w in ws) and names < 2:
            return False  # "Ronja Ryövärintytär" as a work of art
        return (
            any(w.pure for w in ws)
            or names >= 2
            or (names >= 1 and (any(w.person for w in ws) or not ws[0].start))
            or all(w.person for w in ws)
        )
    (w,) = ws
    if w.nameish and w.cap and nxt is not None and nxt.lemma in _FAMILY_WORDS:
        return True  # "Mäkisen perhe"
    if w.other and not w.person:
        return False  # a single word that NER calls an organisation, product or place
    if w.pure:
        return w.cap or w.person
    return w.cap and w.person and not w.start


def _name_key(text: str) -> bytes:
    # Results are cached by a digest of the text: offsets only, never the text itself.
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _name_findings(analysis: Any) -> tuple[Finding, ...]:
    return tuple(Finding("nimi", s, e) for s, e in _name_spans(analysis))


def _remember(key: bytes, findings: tuple[Finding, ...]) -> None:
    with _name_cache_lock:
        if len(_name_cache) >= _NAME_CACHE_SIZE:
            _name_cache.pop(next(iter(_name_cache)))
        _name_cache[key] = findings


def find_person_names(text: str) -> list[Finding]:
    """Names of persons (Finnish NER + Voikko + rules); see the module docstring."""
    if not _HAS_WORD_RE.search(text):
        return []
    key = _name_key(text)
    with _name_cache_lock:
        cached = _name_cache.get(key)
    if cached is not None:
        return list(cached)
    from nakyma import finnish

    findings = _name_findings(finnish.analyse(text))
    _remember(key, findings)
    return list(findings)


def prepare_names(texts: Sequence[str]) -> None:
    """Check many texts for names in one batch (spaCy's `pipe`), so that the
    `find_person_names` calls that follow are cache hits. Same results, less time: the
    import calls this for each batch of rows."""
    keys = {}
    unmasked = [unmask(t).text for t in texts]
    with _name_cache_lock:
        for text in unmasked:
            if _HAS_WORD_RE.search(text):
                key = _name_key(text)
                if key not in _name_cache:
                    keys[key] = text
    if not keys:
        return
    from nakyma import finnish

    for key, analysis in zip(keys, finnish.analyse_many(list(keys.values())), strict=True):
        _remember(key, _name_findings(analysis))


# --- combination -----------------------------------------------------------------------

DETECTORS: list[Detector] = [find_hetus, find_phone_numbers, find_emails, find_person_names]


def find_personal_data(text: str) -> list[Finding]:
    """All findings, sorted by start, non-overlapping (longest/most specific wins on overlap).

    The detectors look at the text with its disguises undone (``nakyma.unmask``: NFKC,
    invisible characters dropped, ``(at)`` read as ``@``…); the spans point at `text`."""
    unmasked = unmask(text)
    chosen = _resolved(unmasked.text)
    if unmasked.text == text:
        return chosen
    out: list[Finding] = []
    for f in chosen:
        start, end = unmasked.span(f.start, f.end)
        out.append(Finding(f.kind, start, end, f.probable_typo))
    return out


def _resolved(text: str) -> list[Finding]:
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
