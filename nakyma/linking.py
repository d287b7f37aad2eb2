"""Indicator links: how well an indicator speaks to a phenomenon, with reasons (issue 16).

A (phenomenon, indicator) pair is scored from three kinds of evidence:

- lexical: the Voikko base forms and compound parts of the phenomenon's members and
  keywords against the indicator's text, scored with BM25 (the `bm25s` library) over the
  indicator collection (IDF over indicators; each member's set of terms is one query, and
  the feature is the mean over members, so it does not grow with the phenomenon's size);
- embedding: the centred cosine between the phenomenon's centroid (centred in the items'
  space) and the indicator's text embedded once as a passage (centred by the indicators'
  mean): raw cosines of e5 lie between 0.85 and 0.92 for every pair and tell little;
- structured: the phenomenon's target groups against the indicator's population group
  (the catalogue's, or read from the age range in its title) and theme against theme.

`combined_score` weighs them with fixed weights chosen on the tuning part of
`benchmarks/bench_links.py`; `fit_link_model` learns a logistic regression over the same
features from an installation's own accept/reject decisions.
"""

from __future__ import annotations

import csv
import functools
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nakyma import i18n
from nakyma.vocabulary import TARGET_GROUPS, THEMES

# The feature vector's order (the learned model's coefficients follow it).
FEATURES: tuple[str, ...] = (
    "lexical",
    "embedding",
    "group_match",
    "group_mismatch",
    "theme_match",
)

# Fixed weights and the suggestion threshold, chosen on the tuning part of the labelled
# benchmark (benchmarks/bench_links.py, benchmarks/RESULTS.md) and then frozen.
WEIGHTS: dict[str, float] = {
    "lexical": 1.0,
    "embedding": 2.0,
    "group_match": 0.2,
    "group_mismatch": -0.3,
    "theme_match": 0.1,
}
LEXICAL_SCALE = 12.0  # BM25 mean member score at which the lexical feature reaches 1 - 1/e
# A term that many phenomena use ("koulu", "nuorisotyö") says little about any of them:
# query weights are multiplied by its inverse document frequency over the phenomena, once
# there are enough phenomena for one.
MIN_PHENOMENA_FOR_IDF = 10
LINK_THRESHOLD = 0.5  # combined score a suggestion needs
LINK_PROBABILITY = 0.5  # learned model: more likely accepted than rejected
MIN_DECISIONS = 30  # accepted + rejected links before the learned model is used
KEYWORD_WEIGHT = 0.5  # a keyword counts as half of the members having the term
REASON_WORDS = 4
# Words that match but explain nothing to a reader ("sama", "ihminen"): they score as any
# other term and are left out of the reasons.
REASON_SKIP = frozenset(
    "sama koko enää ihminen ken alue asia tilanne osa ala väli vähä lupa tunti vanha".split()
)
# Function words and the most general verbs: they match every indicator a little and
# explain nothing ("ja", "ei", "olla").
STOP_TERMS = frozenset(
    "ja tai sekä ei eikä olla on ovat oli se ne tämä nämä joka jotka mikä mitä kun että jos "
    "kuin myös vain jo vielä nyt niin mutta koska kanssa ilman ole muu moni monta paljon "
    "hyvin aina usein joskus tulla saada tehdä pitää voida alkaa mennä käydä sanoa kertoa "
    "he hän me te minä sinä oma itse kaikki jokin joku mikään kukaan yksi kaksi "
    # the statistics' own boilerplate ("% vastaavanikäisestä väestöstä", "vuoden aikana",
    # "kerran viikossa") and compound parts that are not words of the topic ("oppi+laki")
    "ikä vastata vastaava osuus väestö asukas vuosi aika kerta viikko päivä kausi kuu "
    "kuukausi oppi laki saanut "
    # the everyday descriptions' own frame ("Kertoo, kuinka moni …; Luku kuvaa …; Arjessa
    # tämä voi näkyä esimerkiksi näin: …")
    "kuinka luku kuvata arki näkyä esimerkiksi näin eli".split()
)

