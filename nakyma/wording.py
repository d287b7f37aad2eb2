"""Finnish wording shared by pages, weak-signal reasons and exports: dates, lists, labels.
Helpers named for Finnish (`fi_date`, `join_fi`, `number_elative`) give Finnish only; a
sentence in another language is written so that it needs none of them (`join_words` lists
in the reader's language)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from nakyma import i18n


def fi_date(value: date | str | None) -> str:
    """A date the way Finnish readers write it: 2026-03-05 -> "5.3.2026" ("" for none).
    Takes a date or an ISO date/timestamp string."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        y, m, d = value[:10].split("-")
        return f"{int(d)}.{int(m)}.{y}"
    return f"{value.day}.{value.month}.{value.year}"


def fi_datetime(value: str | None, zone: str = "Europe/Helsinki") -> str:
    """An ISO timestamp as Finnish local time: "12.9.2026 klo 10.22" ("" for none)."""
    if not value:
        return ""
    when = datetime.fromisoformat(value)
    if when.tzinfo is not None:
        when = when.astimezone(ZoneInfo(zone))
    return f"{when.day}.{when.month}.{when.year} klo {when.hour}.{when.minute:02d}"


def join_fi(words: Sequence[str]) -> str:
    """ "a", "a ja b", "a, b ja c"."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " ja " + words[-1]


def join_words(words: Sequence[str], language: str = "fi") -> str:
    """ "a", "a ja b", "a, b ja c" in `language` ("a, b och c", "a, b and c")."""
    _ = i18n.translator(language)
    if len(words) <= 1:
        return "".join(words)
    return _("%(first)s ja %(last)s") % {"first": ", ".join(words[:-1]), "last": words[-1]}


def capitalise(text: str) -> str:
    """First letter upper-case, the rest untouched (str.capitalize lowers the rest)."""
    return text[:1].upper() + text[1:]


def sentence_label(short_title: str) -> str:
    """A title inside a sentence: lower-case first letter unless it starts an acronym
    ("Nuorisotyöttömät" -> "nuorisotyöttömät", "THL:n ..." stays)."""
    if len(short_title) > 1 and short_title[0].isupper() and short_title[1].islower():
        return short_title[0].lower() + short_title[1:]
    return short_title


# The elative ending of a numeral as read aloud: "yhdestä", "kahdesta", ..., "kymmenestä".
_ELATIVE_DIGIT = {0: "sta", 1: "stä", 2: "sta", 3: "sta", 4: "stä", 5: "stä"}
_ELATIVE_DIGIT |= {6: "sta", 7: "stä", 8: "sta", 9: "stä"}


def number_elative(n: int) -> str:
    """A whole number in the elative, as written: "9:stä", "12:sta", "20:stä", "100:sta".

    The ending follows the last word read aloud: 11-19 end in "-toista" but decline their
    first part (kahdestatoista), round tens in "kymmenestä", hundreds and thousands in "sadasta"
    and "tuhannesta", zero in "nollasta"."""
    n = abs(int(n))
    if n % 100 == 0 and n:
        ending = "sta"
    elif 10 <= n % 100 <= 19:
        ending = "stä" if n % 100 == 10 else _ELATIVE_DIGIT[n % 10]
    elif n % 10 == 0 and n:
        ending = "stä"
    else:
        ending = _ELATIVE_DIGIT[n % 10]
    return f"{n}:{ending}"
