"""Phenomena: observations and headlines grouped by meaning, with identities that survive re-runs.

The method, and why (BERTopic's users' complaints are the design brief):

1. **Centre the vectors.** Sentence-embedding spaces are anisotropic: with
   multilingual-e5 almost every pair of Finnish texts has a cosine of 0.8–0.9. Removing
   the corpus mean and renormalising spreads the similarities out, so that neighbours
   mean something.
2. **A k-nearest-neighbour graph and Leiden communities** (modularity). The number of
   phenomena comes from the data, not a fixed k, and small groups are allowed. Every item
   lands in a community, so few are left as outliers; BERTopic's HDBSCAN often leaves
   30–50 %. Leiden runs with a fixed seed on a graph built in a fixed order, so the same
   input always gives the same groups. Above `exact_limit` items the neighbours come from
   an approximate index (faiss IVF), so the graph is of the same kind at every scale and
   a full re-run of 10⁵ vectors stays fast.
   **Warm start.** A full run starts from the communities the previous run ended with
   (stored in `cluster_state`), and each of them pulls its members with an anchor node
   (`stickiness`). Community detection alone is fragile: a 10 % change in the data moves
   a third of the items between communities, and no identity matching can then keep
   their ids. With the warm start a member moves only when the new evidence outweighs
   the pull, and new phenomena still form among new items. The centring mean is kept
   between runs too, until the data has grown by `remean_growth`.
3. **Small and loose groups.** Communities smaller than `min_size` become unassigned,
   unless they are a tight pair. So do items far from their community's centre. The
   share left unassigned is reported.
4. **Identity.** New groups are matched to the previous phenomena by shared members
   (greedy on overlap), then by centroid. A persisting phenomenon keeps its id, title,
   review status and human edits. Merges and splits are written to the lineage table.
5. **Human decisions win.** They are written by `nakyma.review`, each with its audit row
   in one transaction: pinned items (moved or split by hand, `manual_assignments`),
   manual merges (`merged_into`), dismissals and edited titles (`title_edited`). Every
   full run replays them: `_match_run` follows merges and puts pinned items back where
   people put them, and `_write_run` never overwrites a review status, a dismissal or an
   edited title.
6. **Labels.** Class-based TF-IDF over the nouns and adjectives of the members' texts,
   lemmatised with Voikko (stop words out), gives the keywords; the working title is a
   Finnish noun phrase from the ~30 most central members' own wording
   (`nakyma.titles.phenomenon_title`, e.g. "Omaishoitajien uupuminen"); the items nearest
   the centre are the representatives.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from sqlite_utils import Database

from nakyma.config import Settings, default
from nakyma.db import now_utc, write_transaction
from nakyma.embedding import load_vectors, vector_to_blob
from nakyma.titles import (
    FINNISH_STOP_WORDS,
    MAX_TEXTS,
    TITLES_VERSION,
    document_shares,
    phenomenon_title,
)

Key = tuple[str, str]  # (item_kind, item_key)
ITEM_KINDS = ("observation", "headline")  # what is clustered; indicator titles are not

WRITE_BATCH = 500  # rows per write transaction in incremental assignment


def active_where(alias: str = "") -> str:
    """The SQL condition for an active phenomenon: it has members, nobody dismissed it and
    it was not merged into another. `alias` is the table's alias in the caller's query."""
    a = f"{alias}." if alias else ""
    return f"{a}size > 0 and coalesce({a}dismissed, 0) = 0 and {a}merged_into is null"


def active_phenomena(
    db: Database, *, columns: str = "*", order_by: str = "id", exclude: int | None = None
) -> list[dict[str, Any]]:
    """Every active phenomenon (see `active_where`), as dicts, in `order_by` order."""
    where = active_where()
    params: list[Any] = []
    if exclude is not None:
        where += " and id != ?"
        params.append(exclude)
    return list(
        db.query(f"select {columns} from phenomena where {where} order by {order_by}", params)
    )


def blob_to_vector(blob: bytes) -> np.ndarray:
    """A stored float32 vector (little-endian), whatever its dimension."""
    return np.frombuffer(blob, dtype="<f4").astype(np.float32)


@dataclass(frozen=True)
class ClusterParams:
    """Clustering knobs. Similarities are cosines in the centred space (see module doc)."""

    knn: int = 15  # neighbours per item in the graph
    # The four knobs a county may tune are settings (NAKYMA_CLUSTER_*); defaults live there.
    resolution: float = default("cluster_resolution")  # higher: more, smaller phenomena
    stickiness: float = default("cluster_stickiness")  # warm start: pull of a previous group
    min_size: int = 3  # smallest group kept as a phenomenon ...
    tight_pair_similarity: float = 0.55  # ... except a pair at least this similar
    min_member_similarity: float = default("cluster_min_member_similarity")  # else unassigned
    min_neighbour_similarity: float = default("cluster_min_neighbour_similarity")  # likewise
    assign_similarity: float = 0.30  # incremental: join the nearest phenomenon from here
    exact_limit: int = 20_000  # above this, neighbours come from an approximate index
    probe: int = 12  # ... which searches this many of its cells per item
    remean_growth: float = 0.5  # re-centre when the items grew by this share since
    centroid_match: float = 0.80  # identity by centroid when members do not tell
    seed: int = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> ClusterParams:
        """The parameters a deployment's settings describe (the rest at their defaults)."""
        return cls(
            resolution=settings.cluster_resolution,
            stickiness=settings.cluster_stickiness,
            min_member_similarity=settings.cluster_min_member_similarity,
            min_neighbour_similarity=settings.cluster_min_neighbour_similarity,
        )


# ---------------------------------------------------------------------------------------
# Vectors and the clustering itself (pure functions over numpy arrays)


def normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


def centre(matrix: np.ndarray, mean: np.ndarray) -> np.ndarray:
    return normalise(matrix - mean)