# A catalogue population group -> the target groups it covers.
POPULATION_GROUPS: dict[str, frozenset[str]] = {
    "lapset_nuoret_perheet": frozenset({"lapset", "nuoret", "perheet"}),
    "lapset": frozenset({"lapset"}),
    "nuoret": frozenset({"nuoret"}),
    "perheet": frozenset({"perheet"}),
    "tyoikaiset": frozenset({"tyoikaiset"}),
    "ikaantyneet": frozenset({"ikaantyneet"}),
    "vammaiset": frozenset({"vammaiset"}),
}
# Age bands of the target groups (inclusive); an indicator's age range overlapping a band
# speaks to that group.
AGE_BANDS: dict[str, tuple[int, int]] = {
    "lapset": (0, 12),
    "nuoret": (13, 24),
    "tyoikaiset": (25, 64),
    "ikaantyneet": (65, 120),
}
_AGE_RANGE = re.compile(r"(\d{1,3})\s*[-–]\s*(\d{1,3})\s*-?\s*v")
_AGE_FROM = re.compile(r"(\d{1,3})\s*(?:vuotta\s+täyttäneet|\+)")
_GRADE = re.compile(r"(\d{1,2})\.\s*(?:ja\s+(\d{1,2})\.\s*)?(?:luok|vuosiluok)")
_GROUP_WORDS: tuple[tuple[str, str], ...] = (
    ("lapsiperhe", "perheet"),
    ("perhe", "perheet"),
    ("vanhemm", "perheet"),
    ("lasten", "lapset"),
    ("lapset", "lapset"),
    ("nuor", "nuoret"),
    ("lukio", "nuoret"),
    ("ammatillisen oppilaitoksen", "nuoret"),
    ("ammatillisessa", "nuoret"),
    ("opiskelij", "nuoret"),
    ("työikäis", "tyoikaiset"),
    ("työttöm", "tyoikaiset"),
    ("ikääntyn", "ikaantyneet"),
    ("vanhus", "ikaantyneet"),
    ("kotihoido", "ikaantyneet"),
    ("omaishoi", "ikaantyneet"),
    ("vammai", "vammaiset"),
    ("kehitysvamm", "vammaiset"),
)


def indicator_groups(title: str, population_group: str | None = None) -> frozenset[str]:
    """The target groups an indicator speaks to: its catalogue population group, else read
    from its title ("0 - 17-vuotiaat", "8. ja 9. luokan", "75 vuotta täyttäneet", words
    such as "lapsiperheet"). Empty when it is about everyone (or unknown)."""
    if population_group and population_group in POPULATION_GROUPS:
        return POPULATION_GROUPS[population_group]
    text = title.lower()
    found: set[str] = set()
    ranges = [(int(a), int(b)) for a, b in _AGE_RANGE.findall(text)]
    ranges += [(int(a), 120) for a in _AGE_FROM.findall(text)]
    for a, b in _GRADE.findall(text):
        first = int(a)
        last = int(b) if b else first
        # School grades 1-9 are ages 7-15; upper secondary "1. ja 2. vuosikurssi" is not
        # caught here (the words below catch lukio / ammatillinen).
        ranges.append((first + 6, last + 6))
    for low, high in ranges:
        if high - low >= 60:  # "0 - 64", "20 - 84": a population, not a group
            continue
        for group, (band_low, band_high) in AGE_BANDS.items():
            if low <= band_high and high >= band_low:
                # A range reaching only a year or two into a band does not make it the
                # band's ("15 - 24" is young people, not children); a wide one must cover
                # half of it ("20 - 64" is working age, not young people; "0 - 17" is both
                # children and young people).
                overlap = min(high, band_high) - max(low, band_low) + 1
                wide = high - low > 25
                if overlap >= ((band_high - band_low + 1) / 2 if wide else min(3, high - low + 1)):
                    found.add(group)
    for stem, group in _GROUP_WORDS:
        if stem in text:
            found.add(group)
    return frozenset(found)


DESCRIPTIONS = Path(__file__).parent / "data" / "indicators" / "descriptions"


