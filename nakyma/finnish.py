"""Finnish language analysis: one spaCy pipeline and one Voikko handle per process.

The model is ``spacy-fi-experimental-web-md`` (MIT, from PyPI, runs offline): tagger,
morphologiser, Voikko lemmatiser and NER (``PERSON``, ``ORG``, ``GPE``, ``LOC``…). Its
lemmatiser needs Debian's ``libvoikko1`` and ``voikko-fi``, which the Makefile installs.
The dependency parser is left out: nothing here uses it and it costs a quarter of the time.

Everything is loaded lazily on first use, once, and every use goes through one lock (a
Voikko handle must not be used from two threads at once). The lock is taken per text, or
per batch of 64 in ``analyse_many``, never across a whole queue, so one caller with many
texts cannot hold up a live check for long; texts are size-checked before they get here.
Callers get plain data (``Analysis``), never spaCy objects, so nothing outlives the lock.

Besides the privacy guard's name detector, two small helpers serve the rest of the
project: ``lemmas`` (e.g. phenomenon keywords) and ``gpe_entities`` (a second opinion on
place names, e.g. in municipality tagging of headlines). They are not wired in yet.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = [
    "MODEL",
    "Analysis",
    "Entity",
    "Token",
    "analyse",
    "gpe_entities",
    "lemmas",
    "load",
    "load_seconds",
    "voikko_analyses",
    "voikko_classes",
    "voikko_terms",
    "voikko_terms_many",
]

MODEL = "spacy_fi_experimental_web_md"
# Longest text handed to spaCy at once; longer texts are analysed in whitespace-split chunks.
_CHUNK = 10_000

_lock = threading.RLock()
_nlp: Language | None = None
_voikko: Any = None
_load_seconds: float | None = None


@dataclass(frozen=True)
class Token:
    """One token: ``text`` is ``source[start:end]``."""

    text: str
    start: int
    end: int
    lemma: str
    pos: str
    ent: str  # NER label of the entity the token is in, "" if none
    classes: frozenset[str]  # Voikko word classes (CLASS), e.g. {"etunimi", "nimisana"}


@dataclass(frozen=True)
class Entity:
    label: str
    start: int
    end: int
    first: int  # index of its first token in Analysis.tokens
    last: int  # index of its last token (inclusive)


@dataclass(frozen=True)
class Analysis:
    tokens: tuple[Token, ...]
    entities: tuple[Entity, ...]


class ModelUnavailable(RuntimeError):
    """The Finnish model or the Voikko dictionary is not installed."""


def load() -> Language:
    """The pipeline, loaded on first call (about 2 s), then shared by every thread."""
    global _nlp, _voikko, _load_seconds
    if _nlp is not None:
        return _nlp
    with _lock:
        if _nlp is None:
            started = time.perf_counter()
            try:
                import libvoikko
                import spacy
            except (ImportError, OSError) as exc:  # e.g. libvoikko1 missing: the import fails
                raise ModelUnavailable(
                    f"Suomen kielimallia ({MODEL}) tai Voikkoa ei voi ladata: {exc}. "
                    "Asenna Debianin libvoikko1 ja voikko-fi (make tekee sen) ja "
                    "pip install -e ."
                ) from exc
            try:
                voikko = libvoikko.Voikko("fi")
                nlp = spacy.load(MODEL, exclude=["parser"])
            except (OSError, libvoikko.VoikkoException) as exc:
                raise ModelUnavailable(
                    f"Suomen kielimallia ({MODEL}) tai Voikkoa ei voi ladata: {exc}. "
                    "Asenna Debianin libvoikko1 ja voikko-fi (make tekee sen) ja "
                    "pip install -e ."
                ) from exc
            _voikko = voikko
            _load_seconds = time.perf_counter() - started
            _nlp = nlp
    return _nlp


def load_seconds() -> float | None:
    """How long loading took in this process, or None if it has not been loaded."""
    return _load_seconds


def _classes(word: str) -> frozenset[str]:
    found = {a.get("CLASS") for a in _voikko.analyze(word)}
    if not found and "-" in word.strip("-"):
        # Unknown compounds such as "Kovalenko-Mäkinen": the classes of the parts.
        for part in word.split("-"):
            if part:
                found.update(a.get("CLASS") for a in _voikko.analyze(part))
    found.discard(None)
    return frozenset(str(c) for c in found)


def voikko_classes(word: str) -> frozenset[str]:
    """Voikko's word classes for one word, e.g. "Rantasen" -> {"sukunimi"}."""
    load()
    with _lock:
        return _classes(word)