def _knn(vectors: np.ndarray, k: int, chunk: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest neighbours by cosine (rows are normalised), chunked for memory."""
    n = len(vectors)
    k = min(k, n - 1)
    indices = np.empty((n, k), dtype=np.int64)
    sims = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, chunk):
        block = vectors[start : start + chunk] @ vectors.T
        rows = np.arange(block.shape[0])
        block[rows, rows + start] = -np.inf
        part = np.argpartition(-block, k - 1, axis=1)[:, :k]
        part_sims = np.take_along_axis(block, part, axis=1)
        # Sort by similarity, then index: a total order keeps the graph deterministic.
        order = np.lexsort((part, -part_sims), axis=1)
        indices[start : start + chunk] = np.take_along_axis(part, order, axis=1)
        sims[start : start + chunk] = np.take_along_axis(part_sims, order, axis=1)
    return indices, sims


def _knn_approximate(
    vectors: np.ndarray, k: int, params: ClusterParams
) -> tuple[np.ndarray, np.ndarray]:
    """k nearest neighbours from an inverted-file index (faiss IVF, inner product): the
    vectors are split into about 4·√n cells by k-means (fixed seed), and each item searches
    the `probe` cells nearest to it. Exact within those cells; deterministic."""
    import faiss

    n, dim = vectors.shape
    cells = max(1, min(int(4 * math.sqrt(n)), n // 39))
    quantiser = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantiser, dim, cells, faiss.METRIC_INNER_PRODUCT)
    index.cp.seed = params.seed
    data = np.ascontiguousarray(vectors, dtype=np.float32)
    index.train(data)
    index.add(data)
    index.nprobe = min(params.probe, cells)
    sims, indices = index.search(data, k + 1)
    # Drop each item itself (and the -1 padding of short result lists).
    own = indices == np.arange(n)[:, None]
    sims = np.where(own | (indices < 0), -np.inf, sims)
    order = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(indices, order, axis=1), np.take_along_axis(sims, order, axis=1)


def knn_graph(vectors: np.ndarray, params: ClusterParams) -> tuple[np.ndarray, np.ndarray]:
    """Undirected weighted edges (pairs i < j, weights) of the k-nearest-neighbour graph.
    A pair that is in each other's lists gets both similarities: mutual neighbours bind
    more strongly."""
    n = len(vectors)
    k = min(params.knn, n - 1)
    if n <= params.exact_limit:
        indices, sims = _knn(vectors, k)
    else:
        indices, sims = _knn_approximate(vectors, k, params)
    rows = np.repeat(np.arange(n, dtype=np.int64), indices.shape[1])
    cols = indices.ravel().astype(np.int64)
    weights = sims.ravel().astype(np.float64)
    keep = (weights > 0) & (cols >= 0)
    a = np.minimum(rows, cols)[keep]
    b = np.maximum(rows, cols)[keep]
    pair, inverse = np.unique(a * n + b, return_inverse=True)
    summed = np.bincount(inverse, weights=weights[keep])
    return np.stack([pair // n, pair % n], axis=1), summed


def communities(
    vectors: np.ndarray, params: ClusterParams, initial: np.ndarray | None = None
) -> np.ndarray:
    """Leiden (modularity) communities of the k-nearest-neighbour graph; every item gets one.

    `initial` is the previous run's community per item (-1 for items it did not see).
    The search then starts from that partition, and each previous community is tied
    together by an anchor node joined to its members with `stickiness` × the mean node
    strength: members stay unless the new evidence outweighs that pull, new items join
    by their neighbours, and new communities still form among new items. Leiden with a
    fixed seed on a graph built in a fixed order gives the same result for the same input.
    """
    import random

    import igraph

    n = len(vectors)
    edges, weights = knn_graph(vectors, params)
    membership = None
    nodes = n
    if initial is not None and (initial >= 0).any():
        old = np.flatnonzero(initial >= 0)
        previous, anchor = np.unique(initial[old], return_inverse=True)
        if params.stickiness > 0:
            strength = np.bincount(edges.ravel(), weights=np.repeat(weights, 2), minlength=n)
            pull = params.stickiness * float(strength.mean())
            edges = np.vstack([edges, np.stack([old, n + anchor], axis=1)])
            weights = np.concatenate([weights, np.full(len(old), pull)])
            nodes = n + len(previous)
        start = np.full(nodes, -1, dtype=np.int64)
        start[old] = anchor
        start[n:] = np.arange(nodes - n)
        fresh = np.flatnonzero(start < 0)  # new items start alone
        start[fresh] = len(previous) + np.arange(len(fresh))
        membership = start.tolist()
    graph = igraph.Graph(n=nodes, edges=edges.tolist())
    igraph.set_random_number_generator(random.Random(params.seed))
    try:
        found = graph.community_leiden(
            objective_function="modularity",
            weights=weights.tolist(),
            resolution=params.resolution,
            n_iterations=-1,
            initial_membership=membership,
        )
    finally:
        igraph.set_random_number_generator(random)
    raw = np.asarray(found.membership[:n], dtype=np.int64)
    # Number communities by their first item: labels do not depend on Leiden's numbering.
    values, first = np.unique(raw, return_index=True)
    rank = np.empty(raw.max() + 1, dtype=np.int64)
    rank[values[np.argsort(first)]] = np.arange(len(first))
    return rank[raw]


def cluster_vectors(
    vectors: np.ndarray, params: ClusterParams = ClusterParams(), initial: np.ndarray | None = None
) -> np.ndarray:
    """Group centred, normalised vectors; -1 marks unassigned. Deterministic."""
    return partition(vectors, params, initial)[1]


def partition(
    vectors: np.ndarray, params: ClusterParams = ClusterParams(), initial: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(communities, phenomena): the raw communities (the next run's starting point) and
    the same after pruning, -1 marking unassigned items."""
    n = len(vectors)
    if n == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    if n < params.min_size:
        return np.zeros(n, dtype=np.int64), np.full(n, -1, dtype=np.int64)
    raw = communities(vectors, params, initial)
    return raw, _prune(vectors, raw, params)


def _prune(vectors: np.ndarray, labels: np.ndarray, params: ClusterParams) -> np.ndarray:
    """Unassign loose members and groups too small to be a phenomenon; renumber 0..k-1."""
    labels = labels.copy()
    for _ in range(2):  # members leaving a group move its centre; one more pass settles it
        for c in np.unique(labels[labels >= 0]):
            members = np.flatnonzero(labels == c)
            centroid = normalise(vectors[members].mean(axis=0, keepdims=True))[0]
            far = vectors[members] @ centroid < params.min_member_similarity
            # A centroid can sit between two unrelated items; a member also needs one
            # close group-mate (groups are small, so the pairwise block is cheap).
            if len(members) <= 2000:
                pairwise = vectors[members] @ vectors[members].T
                np.fill_diagonal(pairwise, -1.0)
                far |= pairwise.max(axis=1) < params.min_neighbour_similarity
            labels[members[far]] = -1
        for c in np.unique(labels[labels >= 0]):
            members = np.flatnonzero(labels == c)
            if len(members) >= params.min_size:
                continue
            tight = (
                len(members) == 2
                and float(vectors[members[0]] @ vectors[members[1]]) >= params.tight_pair_similarity
            )
            if not tight:
                labels[members] = -1
    out = np.full(len(labels), -1, dtype=np.int64)
    for new, c in enumerate(
        sorted(np.unique(labels[labels >= 0]), key=lambda c: np.flatnonzero(labels == c)[0])
    ):
        out[labels == c] = new
    return out


def centroids(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    k = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
    if k == 0:
        return np.empty((0, vectors.shape[1] if vectors.ndim == 2 else 0), dtype=np.float32)
    sums = np.zeros((k, vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, labels[labels >= 0], vectors[labels >= 0])
    return normalise(sums)


# ---------------------------------------------------------------------------------------
# Identity across runs


@dataclass
class Match:
    ids: list[int | None]  # per new group: the previous phenomenon id it continues, or None
    merges: list[tuple[int, int]] = field(default_factory=list)  # (previous id, into group)
    splits: list[tuple[int, int]] = field(default_factory=list)  # (previous id, new group)


def match_to_previous(
    groups: Sequence[Sequence[Key]],
    group_centroids: np.ndarray,
    previous_members: dict[Key, int],
    previous_centroids: dict[int, np.ndarray],
    *,
    centroid_match: float = 0.80,
) -> Match:
    """Which new group continues which previous phenomenon.

    Greedy on shared members (largest overlap first, ties by ids), each id used once.
    A group with no shared members may continue an unused phenomenon whose centroid is
    very close. A previous phenomenon whose members mostly went into a group that
    continues another id was merged; a new group whose members mostly came from a
    phenomenon continued elsewhere was split off it.
    """
    overlap: Counter[tuple[int, int]] = Counter()
    for g, members in enumerate(groups):
        for key in members:
            pid = previous_members.get(key)
            if pid is not None:
                overlap[(g, pid)] += 1
    survivors: Counter[int] = Counter()
    for (_, pid), n in overlap.items():
        survivors[pid] += n
    ids: list[int | None] = [None] * len(groups)
    used: set[int] = set()
    for (g, pid), n in sorted(overlap.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1])):
        if ids[g] is not None or pid in used:
            continue
        # The group must hold a real share of the phenomenon's surviving members.
        if n * 3 < survivors[pid] and n < 3:
            continue
        ids[g] = pid
        used.add(pid)
    free = [pid for pid in sorted(previous_centroids) if pid not in used]
    if free and len(group_centroids):
        matrix = np.stack([previous_centroids[p] for p in free])
        for g in range(len(groups)):
            if ids[g] is not None or any((g, p) in overlap for p in free):
                continue
            sims = matrix @ group_centroids[g]
            best = int(np.argmax(sims))
            if sims[best] >= centroid_match and free[best] not in used:
                ids[g] = free[best]
                used.add(free[best])
    match = Match(ids=ids)
    for pid in sorted(survivors):
        if pid in used:
            continue
        share = {g: n for (g, p), n in overlap.items() if p == pid}
        g = max(sorted(share), key=lambda x: share[x])
        if ids[g] is not None and share[g] * 2 >= survivors[pid]:
            match.merges.append((pid, g))
    for g in range(len(groups)):
        if ids[g] is not None:
            continue
        pairs = sorted((n, -p) for (gg, p), n in overlap.items() if gg == g)
        if pairs:
            n, neg = pairs[-1]
            if -neg in used and n * 2 >= len(groups[g]):
                match.splits.append((-neg, g))
    return match


# ---------------------------------------------------------------------------------------
# Labels: class-based TF-IDF over lemmatised Finnish

# The simplemma lemmas below made the keywords before `nakyma.titles`; kept for
# `benchmarks/bench_titles.py`, which compares old and new.
# Where simplemma's Finnish lemma is wrong for words this domain uses all the time.
LEMMA_FIXES = {"nuora": "nuori", "vanhemmat": "vanhempi"}
TOKEN = re.compile(r"[a-zåäöA-ZÅÄÖ][a-zåäöA-ZÅÄÖ-]{2,}")


@lru_cache(maxsize=200_000)
def _lemma(word: str) -> str:
    import simplemma

    lemma = str(simplemma.lemmatize(word, lang="fi")).lower()
    return LEMMA_FIXES.get(lemma, lemma)


def lemmas(text: str) -> list[str]:
    out = []
    for word in TOKEN.findall(text.lower()):
        lemma = _lemma(word.strip("-"))
        if len(lemma) >= 3 and lemma not in FINNISH_STOP_WORDS and word not in FINNISH_STOP_WORDS:
            out.append(lemma)
    return out


def class_keywords(docs_per_class: Sequence[Sequence[str]], top: int = 8) -> list[list[str]]:
    """c-TF-IDF keywords per class: nouns and adjectives lemmatised with Voikko
    (`nakyma.titles.class_keywords`)."""
    from nakyma.titles import class_keywords as keywords

    return keywords(docs_per_class, top=top)


def auto_title(keywords: Sequence[str]) -> str:
    """The old keyword-list title ("Nuuska, vapetus ja yläkoulu"), kept for comparison in
    `benchmarks/bench_titles.py`; runs title phenomena with `nakyma.titles`."""
    words = [w for w in keywords[:3] if w]
    if not words:
        return "Nimeämätön ilmiö"
    words[0] = words[0][:1].upper() + words[0][1:]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " ja " + words[-1]


# ---------------------------------------------------------------------------------------
# Reading items and saving a run


def item_texts(db: Database, keys: Iterable[Key]) -> dict[Key, str]:
    keys = list(keys)
    obs = [k for kind, k in keys if kind == "observation"]
    heads = [k for kind, k in keys if kind == "headline"]
    out: dict[Key, str] = {}
    for chunk in _chunks(obs, 900):
        marks = ",".join("?" * len(chunk))
        for row in db.execute(f"select id, text from observations where id in ({marks})", chunk):
            out[("observation", str(row[0]))] = row[1]
    for chunk in _chunks(heads, 900):
        marks = ",".join("?" * len(chunk))
        for row in db.execute(
            f"select guid, title, teaser from headlines where guid in ({marks})", chunk
        ):
            out[("headline", row[0])] = f"{row[1]}. {row[2] or ''}".strip()
    return out


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _previous(
    db: Database, model: str
) -> tuple[dict[Key, int], dict[int, np.ndarray], dict[int, dict]]:
    members = {
        (r[0], r[1]): int(r[2])
        for r in db.execute("select item_kind, item_key, phenomenon_id from phenomenon_members")
    }
    rows = {r["id"]: r for r in db.query("select * from phenomena")}
    cents = {
        pid: blob_to_vector(r["centroid"])
        for pid, r in rows.items()
        # Centroids from another model live in another space: match those by members only.
        if r["centroid"] is not None and not r["merged_into"] and r["model"] == model
    }
    return members, cents, rows


def resolve_merged(rows: dict[int, dict], pid: int) -> int:
    """Follow manual merges (merged_into) to the phenomenon that absorbed this one."""
    seen = set()
    while rows.get(pid, {}).get("merged_into") and pid not in seen:
        seen.add(pid)
        pid = int(rows[pid]["merged_into"])
    return pid


@dataclass
class RunResult:
    items: int = 0
    phenomena: int = 0
    unassigned: int = 0
    new: int = 0
    continued: int = 0
    merges: int = 0
    splits: int = 0
    pinned: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # per phase, for the run log

    @property
    def unassigned_share(self) -> float:
        return self.unassigned / self.items if self.items else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.__dict__,
            "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
            "unassigned_share": round(self.unassigned_share, 4),
        }

    def lap(self, phase: str, started: float) -> float:
        now = time.perf_counter()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + now - started
        return now


