"""Emerging themes (nousevat teemat): small groups of recent items that are new, or unusually
concentrated, in one or two municipalities, found even when the phenomena do not show them.

The per-phenomenon growth test (`nakyma.signals`) looks at year-long phenomena: three or four
observations about something new scatter over the large phenomena nearest to them and are
never seen together. Here, as in BERTrend (rte-france/BERTrend: topic models per time window,
merged over time), the items of the recent window (`NAKYMA_SIGNAL_RECENT_WEEKS`) are grouped
on their own, at a finer grain than the phenomena, and each recent group is measured against
the baseline (the year before the window):

- *Two channels of evidence.* Items are compared by a blend of their sentence vectors
  (centred, as the phenomena are) and their words: Voikko base forms and compound parts
  ("energiajuomia" -> energiajuoma, energia, juoma) weighted by rarity (tf-idf over the
  recent and baseline items). Staff write about a new thing in different words; a shared
  compound part often ties two of them where the vectors do not. A term that *bursts*
  (two or more recent items, hardly any in the baseline) adds to the similarity of the items
  that share it, and is named in the reasons.
- *Grouping.* Average-linkage clustering of the recent items on that blended similarity,
  cut at `link`; groups of `min_items`..`max_items` are candidates.
- *New?* How many items, recent and baseline, are as close to the group as its own members
  are to each other on average (`cohesion - margin`)? The baseline's count, scaled to the
  window's length, is what the recent window would hold if nothing were new; a Poisson upper
  tail at or below `alpha` and at least `min_rate_ratio` times the expectation make the
  group new. A steady topic has many such baseline items and never passes.
- *Where?* A new group is flagged in every municipality holding at least `min_area_items` of
  its members. A group that is not new county-wide is flagged in a municipality only where
  the same test, on that municipality's own baseline, says it is concentrated there.

`find_themes` is pure (arrays in, themes out) so that the benchmark and `--as-of` exports
compute exactly what a run computes. `run_emerging` loads the observations of the windows
from the database, finds the themes and stores them with an identity from run to run
(matched by members: a theme seen last week is "vahvistuva" this week, not new again), keeping
leadership's decisions (promote, attach, dismiss: `nakyma.review`)."""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from scipy import sparse
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.stats import binom
from sqlite_utils import Database

from nakyma import i18n
from nakyma.finnish import item_terms
from nakyma.i18n import N_
from nakyma.regions import Region

logger = logging.getLogger(__name__)

CATEGORIES = ("nouseva", "vahvistuva", "ennallaan", "hiipuva")
OPEN = "avoin"


@dataclass(frozen=True)
class EmergingParams:
    recent_days: int = 42
    baseline_days: int = 364
    # Similarity blend (chosen on the four used parts, 2026-12-02): this share of the
    # sentence vectors', this of the word vectors', the rest the lexical channel's.
    embed_weight: float = 0.4
    word_weight: float = 0.3
    link: float = 0.10  # average-linkage cut on the blended similarity (chosen on the seen part)
    burst_bonus: float = 0.15  # added for each shared bursting term (at most two)
    place_bonus: float = 0.2  # added for two items of the same municipality (grouping only)
    min_items: int = 3
    max_items: int = 30  # larger recent groups are not small emerging themes
    min_area_items: int = 2
    margin: float = 0.05
    alpha: float = 0.01
    min_rate_ratio: float = 3.0
    burst_alpha: float = 0.02
    min_baseline_days: int = 56  # less history than this: nothing can be called new
    novelty_k: int = 3
    novelty_alpha: float = 0.1
    novelty_quantile: float = 0.05
    concentration: bool = True  # also flag known topics concentrating in one municipality
    lexical_proposals: bool = True  # a locally bursting word proposes a group of its own
    min_concentrated: int = 4  # a known topic's members in the municipality, at least
    concentration_alpha: float = 0.001  # stricter: every municipality of every group is tested
    cohesion_alpha: float = 0.02  # a new group more alike than other new items (seen part)
    cohesion_draws: int = 2000
    cohesion_fallback: bool = True  # too few other new items: compare with all recent ones
    # A flagged theme stays on the list this many days after its last flag, while its first
    # items leave the window (chosen on the five used parts: 0, 7, 14, 21 and 28 were tried).
    hold_days: int = 14

    @classmethod
    def from_settings(cls, settings: Any) -> EmergingParams:
        return cls(
            recent_days=7 * int(settings.signal_recent_weeks),
            baseline_days=7 * int(settings.signal_baseline_weeks),
        )


@dataclass(frozen=True)
class Stream:
    """The items a detection may use (at most the recent and baseline windows)."""

    keys: list[str]
    municipalities: list[str]
    days: np.ndarray  # date ordinals
    vectors: np.ndarray  # (n, d), rows L2-normalised
    terms: list[list[str]]  # Voikko base forms and compound parts per item
    # Unit word vectors of the terms (`finnish.word_vectors`); None: no word channel.
    lexicon: Mapping[str, np.ndarray] | None = None


@dataclass(frozen=True)
class AreaEvidence:
    items: int  # the theme's members in the area
    baseline_like: int  # baseline items of the area as close to the theme as its members
    p_value: float
    new: bool  # flagged because the theme is new county-wide (else: concentrated here)


@dataclass
class Theme:
    members: list[str]
    areas: dict[str, list[str]]  # municipality -> member keys
    flagged: dict[str, AreaEvidence]
    cohesion: float
    recent_like: int
    baseline_like: int
    expected: float
    p_value: float
    new: bool
    terms: list[str]  # most distinctive terms of the members
    bursts: list[str]  # bursting terms shared by members
    nearest: list[str]  # keys of the closest baseline items
    first_day: date
    last_day: date
    score: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def _stop_words() -> frozenset[str]:
    from nakyma.phenomena import FINNISH_STOP_WORDS

    return FINNISH_STOP_WORDS | frozenset(
        """olla tulla saada voida pitää tehdä toinen yksi kaksi kolme neljä viisi osa moni
        useampi useita muutama kertoa sanoa huomata todeta viime viikko päivä kerta""".split()
    )


