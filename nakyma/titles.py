"""Titles and keywords for groups of Finnish observations, taken from the members' own words.

A title is a short noun phrase such as "Omaishoitajien uupuminen" or "Nuuskan käyttö
yläkoulussa", not a keyword list. The method (the KeyBERT/c-TF-IDF idea over noun chunks):

1. Candidates come from the Finnish spaCy pipeline's POS tags over the group's texts (at most
   the ~30 most central members): a head noun with up to two genitive modifiers and one
   adjective before it, optionally a following locative noun ("yläkoulussa").
2. The head goes into its base form (Voikko's BASEFORM; a -minen noun such as "kaatumisiin"
   becomes "kaatuminen"); genitive modifiers and the locative stay as written, an adjective
   goes into its base form so that it agrees with the nominative head.
3. Each candidate is scored by how many members contain all its lemmas (document frequency
   within the group) times how distinctive its words are against the background (all
   items: words every group uses, such as "tiimipalaveri", score nothing); when an
   embedder and the group centre are given, closeness of the phrase to the centre weighs in.
4. Every word of the title must be recognised by Voikko, else the candidate is dropped, so
   a non-word never becomes a title. Nothing qualifying: the two best keywords, as before.

Keywords are nouns and adjectives only, lemmatised with Voikko, ranked by c-TF-IDF.
Everything is deterministic: ties break on the phrase text.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "FINNISH_STOP_WORDS",
    "MAX_TEXTS",
    "class_keywords",
    "ctfidf",
    "content_lemmas",
    "document_shares",
    "keyword_title",
    "phenomenon_title",
    "rank_phrases",
]

FINNISH_STOP_WORDS = frozenset(
    """
    aika aikana ainakin alla alle asti eivät ehkä ei eikä eli enemmän ennen entä eri että
    he hän hänen häntä ilman itse ja jo joka jolla jolle jonka jos joskus jossa josta jotta
    juuri jälkeen kaikki kanssa kautta kertoa kesken koko kuin kuitenkin kuka kun kuten
    lisäksi luona me meidän melko mikä miksi miten mitä moni monet mukaan muu muut mutta
    myös myöhemmin mä ne niin noin nyt olla oma on ovat paljon pari peräti pitää puolesta
    saada se sekä sen siellä siitä sillä silti sinä siis sitten sitä suuri taas tai takia
    tällä tämä tässä tästä te tehdä tulla tuo tämän usea useampi usein vaan vai vaikka
    varten vielä voida vähän yhä yksi yli ylipäätään yhteensä hyvin jotkut jokin jokainen
    mikään kaikkiaan osa osin etenkin erityisesti viime viikko vuosi kerta kertaa nyky
    enää aina taas joku kerran olla ollut olleet oli olivat ole ollaan tullut tulee
    ettei koska vain sama vasta lähes aiempi sanoa ottaa kokea päivä asia jäädä mennä
    alkaa kertoa moni muutama useita tällainen sellainen
    """.split()
)

MAX_TEXTS = 30  # the most central members a title is read from
# Change when the title algorithm changes: titles remembered by an older version are then
# computed again (nakyma.phenomena keeps the last run's titles by a digest of their inputs).
TITLES_VERSION = "2026-12-02"
MAX_WORDS = 5
LENGTH_BONUS = 0.2  # per extra word of a phrase
SMALL_GROUP = 8  # up to this many texts, words sharing a last compound part are kin
WORD_CENTRE_WEIGHT = 0.3  # small groups: the lexical score's weight beside word-vector closeness
_CONTENT = ("nimisana", "laatusana", "nimisana_laatusana")
_NOUNS = ("nimisana", "nimisana_laatusana")
_LOCATIVES = ("sisaolento", "ulko-olento")
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_MINEN_STEM = re.compile(r"\[X\]([^\[]*)\[Tn4\]")
# Nouns too general to name a topic on their own (as a title's head or keyword).
GENERIC = frozenset(
    """asia aihe havainto tilanne tapaus viikko päivä vuosi kerta osa moni aika ihminen
    henkilö tiimipalaveri palaveri työyhteisö keskustelu esimerkki lisä määrä
    puoli kohta paikka tapa syy muu ilta aamu""".split()
)
# Nouns that name a topic only with a modifier: "Jaksamisen tuki", not "Tuki".
VAGUE = frozenset(
    """tuki apu palaute yhteistyö kunta tunti ryhmä toiminta merkitys vaihtoehto koulu
    tarve ongelma huoli vaikeus puute kysymys palvelu työ""".split()
)
# People the observations are about: good genitive modifiers ("Nuorten yksinäisyys"), but a
# title that is only "Lapsi" or "Nuori" names a population, not a phenomenon.
PEOPLE = frozenset(
    """lapsi nuori aikuinen vanhempi huoltaja perhe oppilas opettaja ikäihminen asiakas
    äiti isä koululainen alakoululainen yläkoululainen opiskelija työntekijä poika tyttö
    yläkouluikäinen eläkeläinen vanhus""".split()
)
ACTIONS = frozenset("käyttö myynti hoito pääsy tarjonta saanti".split())
_NAMES = ("nimi", "etunimi", "sukunimi", "paikannimi")


def _stop_words() -> frozenset[str]:
    return FINNISH_STOP_WORDS


@dataclass(frozen=True)
class _Word:
    text: str
    base: str  # lower-case base form ("" when Voikko does not know the word)
    cls: str
    case: str
    participle: bool


def _minen(analysis: Mapping[str, str]) -> str | None:
    """ "kaatumisiin" (Voikko: verb kaatua, MINEN-infinitive) -> "kaatuminen"."""
    if analysis.get("MOOD") != "MINEN-infinitive":
        return None
    stems = _MINEN_STEM.findall(analysis.get("FSTOUTPUT", ""))
    prefix = "".join(re.findall(r"\[X\]([^\[]*)", analysis.get("FSTOUTPUT", ""))[:-1])
    return (prefix + stems[-1] + "minen").lower() if stems else None


def _word(text: str, pos: str = "", lemma: str = "") -> _Word:
    """The Voikko analysis of a word that fits its spaCy POS and lemma (a noun reading for
    NOUN: "käytöstä" read as "käyttö", not "käytös", when spaCy's lemma says so)."""
    from nakyma.finnish import voikko_analyses

    analyses = voikko_analyses(text)
    if not analyses:
        return _Word(text, "", "", "", False)
    want = {"NOUN": _NOUNS, "ADJ": _CONTENT, "PROPN": _NOUNS}.get(pos, _CONTENT)
    fitting = [a for a in analyses if a.get("CLASS") in want]
    same = [a for a in fitting if a.get("BASEFORM", "").lower() == lemma.lower()]
    chosen: Mapping[str, str] | None = (same or fitting)[0] if same or fitting else None
    if chosen is None:
        for a in analyses:
            if (base := _minen(a)) is not None:
                return _Word(text, base, "nimisana", a.get("SIJAMUOTO", ""), False)
        chosen = analyses[0]
    return _Word(
        text,
        chosen.get("BASEFORM", text).lower(),
        chosen.get("CLASS", ""),
        chosen.get("SIJAMUOTO", ""),
        "PARTICIPLE" in chosen,
    )


def content_lemmas(text: str) -> list[str]:
    """Voikko base forms of the nouns and adjectives of a text (participles, verbs, names,
    stop words and words shorter than three letters left out), in order."""
    stop = _stop_words()
    out = []
    for token in _WORD.findall(text):
        w = _keyword(token)
        if w is not None and len(w) >= 3 and w not in stop:
            out.append(w)
    return out


_keyword_cache: dict[str, str | None] = {}


def _keyword(token: str) -> str | None:
    """A word's noun or adjective lemma, or None when it is something else or could also be
    read as a verb ("viesti", "maksaa"): without the sentence, the keyword would be a guess.
    A comparative ("vanhemmat" as "vanha") gives way to the noun reading ("vanhempi")."""
    if token in _keyword_cache:
        return _keyword_cache[token]
    from nakyma.finnish import voikko_analyses

    analyses = voikko_analyses(token)
    out: str | None = None
    if analyses and not any(
        a.get("CLASS") == "teonsana" and a.get("MOOD") != "MINEN-infinitive" for a in analyses
    ):
        minen = [m for a in analyses if (m := _minen(a))]
        content = [
            a
            for a in analyses
            if a.get("CLASS") in _CONTENT
            and "PARTICIPLE" not in a
            and a.get("COMPARISON") not in ("comparative", "superlative")
        ]
        content.sort(key=lambda a: a.get("CLASS") != "nimisana")
        if content:
            out = content[0].get("BASEFORM", token).lower()
        elif minen:
            out = minen[0]
    if len(_keyword_cache) < 500_000:
        _keyword_cache[token] = out
    return out


def class_keywords(docs_per_class: Sequence[Sequence[str]], top: int = 8) -> list[list[str]]:
    """c-TF-IDF over the Voikko lemmas of nouns and adjectives, so that inflected forms
    count as one (`ctfidf`)."""
    return ctfidf(
        [
            Counter(lemma for doc in docs for lemma in content_lemmas(doc))
            for docs in docs_per_class
        ],
        top,
        skip=GENERIC,
    )


def ctfidf(
    counts: Sequence[Counter[str]], top: int = 8, *, skip: Collection[str] = ()
) -> list[list[str]]:
    """The `top` terms of each class by c-TF-IDF (as in BERTopic: tf per class ×
    log(1 + average class size / term frequency)); a term seen once in a class of 12 or more
    terms is noise, and terms in `skip` are left out."""
    totals = Counter[str]()
    for c in counts:
        totals.update(c)
    average = sum(sum(c.values()) for c in counts) / max(1, len(counts))
    out = []
    for c in counts:
        size = sum(c.values()) or 1
        scored = {
            term: (n / size) * math.log(1 + average / totals[term])
            for term, n in c.items()
            if (n >= 2 or len(c) < 12) and term not in skip
        }
        out.append([t for t, _ in sorted(scored.items(), key=lambda kv: (-kv[1], kv[0]))[:top]])
    return out


def document_shares(texts: Iterable[str]) -> dict[str, float]:
    """For each content lemma, the share of the texts that contain it (the background a
    group's words are compared with)."""
    df: Counter[str] = Counter()
    n = 0
    for text in texts:
        n += 1
        df.update(set(content_lemmas(text)))
    return {term: k / n for term, k in df.items()} if n else {}


def keyword_title(keywords: Sequence[str]) -> str:
    """The fallback title from the top keywords: "Nuuska ja yläkoulu"."""
    words = [w for w in keywords[:2] if w]
    if not words:
        return "Nimeämätön ilmiö"
    words[0] = words[0][:1].upper() + words[0][1:]
    return " ja ".join(words)


@dataclass
class _Candidate:
    surface: str
    lemmas: tuple[str, ...]
    at: int  # index of the head token


def _phrases(tokens: Sequence[Any]) -> list[_Candidate]:
    """Noun chunks of one text: [gen]{0,2} [adj]? NOUN [locative noun]?."""
    stop = _stop_words()
    words = [
        _word(t.text, t.pos, t.lemma) if t.pos in ("NOUN", "ADJ", "PROPN") else None for t in tokens
    ]
    out: list[_Candidate] = []
    for i, head in enumerate(words):
        if head is None or tokens[i].pos != "NOUN" or head.cls not in _NOUNS or head.participle:
            continue
        if head.base in GENERIC or head.base in stop or len(head.base) < 3:
            continue
        if _keyword(tokens[i].text) is None:  # could be a verb: "Kirjaan tämän" is no book
            continue
        alone = head.base not in PEOPLE and head.base not in VAGUE
        # A locative belongs to an action ("nuuskan käyttö yläkoulussa"); after other nouns
        # it is usually the verb's ("lapsi arjessa").
        action = head.base.endswith("minen") or head.base in ACTIONS
        mods: list[_Word] = []
        j = i - 1
        if j >= 0 and (w := words[j]) and tokens[j].pos == "ADJ" and not w.participle:
            if w.case == head.case and w.base not in stop:
                mods.insert(0, _Word(w.base, w.base, w.cls, "", False))
                j -= 1
        while j >= 0 and len(mods) < 3 and (w := words[j]) and w.case == "omanto":
            if w.participle or w.base in stop or w.base in GENERIC or not w.base:
                break
            mods.insert(0, w)
            j -= 1
        variants = [mods[k:] for k in range(len(mods) + 1)]
        nxt = words[i + 1] if i + 1 < len(words) else None
        loc = nxt if action and nxt and nxt.case in _LOCATIVES and nxt.cls in _NOUNS else None
        for m in variants:
            chain = [*m, _Word(head.base, head.base, head.cls, "nimento", False)]
            if m or alone:
                out.append(_Candidate(_surface(chain), tuple(w.base for w in chain), i))
            if loc is not None and loc.base not in GENERIC:
                out.append(
                    _Candidate(
                        _surface([*chain, loc]),
                        (*(w.base for w in chain), loc.base),
                        i,
                    )
                )
    return out


def _surface(words: Sequence[_Word]) -> str:
    """The words as written, lower-cased unless Voikko knows them only as names."""
    from nakyma.finnish import voikko_analyses

    out = []
    for w in words:
        classes = {a.get("CLASS") for a in voikko_analyses(w.text)}
        out.append(w.text if classes and classes <= set(_NAMES) else w.text.lower())
    return " ".join(out)


def _valid(surface: str) -> bool:
    from nakyma.finnish import voikko_analyses

    words = surface.split()
    return 0 < len(words) <= MAX_WORDS and all(voikko_analyses(w) for w in words)


def _distinct(
    lemmas: tuple[str, ...], member_sets: Sequence[set[str]], background: Mapping[str, float]
) -> float:
    """How much more often the group uses the phrase's words than all items do (0 for a word
    every group uses, such as the boilerplate "tiimipalaveri"): the mean over the words,
    a fifth more per extra word (a longer phrase is more specific, but it must not win on
    length alone)."""
    n = len(member_sets)
    words = list(dict.fromkeys(lemmas))
    out = 0.0
    for lemma in words:
        share = sum(1 for s in member_sets if lemma in s) / n
        out += max(0.0, math.log((share + 0.02) / (background.get(lemma, 0.0) + 0.02)))
    return out / len(words) * (1 + LENGTH_BONUS * (len(words) - 1))


_BOILERPLATE_SHARE = 0.15


def _sentence_weights(tokens: Sequence[Any], background: Mapping[str, float]) -> list[float]:
    """Per token, the weight of its sentence: an observation usually names its phenomenon in
    its first real sentence and says what was done after it, so the first sentence with a
    word that is not everywhere (not boilerplate such as "Asia nousi esiin
    tiimipalaverissa") weighs 1, the ones after it 0.4, boilerplate before it 0.25."""
    out: list[float] = []
    sentence: list[int] = []
    seen_real = False

    def close() -> None:
        nonlocal seen_real
        words = [t.text for i in sentence if (t := tokens[i]).pos in ("NOUN", "ADJ")]
        real = any(background.get(_word(w).base, 0.0) < _BOILERPLATE_SHARE for w in words)
        weight = 0.25 if not real and not seen_real else 0.4 if seen_real else 1.0
        seen_real = seen_real or real
        out.extend(weight for _ in sentence)
        sentence.clear()

    for i, t in enumerate(tokens):
        sentence.append(i)
        if t.pos == "PUNCT" and t.text in ".!?":
            close()
    close()
    return out


def phenomenon_title(
    texts: Sequence[str],
    centre_vector: Any | None = None,
    embedder: Any | None = None,
    *,
    background: Mapping[str, float] | None = None,
    keywords: Sequence[str] = (),
    max_texts: int = MAX_TEXTS,
) -> str:
    """A short Finnish noun phrase naming a group from its members' own wording.

    :param texts: the members' texts, most central first; only the first `max_texts` are read
    :param centre_vector: the group's centre (L2-normalised) in the embedder's space, or None
    :param embedder: has ``encode(texts, kind=...)``; with `centre_vector`, candidates close
        to the centre are preferred; None: lexical scoring only
    :param background: content lemma -> share of all items containing it (`document_shares`);
        None: the group's own texts only (every word is then judged by coverage alone)
    :param keywords: the group's keywords, for the fallback title
    :param max_texts: how many texts at most are analysed
    """
    texts = list(texts[:max_texts])
    small = len(texts) <= SMALL_GROUP
    # A small group's texts share few words by chance: any member's phrase may name it, and
    # the one closest in meaning to all of them (word vectors) is preferred.
    ranked = rank_phrases(texts, background or {}, min_support=1 if small else 2)
    if not ranked:
        return keyword_title(keywords)
    central = _word_central(ranked[:40], texts, background or {}) if small else None
    if central:
        ranked = central
    elif embedder is not None and centre_vector is not None:
        ranked = _closest(ranked[:15], centre_vector, embedder)
    best = ranked[0][1]
    return best[:1].upper() + best[1:]


def rank_phrases(
    texts: Sequence[str], background: Mapping[str, float], min_support: int = 2
) -> list[tuple[float, str, tuple[str, ...]]]:
    """Candidate phrases of the texts, best first, as (score, surface, lemmas); only
    candidates whose every word Voikko recognises."""
    from nakyma.finnish import analyse_many

    texts = [t for t in texts if t and t.strip()]
    if not texts:
        return []
    analyses = analyse_many(texts, entities=False)  # POS and lemmas are enough
    member_sets = [set(content_lemmas(t)) for t in texts]
    family = _families(texts) if len(texts) <= SMALL_GROUP else None
    found: dict[tuple[str, ...], Counter[str]] = {}
    weights: list[dict[tuple[str, ...], float]] = []
    for analysis, lemma_set in zip(analyses, member_sets, strict=True):
        sentence_weight = _sentence_weights(analysis.tokens, background)
        mine: dict[tuple[str, ...], float] = {}
        for cand in _phrases(analysis.tokens):
            lemma_set.update(cand.lemmas)
            found.setdefault(cand.lemmas, Counter())[cand.surface] += 1
            mine[cand.lemmas] = max(mine.get(cand.lemmas, 0.0), sentence_weight[cand.at])
        weights.append(mine)
    scored: list[tuple[float, str, tuple[str, ...]]] = []
    for lemmas, surfaces in found.items():
        surface = min(surfaces, key=lambda s: (-surfaces[s], s))
        coverage = sum(w.get(lemmas, 0.0) for w in weights) / len(texts)
        support = sum(1 for w in weights if lemmas in w)
        if family is not None:  # a small group: kin words count half ("vuokralauta")
            part = _part(lemmas[-1])
            kin = sum(
                1 for w, f in zip(weights, family, strict=True) if lemmas not in w and part in f
            )
            coverage += 0.5 * kin / len(texts)
            support += kin
        score = coverage * _distinct(lemmas, member_sets, background)
        if score > 0 and support >= min(min_support, len(texts)):
            if _valid(surface):
                scored.append((score, surface, lemmas))
    scored.sort(key=lambda c: (-c[0], c[1]))
    return scored


@functools.lru_cache(maxsize=20_000)
def _part(lemma: str) -> str:
    """The last compound part of a noun as Voikko splits it ("vuokrapotkulauta" -> "lauta"),
    else the noun itself."""
    from nakyma.finnish import voikko_terms_many

    terms = voikko_terms_many([lemma])[0]
    parts = [t for t in terms[1:] if len(t) >= 4]
    return parts[-1] if parts else lemma


def _families(texts: Sequence[str]) -> list[set[str]]:
    """Per text, the last compound parts of its words and the words themselves."""
    from nakyma.finnish import voikko_terms_many

    out = []
    for terms in voikko_terms_many(texts):
        found = set(terms)
        found.update(_part(t) for t in terms if len(t) >= 8)
        out.append(found)
    return out


def _word_central(
    scored: list[tuple[float, str, tuple[str, ...]]],
    texts: Sequence[str],
    background: Mapping[str, float],
) -> list[tuple[float, str, tuple[str, ...]]] | None:
    """Re-rank candidates by how close their words are, in the Finnish model's word space, to
    every member text (each text the rarity-weighted mean of its terms' vectors), plus
    `WORD_CENTRE_WEIGHT` of their lexical score relative to the best: "Hammaslääkäri" for
    texts about a dental clinic without a dentist, though only one text says the word.
    None when no text or candidate has word vectors."""
    import numpy as np

    from nakyma.finnish import voikko_terms_many, word_vectors

    terms = voikko_terms_many(texts)
    stop = _stop_words()
    lexicon = word_vectors({t for doc in terms for t in doc} | {w for c in scored for w in c[2]})
    centres = []
    for doc in terms:
        pairs = [
            (lexicon[t], -math.log(max(background.get(t, 1e-3), 1e-3)))
            for t in dict.fromkeys(doc)
            if t in lexicon and t not in stop and len(t) >= 3
        ]
        if pairs:
            v = sum(w * x for x, w in pairs) / sum(w for _, w in pairs)
            centres.append(v / max(float(np.linalg.norm(v)), 1e-9))
    if not centres:
        return None
    matrix = np.array(centres)
    top = scored[0][0]
    out = []
    for score, surface, lemmas in scored:
        vectors = [lexicon[w] for w in lemmas if w in lexicon]
        if not vectors:
            continue
        v = np.mean(vectors, axis=0)
        v /= max(float(np.linalg.norm(v)), 1e-9)
        closeness = float(np.mean(matrix @ v))
        out.append((closeness + WORD_CENTRE_WEIGHT * score / top, surface, lemmas))
    return sorted(out, key=lambda c: (-c[0], c[1])) or None


def _closest(
    scored: list[tuple[float, str, tuple[str, ...]]], centre_vector: Any, embedder: Any
) -> list[tuple[float, str, tuple[str, ...]]]:
    """Re-rank the best lexical candidates by closeness to the group centre (KeyBERT's idea):
    score × (0.5 + similarity), so a phrase that is both frequent and central wins."""
    import numpy as np

    vectors = np.asarray(embedder.encode([s for _, s, _ in scored], kind="query"), np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    sims = vectors @ np.asarray(centre_vector, np.float32)
    out = [(c[0] * (0.5 + float(s)), c[1], c[2]) for c, s in zip(scored, sims, strict=True)]
    return sorted(out, key=lambda c: (-c[0], c[1]))