def run_clustering(
    db: Database,
    model: str,
    *,
    params: ClusterParams = ClusterParams(),
    run_id: int | None = None,
    embedder: Any | None = None,
) -> RunResult:
    """A full run over every stored vector of `model`, in five timed phases: load the
    vectors, cluster them, match the groups to the previous phenomena (replaying human
    decisions), label each phenomenon, and write it all in one transaction. With the
    `embedder` of `model`, titles prefer phrases close to each phenomenon's centre."""
    started = time.perf_counter()
    loaded = _load_run(db, model, params)
    if loaded is None:
        return RunResult()
    result = RunResult(items=len(loaded.keys))
    started = result.lap("load", started)
    communities_found, labels = partition(loaded.vectors, params, loaded.initial())
    started = result.lap("cluster", started)
    now = now_utc()
    matched = _match_run(db, model, loaded, labels, params, result)
    started = result.lap("match", started)
    labelled = _label_run(db, model, loaded, matched, run_id=run_id, now=now, embedder=embedder)
    started = result.lap("label", started)
    _write_run(db, model, loaded, matched, labelled, communities_found, run_id=run_id, now=now)
    result.lap("write", started)
    result.phenomena = len(labelled.phenomena)
    result.unassigned = len(loaded.keys) - len(matched.assignment)
    return result


