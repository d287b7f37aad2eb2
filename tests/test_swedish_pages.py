"""Every page a Swedish-speaking user reaches, on the computed demo, speaks Swedish: no Finnish
word of the service's own (chrome, generated sentences, messages, labels) is left.

The check crawls the pages an administrator reaches from the front page (following links,
as a user would), with `Accept-Language: sv`, and looks at each page's visible text. A word
counts as a Finnish leftover when Voikko knows it as Finnish, it is not a word of the
Swedish catalogue, and it is not a word of what users and sources wrote (observations,
titles, keywords, comments, headlines, indicator names and the other stored texts, which
stay in their own language) nor a place name.
"""

from __future__ import annotations

import html as html_module
import os
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlite_utils import Database

from nakyma import i18n, review
from nakyma.accounts import set_language
from nakyma.regions import load_region
from tests.conftest import copy_of_demo, login
from web.charts import SHORT_MONTHS

SV = {"Accept-Language": "sv-FI,sv;q=0.9"}
WORD = re.compile(r"[A-Za-zÅÄÖåäöÉéÜü]+(?:-[A-Za-zÅÄÖåäöÉéÜü]+)*")
MAX_PAGES = 150
PER_KIND = 4
# Links a crawl must not follow: they change state, leave the site or download files.
SKIP = re.compile(
    r"^/(static|kirjaudu|uloskirjaudu|kieli|healthz|api|docs|openapi)|\.(csv|xlsx|pdf|md|json)$"
)


@pytest.fixture
def db(demo_template: Path, settings) -> Iterator[Database]:
    yield from copy_of_demo(demo_template, settings)


class _Text(HTMLParser):
    """The visible text of a page: no script, style or template, attribute values that a
    reader sees (alt, title, aria-label, placeholder, value of buttons) included."""

    SEEN_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._hidden += 1
        values = dict(attrs)
        for name in self.SEEN_ATTRIBUTES:
            if values.get(name):
                self.parts.append(str(values[name]))
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(str(values["value"]))
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _swedish_vocabulary() -> set[str]:
    with (i18n.LOCALE_DIR / "sv" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale="sv")
    words: set[str] = set()
    for message in catalog:
        strings = [message.string] if isinstance(message.string, str) else message.string
        for string in strings:
            words.update(w.casefold() for w in WORD.findall(html_module.unescape(string)))
    return words


# Columns that hold sentences the service generated (stored in every language), not text
# that users or sources wrote: their words must not excuse a page.
GENERATED = re.compile(r"reason|technical|verdict|_i18n$")


def _stored_vocabulary(db: Database) -> set[str]:
    """Words of everything users and sources wrote, and of stored names: these stay in the
    language they were written in."""
    words: set[str] = set()
    for table in db.table_names():
        if table.startswith(("sqlite_", "_")) or "_fts" in table:
            continue
        columns = [
            c.name
            for c in db[table].columns
            if c.type.upper() == "TEXT" and not GENERATED.search(c.name)
        ]
        if not columns:
            continue
        for row in db.execute(f"select {', '.join(f'[{c}]' for c in columns)} from [{table}]"):
            for value in row:
                if isinstance(value, str):
                    words.update(w.casefold() for w in WORD.findall(value))
    return words


def _term_words(db: Database) -> set[str]:
    """The base forms and compound parts of what people wrote (a theme lists its new words
    so: "vedonlyönti, lyönti"), as the emerging step reads them with Voikko."""
    from nakyma import finnish

    texts = [r[0] for r in db.execute("select text from observations")]
    texts += [f"{r[0]} {r[1] or ''}" for r in db.execute("select title, teaser from headlines")]
    return {t.casefold() for terms in finnish.voikko_terms_many(texts) for t in terms}


def _place_words() -> set[str]:
    words: set[str] = set()
    region = load_region()
    for m in region.municipalities:
        for form in (m.name, m.genitive, m.in_form, m.from_form, m.to_form, m.partitive):
            words.update(w.casefold() for w in WORD.findall(form or ""))
    for grouping in region.groupings:
        for group in grouping.groups:
            words.update(w.casefold() for w in WORD.findall(group.name))
    return words


