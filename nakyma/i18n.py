"""The user interface's languages: message catalogues, gettext, and dates and numbers per language.

Finnish is the source language: a message id is the Finnish text itself, so Finnish needs no
catalogue and renders exactly the text written in the templates and the code. Swedish (`sv`)
and English (`en`) are translated in `nakyma/locale/<lang>/LC_MESSAGES/messages.po`.

The catalogues are read from the .po files when first needed (Babel compiles them in memory):
no compiled .mo file is committed or built, so a fresh clone, `make run` and `make test` need
no extra step, and a translation edited in a .po file is what the next start-up shows. Fuzzy
and empty translations are not used (the Finnish text shows instead), and a test
(tests/test_i18n.py) fails while any Swedish one is fuzzy, empty or missing.

Update the catalogues after changing user-facing text (the commands are in docs/i18n.md):
`pybabel extract -F babel.cfg -o nakyma/locale/messages.pot .` then
`pybabel update -i nakyma/locale/messages.pot -d nakyma/locale`.
"""

from __future__ import annotations

import functools
import gettext as gettext_module
import io
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
SOURCE_LANGUAGE = "fi"
# The languages a user can choose, each named in its own language (the switcher shows these).
LANGUAGES: dict[str, str] = {"fi": "Suomi", "sv": "Svenska", "en": "English"}
# Babel locale for English dates: British English (day before month).
_ENGLISH = "en_GB"


def N_(message: str) -> str:
    """Mark text for extraction where it is defined (vocabularies, labels) and translate it
    where it is shown: the message itself, unchanged."""
    return message


@functools.cache
def translations(language: str) -> gettext_module.NullTranslations:
    """The catalogue of one language; for Finnish (the source) and unknown ones, the identity."""
    if language == SOURCE_LANGUAGE or language not in LANGUAGES:
        return gettext_module.NullTranslations()
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext_module.GNUTranslations(compiled)


def gettext(language: str, message: str) -> str:
    """The message in `language` (the Finnish message itself when it has no translation)."""
    return translations(language).gettext(message)


def ngettext(language: str, singular: str, plural: str, n: int) -> str:
    return translations(language).ngettext(singular, plural, n)


def translator(language: str) -> Callable[[str], str]:
    """gettext bound to one language, for code that builds many messages at once."""
    return translations(language).gettext


def ntranslator(language: str) -> Callable[[str, str, int], str]:
    """ngettext bound to one language: `ngettext = ntranslator(language)` then
    `ngettext("1 havainto", "%(n)s havaintoa", n) % {"n": n}` (extracted as `ngettext`)."""
    return translations(language).ngettext


def negotiate(accept_language: str | None, default: str) -> str:
    """The first language of an Accept-Language header we have (by quality), else `default`.

    "sv-FI,sv;q=0.9,fi;q=0.8" -> "sv"; "de, en;q=0.5" -> "en"; "" -> default."""
    choices: list[tuple[float, int, str]] = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            choices.append((-quality, i, primary))
    return min(choices)[2] if choices else default


def chosen(language: str | None) -> str | None:
    """A language code as given if we have it, else None (for settings and form input)."""
    return language if language in LANGUAGES else None


def format_date(value: date | str | None, language: str) -> str:
    """A date for readers of `language`: "5.3.2026" in Finnish and Swedish (Finland's usage),
    "5 Mar 2026" in English; "" for none. Takes a date or an ISO date/timestamp string."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if language == "en":
        return babel_format_date(value, format="d MMM y", locale=_ENGLISH)
    return f"{value.day}.{value.month}.{value.year}"


def format_datetime(value: str | None, language: str, zone: str = "Europe/Helsinki") -> str:
    """An ISO timestamp as local time: "12.9.2026 klo 10.22", "12.9.2026 kl. 10.22",
    "12 Sep 2026 at 10:22"; "" for none."""
    if not value:
        return ""
    when = datetime.fromisoformat(value)
    if when.tzinfo is not None:
        when = when.astimezone(ZoneInfo(zone))
    day = format_date(when.date(), language)
    if language == "sv":
        return f"{day} kl. {when.hour}.{when.minute:02d}"
    if language == "en":
        return f"{day} at {when.hour}:{when.minute:02d}"
    return f"{day} klo {when.hour}.{when.minute:02d}"


def format_number(value: float | None, language: str, decimals: int = 1) -> str:
    """A number with a fixed count of decimals in the language's convention: "1 234,5" in
    Finnish and Swedish (Finland's usage: decimal comma, no-break space between thousands),
    "1,234.5" in English; "–" for none. Python's own rounding, so Finnish pages show exactly
    the numbers they showed before translation."""
    if value is None:
        return "–"
    text = f"{value:,.{max(0, decimals)}f}"
    if language == "en":
        return text
    return text.replace(",", "\u00a0").replace(".", ",")


# Swedish and English put a preposition before the name where Finnish inflects it.
_PREPOSITIONS = {
    "sv": {"in_form": "i", "from_form": "från", "to_form": "till"},
    "en": {"in_form": "in", "from_form": "from", "to_form": "to"},
}


def place_form(name_fi_form: str, name: str, form: str, language: str) -> str:
    """A municipality's name as a sentence needs it in `language`.

    `form` is one of the region file's Finnish forms ("in_form", "from_form", "to_form",
    "partitive", "genitive", "name"); `name_fi_form` is that Finnish form and `name` the name
    in `language` (Municipality.name_in). Finnish keeps its written-out inflected forms
    ("Jyväskylässä"); Swedish and English say "i Vasa", "från Jakobstad", "in Vaasa"; the
    Swedish genitive adds -s unless the name already ends in s, x or z ("Vasas", "Närpes")."""
    if language == SOURCE_LANGUAGE:
        return name_fi_form
    preposition = _PREPOSITIONS.get(language, {}).get(form)
    if preposition:
        return f"{preposition} {name}"
    if form == "genitive":
        if language == "sv":
            return name if name[-1:].lower() in "sxz" else name + "s"
        return name + "’s"
    return name