@dataclass
class _Loaded:
    """What a full run starts from: every vector of the model, centred, and where the
    previous run left each item."""

    keys: list[Key]
    index: dict[Key, int]  # row of each key in `vectors`
    vectors: np.ndarray  # centred and normalised
    mean: np.ndarray
    mean_items: int  # how many items `mean` was computed over
    state: dict[Key, int]  # each item's community in the previous run (the warm start)
    newest: str | None  # created_at of the newest vector this run sees

    def initial(self) -> np.ndarray | None:
        if not self.state:
            return None
        return np.array([self.state.get(key, -1) for key in self.keys], dtype=np.int64)


def _load_run(db: Database, model: str, params: ClusterParams) -> _Loaded | None:
    """The "load" phase; None when the model has no vectors."""
    newest = db.execute(
        "select max(created_at) from embeddings where model = ? "
        "and item_kind in ('observation', 'headline')",
        [model],
    ).fetchone()[0]
    keys, raw = load_vectors(db, model, kinds=ITEM_KINDS)
    if not keys:
        return None
    mean, mean_items = _centring_mean(db, model, raw, params)
    state = {
        (r[0], r[1]): int(r[2])
        for r in db.execute(
            "select item_kind, item_key, community from cluster_state where model = ?", [model]
        )
    }
    return _Loaded(
        keys=keys,
        index={key: i for i, key in enumerate(keys)},
        vectors=centre(raw, mean),
        mean=mean,
        mean_items=mean_items,
        state=state,
        newest=newest,
    )


@dataclass
class _Matched:
    """Each item's phenomenon after identities are matched and human decisions replayed."""

    assignment: dict[Key, tuple[int, str]]  # item -> (phenomenon id, origin)
    lineage: list[tuple[str, int, int]]  # (kind, from id, to id)
    previous: dict[int, dict]  # the phenomena's rows before this run


def _match_run(
    db: Database,
    model: str,
    loaded: _Loaded,
    labels: np.ndarray,
    params: ClusterParams,
    result: RunResult,
) -> _Matched:
    """The "match" phase: a new group continues the previous phenomenon it matches, or
    gets a new id; manual merges are followed, and pinned items go where they were put."""
    k = int(labels.max()) + 1 if labels.max() >= 0 else 0
    groups: list[list[Key]] = [[] for _ in range(k)]
    for i, label in enumerate(labels):
        if label >= 0:
            groups[label].append(loaded.keys[i])
    prev_members, prev_centroids, prev_rows = _previous(db, model)
    match = match_to_previous(
        groups,
        centroids(loaded.vectors, labels),
        prev_members,
        prev_centroids,
        centroid_match=params.centroid_match,
    )
    pinned = {
        (r[0], r[1]): int(r[2])
        for r in db.execute("select item_kind, item_key, phenomenon_id from manual_assignments")
    }
    next_id = (db.execute("select max(id) from phenomena").fetchone()[0] or 0) + 1
    final_ids: list[int] = []
    for pid in match.ids:
        if pid is None:
            pid = next_id
            next_id += 1
            result.new += 1
        else:
            result.continued += 1
        final_ids.append(resolve_merged(prev_rows, pid))
    lineage = [("merge", p, final_ids[g]) for p, g in match.merges] + [
        ("split", p, final_ids[g]) for p, g in match.splits
    ]
    result.merges, result.splits = len(match.merges), len(match.splits)
    assignment: dict[Key, tuple[int, str]] = {}
    for g, members in enumerate(groups):
        for key in members:
            assignment[key] = (final_ids[g], "cluster")
    for key, pid in pinned.items():
        if key in loaded.index:
            assignment[key] = (resolve_merged(prev_rows, pid), "manual")
            result.pinned += 1
    return _Matched(assignment=assignment, lineage=lineage, previous=prev_rows)


@dataclass
class _Labelled:
    """What the run writes: a row per phenomenon that has members, the member rows, and the
    titles computed or reused (digest -> title) for the next run to reuse."""

    phenomena: list[dict[str, Any]] = field(default_factory=list)  # by id
    members: list[tuple[str, str, int, float, str]] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)


_TITLES: dict[str, str] = {}  # digest of (texts, keywords) -> title, within this process


def _title_digest(texts: list[str], keywords: list[str], centred: bool) -> str:
    import hashlib

    key = [TITLES_VERSION, texts, keywords, centred]
    return hashlib.sha256(json.dumps(key, ensure_ascii=False).encode("utf-8")).hexdigest()