@functools.cache
def everyday_descriptions() -> dict[int, str]:
    """Hand-written Finnish descriptions of Sotkanet indicators in the words frontline staff
    use ("Arjessa tämä voi näkyä esimerkiksi näin: …"), by indicator id: the bridge between
    observations written in everyday words and statistics' short titles. Shipped with the
    package (`data/indicators/descriptions/*.csv`, columns id, description_fi)."""
    out: dict[int, str] = {}
    for path in sorted(DESCRIPTIONS.glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                text = " ".join((row.get("description_fi") or "").split())
                if text:
                    out[int(row["id"])] = text
    return out


@dataclass(frozen=True)
class IndicatorText:
    """What is known of an indicator for linking."""

    id: int
    title: str
    description: str = ""
    population_group: str = ""
    theme: str = ""

    @property
    def text(self) -> str:
        return f"{self.title}. {self.description}".strip(" .") if self.description else self.title

    @property
    def groups(self) -> frozenset[str]:
        return indicator_groups(self.title, self.population_group)


def described(
    indicator_id: int, title: str, population_group: str = "", theme: str = ""
) -> IndicatorText:
    """An indicator with its everyday description where one is shipped."""
    return IndicatorText(
        id=int(indicator_id),
        title=title,
        description=everyday_descriptions().get(int(indicator_id), ""),
        population_group=population_group,
        theme=theme,
    )


def linking_text(indicator_id: int, title: str) -> str:
    """What an indicator is matched and embedded as: its title and, where one is shipped,
    its everyday description (the text the benchmark measured)."""
    return described(indicator_id, title).text


@dataclass(frozen=True)
class PhenomenonEvidence:
    """A phenomenon as the linking sees it: its members' terms (one list per member), its
    keywords, its members' target groups and themes (one value per member that has one)."""

    member_terms: Sequence[Sequence[str]]
    keywords: Sequence[str] = ()
    target_groups: Sequence[str] = ()
    themes: Sequence[str] = ()
    theme: str | None = None  # set on the phenomenon itself (wins over members' themes)


@dataclass
class PairScore:
    """One (phenomenon, indicator) pair: features, the combined score and what the reasons
    are made of."""

    indicator_id: int
    features: dict[str, float]
    score: float
    shared_terms: list[str] = field(default_factory=list)  # words of the indicator's title
    description_terms: list[str] = field(default_factory=list)  # ... of its description only
    shared_groups: list[str] = field(default_factory=list)
    theme: str | None = None

    def reasons(self, language: str = "fi") -> list[str]:
        return link_reasons(self, language)


class LexicalIndex:
    """BM25 over the indicators' texts (bm25s), one score vector per term, cached."""

    def __init__(self, indicators: Sequence[IndicatorText]) -> None:
        import bm25s

        from nakyma.finnish import voikko_terms_many

        self.ids = [i.id for i in indicators]
        titles = voikko_terms_many([i.title for i in indicators])
        descriptions = voikko_terms_many([i.description for i in indicators])
        self.doc_terms = [
            [t for t in dict.fromkeys([*title, *description]) if t not in STOP_TERMS]
            for title, description in zip(titles, descriptions, strict=True)
        ]
        self._bm25 = bm25s.BM25()
        if indicators:
            self._bm25.index(
                [t or [""] for t in self.doc_terms], show_progress=False, leave_progress=False
            )
        self.vocabulary = {t for terms in self.doc_terms for t in terms} - {""}
        # The terms of the titles alone: a reason tells a word of the title from one of the
        # description.
        self.title_terms = [set(terms) - STOP_TERMS for terms in titles]
        self._per_term: dict[str, np.ndarray] = {}

    def term_scores(self, term: str) -> np.ndarray:
        """Each indicator's BM25 score for a one-term query."""
        found = self._per_term.get(term)
        if found is None:
            if term in self.vocabulary:
                found = np.asarray(self._bm25.get_scores([term]), dtype=np.float64)
            else:
                found = np.zeros(len(self.ids))
            self._per_term[term] = found
        return found

    def query_weights(self, evidence: PhenomenonEvidence) -> dict[str, float]:
        """Each known term's weight: the share of members that use it, keywords adding
        `KEYWORD_WEIGHT`."""
        n = max(1, len(evidence.member_terms))
        counts: Counter[str] = Counter()
        for terms in evidence.member_terms:
            counts.update({t for t in terms if t in self.vocabulary})
        weights = {t: c / n for t, c in counts.items()}
        from nakyma.finnish import voikko_terms_many

        for terms in voikko_terms_many(list(evidence.keywords)) if evidence.keywords else []:
            for t in set(terms) & self.vocabulary:
                weights[t] = weights.get(t, 0.0) + KEYWORD_WEIGHT
        return weights

    def scores(
        self, evidence: PhenomenonEvidence, background: Mapping[str, float] | None = None
    ) -> tuple[np.ndarray, dict[str, float]]:
        """The mean member BM25 score of every indicator, and the query's term weights
        (multiplied by `background`, the terms' IDF over phenomena, when given)."""
        weights = self.query_weights(evidence)
        if background is not None:
            weights = {t: w * background.get(t, 0.0) for t, w in weights.items()}
            weights = {t: w for t, w in weights.items() if w > 0}
        total = np.zeros(len(self.ids))
        for term, w in weights.items():
            total += w * self.term_scores(term)
        return total, weights

    def shared_terms(self, weights: Mapping[str, float], column: int) -> list[str]:
        """The terms that carry a pair's lexical score, strongest first (words too general
        to explain anything, `REASON_SKIP`, are not named though they count)."""
        contributions = [
            (w * float(self.term_scores(t)[column]), t)
            for t, w in weights.items()
            if t not in REASON_SKIP
        ]
        ranked = sorted((c for c in contributions if c[0] > 0), key=lambda c: (-c[0], c[1]))
        return [t for _, t in ranked[:REASON_WORDS]]


def phenomenon_idf(evidences: Sequence[PhenomenonEvidence]) -> dict[str, float] | None:
    """Each term's IDF over the phenomena (log((1 + P) / (1 + df)), df = phenomena whose
    members use it); None with fewer than `MIN_PHENOMENA_FOR_IDF` phenomena."""
    if len(evidences) < MIN_PHENOMENA_FOR_IDF:
        return None
    df: Counter[str] = Counter()
    for ev in evidences:
        df.update({t for terms in ev.member_terms for t in terms})
    n = len(evidences)
    return {t: math.log((1 + n) / (1 + c)) for t, c in df.items()}


def scaled_lexical(raw: float) -> float:
    """Mean member BM25 squashed into 0..1 (saturating: a strong match is a strong match)."""
    return 1.0 - math.exp(-max(0.0, raw) / LEXICAL_SCALE)


def structured_features(
    evidence: PhenomenonEvidence, indicator: IndicatorText
) -> tuple[dict[str, float], list[str], str | None]:
    """Group and theme features of a pair, with the shared groups and theme for reasons."""
    groups = indicator.groups
    members = [g for g in evidence.target_groups if g and g != "kaikki"]
    share = 0.0
    shared: list[str] = []
    if groups and members:
        counts = Counter(members)
        share = sum(c for g, c in counts.items() if g in groups) / len(members)
        shared = [g for g, _ in counts.most_common() if g in groups]
    # A mismatch: the indicator is about a group and (almost) none of the members are.
    mismatch = 1.0 if groups and members and share < 0.2 else 0.0
    theme = evidence.theme
    if not theme and evidence.themes:
        theme = Counter(t for t in evidence.themes if t).most_common(1)[0][0]
    theme_match = 1.0 if theme and theme != "muu" and theme == indicator.theme else 0.0
    return (
        {"group_match": round(share, 4), "group_mismatch": mismatch, "theme_match": theme_match},
        shared,
        theme if theme_match else None,
    )


def combined_score(features: Mapping[str, float], weights: Mapping[str, float] = WEIGHTS) -> float:
    return float(sum(weights[name] * float(features.get(name, 0.0)) for name in FEATURES))


def score_pairs(
    evidence: PhenomenonEvidence,
    indicators: Sequence[IndicatorText],
    index: LexicalIndex,
    similarities: np.ndarray,
    *,
    background: Mapping[str, float] | None = None,
    weights: Mapping[str, float] = WEIGHTS,
) -> list[PairScore]:
    """Every indicator's features and combined score for one phenomenon (the order of
    `indicators`, which must be the index's). `similarities` are the embedding cosines;
    `background` the terms' IDF over all phenomena (`phenomenon_idf`)."""
    raw, query = index.scores(evidence, background)
    out = []
    for j, indicator in enumerate(indicators):
        structured, groups, theme = structured_features(evidence, indicator)
        features = {
            "lexical": round(scaled_lexical(float(raw[j])), 4),
            "embedding": round(float(similarities[j]), 4),
            **structured,
        }
        shared = index.shared_terms(query, j) if raw[j] > 0 else []
        in_title = index.title_terms[j]
        out.append(
            PairScore(
                indicator_id=indicator.id,
                features=features,
                score=round(combined_score(features, weights), 4),
                shared_terms=[t for t in shared if t in in_title],
                description_terms=[t for t in shared if t not in in_title],
                shared_groups=groups,
                theme=theme,
            )
        )
    return out


def link_reasons(pair: PairScore, language: str = "fi") -> list[str]:
    """Why a link is suggested, in the reader's language. Words are the members' own base
    forms and stay as they are."""
    _ = i18n.translator(language)
    reasons = []
    if pair.shared_groups:
        names = ", ".join(_(TARGET_GROUPS[g]).lower() for g in pair.shared_groups)
        reasons.append(_("sama kohderyhmä: %(groups)s") % {"groups": names})
    if pair.theme:
        reasons.append(_("sama teema: %(theme)s") % {"theme": _(THEMES[pair.theme]).lower()})
    if pair.shared_terms:
        reasons.append(_("yhteiset sanat: %(words)s") % {"words": ", ".join(pair.shared_terms)})
    if pair.description_terms:
        words = ", ".join(pair.description_terms)
        reasons.append(_("indikaattorin kuvauksessa: %(words)s") % {"words": words})
    if pair.features.get("embedding", 0.0) >= EMBEDDING_REASON:
        reasons.append(_("sisällöltään lähellä havaintoja"))
    return reasons


EMBEDDING_REASON = 0.3  # centred cosine at which "close in meaning" is worth saying


def centred_cosines(
    phenomena: np.ndarray, indicators: np.ndarray, phenomena_mean: np.ndarray
) -> np.ndarray:
    """Cosines of phenomenon centroids and indicator vectors, each centred in its own space:
    the phenomena by the items' mean, the indicators (passages, a different region of the
    model's space) by their own mean when there are enough of them to have one."""
    p = _unit(phenomena - phenomena_mean)
    own = indicators.mean(0) if len(indicators) >= MIN_INDICATORS_FOR_MEAN else phenomena_mean
    return p @ _unit(indicators - own).T


MIN_INDICATORS_FOR_MEAN = 10


def _unit(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=-1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.asarray(m / norms, dtype=np.float32)


def reasons_json(pair: PairScore) -> dict[str, list[str]]:
    return {language: link_reasons(pair, language) for language in ("fi", "sv")}


# ---------------------------------------------------------------------------------------
# The learned model: the installation's own decisions


@dataclass
class LinkModel:
    """A fitted classifier over `FEATURES`: the probability that a leader accepts a link."""

    estimator: Any
    decisions: int
    calibrated: bool

    def probability(self, features: Mapping[str, float]) -> float:
        return float(self.probabilities([features])[0])

    def probabilities(self, rows: Sequence[Mapping[str, float]]) -> np.ndarray:
        if not rows:
            return np.zeros(0)
        return np.asarray(self.estimator.predict_proba(feature_matrix(rows))[:, 1])


def feature_matrix(rows: Sequence[Mapping[str, float]]) -> np.ndarray:
    return np.array([[float(r.get(name, 0.0)) for name in FEATURES] for r in rows])


def fit_link_model(
    pairs: Sequence[Mapping[str, float]], labels: Sequence[bool | int]
) -> LinkModel | None:
    """Logistic regression over the features of decided pairs (True = accepted). None when
    both kinds of decision are not present. With at least 30 of each, its probabilities are
    calibrated by cross-validation (sigmoid); with fewer, the regression's own are used."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    y = np.array([1 if label else 0 for label in labels])
    if len(pairs) != len(y):
        raise ValueError("pairs and labels differ in length")
    counts = np.bincount(y, minlength=2)
    if counts.min() == 0:
        return None
    x = feature_matrix(pairs)
    base = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))
    if counts.min() >= 30:
        from sklearn.calibration import CalibratedClassifierCV

        model: Any = CalibratedClassifierCV(base, method="sigmoid", cv=3)
        model.fit(x, y)
        return LinkModel(model, decisions=len(y), calibrated=True)
    base.fit(x, y)
    return LinkModel(base, decisions=len(y), calibrated=False)