def _tfidf(terms: Sequence[Sequence[str]]) -> tuple[sparse.csr_matrix, dict[str, int], np.ndarray]:
    """Binary term presence weighted by idf, rows L2-normalised; the vocabulary and each
    term's document frequency."""
    stop = _stop_words()
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for i, doc in enumerate(terms):
        # In first-seen order, not a set's: a set's order changes with each process's hash
        # seed, and the vocabulary's order breaks ties between equally weighted terms.
        for t in dict.fromkeys(doc):
            if len(t) < 3 or t in stop:
                continue
            rows.append(i)
            cols.append(vocab.setdefault(t, len(vocab)))
    n = len(terms)
    m = sparse.csr_matrix(
        (np.ones(len(rows), np.float32), (rows, cols)), shape=(n, max(1, len(vocab)))
    )
    df = np.asarray((m > 0).sum(axis=0)).ravel()
    idf = np.log((n + 1) / (df + 1)) + 1.0
    m = m.multiply(idf.astype(np.float32)).tocsr()
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.diags(1.0 / norms).dot(m).tocsr(), vocab, df


def _word_channel(
    lexical: sparse.csr_matrix, vocab: Mapping[str, int], lexicon: Mapping[str, np.ndarray] | None
) -> np.ndarray | None:
    """Each item as the idf-weighted mean of its terms' word vectors, centred over the items
    and L2-normalised (the smooth-inverse-frequency idea): two texts about one thing in
    different words ("raketti", "sähikäinen", "paukku") come close. None without a lexicon."""
    if not lexicon:
        return None
    dim = len(next(iter(lexicon.values())))
    table = np.zeros((lexical.shape[1], dim), np.float32)
    for term, col in vocab.items():
        if term in lexicon:
            table[col] = lexicon[term]
    out = np.asarray(lexical.dot(table))
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
    out -= out.mean(axis=0)
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
    return out.astype(np.float32)


def _poisson_tail(k: int, lam: float) -> float:
    from nakyma.signals import poisson_upper_tail

    return poisson_upper_tail(k, lam)


def _bursts(
    presence: sparse.csr_matrix, recent: np.ndarray, baseline: np.ndarray, scale: float, a: float
) -> np.ndarray:
    """Terms seen in two or more recent items and hardly in the baseline (Poisson tail of the
    recent count against the baseline's, scaled to the window, with half an item of prior)."""
    r = np.asarray(presence[recent].sum(axis=0)).ravel()
    b = np.asarray(presence[baseline].sum(axis=0)).ravel()
    out = np.zeros(len(r), bool)
    for t in np.flatnonzero(r >= 2):
        out[t] = _poisson_tail(int(r[t]), (b[t] + 0.5) * scale) <= a
    return out


def _local_bursts(
    presence: sparse.csr_matrix,
    places: np.ndarray,
    r_idx: np.ndarray,
    b_idx: np.ndarray,
    stream: Stream,
    baseline: np.ndarray,
    params: EmergingParams,
    scale: float,
) -> list[np.ndarray]:
    """The lexical channel's own proposals: a word or compound part in `min_items` or more
    recent items of one municipality that the municipality's baseline hardly has (Poisson
    tail at or below `burst_alpha`). Each proposal is measured like any other group."""
    base_places = np.array([stream.municipalities[i] for i in baseline], dtype=object)
    out = []
    recent_terms = presence[r_idx].tocsc()
    base_terms = presence[b_idx].tocsc()
    counts = np.asarray(recent_terms.sum(axis=0)).ravel()
    for t in np.flatnonzero(counts >= params.min_items):
        docs = recent_terms[:, t].nonzero()[0]
        before = base_terms[:, t].nonzero()[0]
        for m in sorted(set(places[docs])):
            here = docs[places[docs] == m]
            if len(here) < params.min_items or len(here) > params.max_items:
                continue
            past = int((base_places[before] == m).sum())
            if _poisson_tail(len(here), (past + 0.5) * scale) <= params.burst_alpha:
                out.append(np.sort(here))
    return out


def _novel(s_br: np.ndarray, reference: np.ndarray, params: EmergingParams) -> np.ndarray:
    """Which recent items are new: their closest baseline items (mean similarity of the top
    `novelty_k`) are less similar to them than the baseline items' own closest others are to
    each other (`reference`) for all but `novelty_quantile` of the baseline. A local-density
    test: it adapts to how repetitive a county's writing is."""
    k = params.novelty_k
    if s_br.shape[0] <= k or len(reference) == 0:
        return np.zeros(s_br.shape[1], bool)
    recent_top = -np.sort(-s_br, axis=0)[:k].mean(axis=0)
    return np.asarray(recent_top <= np.quantile(reference, params.novelty_quantile))


def _reference_density(blended: Any, b_idx: np.ndarray, k: int, limit: int = 1500) -> np.ndarray:
    """For up to `limit` baseline items (a fixed sample), the mean similarity to their k
    closest other baseline items."""
    rng = np.random.default_rng(0)
    sample = b_idx if len(b_idx) <= limit else rng.choice(b_idx, size=limit, replace=False)
    if len(b_idx) <= k:
        return np.zeros(0)
    sims = blended(sample, b_idx)
    sims[np.arange(len(sample)), np.searchsorted(b_idx, sample)] = -np.inf  # not itself
    return np.asarray(-np.sort(-sims, axis=1)[:, :k].mean(axis=1))


def _groups(sim: np.ndarray, params: EmergingParams) -> list[np.ndarray]:
    n = len(sim)
    if n < params.min_items:
        return []
    dist = np.clip(1.0 - sim, 0.0, None)
    np.fill_diagonal(dist, 0.0)
    condensed = dist[np.triu_indices(n, 1)]
    labels = fcluster(
        linkage(condensed, method="average"), t=1.0 - params.link, criterion="distance"
    )
    out = []
    for label in np.unique(labels):
        idx = np.flatnonzero(labels == label)
        if params.min_items <= len(idx) <= params.max_items:
            out.append(idx)
    return out