def remembered_title(
    texts: list[str],
    background: Mapping[str, float],
    keywords: list[str],
    centre: tuple[np.ndarray, Any] | None = None,
    *,
    stored: Mapping[str, str] | None = None,
    used: dict[str, str] | None = None,
) -> str:
    """`phenomenon_title`, remembered by a digest of its inputs: a group (phenomenon or
    emerging theme) whose most central members and keywords did not change keeps its title
    without the language models running again. Remembered in this process (`_TITLES`: the
    many runs of a test session) and in the database (`stored`: the table `auto_titles` as
    the previous run left it, `stored_titles`), so that a run in a fresh process (the CLI, the
    first run after a restart) does not recompute every title: over 10^4 items that was most
    of a full run. The digest and title go into `used`, for the run to store
    (`remember_titles`). The background shares may have moved a little since: the title is
    kept anyway, which also keeps it stable."""
    digest = _title_digest(texts, keywords, centre is not None)
    title = _TITLES.get(digest) or (stored or {}).get(digest)
    if title is None:
        vector, embedder = centre if centre is not None else (None, None)
        title = phenomenon_title(texts, vector, embedder, background=background, keywords=keywords)
    if len(_TITLES) > 50_000:
        _TITLES.clear()
    _TITLES[digest] = title
    if used is not None:
        used[digest] = title
    return title


def stored_titles(db: Database, kind: str) -> dict[str, str]:
    """The titles the last run of `kind` ("phenomenon" or "theme") used, by digest."""
    return dict(
        db.execute("select digest, title from auto_titles where kind = ?", [kind]).fetchall()
    )


def remember_titles(db: Database, kind: str, titles: Mapping[str, str], run_id: int | None) -> None:
    """Replace the stored titles of `kind` with this run's (call inside its write
    transaction): the table stays the size of the groups shown."""
    db.execute("delete from auto_titles where kind = ?", [kind])
    db.table("auto_titles").upsert_all(
        ({"digest": d, "kind": kind, "title": t, "run_id": run_id} for d, t in titles.items()),
        pk="digest",
    )


def _label_run(
    db: Database,
    model: str,
    loaded: _Loaded,
    matched: _Matched,
    *,
    run_id: int | None,
    now: str,
    embedder: Any | None = None,
) -> _Labelled:
    """The "label" phase: per phenomenon its keywords and working title, centroid,
    representatives, members' similarities and dates seen."""
    members_of: dict[int, list[Key]] = defaultdict(list)
    for key, (pid, _) in matched.assignment.items():
        members_of[pid].append(key)
    texts = item_texts(db, matched.assignment)
    pids = sorted(members_of)
    keywords = class_keywords([[texts.get(key, "") for key in members_of[p]] for p in pids])
    background = document_shares(texts.values())
    dates = _item_dates(db, matched.assignment)
    stored = stored_titles(db, "phenomenon")
    labelled = _Labelled()
    for pid, words in zip(pids, keywords, strict=True):
        keys = members_of[pid]
        idx = [loaded.index[key] for key in keys]
        centroid = normalise(loaded.vectors[idx].mean(axis=0, keepdims=True))[0]
        sims = loaded.vectors[idx] @ centroid
        order = np.lexsort((np.array([str(key) for key in keys]), -sims))
        for i, key in enumerate(keys):
            labelled.members.append(
                (key[0], key[1], pid, round(float(sims[i]), 3), matched.assignment[key][1])
            )
        seen = sorted(d for key in keys if (d := dates.get(key)))
        title = remembered_title(
            [texts.get(keys[i], "") for i in order[:MAX_TEXTS]],
            background,
            words,
            (centroid, embedder) if embedder is not None else None,
            stored=stored,
            used=labelled.titles,
        )
        labelled.phenomena.append(
            {
                "id": pid,
                "title_auto": title,
                "keywords": json.dumps(words, ensure_ascii=False),
                "representatives": json.dumps(
                    [list(keys[i]) for i in order[:3]], ensure_ascii=False
                ),
                "centroid": vector_to_blob(centroid),
                "model": model,
                "size": len(idx),
                "first_seen": seen[0] if seen else None,
                "last_seen": seen[-1] if seen else None,
                "updated_run": run_id,
                "updated_at": now,
            }
        )
    return labelled


def _write_run(
    db: Database,
    model: str,
    loaded: _Loaded,
    matched: _Matched,
    labelled: _Labelled,
    communities_found: np.ndarray,
    *,
    run_id: int | None,
    now: str,
) -> None:
    """The "write" phase, one transaction. A continued phenomenon keeps its review status,
    dismissal and a title edited by hand; only what changed is rewritten."""
    with write_transaction(db):
        db.table("phenomenon_lineage").insert_all(
            {"run_id": run_id, "kind": kind, "from_id": a, "to_id": b, "created_at": now}
            for kind, a, b in matched.lineage
        )
        for record in labelled.phenomena:
            previous = matched.previous.get(record["id"])
            if previous is None:
                db.table("phenomena").insert(
                    {
                        **record,
                        "title": record["title_auto"],
                        "title_edited": 0,
                        "status": "uusi",
                        "dismissed": 0,
                        "created_run": run_id,
                        "created_at": now,
                    }
                )
            elif previous["title_edited"]:
                db.table("phenomena").update(record["id"], record)
            else:
                db.table("phenomena").update(
                    record["id"], {**record, "title": record["title_auto"]}
                )
        _write_members(db, labelled.members, now)
        _write_state(db, model, loaded.state, loaded.keys, communities_found)
        remember_titles(db, "phenomenon", labelled.titles, run_id)
        # Phenomena that lost every member keep their row (history, review status), size 0.
        pids = [record["id"] for record in labelled.phenomena]
        if pids:
            marks = ",".join("?" * len(pids))
            db.execute(
                f"update phenomena set size = 0, updated_run = ? where id not in ({marks}) "
                "and size != 0",
                [run_id, *pids],
            )
        else:
            db.execute("update phenomena set size = 0")
        db.table("cluster_space").upsert(
            # run_at: the newest vector this run saw; incremental assignment takes later ones.
            {
                "model": model,
                "mean": vector_to_blob(loaded.mean),
                "dim": len(loaded.mean),
                "mean_items": loaded.mean_items,
                "run_at": loaded.newest,
            },
            pk="model",
        )


def _centring_mean(
    db: Database, model: str, raw: np.ndarray, params: ClusterParams
) -> tuple[np.ndarray, int]:
    """The mean to centre with, and how many items it was computed over: the stored one
    while the data has grown by less than `remean_growth` since, else a fresh one.
    Keeping it keeps the space (and so the neighbours) still between runs."""
    row = db.execute(
        "select mean, mean_items from cluster_space where model = ?", [model]
    ).fetchone()
    if row is not None and row[1]:
        mean = blob_to_vector(row[0])
        if len(mean) == raw.shape[1] and len(raw) <= row[1] * (1 + params.remean_growth):
            return mean, int(row[1])
    return raw.mean(axis=0).astype(np.float32), len(raw)