def _finnish(words: set[str]) -> set[str]:
    import libvoikko

    voikko = libvoikko.Voikko("fi")
    try:
        return {w for w in words if len(w) > 2 and voikko.spell(w)}
    finally:
        voikko.terminate()


def crawl(client: TestClient, start: list[str]) -> dict[str, str]:
    """Visible text per page, following same-site links breadth first from `start`."""
    seen: dict[str, str] = {}
    kinds: dict[str, int] = {}
    queue = list(start)
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        # A few pages of each kind (/kunnat/{code}, /ilmiot/{id}…): the words are the same.
        kind = re.sub(r"/[^/?]*\d[^/?]*", "/{n}", path.split("?")[0])
        if kinds.get(kind, 0) >= PER_KIND and path not in start:
            continue
        kinds[kind] = kinds.get(kind, 0) + 1
        response = client.get(path, headers=SV)
        if response.status_code != 200 or "text/html" not in response.headers.get(
            "content-type", ""
        ):
            seen[path] = ""
            continue
        parser = _Text()
        parser.feed(response.text)
        seen[path] = " ".join(parser.parts)
        for href in parser.links:
            href = urldefrag(href)[0]
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not href.startswith("/") or SKIP.search(parts.path):
                continue
            # One page of each kind of list is enough: the query varies, the words do not.
            target = parts.path if "sivu=" in (parts.query or "") else href
            if target not in seen and target not in queue:
                queue.append(target)
    return seen


def leftovers(db: Database, pages: dict[str, str]) -> dict[str, list[str]]:
    stored = _stored_vocabulary(db)
    months = {m.casefold() for m in SHORT_MONTHS["sv"]}  # "mars" is a Finnish word too
    allowed = _swedish_vocabulary() | stored | _term_words(db) | _place_words() | months
    found: dict[str, list[str]] = {}
    words_by_page = {}
    for path, text in pages.items():
        text = re.sub(r"https?://\S+", " ", text)  # addresses are not words of a language
        words = {w.casefold() for w in WORD.findall(text)} - allowed
        # A stored text cut short for a list ("… pyytävä…") ends in a piece of a word.
        cut = {w.casefold() for w in re.findall(WORD.pattern + r"(?=…)", text)}
        words -= {w for w in cut if any(s.startswith(w) for s in stored)}
        words_by_page[path] = words
    finnish = _finnish(set().union(*words_by_page.values()))
    for path, words in words_by_page.items():
        hits = sorted(words & finnish)
        if hits:
            found[path] = hits
    return found


def test_every_page_an_administrator_reaches_is_swedish(db, make_user, client) -> None:
    admin = make_user("svadmin", "admin")
    set_language(db, admin.id, "sv")
    login(client, admin.username)
    phenomenon = db.execute(
        "select id from phenomena where size > 0 order by size desc limit 1"
    ).fetchone()[0]
    # Decisions, so that the log and the changes feed have rows to describe.
    review.set_status(db, admin, phenomenon, "käsittelyssä", reason="Sovittu verkostossa.")
    review.rename(db, admin, phenomenon, "Nuorten illat kirjastossa")
    code = sorted(review.phenomenon_municipalities(db, phenomenon))[0]
    leader = make_user("svjohto", "johto", (load_region().municipality(code).name,))
    review.set_municipal_response(db, leader, phenomenon, code, "seurannassa", "")
    pages = crawl(
        client,
        [
            "/",
            "/kunnat/992",
            f"/ilmiot/{phenomenon}",
            "/yleiskuva",
            "/ajot",
            "/viennit",
            "/muutokset",
            "/tapahtumaloki",
            "/tyolista",
            "/havainnot/uusi",
            "/havainnot/omat",
            "/haku?q=nuoret",
            "/alue",
            "/omat-kunnat",
            "/viennit/muistio",
        ],
    )
    assert len(pages) >= 20, sorted(pages)
    if dump := os.environ.get("SWEDISH_CRAWL_DUMP"):  # to read what a failure names
        for i, (path, text) in enumerate(sorted(pages.items())):
            Path(dump, f"{i:03d}.txt").write_text(f"{path}\n{text}", encoding="utf-8")
    found = leftovers(db, pages)
    assert not found, "Finnish left on Swedish pages:\n" + "\n".join(
        f"{path}: {', '.join(words)}" for path, words in sorted(found.items())
    )