_WORD_BASE = re.compile(r"\+([^+(]*)\(([^)]*)\)")
_term_cache: dict[str, tuple[str, ...]] = {}


def _word_terms(word: str) -> tuple[str, ...]:
    """A word's base form and, for a compound, its parts' base forms (Voikko's WORDBASES:
    "energiajuomia" -> ("energiajuoma", "energia", "juoma")); derivational endings such as
    "+us(+us)" are left out. An unknown word is itself, lower-cased."""
    found = _term_cache.get(word)
    if found is not None:
        return found
    analyses = _voikko.analyze(word)
    if not analyses and "-" in word:  # "TikTok-haaste": the whole and its parts' terms
        parts = [t for part in word.split("-") if part for t in _word_terms(part)]
        out: tuple[str, ...] = (word.lower(), *parts)
    elif not analyses:
        out = (word.lower(),)
    else:
        first = analyses[0]
        base = str(first.get("BASEFORM") or word).lower()
        parts = [
            b.lower()
            for _, b in _WORD_BASE.findall(str(first.get("WORDBASES") or ""))
            if b and not b.startswith("+")
        ]
        out = (base, *[p for p in parts if p != base]) if len(parts) > 1 else (base,)
    if len(_term_cache) < 500_000:
        _term_cache[word] = out
    return out


def voikko_terms(text: str) -> list[str]:
    """Base forms and compound parts of the words of a text, in order, lower-cased (numbers
    and punctuation left out): the lexical evidence of emerging themes. Uses Voikko only
    (no spaCy), under the shared lock, per text."""
    return voikko_terms_many([text])[0]


def voikko_terms_many(texts: Sequence[str]) -> list[list[str]]:
    """`voikko_terms` for many texts, the lock taken per text. Loads Voikko alone (a few
    milliseconds), not the spaCy pipeline, when only terms are needed."""
    _load_voikko()
    out = []
    for text in texts:
        words = _TERM_WORD.findall(text)
        with _lock:
            out.append([t for w in words for t in _word_terms(w)])
    return out


def _load_voikko() -> None:
    global _voikko
    if _voikko is not None:
        return
    with _lock:
        if _voikko is None:
            try:
                import libvoikko

                _voikko = libvoikko.Voikko("fi")
            except Exception as exc:  # ImportError, OSError or libvoikko's own VoikkoException
                raise ModelUnavailable(
                    f"Voikkoa ei voi ladata: {exc}. Asenna Debianin libvoikko1 ja voikko-fi "
                    "(make tekee sen)."
                ) from exc


_analysis_cache: dict[str, tuple[dict[str, str], ...]] = {}


def voikko_analyses(word: str) -> tuple[dict[str, str], ...]:
    """Voikko's analyses of one word as plain dicts (BASEFORM, CLASS, SIJAMUOTO, NUMBER,
    PARTICIPLE…), empty when Voikko does not recognise it. Loads Voikko alone; cached."""
    found = _analysis_cache.get(word)
    if found is not None:
        return found
    _load_voikko()
    with _lock:
        out = tuple({str(k): str(v) for k, v in a.items()} for a in _voikko.analyze(word))
    if len(_analysis_cache) < 500_000:
        _analysis_cache[word] = out
    return out