def _write_members(db: Database, rows: list[tuple[str, str, int, float, str]], now: str) -> None:
    """Make phenomenon_members hold exactly `rows`, writing only what changed: a re-run
    where most items stay put costs reads, not 10⁵ rewritten rows.

    The table is read again here, inside the write transaction, although `_previous` read
    it before clustering: an item the incremental job assigned meanwhile must be seen, so
    that it leaves with the rest and waits for its next incremental call."""
    old = {
        (r[0], r[1]): (r[2], r[3], r[4])
        for r in db.execute(
            "select item_kind, item_key, phenomenon_id, similarity, origin from phenomenon_members"
        )
    }
    wanted = {(kind, key): (pid, sim, origin) for kind, key, pid, sim, origin in rows}
    gone = [key for key in old if key not in wanted]
    changed = [
        (kind, key, *value, now)
        for (kind, key), value in wanted.items()
        if old.get((kind, key)) != value
    ]
    db.conn.executemany("delete from phenomenon_members where item_kind = ? and item_key = ?", gone)
    db.conn.executemany(
        "insert or replace into phenomenon_members "
        "(item_kind, item_key, phenomenon_id, similarity, origin, assigned_at) "
        "values (?, ?, ?, ?, ?, ?)",
        changed,
    )


def _write_state(
    db: Database, model: str, old: dict[Key, int], keys: Sequence[Key], found: np.ndarray
) -> None:
    """Store each item's community (before pruning): the next full run starts from it."""
    new = {key: int(c) for key, c in zip(keys, found, strict=True)}
    db.conn.executemany(
        "delete from cluster_state where model = ? and item_kind = ? and item_key = ?",
        [(model, *key) for key in old if key not in new],
    )
    db.conn.executemany(
        "insert or replace into cluster_state (model, item_kind, item_key, community) "
        "values (?, ?, ?, ?)",
        [(model, *key, c) for key, c in new.items() if old.get(key) != c],
    )


def _item_dates(db: Database, keys: Iterable[Key]) -> dict[Key, str]:
    wanted = set(keys)
    out: dict[Key, str] = {}
    for row in db.execute("select id, observed_on from observations"):
        key = ("observation", str(row[0]))
        if key in wanted:
            out[key] = row[1]
    for row in db.execute("select guid, published from headlines"):
        key = ("headline", row[0])
        if key in wanted and row[1]:
            out[key] = row[1][:10]
    return out


# ---------------------------------------------------------------------------------------
# Between full runs: assign new items to the nearest phenomenon


@dataclass
class SpaceCache:
    """Centroids of the active phenomena in the centred space, loaded once per model."""

    model: str
    mean: np.ndarray
    ids: list[int]
    matrix: np.ndarray


def load_space(db: Database, model: str) -> SpaceCache | None:
    row = db.execute("select mean from cluster_space where model = ?", [model]).fetchone()
    if row is None:
        return None
    rows = list(
        db.execute(
            f"select id, centroid from phenomena where model = ? and {active_where()} "
            "and centroid is not null order by id",
            [model],
        )
    )
    if not rows:
        return None
    return SpaceCache(
        model=model,
        mean=blob_to_vector(row[0]),
        ids=[int(r[0]) for r in rows],
        matrix=np.stack([blob_to_vector(r[1]) for r in rows]),
    )


def nearest_phenomenon(space: SpaceCache, vector: np.ndarray) -> tuple[int, float]:
    v = centre(vector.reshape(1, -1), space.mean)[0]
    sims = space.matrix @ v
    best = int(np.argmax(sims))
    return space.ids[best], float(sims[best])


def assign_incrementally(
    db: Database,
    model: str,
    *,
    params: ClusterParams = ClusterParams(),
    space: SpaceCache | None = None,
) -> tuple[int, int]:
    """Give each vector without a phenomenon the nearest one, when similar enough.

    Returns (assigned, left waiting for the next full run)."""
    space = space or load_space(db, model)
    if space is None:
        return 0, 0
    # Only items embedded since the last full run: those the full run left unassigned
    # wait for the next full run, and re-scoring them on every call would make one new
    # item cost time in proportion to all of them.
    run_at = db.execute("select run_at from cluster_space where model = ?", [model]).fetchone()
    pending = list(
        db.execute(
            "select e.item_kind, e.item_key, e.vector from embeddings e "
            "left join phenomenon_members m on m.item_kind = e.item_kind "
            "and m.item_key = e.item_key where e.model = ? and m.phenomenon_id is null "
            "and e.item_kind in ('observation', 'headline') and e.created_at > ? "
            "order by e.item_kind, e.item_key",
            [model, run_at[0] if run_at else ""],
        )
    )
    now = now_utc()
    # Scored with no lock held; written in short transactions. An item a full run placed
    # meanwhile keeps that place (insert or ignore), and only a new member counts.
    chosen = []
    for kind, key, blob in pending:
        pid, sim = nearest_phenomenon(space, blob_to_vector(blob))
        if sim >= params.assign_similarity:
            chosen.append((kind, key, pid, round(sim, 5)))
    assigned = 0
    for start in range(0, len(chosen), WRITE_BATCH):
        with write_transaction(db):
            for kind, key, pid, sim in chosen[start : start + WRITE_BATCH]:
                cursor = db.execute(
                    "insert or ignore into phenomenon_members "
                    "(item_kind, item_key, phenomenon_id, similarity, origin, assigned_at) "
                    "values (?, ?, ?, ?, 'incremental', ?)",
                    [kind, key, pid, sim, now],
                )
                if cursor.rowcount == 1:
                    db.execute("update phenomena set size = size + 1 where id = ?", [pid])
                    assigned += 1
    return assigned, len(pending) - assigned


# ---------------------------------------------------------------------------------------
# Indicator links and semantic search

LINK_SIMILARITY = 0.25  # today's centred cosine, still stored as `similarity` (signals use it)
LINKS_PER_PHENOMENON = 3


def indicator_text(row: Mapping[str, Any]) -> str:
    """What an indicator is embedded and matched as: its title and its everyday description
    where one is shipped (`nakyma.linking.linking_text`)."""
    from nakyma.linking import linking_text

    return linking_text(int(row["id"]), str(row["title"]))


def ensure_indicator_vectors(db: Database, embedder: Any) -> int:
    """Embed the texts of stored indicators that have no vector for this model yet, as
    passages (the document side of a retrieval: a phenomenon looks for its statistics)."""
    from nakyma.embedding import store_vectors

    rows = list(
        db.query(
            "select i.id, i.title from indicators i left join embeddings e "
            "on e.item_kind = 'indicator' and e.item_key = cast(i.id as text) and e.model = ? "
            "where e.item_key is null order by i.id",
            [embedder.name],
        )
    )
    if not rows:
        return 0
    vectors = embedder.encode([indicator_text(r) for r in rows], kind="passage")
    return store_vectors(db, embedder.name, [("indicator", str(r["id"])) for r in rows], vectors)