def find_themes(stream: Stream, as_of: date, params: EmergingParams | None = None) -> list[Theme]:
    """Emerging themes as of `as_of` from the items of the stream dated on or before it."""
    params = params or EmergingParams()
    day = as_of.toordinal()
    recent_start = day - params.recent_days  # recent: (recent_start, day]
    base_start = recent_start - params.baseline_days
    days = stream.days
    recent = np.flatnonzero((days > recent_start) & (days <= day))
    baseline = np.flatnonzero((days > base_start) & (days <= recent_start))
    if len(recent) < params.min_items or len(baseline) == 0:
        return []
    covered = recent_start - max(base_start, int(days[baseline].min()) - 1)
    if covered < params.min_baseline_days:
        return []
    # Expected recent counts scale with the whole stream's volume, not with days alone: when
    # more staff write (the service is taken up, or a busy season), every topic grows and
    # nothing of that is new.
    scale = len(recent) / len(baseline)
    used = np.concatenate([recent, baseline])
    vectors = stream.vectors[used].astype(np.float32)
    vectors = vectors - vectors.mean(axis=0)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    lexical, vocab, _ = _tfidf([stream.terms[i] for i in used])
    presence = (lexical > 0).astype(np.float32).tocsr()
    n_r = len(recent)
    r_idx, b_idx = np.arange(n_r), np.arange(n_r, len(used))
    burst = _bursts(presence, r_idx, b_idx, scale, params.burst_alpha)
    words = _word_channel(lexical, vocab, stream.lexicon) if params.word_weight > 0 else None
    w_e, w_w = params.embed_weight, params.word_weight
    if words is None:  # no word vectors: the other two channels keep their proportion
        w_e, w_w = w_e / max(1.0 - w_w, 1e-9), 0.0
    w_l = 1.0 - w_e - w_w

    def blended(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        out = w_e * (vectors[a] @ vectors[b].T) + w_l * lexical[a].dot(lexical[b].T).toarray()
        if words is not None:
            out += w_w * (words[a] @ words[b].T)
        return out

    s_rr = blended(r_idx, r_idx)
    if burst.any():
        shared = presence[r_idx][:, burst]
        s_rr += params.burst_bonus * np.minimum(shared.dot(shared.T).toarray(), 2.0)
    s_br = blended(b_idx, r_idx)
    novel = _novel(s_br, _reference_density(blended, b_idx, params.novelty_k), params)
    # Grouping also weighs place: a local theme's items meet fewer rivals among the few recent
    # items of their own municipality. Novelty is measured on content alone (s_rr, s_br).
    places = np.array([stream.municipalities[i] for i in recent], dtype=object)
    grouping = s_rr + params.place_bonus * (places[:, None] == places[None, :])
    inverse_vocab = {i: t for t, i in vocab.items()}
    rarity = np.log((len(used) + 1) / (np.asarray(presence.sum(axis=0)).ravel() + 1))
    themes = []
    candidates = np.flatnonzero(novel)
    # Known topics concentrating somewhere first; then groups of new items, unless they are
    # mostly a part of a flagged concentration (then they are that theme, not a new one).
    found = []
    if params.concentration:
        found += [g for g in _groups(grouping, params) if novel[g].mean() < 0.5]
    found += [candidates[g] for g in _groups(grouping[np.ix_(candidates, candidates)], params)]
    if params.lexical_proposals:
        found += [
            g
            for g in _local_bursts(presence, places, r_idx, b_idx, stream, baseline, params, scale)
            if novel[g].all()  # a proposal of the words alone must be new, not a concentration
        ]
    claimed: set[int] = set()
    for group in found:
        if len(claimed.intersection(group.tolist())) * 2 >= len(group):
            continue
        theme = _theme(stream, recent, baseline, group, s_rr, s_br, params, scale, novel)
        if theme is None:
            continue
        claimed.update(group.tolist())
        counts = np.asarray(presence[group].sum(axis=0)).ravel()
        weight = counts * rarity
        frequent = [int(t) for t in np.flatnonzero(counts >= 2)]
        order = sorted(frequent, key=lambda t: (-weight[t], inverse_vocab[t]))
        theme.terms = [inverse_vocab[t] for t in order[:6]]
        theme.bursts = [inverse_vocab[int(t)] for t in np.flatnonzero(burst & (counts >= 2))]
        theme.score = _score(theme)
        themes.append(theme)
    themes.sort(key=lambda t: (-t.score, t.members))
    return themes


def themes_with_hold(
    stream: Stream, as_of: date, params: EmergingParams | None = None
) -> list[Theme]:
    """The themes as of `as_of`, plus those flagged at the weekly checkpoints of the last
    `hold_days` that share no member with a later one: a theme stays on the list for two
    weeks after its last flag, so that it does not vanish the week its first items leave
    the window. Computed afresh (for `export --as-of` and the benchmark); a full run keeps
    the same rule with the themes it stored (`run_emerging`). Held themes carry
    ``extra["held_from"]``, the date of their last flag."""
    params = params or EmergingParams()
    themes = find_themes(stream, as_of, params)
    taken = {k for t in themes for k in _flagged_members(t)}
    for back in range(7, params.hold_days + 1, 7):
        day = as_of - timedelta(days=back)
        for old in find_themes(stream, day, params):
            # Held where no later theme flags any of its members there.
            old.flagged = {c: e for c, e in old.flagged.items() if taken.isdisjoint(old.areas[c])}
            if old.flagged:
                old.extra["held_from"] = day
                themes.append(old)
                taken.update(_flagged_members(old))
    return themes


def _flagged_members(theme: Theme) -> set[str]:
    return {k for code in theme.flagged for k in theme.areas[code]}


def _theme(
    stream: Stream,
    recent: np.ndarray,
    baseline: np.ndarray,
    group: np.ndarray,
    s_rr: np.ndarray,
    s_br: np.ndarray,
    params: EmergingParams,
    scale: float,
    novel: np.ndarray,
) -> Theme | None:
    """Measure one recent group against the baseline; None when it is flagged nowhere. A
    group of new items (`novel`) is new; another group counts only where it concentrates."""
    inner = s_rr[np.ix_(group, group)]
    size = len(group)
    typical = (inner.sum(axis=1) - np.diag(inner)) / (size - 1)  # each member to the others
    cohesion = float(typical.mean())
    # An item "like" the group: as close to its members, on average, as its least typical
    # member is to the others (less a margin). A steady topic has many such baseline items.
    threshold = float(typical.min()) - params.margin
    to_group_b = s_br[:, group].mean(axis=1)
    others = np.setdiff1d(np.arange(len(recent)), group)
    to_group_r = s_rr[np.ix_(others, group)].mean(axis=1) if len(others) else np.zeros(0)
    like_b = to_group_b >= threshold
    like_r = np.concatenate([group, others[to_group_r >= threshold]])
    expected = (int(like_b.sum()) + 0.5) * scale
    p = _poisson_tail(len(like_r), expected)
    # New: every member is new on its own (`novel`). Where it is flagged, the count of new
    # items must also be more than chance: `novelty_quantile` of any municipality's recent
    # items look new by construction (binomial tail at or below `novelty_alpha`).
    new = bool(novel[group].all())
    munis = [stream.municipalities[recent[i]] for i in group]
    keys = [stream.keys[recent[i]] for i in group]
    areas: dict[str, list[str]] = {}
    for m, k in zip(munis, keys, strict=True):
        areas.setdefault(m, []).append(k)
    flagged: dict[str, AreaEvidence] = {}
    base_munis = np.array([stream.municipalities[i] for i in baseline], dtype=object)
    all_places = np.array([stream.municipalities[i] for i in recent], dtype=object)
    group_places = np.array(munis, dtype=object)
    # Or the group is more alike than sets of the window's other new items are: its members
    # are about one thing, whatever the municipality's size (a large one has many new items).
    p_alike = _cohesion_p(s_rr, np.flatnonzero(novel), group, params) if new else 1.0
    for m, members in areas.items():
        if len(members) < params.min_area_items:
            continue
        if new:
            n_m = int((all_places == m).sum())
            p_m = float(binom.sf(len(members) - 1, n_m, params.novelty_quantile))
            if p_m <= params.novelty_alpha or p_alike <= params.cohesion_alpha:
                flagged[m] = AreaEvidence(len(members), 0, min(p_m, p_alike), True)
        elif len(members) >= params.min_concentrated:
            evidence = _concentrated(
                group[group_places == m], m, s_rr, s_br, all_places, base_munis, params, scale
            )
            if evidence is not None:
                flagged[m] = evidence
    if not flagged:
        return None
    nearest = np.argsort(-to_group_b)[:3]
    member_days = stream.days[recent[group]]
    return Theme(
        members=sorted(keys),
        areas=areas,
        flagged=flagged,
        cohesion=cohesion,
        recent_like=len(like_r),
        baseline_like=int(like_b.sum()),
        expected=expected,
        p_value=p,
        new=new,
        terms=[],
        bursts=[],
        nearest=[stream.keys[baseline[i]] for i in nearest],
        first_day=date.fromordinal(int(member_days.min())),
        last_day=date.fromordinal(int(member_days.max())),
    )


def _cohesion_p(
    s_rr: np.ndarray, candidates: np.ndarray, group: np.ndarray, params: EmergingParams
) -> float:
    """How often random sets of as many of the window's other new items (of any municipality)
    are at least as alike in content as the group's members are (mean pairwise similarity;
    place plays no part), with one added to both counts. 1.0 when there are too few others to
    tell, or the test is off."""
    k = len(group)
    if params.cohesion_alpha <= 0:
        return 1.0
    candidates = np.setdiff1d(candidates, group)  # the others: is the group more alike?
    if len(candidates) < 2 * k and params.cohesion_fallback:
        # Too few other new items to tell (a quiet window): all other recent items instead.
        candidates = np.setdiff1d(np.arange(len(s_rr)), group)
    if len(candidates) < 2 * k:
        return 1.0
    inner = s_rr[np.ix_(group, group)]
    observed = (inner.sum() - np.trace(inner)) / (k * (k - 1))
    rng = np.random.default_rng(k)
    draws = np.array(
        [rng.choice(candidates, size=k, replace=False) for _ in range(params.cohesion_draws)]
    )
    sub = s_rr[draws[:, :, None], draws[:, None, :]]
    means = (sub.sum(axis=(1, 2)) - np.trace(sub, axis1=1, axis2=2)) / (k * (k - 1))
    return float(((means >= observed).sum() + 1) / (len(means) + 1))


def _concentrated(
    sub: np.ndarray,
    place: str,
    s_rr: np.ndarray,
    s_br: np.ndarray,
    recent_places: np.ndarray,
    base_places: np.ndarray,
    params: EmergingParams,
    scale: float,
) -> AreaEvidence | None:
    """A known topic's members in one municipality: the items there as close to them as
    their least typical member is to the others, recent against baseline (Poisson tail at or
    below `concentration_alpha`; the members themselves always count as recent)."""
    inner = s_rr[np.ix_(sub, sub)]
    typical = (inner.sum(axis=1) - np.diag(inner)) / (len(sub) - 1)
    threshold = float(typical.min()) - params.margin
    local_b = int(((s_br[:, sub].mean(axis=1) >= threshold) & (base_places == place)).sum())
    near_r = (s_rr[:, sub].mean(axis=1) >= threshold) & (recent_places == place)
    local_r = int(near_r.sum() + (~near_r[sub]).sum())
    expected = (local_b + 0.5) * scale
    p = _poisson_tail(local_r, expected)
    if p <= params.concentration_alpha and local_r >= params.min_rate_ratio * expected:
        return AreaEvidence(len(sub), local_b, p, False)
    return None


def _score(theme: Theme) -> float:
    """Strength of the evidence: the tail's -log10, capped, plus the shared bursting terms."""
    best = min(e.p_value for e in theme.flagged.values())
    p = min(theme.p_value, best)
    return round(min(12.0, -math.log10(max(p, 1e-12))) + 0.5 * min(len(theme.bursts), 4), 3)


# ---------------------------------------------------------------------------------------
# From the database


def load_stream(db: Database, model: str, *, as_of: date, params: EmergingParams) -> Stream:
    """The observations of the recent and baseline windows that have a vector, with their
    terms (Voikko), oldest first. Items dated after `as_of` are left out."""
    from nakyma.embedding import blob_to_vector

    start = as_of - timedelta(days=params.recent_days + params.baseline_days)
    rows = list(
        db.execute(
            "select o.id, o.municipality_code, o.observed_on, o.text, e.dim, e.vector "
            "from observations o join embeddings e on e.model = ? "
            "and e.item_kind = 'observation' and e.item_key = cast(o.id as text) "
            "where o.observed_on > ? and o.observed_on <= ? order by o.observed_on, o.id",
            [model, start.isoformat(), as_of.isoformat()],
        )
    )
    if not rows:
        return Stream([], [], np.zeros(0, np.int64), np.zeros((0, 1), np.float32), [])
    vectors = np.stack([blob_to_vector(r[5], int(r[4])) for r in rows]).astype(np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    terms = item_terms(db, [(str(r[0]), r[3]) for r in rows])
    return Stream(
        keys=[str(r[0]) for r in rows],
        municipalities=[r[1] or "" for r in rows],
        days=np.array([date.fromisoformat(r[2]).toordinal() for r in rows], np.int64),
        vectors=vectors,
        terms=terms,
        lexicon=_lexicon(terms) if params.word_weight > 0 else None,
    )


def _lexicon(terms: Sequence[Sequence[str]]) -> Mapping[str, np.ndarray] | None:
    """The terms' word vectors; None (no word channel, the other two carry the blend) when
    the Finnish model cannot be loaded."""
    from nakyma.finnish import ModelUnavailable, word_vectors

    try:
        return word_vectors(t for doc in terms for t in doc)
    except ModelUnavailable as exc:
        logger.warning("emerging themes without word vectors: %s", exc)
        return None


# ---------------------------------------------------------------------------------------
# Titles and reasons


def _count(n: int, language: str = "fi") -> str:
    ngettext = i18n.ntranslator(language)
    return ngettext("%(n)s havainto", "%(n)s havaintoa", n) % {"n": n}


def _weeks(first: date, last: date, language: str = "fi") -> str:
    weeks = max(1, math.ceil(((last - first).days + 1) / 7))
    ngettext = i18n.ntranslator(language)
    return ngettext("viikossa", "%(n)s viikossa", weeks) % {"n": weeks}


# Languages the reasons are stored in besides Finnish (`reasons_i18n`: {"sv": [...], ...}).
TRANSLATED_LANGUAGES = tuple(lang for lang in i18n.LANGUAGES if lang != i18n.SOURCE_LANGUAGE)


def _place(region: Region, code: str, form: str, language: str) -> str:
    m = region.municipality(code)
    return i18n.place_form(getattr(m, form), m.name_in(language), form, language)


def theme_title(
    theme: Theme,
    texts: Sequence[str] = (),
    background: Mapping[str, float] | None = None,
    centre: np.ndarray | None = None,
    embedder: Any | None = None,
    *,
    stored: Mapping[str, str] | None = None,
    used: dict[str, str] | None = None,
) -> str:
    """A working title as for phenomena (`nakyma.titles.phenomenon_title`: a noun phrase from
    the members' texts, e.g. "Energiajuomat alakoulussa"); without texts, or when no phrase
    qualifies, the two most distinctive shared words ("Energiajuoma ja välitunti").
    Remembered as phenomena's are (`nakyma.phenomena.remembered_title`, `stored` / `used`)."""
    from nakyma.phenomena import remembered_title
    from nakyma.titles import keyword_title

    words = [t for t in theme.terms if "-" not in t][:2] or theme.terms[:2]
    if not texts:
        return keyword_title(words) if words else "Nouseva teema"
    return remembered_title(
        list(texts),
        background or {},
        words or ["Nouseva teema"],
        (centre, embedder) if centre is not None and embedder is not None else None,
        stored=stored,
        used=used,
    )


def term_shares(terms: Sequence[Sequence[str]]) -> dict[str, float]:
    """Per term, the share of the stream's items that contain it (a title's background)."""
    df: Counter[str] = Counter()
    for item in terms:
        df.update(set(item))
    return {t: k / len(terms) for t, k in df.items()} if terms else {}


def theme_texts(db: Database, theme: Theme, limit: int = 30) -> list[str]:
    """The texts of a theme's first members (at most `limit`), in member order."""
    from nakyma.phenomena import item_texts

    keys = [("observation", k) for k in theme.members[:limit]]
    found = item_texts(db, keys)
    return [found[k] for k in keys if k in found]


def _novelty_sentence(baseline_like: int, where: str = "", language: str = "fi") -> str:
    _ = i18n.translator(language)
    if baseline_like == 0:
        return _("vastaavia ei aiemmin vuoden aikana") + where
    # "N havaintoa" so that disclosure control (`mask_small_counts`) can hide a small N.
    return (
        _("edellisen vuoden aikana %(count)s samasta aiheesta")
        % {"count": _count(baseline_like, language)}
        + where
    )


def theme_reasons(
    theme: Theme, region: Region, nearest_titles: Sequence[str] = (), language: str = "fi"
) -> list[str]:
    """Sentences a person can check: where and how many, whether anything like it was seen
    before, the new words, and what the closest earlier observations were about; in
    `language` (the new words and the phenomena's titles stay as they were written)."""
    _ = i18n.translator(language)
    ngettext = i18n.ntranslator(language)
    parts = []
    for code, evidence in sorted(theme.flagged.items(), key=lambda kv: (-kv[1].items, kv[0])):
        place = _place(region, code, "from_form", language)
        parts.append(f"{_count(evidence.items, language)} {place}")
    if len(parts) > 1:
        counted = _("%(first)s ja %(last)s") % {"first": ", ".join(parts[:-1]), "last": parts[-1]}
    else:
        counted = parts[0]
    out = [f"{counted} {_weeks(theme.first_day, theme.last_day, language)}"]
    if theme.new:
        out.append(_novelty_sentence(theme.baseline_like, language=language).capitalize())
    else:
        out.append(
            ngettext(
                "Aihe on tuttu, mutta nyt havaintoja on tavallista enemmän tässä kunnassa",
                "Aihe on tuttu, mutta nyt havaintoja on tavallista enemmän näissä kunnissa",
                len(theme.flagged),
            )
        )
    if theme.bursts:
        out.append(_("Uusia sanoja: %(words)s") % {"words": ", ".join(theme.bursts[:4])})
    titles = list(dict.fromkeys(t for t in nearest_titles if t))
    if titles:
        quoted = ", ".join(f"”{t}”" for t in titles[:2])
        out.append(
            _("Lähimmät aiemmat havainnot kuuluivat ilmiöön %(titles)s") % {"titles": quoted}
        )
    return [s + "." for s in out]


def area_reasons(theme: Theme, region: Region, code: str, language: str = "fi") -> list[str]:
    evidence = theme.flagged[code]
    head = (
        f"{_count(evidence.items, language)} {_place(region, code, 'from_form', language)} "
        f"{_weeks(theme.first_day, theme.last_day, language)}"
    )
    if evidence.new:
        tail = _novelty_sentence(theme.baseline_like, language=language)
    else:
        where = f" {_place(region, code, 'in_form', language)}"
        tail = _novelty_sentence(evidence.baseline_like, where, language)
    return [f"{head}; {tail}."]


def translated(build: Any, *args: Any) -> dict[str, list[str]]:
    """`build(*args, language)` in every language besides Finnish, for `reasons_i18n`."""
    return {lang: build(*args, lang) for lang in TRANSLATED_LANGUAGES}


def stored_reasons(
    reasons: str | None, reasons_i18n: str | None, language: str = "fi"
) -> list[str]:
    """A stored theme's or area's sentences in `language`: from `reasons_i18n` when the row
    has that language, else the Finnish `reasons` (rows stored before the translations)."""
    if language != i18n.SOURCE_LANGUAGE and reasons_i18n:
        try:
            found = json.loads(reasons_i18n)
        except ValueError:
            found = None
        if isinstance(found, dict) and isinstance(found.get(language), list):
            return [str(r) for r in found[language]]
    try:
        plain = json.loads(reasons or "[]")
    except ValueError:
        return []
    return [str(r) for r in plain] if isinstance(plain, list) else []


# ---------------------------------------------------------------------------------------
# Storing a run: identity from run to run, decisions kept

MATCH_OVERLAP = 0.5  # share of the smaller member set two themes must share to be one


def _member_phenomena(db: Database, keys: Iterable[str]) -> dict[str, tuple[int, str]]:
    keys = list(keys)
    out: dict[str, tuple[int, str]] = {}
    for chunk in (keys[i : i + 500] for i in range(0, len(keys), 500)):
        marks = ",".join("?" * len(chunk))
        for key, pid, title in db.execute(
            "select m.item_key, p.id, p.title from phenomenon_members m join phenomena p "
            "on p.id = m.phenomenon_id where m.item_kind = 'observation' "
            f"and p.dismissed = 0 and p.merged_into is null and m.item_key in ({marks})",
            chunk,
        ):
            out[key] = (pid, title)
    return out


def _match(themes: Sequence[Theme], previous: Mapping[int, set[str]]) -> dict[int, int]:
    """theme index -> previous theme id, greedily by overlap of members."""
    pairs = []
    for i, theme in enumerate(themes):
        members = set(theme.members)
        for tid, old in previous.items():
            shared = len(members & old)
            if shared:
                overlap = shared / min(len(members), len(old))
                if overlap >= MATCH_OVERLAP:
                    pairs.append((-overlap, -shared, i, tid))
    out: dict[int, int] = {}
    used: set[int] = set()
    for _, _, i, tid in sorted(pairs):
        if i not in out and tid not in used:
            out[i] = tid
            used.add(tid)
    return out


def _category(old_size: int | None, new_size: int) -> str:
    if old_size is None:
        return "nouseva"
    if new_size > old_size:
        return "vahvistuva"
    return "ennallaan" if new_size == old_size else "hiipuva"


def _area_rows(
    theme: Theme, region: Region, reasons: list[str], reasons_i18n: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """The theme's `emerging_areas` rows: each flagged municipality with its own sentences,
    its groups and the county with the theme's (`reasons`, and `reasons_i18n` in the other
    languages)."""
    rows = [
        {
            "area_kind": "kunta",
            "area_code": code,
            "items": e.items,
            "reasons": area_reasons(theme, region, code),
            "reasons_i18n": translated(area_reasons, theme, region, code),
        }
        for code, e in theme.flagged.items()
    ]
    grouping = region.grouping()
    theme_wide = {"reasons": reasons, "reasons_i18n": reasons_i18n}
    for group in grouping.groups:
        n = sum(e.items for c, e in theme.flagged.items() if c in group.members)
        if n:
            rows.append(
                {"area_kind": "kuntaryhma", "area_code": group.key, "items": n, **theme_wide}
            )
    total = sum(e.items for e in theme.flagged.values())
    rows.append({"area_kind": "alue", "area_code": region.code, "items": total, **theme_wide})
    return rows


def _prepared(
    db: Database, region: Region, stream: Any, themes: list[Theme], embedder: Any | None
) -> tuple[
    list[str],
    list[tuple[Theme, list[str], list[dict[str, Any]]]],
    list[dict[str, list[str]]],
    dict[str, Any],
    dict[str, str],
]:
    """What `run_emerging` stores per theme, worked out before its write: the titles, the
    reasons (Finnish, and the other languages'), the nearest phenomena, the members' parents
    and the titles computed anew (to remember)."""
    from nakyma.phenomena import normalise, stored_titles

    background = term_shares(stream.terms)

    position = {k: i for i, k in enumerate(stream.keys)}
    centres = [
        normalise(stream.vectors[[position[k] for k in t.members]].mean(axis=0, keepdims=True))[0]
        for t in themes
    ]

    stored = stored_titles(db, "theme")
    used: dict[str, str] = {}
    titles = [
        theme_title(t, theme_texts(db, t), background, c, embedder, stored=stored, used=used)
        for t, c in zip(themes, centres, strict=True)
    ]
    parents = _member_phenomena(db, [k for t in themes for k in [*t.members, *t.nearest]])
    prepared: list[tuple[Theme, list[str], list[dict[str, Any]]]] = []
    reasons_i18n: list[dict[str, list[str]]] = []
    for theme in themes:
        closest = [parents[k] for k in theme.nearest if k in parents]
        nearest_titles = [title for _, title in closest]
        reasons = theme_reasons(theme, region, nearest_titles)
        reasons_i18n.append(translated(theme_reasons, theme, region, nearest_titles))
        prepared.append((theme, reasons, [{"id": i, "title": t} for i, t in dict(closest).items()]))
    return titles, prepared, reasons_i18n, parents, used


def run_emerging(
    db: Database,
    region: Region,
    *,
    model: str,
    as_of: date,
    params: EmergingParams | None = None,
    embedder: Any | None = None,
) -> dict[str, int]:
    """Find the emerging themes as of `as_of` and store them (one short write at the end).
    With the `embedder` of the stored vectors, titles prefer phrases close to the centre."""
    from nakyma.db import now_utc, write_transaction
    from nakyma.phenomena import remember_titles

    params = params or EmergingParams()
    with write_transaction(db):  # terms of observations that no longer exist
        db.execute(
            "delete from item_terms where item_kind = 'observation' and cast(item_key as "
            "integer) not in (select id from observations)"
        )
    stream = load_stream(db, model, as_of=as_of, params=params)
    themes = find_themes(stream, as_of, params)
    titles, prepared, reasons_i18n, parents, used = _prepared(db, region, stream, themes, embedder)
    days = {k: d for t in themes for k, d in _member_days(db, t.members).items()}
    now = now_utc()
    counts = {"themes": len(themes), "new": 0, "continued": 0, "held": 0, "removed": 0}
    with write_transaction(db):
        remember_titles(db, "theme", used, None)
        previous: dict[int, set[str]] = {}
        for tid, key in db.execute("select theme_id, item_key from emerging_members"):
            previous.setdefault(tid, set()).add(key)
        old = {
            r["id"]: r
            for r in db.query(
                "select id, size, decision, title, active, last_seen from emerging_themes"
            )
        }
        for tid in old:
            previous.setdefault(tid, set())
        matched = _match([t for t, _, _ in prepared], previous)
        for i, (theme, reasons, nearest) in enumerate(prepared):
            tid = matched.get(i)
            row = {
                "title_auto": titles[i],
                "category": _category(old[tid]["size"] if tid else None, len(theme.members)),
                "score": theme.score,
                "size": len(theme.members),
                "terms": json.dumps(theme.terms, ensure_ascii=False),
                "reasons": json.dumps(reasons, ensure_ascii=False),
                "reasons_i18n": json.dumps(reasons_i18n[i], ensure_ascii=False),
                "nearest": json.dumps(nearest, ensure_ascii=False),
                "last_seen": as_of.isoformat(),
                "as_of": as_of.isoformat(),
                "active": 1,
                "updated_at": now,
            }
            if tid is None:
                row |= {
                    "title": row["title_auto"],
                    "first_seen": as_of.isoformat(),
                    "decision": OPEN,
                    "created_at": now,
                }
                tid = int(db.table("emerging_themes").insert(row).last_pk or 0)
                counts["new"] += 1
            else:
                if old[tid]["decision"] == OPEN:
                    row["title"] = row["title_auto"]
                db.table("emerging_themes").update(tid, row)
                counts["continued"] += 1
            _replace_members(db, tid, theme, parents, days)
            db.execute("delete from emerging_areas where theme_id = ?", [tid])
            db.table("emerging_areas").insert_all(
                {
                    **a,
                    "theme_id": tid,
                    "score": theme.score,
                    "category": row["category"],
                    "reasons": json.dumps(a["reasons"], ensure_ascii=False),
                    "reasons_i18n": json.dumps(a["reasons_i18n"], ensure_ascii=False),
                    "as_of": as_of.isoformat(),
                }
                for a in _area_rows(theme, region, reasons, reasons_i18n[i])
            )
        taken = {k for t, _, _ in prepared for k in _flagged_members(t)}
        hold_from = (as_of - timedelta(days=params.hold_days)).isoformat()
        for tid in sorted(set(old) - set(matched.values())):
            if old[tid]["active"] and (old[tid]["last_seen"] or "") >= hold_from:
                if _hold(db, region, tid, taken, old[tid]["last_seen"], params, now):
                    counts["held"] += 1
                    continue
            db.execute("delete from emerging_areas where theme_id = ?", [tid])
            if old[tid]["decision"] == OPEN:
                db.execute("delete from emerging_members where theme_id = ?", [tid])
                db.execute("delete from emerging_themes where id = ?", [tid])
                counts["removed"] += 1
            else:
                db.table("emerging_themes").update(tid, {"active": 0, "updated_at": now})
    return counts


# How a held theme's first reason begins (one per theme), in every language: the held
# sentence's translation must begin with this one's.
HELD_LEAD = N_("Ei uusia merkkejä")


def held_sentence(last_flag: date, hold_days: int, language: str = "fi") -> str:
    _ = i18n.translator(language)
    until = last_flag + timedelta(days=hold_days)
    return _(
        "Ei uusia merkkejä tällä kertaa; nostettiin viimeksi %(last)s, pysyy listalla "
        "%(until)s asti."
    ) % {"last": i18n.format_date(last_flag, language), "until": i18n.format_date(until, language)}


def _hold(
    db: Database,
    region: Region,
    tid: int,
    taken: set[str],
    last_seen: str,
    params: EmergingParams,
    now: str,
) -> bool:
    """Keep a theme of an earlier run on the list, as `hiipuva`, in the municipalities where
    this run flags none of its members; False (nothing changed) when no such one is left."""
    areas = {
        r["area_code"]: r["items"]
        for r in db.query(
            "select area_code, items from emerging_areas where theme_id = ? "
            "and area_kind = 'kunta'",
            [tid],
        )
    }
    members: dict[str, set[str]] = {}
    for key, code in db.execute(
        "select item_key, municipality_code from emerging_members where theme_id = ?", [tid]
    ):
        members.setdefault(code, set()).add(key)
    kept = {c: n for c, n in areas.items() if taken.isdisjoint(members.get(c, set()))}
    if not kept:
        return False
    last_flag = date.fromisoformat(last_seen)
    sentence = held_sentence(last_flag, params.hold_days)
    before = {
        (r["area_kind"], r["area_code"]): (
            r["score"],
            json.loads(r["reasons"] or "[]"),
            r["reasons_i18n"],
        )
        for r in db.query(
            "select area_kind, area_code, score, reasons, reasons_i18n from emerging_areas "
            "where theme_id = ?",
            [tid],
        )
    }
    db.execute("delete from emerging_areas where theme_id = ?", [tid])
    rows = [("kunta", c, n) for c, n in kept.items()]
    for group in region.grouping().groups:
        n = sum(v for c, v in kept.items() if c in group.members)
        if n:
            rows.append(("kuntaryhma", group.key, n))
    rows.append(("alue", region.code, sum(kept.values())))
    db.table("emerging_areas").insert_all(
        {
            "theme_id": tid,
            "area_kind": kind,
            "area_code": code,
            "items": n,
            "score": before.get((kind, code), (0.0, [], None))[0],
            "category": "hiipuva",
            "reasons": json.dumps(
                [sentence, *_not_held(before.get((kind, code), (0.0, [], None))[1])],
                ensure_ascii=False,
            ),
            "reasons_i18n": _held_i18n(
                before.get((kind, code), (0.0, [], None))[2], last_flag, params.hold_days
            ),
            "as_of": last_seen,
        }
        for kind, code, n in rows
    )
    reasons, stored_i18n = db.execute(
        "select reasons, reasons_i18n from emerging_themes where id = ?", [tid]
    ).fetchone()
    db.table("emerging_themes").update(
        tid,
        {
            "category": "hiipuva",
            "reasons": json.dumps(
                [sentence, *_not_held(json.loads(reasons or "[]"))], ensure_ascii=False
            ),
            "reasons_i18n": _held_i18n(stored_i18n, last_flag, params.hold_days),
            "updated_at": now,
        },
    )
    return True


def _not_held(reasons: Sequence[str], language: str = "fi") -> list[str]:
    lead = i18n.gettext(language, HELD_LEAD)
    return [r for r in reasons if not r.startswith(lead)]


def _held_i18n(stored: str | None, last_flag: date, hold_days: int) -> str | None:
    """A held row's `reasons_i18n`: the held sentence before the earlier ones in each
    language; None (read in Finnish) when the row had no translated sentences."""
    try:
        found = json.loads(stored) if stored else None
    except ValueError:
        found = None
    if not isinstance(found, dict):
        return None
    return json.dumps(
        {
            lang: [held_sentence(last_flag, hold_days, lang), *_not_held(found[lang], lang)]
            for lang in TRANSLATED_LANGUAGES
            if isinstance(found.get(lang), list)
        },
        ensure_ascii=False,
    )


def _member_days(db: Database, keys: Sequence[str]) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for chunk in (list(keys)[i : i + 500] for i in range(0, len(keys), 500)):
        marks = ",".join("?" * len(chunk))
        for key, code, day in db.execute(
            "select cast(id as text), municipality_code, observed_on from observations "
            f"where cast(id as text) in ({marks})",
            chunk,
        ):
            out[key] = (code, day)
    return out


def _replace_members(
    db: Database,
    tid: int,
    theme: Theme,
    parents: Mapping[str, tuple[int, str]],
    days: Mapping[str, tuple[str, str]],
) -> None:
    db.execute("delete from emerging_members where theme_id = ?", [tid])
    db.table("emerging_members").insert_all(
        {
            "theme_id": tid,
            "item_kind": "observation",
            "item_key": key,
            "municipality_code": days.get(key, ("", ""))[0],
            "observed_on": days.get(key, ("", ""))[1],
            "phenomenon_id": parents[key][0] if key in parents else None,
        }
        for key in theme.members
    )


# ---------------------------------------------------------------------------------------
# Export (`nakyma export emerging`)

EXPORT_COLUMNS = ["theme_id", "title", "category", "municipality", "items", "score", "reasons"]


def _public_ids(db: Database, keys: Iterable[str]) -> dict[str, str]:
    """An imported observation's external_id, else its internal id."""
    keys = list(keys)
    out = {k: k for k in keys}
    for chunk in (keys[i : i + 500] for i in range(0, len(keys), 500)):
        marks = ",".join("?" * len(chunk))
        for key, external in db.execute(
            f"select cast(id as text), external_id from observations where id in ({marks})",
            [int(k) for k in chunk],
        ):
            if external:
                out[key] = external
    return out


def export_rows(
    db: Database,
    region: Region,
    *,
    model: str,
    as_of: date | None = None,
    params: EmergingParams | None = None,
    language: str = "fi",
) -> list[dict[str, Any]]:
    """One row per theme x municipality where it is flagged, its reasons in `language`
    (stored rows without that language: Finnish). Without `as_of`: the stored
    themes of the latest run (active, not dismissed); with it: computed for that date from
    the items dated on or before it, nothing stored (ids "D-n", category "nouseva", or
    "hiipuva" for a theme held from a weekly checkpoint of the last `hold_days`)."""
    rows: list[dict[str, Any]] = []
    if as_of is None:
        for t in db.query(
            "select t.id, t.title, t.category, a.area_code, a.score, a.reasons, a.reasons_i18n "
            "from emerging_themes t join emerging_areas a on a.theme_id = t.id "
            "and a.area_kind = 'kunta' where t.active = 1 and t.decision != 'hylätty' "
            "order by a.score desc, t.id, a.area_code"
        ):
            members = [
                r[0]
                for r in db.execute(
                    "select item_key from emerging_members where theme_id = ? "
                    "and municipality_code = ? order by item_key",
                    [t["id"], t["area_code"]],
                )
            ]
            rows.append(
                {
                    "theme_id": str(t["id"]),
                    "title": t["title"],
                    "category": t["category"],
                    "municipality": t["area_code"],
                    "members": members,
                    "score": t["score"],
                    "reasons": " ".join(stored_reasons(t["reasons"], t["reasons_i18n"], language)),
                }
            )
    else:
        params = params or EmergingParams()
        stream = load_stream(db, model, as_of=as_of, params=params)
        themes = themes_with_hold(stream, as_of, params)
        background = term_shares(stream.terms)
        for n, theme in enumerate(themes, start=1):
            title = theme_title(theme, theme_texts(db, theme), background)
            held = theme.extra.get("held_from")
            lead = [held_sentence(held, params.hold_days, language)] if held else []
            for code in sorted(theme.flagged):
                rows.append(
                    {
                        "theme_id": f"{as_of.isoformat()}-{n}",
                        "title": title,
                        "category": "hiipuva" if held else "nouseva",
                        "municipality": code,
                        "members": sorted(theme.areas[code]),
                        "score": theme.score,
                        "reasons": " ".join([*lead, *area_reasons(theme, region, code, language)]),
                    }
                )
    public = _public_ids(db, [k for r in rows for k in r["members"]])
    for r in rows:
        r["items"] = ";".join(sorted(public[k] for k in r.pop("members")))
        r["municipality"] = region.municipality(r["municipality"]).name
    return rows