_TERM_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def _chunks(text: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    pos = 0
    while len(text) - pos > _CHUNK:
        cut = text.rfind(" ", pos + _CHUNK // 2, pos + _CHUNK)
        if cut <= pos:
            cut = pos + _CHUNK
        out.append((pos, text[pos:cut]))
        pos = cut
    out.append((pos, text[pos:]))
    return out


def analyse(text: str) -> Analysis:
    """Tokens with lemmas, POS, NER labels and Voikko classes, and the entities."""
    return analyse_many([text])[0]


def analyse_many(
    texts: Sequence[str], batch_size: int = 64, *, entities: bool = True
) -> list[Analysis]:
    """`analyse` for many texts at once: spaCy's batched `pipe` is about twice as fast per
    text as one call per text (the import checks thousands of rows). `entities=False` skips
    NER (no entities, about half the time) for callers that need only POS and lemmas."""
    nlp = load()
    parts = [(i, offset, chunk) for i, text in enumerate(texts) for offset, chunk in _chunks(text)]
    docs: list[Any] = []
    # The lock is taken per batch, not across the whole list, so that a live check waits
    # for at most one batch of an import (texts reach here only within intake's limits).
    for first in range(0, len(parts), batch_size):
        batch = [chunk for _, _, chunk in parts[first : first + batch_size]]
        with _lock:
            if entities:
                docs.extend(nlp.pipe(batch, batch_size=batch_size))
            else:
                with nlp.select_pipes(disable=["ner"]):
                    docs.extend(nlp.pipe(batch, batch_size=batch_size))
    per_text: list[list[tuple[int, Any]]] = [[] for _ in texts]
    for (i, offset, _), doc in zip(parts, docs, strict=True):
        per_text[i].append((offset, doc))
    return [_analysis(chunks) for chunks in per_text]


def _analysis(chunks: Sequence[tuple[int, Any]]) -> Analysis:
    tokens: list[Token] = []
    entities: list[Entity] = []
    with _lock:
        for offset, doc in chunks:
            base = len(tokens)
            for t in doc:
                start = offset + t.idx
                tokens.append(
                    Token(
                        text=t.text,
                        start=start,
                        end=start + len(t.text),
                        lemma=t.lemma_,
                        pos=t.pos_,
                        ent=t.ent_type_,
                        classes=_classes(t.text) if t.text.strip() else frozenset(),
                    )
                )
            for e in doc.ents:
                entities.append(
                    Entity(
                        e.label_,
                        offset + e.start_char,
                        offset + e.end_char,
                        base + e.start,
                        base + e.end - 1,
                    )
                )
    return Analysis(tuple(tokens), tuple(entities))


def lemmas(text: str) -> list[str]:
    """Lower-case lemmas of the words (punctuation, numbers and spaces left out)."""
    return [
        t.lemma.lower()
        for t in analyse(text).tokens
        if t.pos not in ("PUNCT", "SPACE", "NUM", "SYM") and any(c.isalpha() for c in t.text)
    ]


def gpe_entities(text: str) -> list[tuple[str, int, int]]:
    """Place names found by NER (labels GPE and LOC) as (text, start, end)."""
    return [
        (text[e.start : e.end], e.start, e.end)
        for e in analyse(text).entities
        if e.label in ("GPE", "LOC")
    ]


def word_vectors(words: Iterable[str]) -> dict[str, np.ndarray]:
    """Unit word vectors of the Finnish model (300 dimensions) for `words`: base forms written
    by Voikko mostly are known to it. They tie synonyms and related words ("raketti", "paukku")
    that share no letters, which the small sentence model often misses.

    The model's vectors are floret vectors (`_FloretTable`): read straight from its vocab
    directory, without importing spaCy or loading the pipeline (which cost a fresh process
    about 7 s), they are the same vectors as `nlp.vocab.get_vector` (tests compare them)."""
    table = _floret_table()
    out: dict[str, np.ndarray] = {}
    for word in set(words):
        if not word:
            continue
        v = table.vector(word)
        n = float(np.linalg.norm(v))
        if n > 0:
            out[word] = v / n
    return out


class _FloretTable:
    """spaCy's floret vectors (`spacy.vectors.Vectors` in mode "floret"), read directly: a
    word's vector is the mean of the table rows its padded form and its character n-grams
    (minn...maxn) hash to, `hash_count` rows per n-gram from MurmurHash3_x64_128 (mmh3)."""

    def __init__(self, vocab: Path) -> None:
        import json

        cfg = json.loads((vocab / "vectors.cfg").read_text(encoding="utf-8"))
        if cfg.get("mode") != "floret":
            raise ModelUnavailable(f"{vocab}: sanavektorit eivät ole floret-muotoa")
        self.minn, self.maxn = int(cfg["minn"]), int(cfg["maxn"])
        self.hash_count, self.seed = int(cfg["hash_count"]), int(cfg["hash_seed"])
        self.bow, self.eow = str(cfg["bow"]), str(cfg["eow"])
        self.data = np.load(vocab / "vectors", mmap_mode="r", allow_pickle=False)
        self._cache: dict[str, np.ndarray] = {}

    def vector(self, word: str) -> np.ndarray:
        found = self._cache.get(word)
        if found is not None:
            return found
        import mmh3

        key = self.bow + word + self.eow
        grams = [key] + [
            key[i : i + n] for n in range(self.minn, self.maxn + 1) for i in range(len(key) - n + 1)
        ]
        rows = []
        for gram in grams:
            h1, h2 = mmh3.hash64(gram.encode("utf-8"), self.seed, x64arch=True, signed=False)
            parts = (h1 & 0xFFFFFFFF, h1 >> 32, h2 & 0xFFFFFFFF, h2 >> 32)
            rows += [h % self.data.shape[0] for h in parts[: self.hash_count]]
        out = np.asarray(self.data[rows], dtype=np.float32).mean(axis=0)
        if len(self._cache) < 200_000:
            self._cache[word] = out
        return out


_floret: _FloretTable | None = None


def _floret_table() -> _FloretTable:
    """The model's word vector table, opened (memory-mapped) on first call."""
    global _floret
    if _floret is None:
        with _lock:
            if _floret is None:
                import importlib.util

                spec = importlib.util.find_spec(MODEL)
                vocab = None
                if spec is not None and spec.origin is not None:
                    vocab = next(Path(spec.origin).parent.glob("*/vocab"), None)
                if vocab is None:
                    raise ModelUnavailable(
                        f"Suomen kielimallin ({MODEL}) sanavektoreita ei löydy: pip install -e ."
                    )
                _floret = _FloretTable(vocab)
    return _floret


def item_terms(db: Any, items: Sequence[tuple[str, str]]) -> list[list[str]]:
    """Each observation's terms (key, text in; terms out, in order): stored ones read, the
    missing ones computed with Voikko and stored in short transactions of 500. Used by the
    emerging themes and the indicator links (`db`: a sqlite-utils Database)."""
    import json

    from nakyma.db import write_transaction

    stored: dict[str, list[str]] = {}
    keys = [k for k, _ in items]
    for chunk in (keys[i : i + 900] for i in range(0, len(keys), 900)):
        marks = ",".join("?" * len(chunk))
        for key, terms in db.execute(
            "select item_key, terms from item_terms where item_kind = 'observation' "
            f"and item_key in ({marks})",
            chunk,
        ):
            stored[key] = json.loads(terms)
    missing = [(k, text) for k, text in items if k not in stored]
    for start in range(0, len(missing), 500):
        batch = missing[start : start + 500]
        computed = voikko_terms_many([text for _, text in batch])
        with write_transaction(db):
            db.table("item_terms").insert_all(
                (
                    {"item_kind": "observation", "item_key": k, "terms": json.dumps(t)}
                    for (k, _), t in zip(batch, computed, strict=True)
                ),
                replace=True,
            )
        stored.update({k: t for (k, _), t in zip(batch, computed, strict=True)})
    return [stored[k] for k in keys]