@dataclass(frozen=True)
class LinkRun:
    """What a refresh of the suggested links did."""

    suggested: int
    decisions: int  # accepted + rejected links in the installation
    fitted: bool  # ranked by a model fitted on those decisions (else fixed weights)

    def as_dict(self) -> dict[str, Any]:
        from nakyma.linking import MIN_DECISIONS

        return {"decisions": self.decisions, "fitted": self.fitted, "minimum": MIN_DECISIONS}


def _link_evidence(db: Database, ids: Sequence[int]) -> dict[int, Any]:
    """Each phenomenon's members' terms, target groups and themes, keywords and theme."""
    from nakyma.finnish import item_terms, voikko_terms_many
    from nakyma.linking import PhenomenonEvidence

    members: dict[int, list[Key]] = defaultdict(list)
    for pid, kind, key in db.execute(
        "select phenomenon_id, item_kind, item_key from phenomenon_members "
        "order by phenomenon_id, item_kind, item_key"
    ):
        members[int(pid)].append((kind, key))
    wanted = [k for pid in ids for k in members.get(pid, [])]
    texts = item_texts(db, wanted)
    obs = [(k, texts[("observation", k)]) for kind, k in wanted if kind == "observation"]
    terms: dict[Key, list[str]] = {
        ("observation", k): t for (k, _), t in zip(obs, item_terms(db, obs), strict=True)
    }
    heads = [k for k in wanted if k[0] == "headline" and k in texts]
    for k, t in zip(heads, voikko_terms_many([texts[k] for k in heads]), strict=True):
        terms[k] = t
    fields: dict[str, tuple[str, str]] = {}
    for chunk in _chunks([k for kind, k in wanted if kind == "observation"], 900):
        marks = ",".join("?" * len(chunk))
        for row in db.execute(
            f"select id, target_group, theme from observations where id in ({marks})", chunk
        ):
            fields[str(row[0])] = (row[1] or "", row[2] or "")
    meta = {int(r["id"]): r for r in db.query("select id, keywords, theme from phenomena")}
    out = {}
    for pid in ids:
        keys = members.get(pid, [])
        obs_keys = [k for kind, k in keys if kind == "observation" and k in fields]
        row = meta.get(pid, {})
        out[pid] = PhenomenonEvidence(
            member_terms=[terms[k] for k in keys if k in terms],
            keywords=json.loads(row.get("keywords") or "[]"),
            target_groups=[fields[k][0] for k in obs_keys],
            themes=[fields[k][1] for k in obs_keys if fields[k][1]],
            theme=row.get("theme") or None,
        )
    return out


def _raw_centroids(db: Database, model: str, ids: Sequence[int]) -> np.ndarray:
    """Each phenomenon's members' mean vector, normalised (not centred)."""
    keys, raw = load_vectors(db, model, kinds=ITEM_KINDS)
    row_of = {k: i for i, k in enumerate(keys)}
    sums = np.zeros((len(ids), raw.shape[1]), dtype=np.float64)
    index = {pid: i for i, pid in enumerate(ids)}
    for pid, kind, key in db.execute(
        "select phenomenon_id, item_kind, item_key from phenomenon_members"
    ):
        i, r = index.get(int(pid)), row_of.get((kind, key))
        if i is not None and r is not None:
            sums[i] += raw[r]
    return normalise(sums.astype(np.float32))


def suggest_indicator_links(db: Database, model: str) -> LinkRun:
    """Refresh suggested indicator links; accepted and rejected decisions are kept.

    Each active phenomenon gets at most `LINKS_PER_PHENOMENON` indicators, scored by
    `nakyma.linking` (lexical, embedding and structured evidence) with fixed weights, or,
    once the installation has `linking.MIN_DECISIONS` accepted or rejected links, by a
    logistic regression fitted on their features in this run. Each suggestion stores its
    score, features and reasons (fi, sv)."""
    from nakyma import linking

    space = load_space(db, model)
    keys, vectors = load_vectors(db, model, kinds=["indicator"])
    decisions = db.execute(
        "select count(*) from phenomenon_indicator_links where decision in ('accepted', 'rejected')"
    ).fetchone()[0]
    if space is None or not keys:
        return LinkRun(0, decisions, False)
    meta = {
        int(r["id"]): r
        for r in db.query("select id, title, population_group, theme from indicators")
    }
    present = [j for j, k in enumerate(keys) if int(k[1]) in meta]
    indicators = [
        linking.described(
            int(keys[j][1]),
            str(meta[int(keys[j][1])]["title"]),
            population_group=meta[int(keys[j][1])]["population_group"] or "",
            theme=meta[int(keys[j][1])]["theme"] or "",
        )
        for j in present
    ]
    vectors = vectors[present]
    if not indicators:
        return LinkRun(0, decisions, False)
    centred = space.matrix @ centre(vectors, space.mean).T
    raw_centroids = _raw_centroids(db, model, space.ids)
    cosines = linking.centred_cosines(raw_centroids, vectors, space.mean)
    index = linking.LexicalIndex(indicators)
    evidence = _link_evidence(db, space.ids)
    background = linking.phenomenon_idf(list(evidence.values()))
    scored = {
        pid: linking.score_pairs(
            evidence[pid], indicators, index, cosines[row], background=background
        )
        for row, pid in enumerate(space.ids)
    }
    link_model = None
    if decisions >= linking.MIN_DECISIONS:
        link_model = _fit_on_decisions(db, scored)
    suggestions = []
    for row, pid in enumerate(space.ids):
        pairs = scored[pid]
        if link_model is not None:
            probabilities = link_model.probabilities([p.features for p in pairs])
            for p, prob in zip(pairs, probabilities, strict=True):
                p.score = round(float(prob), 4)
            threshold = linking.LINK_PROBABILITY
        else:
            threshold = linking.LINK_THRESHOLD
        ranked = sorted(range(len(pairs)), key=lambda j: (-pairs[j].score, pairs[j].indicator_id))
        for j in ranked[:LINKS_PER_PHENOMENON]:
            if pairs[j].score >= threshold:
                suggestions.append((pid, pairs[j], round(float(centred[row, j]), 4)))
    with write_transaction(db):
        db.execute("delete from phenomenon_indicator_links where decision = 'suggested'")
        decided = {
            (r[0], r[1])
            for r in db.execute(
                "select phenomenon_id, indicator_id from phenomenon_indicator_links"
            )
        }
        db.table("phenomenon_indicator_links").insert_all(
            {
                "phenomenon_id": pid,
                "indicator_id": pair.indicator_id,
                "similarity": similarity,
                "decision": "suggested",
                "score": pair.score,
                "features": json.dumps(pair.features, sort_keys=True),
                "reasons": json.dumps(linking.reasons_json(pair), ensure_ascii=False),
            }
            for pid, pair, similarity in suggestions
            if (pid, pair.indicator_id) not in decided
        )
    # The list is scored with the fixed weights, so the catalogue's best is compared so too.
    best: dict[int, float] = {}
    for pid, pair, _ in suggestions:
        best[pid] = max(best.get(pid, 0.0), linking.combined_score(pair.features))
    _suggest_from_list(db, model, space, raw_centroids, evidence, background, best)
    return LinkRun(len(suggestions), decisions, link_model is not None)


LIST_SUGGESTIONS = 2  # "Sotkanetissa olisi myös": at most this many per phenomenon


def ensure_list_vectors(db: Database, embedder: Any) -> int:
    """Embed, as passages, the titles of Sotkanet's stored indicator list that have municipal
    values and are not stored indicators already (kind "sotkanet"): the search beyond the
    catalogue. The whole list (~2,400 titles) is embedded once, a minute or so."""
    from nakyma.embedding import store_vectors

    rows = list(
        db.query(
            "select s.id, s.title from sotkanet_indicators s left join embeddings e "
            "on e.item_kind = 'sotkanet' and e.item_key = cast(s.id as text) and e.model = ? "
            "where e.item_key is null and s.municipal = 1 "
            "and s.id not in (select id from indicators) order by s.id",
            [embedder.name],
        )
    )
    if not rows:
        return 0
    vectors = embedder.encode([indicator_text(r) for r in rows], kind="passage")
    return store_vectors(db, embedder.name, [("sotkanet", str(r["id"])) for r in rows], vectors)


def _suggest_from_list(
    db: Database,
    model: str,
    space: Any,
    raw_centroids: np.ndarray,
    evidence: Mapping[int, Any],
    background: Any,
    best: Mapping[int, float],
) -> int:
    """Indicators of Sotkanet's stored list outside the catalogue that fit a phenomenon
    better than any catalogue indicator does (`best`: its best suggestion's score, none when
    nothing in the catalogue fitted), scored like the catalogue's: "Sotkanetissa olisi myös
    …", for an administrator to add (nakyma.indicator_list)."""
    from nakyma import linking

    keys, vectors = load_vectors(db, model, kinds=["sotkanet"])
    catalogue = {r[0] for r in db.execute("select id from indicators")}
    titles = {int(r[0]): r[1] for r in db.execute("select id, title from sotkanet_indicators")}
    present = [j for j, k in enumerate(keys) if int(k[1]) in titles and int(k[1]) not in catalogue]
    rows: list[dict[str, Any]] = []
    if present:
        listed = [linking.described(int(keys[j][1]), titles[int(keys[j][1])]) for j in present]
        vectors = vectors[present]
        cosines = linking.centred_cosines(raw_centroids, vectors, space.mean)
        index = linking.LexicalIndex(listed)
        for n, pid in enumerate(space.ids):
            pairs = linking.score_pairs(
                evidence[pid], listed, index, cosines[n], background=background
            )
            top = sorted(pairs, key=lambda p: (-p.score, p.indicator_id))[:LIST_SUGGESTIONS]
            rows += [
                {
                    "phenomenon_id": pid,
                    "indicator_id": p.indicator_id,
                    "score": round(float(p.score), 4),
                    "reasons": json.dumps(linking.reasons_json(p), ensure_ascii=False),
                }
                for p in top
                if p.score >= max(linking.LINK_THRESHOLD, best.get(pid, 0.0))
            ]
    with write_transaction(db):
        db.execute("delete from phenomenon_list_suggestions")
        db.table("phenomenon_list_suggestions").insert_all(rows)
    return len(rows)


def _fit_on_decisions(db: Database, scored: Mapping[int, Sequence[Any]]) -> Any:
    """The logistic regression over the installation's decided links: their stored
    features, or this run's for a pair decided without them (a link added by hand)."""
    from nakyma import linking

    current = {(pid, p.indicator_id): p.features for pid, ps in scored.items() for p in ps}
    rows, labels = [], []
    for pid, iid, decision, features in db.execute(
        "select phenomenon_id, indicator_id, decision, features from "
        "phenomenon_indicator_links where decision in ('accepted', 'rejected') "
        "order by phenomenon_id, indicator_id"
    ):
        found = json.loads(features) if features else current.get((pid, iid))
        if found is not None:
            rows.append(found)
            labels.append(decision == "accepted")
    return linking.fit_link_model(rows, labels)


@dataclass(frozen=True)
class SearchHit:
    kind: str  # observation / headline / phenomenon
    key: str
    score: float


def search(db: Database, embedder: Any, query: str, *, limit: int = 20) -> list[SearchHit]:
    """Items and phenomena nearest in meaning to a (Finnish) query, best first."""
    query = query.strip()
    if not query:
        return []
    q = embedder.encode([query], kind="query")
    row = db.execute("select mean from cluster_space where model = ?", [embedder.name]).fetchone()
    mean = blob_to_vector(row[0]) if row else None
    keys, raw = load_vectors(db, embedder.name, kinds=ITEM_KINDS)
    hits: list[SearchHit] = []
    if keys:
        items = centre(raw, mean) if mean is not None else raw
        qv = centre(q, mean)[0] if mean is not None else q[0]
        scores = items @ qv
        for i in np.argsort(-scores, kind="stable")[:limit]:
            hits.append(SearchHit(keys[i][0], keys[i][1], float(scores[i])))
        space = load_space(db, embedder.name)
        if space is not None:
            pscores = space.matrix @ qv
            for i in np.argsort(-pscores, kind="stable")[: max(3, limit // 4)]:
                hits.append(SearchHit("phenomenon", str(space.ids[i]), float(pscores[i])))
    hits.sort(key=lambda h: (-h.score, h.kind, h.key))
    return hits[:limit]


def assignments_for_export(db: Database) -> list[dict[str, Any]]:
    """Every observation and headline with its phenomenon (empty when unassigned).

    `item_id` is an imported observation's external_id, a headline's guid, else the
    observation's internal id."""
    rows = db.query(
        "select 'observation' as kind, coalesce(o.external_id, cast(o.id as text)) as item_id, "
        "m.phenomenon_id, p.title from observations o "
        "left join phenomenon_members m on m.item_kind = 'observation' "
        "and m.item_key = cast(o.id as text) "
        "left join phenomena p on p.id = m.phenomenon_id "
        "union all "
        "select 'headline', h.guid, m.phenomenon_id, p.title from headlines h "
        "left join phenomenon_members m on m.item_kind = 'headline' and m.item_key = h.guid "
        "left join phenomena p on p.id = m.phenomenon_id "
        "order by 1, 2"
    )
    return [
        {
            "item_id": r["item_id"],
            "kind": r["kind"],
            "phenomenon_id": "" if r["phenomenon_id"] is None else r["phenomenon_id"],
            "phenomenon_title": r["title"] or "",
        }
        for r in rows
    ]
