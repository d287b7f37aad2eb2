"""BERTrend's weak/strong-signal detection re-implemented on BERTopic, for the emerging-theme
benchmark (nakyma's detector against BERTrend).

BERTrend (rte-france/BERTrend, MPL-2.0) fits one BERTopic model per time window, merges each
new window's topics into the topics seen so far by cosine similarity of topic embeddings,
follows every merged topic's popularity (document counts with an exponential decay while the
topic is inactive) and classifies topics at a date into noise / weak / strong signals by
percentiles of the recent popularity values. The real package needs Python >= 3.12 and a
torch for it (only CUDA builds from the registry here), so this file follows its code
instead; benchmarks/BERTREND.md says what was followed and what differs.

Runs in the benchmark venv (benchmarks/requirements-bertopic.txt), from the project root:

    .venv-bench/bin/python benchmarks/bertrend_like.py --stream stream.jsonl \\
        --vectors vectors.npy --eval-dates dates.json --out flags.json [--window-days 14]
    .venv-bench/bin/python benchmarks/bertrend_like.py --selftest

stream.jsonl: one item a line, {"id", "text", "municipality", "observed_on": "YYYY-MM-DD"},
in the order of the rows of vectors.npy (float32, L2-normalised; BERTopic never embeds).
dates.json: a JSON list of ISO evaluation dates. The output maps each date to flags
{"theme_id", "municipality", "items", "signal": "weak"|"strong"}.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

# ---------------------------------------------------------------------------------------
# Parameters. Each comes from BERTrend's code at commit 51d15da (v0.4.13, 2026-08-18).

# bertrend/config/bertrend_default_config.toml
BERTREND_DEFAULT_GRANULARITY = 2  # days; too fine for ~3 items a day, see DEFAULT_WINDOW_DAYS
MIN_SIMILARITY = 0.7  # merge threshold (cosine of topic embeddings)
DECAY_FACTOR = 0.01
DECAY_POWER = 2
SIGNAL_CLASSIF_LOWER_BOUND = 10  # percentile: below it, noise
SIGNAL_CLASSIF_UPPER_BOUND = 75  # percentile: above it, strong signal
# bertrend/BERTrend.py, _compute_popularity_values_and_thresholds: values kept for percentiles
MIN_POPULARITY_FOR_THRESHOLDS = 1e-5
# bertrend/trend_analysis/weak_signals.py, _is_rising_popularity: retrospective slope window
RISING_LOOKBACK_DAYS = 14

# bertrend/config/bertopic_default_config.toml
UMAP_PARAMS: dict[str, Any] = {
    "n_neighbors": 5,
    "n_components": 5,
    "min_dist": 0.0,
    "metric": "cosine",
    "random_state": 42,
}
HDBSCAN_PARAMS: dict[str, Any] = {
    "min_cluster_size": 5,
    "min_samples": 5,
    "metric": "euclidean",
    "cluster_selection_method": "eom",
    "prediction_data": True,
    "cluster_selection_persistence": 0.0,
}
# stop_words: BERTrend loads its French (or English) list; the stream is Finnish -> none.
VECTORIZER_PARAMS: dict[str, Any] = {"ngram_range": (1, 2), "min_df": 2, "stop_words": None}
CTFIDF_PARAMS: dict[str, Any] = {"bm25_weighting": False, "reduce_frequent_words": True}
TOP_N_WORDS = 10
OUTLIER_STRATEGY = "c-tf-idf"  # [reduce_outliers] strategy

# This benchmark's own choices (not BERTrend's).
# Window length: BERTrend's default granularity is 2 days (prospective demo: 7). With ~2,000
# items over 22 months (~3 a day) a 2-day window holds ~6 items, below what its UMAP
# (n_neighbors=5) and HDBSCAN (min_cluster_size=5) can cluster; 14 days gives ~40 items.
DEFAULT_WINDOW_DAYS = 14
RECENT_DAYS = 42  # a flag lists a topic's member items of the last 6 weeks up to D
MIN_ITEMS_PER_MUNICIPALITY = 2

DIFFERENCES = [
    "Not the bertrend package itself (it needs Python >= 3.12 and a torch for it; only CUDA "
    "builds of torch were available for 3.12 here): its code paths BERTrend.train_topic_models"
    ", merge_models_with/_merge_models/_preprocess_model, calculate_signal_popularity, "
    "_compute_popularity_values_and_thresholds and _classify_signals (bertrend/BERTrend.py, "
    "bertrend/trend_analysis/weak_signals.py) are re-implemented on BERTopic.",
    "Topic representation: BERTrend's default MaximalMarginalRelevance representation model "
    "is not used (it embeds candidate keywords; here BERTopic must never embed). Topics keep "
    "plain c-TF-IDF words. Representations play no part in merging, popularity or "
    "classification.",
    "CountVectorizer stop words: none (BERTrend only ships French and English lists; the "
    "stream is Finnish). ngram_range=(1, 2) and min_df=2 as in BERTrend. The vocabulary "
    "matters through the c-TF-IDF outlier reduction.",
    "No LLM steps (OpenAI topic representation, signal analysis/summaries) and no zero-shot "
    "topics: BERTrend's defaults leave both off for the signal classification.",
    "Items are whole documents (no paragraph splitting), so BERTrend's Count and "
    "Document_Count coincide; documents are matched to embeddings by position instead of by "
    "text (BERTrend's docs.index(text) picks the first duplicate's embedding).",
    "Window length (granularity) --window-days, 14 days by default, instead of BERTrend's "
    "default 2 (see DEFAULT_WINDOW_DAYS); windows are BERTrend's group_by_days bins "
    "(pandas Grouper, anchored at the first item's day), so windows before D's window are "
    "identical for every evaluation date and their models are reused.",
    "Evaluation date D: BERTrend is given the items dated <= D (the window holding D is "
    "partial) and classify_signals(window_size, current_date) is called with window_size = "
    "the window length (as in the prospective demo, where both default to 7) and "
    "current_date = the latest merge-history timestamp (the latest date the weak-signals "
    "demo's slider reaches); classify_signals' window_end = current_date + granularity then "
    "includes the newest window's popularity point.",
    "Flags per municipality are this benchmark's addition: for each topic classified weak "
    "(or strong) at D, one flag per municipality with >= 2 of the topic's member items dated "
    "in the 6 weeks up to D. A merged topic's members are the items of every per-window "
    "topic merged into it (its creating topic included).",
    "A window whose BERTopic fit raises (too few items, empty vocabulary, ...) is skipped, as "
    "BERTrend.train_topic_models logs and skips it; the reason is recorded in diagnostics.",
    "Only the quantities the classification reads are tracked (timestamps and popularity per "
    "merged topic); BERTrend's Sources/URLs/Representations bookkeeping is left out.",
]

log = logging.getLogger("bertrend_like")


# ---------------------------------------------------------------------------------------
# Per-window topic models


class NeverEmbed:
    """BERTopic's embedding model slot: vectors are precomputed, so it must never run."""

    def __new__(cls):
        from bertopic.backend import BaseEmbedder

        class _Never(BaseEmbedder):
            def embed(self, documents, verbose=False):  # noqa: ARG002
                raise RuntimeError("BERTopic tried to embed: vectors must be precomputed")

        return _Never()


@dataclass
class WindowModel:
    """One window's BERTopic result, as BERTrend's _train_by_period + _preprocess_model."""

    start: int  # date ordinal of the window's timestamp (its first day)
    rows: np.ndarray  # stream rows in the window, in stream order
    topics: np.ndarray | None = None  # topic per row after outlier reduction, -1 = outlier
    error: str | None = None
    table: list[tuple[int, np.ndarray, np.ndarray]] = field(default_factory=list)

    def build_table(self, vectors: np.ndarray) -> None:
        """(topic id, rows, mean embedding) per non-outlier topic, by topic id."""
        assert self.topics is not None
        self.table = []
        for t in sorted(set(self.topics.tolist()) - {-1}):
            rows = self.rows[self.topics == t]
            self.table.append((int(t), rows, np.mean(vectors[rows], axis=0)))


def fit_window(texts: list[str], embeddings: np.ndarray) -> np.ndarray:
    """BERTrend's BERTopicModel.fit with its default configuration (see module constants)."""
    from bertopic import BERTopic
    from bertopic.vectorizers import ClassTfidfTransformer
    from hdbscan import HDBSCAN
    from sklearn.feature_extraction.text import CountVectorizer
    from umap import UMAP

    vectorizer = CountVectorizer(**VECTORIZER_PARAMS)
    ctfidf = ClassTfidfTransformer(**CTFIDF_PARAMS)
    model = BERTopic(
        embedding_model=NeverEmbed(),
        umap_model=UMAP(**UMAP_PARAMS),
        hdbscan_model=HDBSCAN(**HDBSCAN_PARAMS),
        vectorizer_model=vectorizer,
        ctfidf_model=ctfidf,
        top_n_words=TOP_N_WORDS,
        representation_model=None,
        zeroshot_topic_list=None,
        verbose=False,
    )
    topics, _ = model.fit_transform(texts, embeddings)
    if model._outliers:
        topics = model.reduce_outliers(
            documents=texts, topics=topics, embeddings=embeddings, strategy=OUTLIER_STRATEGY
        )
    model.update_topics(
        docs=texts,
        topics=topics,
        vectorizer_model=vectorizer,
        ctfidf_model=ctfidf,
        representation_model=None,
    )
    return np.asarray(model.topics_, dtype=np.int64)


class WindowCache:
    """Per-window models, keyed by window and exact member rows, reused across dates."""

    def __init__(self, texts: list[str], vectors: np.ndarray):
        self.texts = texts
        self.vectors = vectors
        self.models: dict[tuple[int, tuple[int, ...]], WindowModel] = {}
        self.fits = 0
        self.fit_seconds = 0.0

    def get(self, start: int, rows: np.ndarray) -> WindowModel:
        key = (start, tuple(rows.tolist()))
        if key not in self.models:
            wm = WindowModel(start=start, rows=rows)
            t0 = time.perf_counter()
            try:
                wm.topics = fit_window([self.texts[i] for i in rows], self.vectors[rows])
                wm.build_table(self.vectors)
            except Exception as e:  # BERTrend.train_topic_models logs and skips the period
                wm.topics = None
                wm.error = f"{type(e).__name__}: {e}"[:300]
            self.fit_seconds += time.perf_counter() - t0
            self.fits += 1
            self.models[key] = wm
        return self.models[key]


# ---------------------------------------------------------------------------------------
# Merging across windows (BERTrend.merge_models_with, _merge_models)


@dataclass
class MergeResult:
    # merge history rows: (Timestamp, Topic1, Document_Count1, Document_Count2)
    history: list[tuple[int, int, int, int]]
    members: dict[int, list[int]]  # merged topic -> stream rows
    n_topics: int
    n_trained: int


def merge_windows(models: list[WindowModel]) -> MergeResult:
    from sklearn.metrics.pairwise import cosine_similarity

    # merged topics: id -> [embedding (fixed at creation, as BERTrend), Document_Count]
    merged: dict[int, list[Any]] | None = None
    members: dict[int, list[int]] = defaultdict(list)
    history: list[tuple[int, int, int, int]] = []
    last: WindowModel | None = None
    trained = [m for m in models if m.error is None]
    for m in trained:
        if last is not None:
            if merged is None:
                df1 = {t: [emb, len(rows)] for t, rows, emb in last.table}
            else:
                df1 = merged
            df2 = m.table
            if df1 and df2:  # else BERTrend skips the merge ("One of the dataframes is empty")
                if merged is None:
                    merged = df1
                    for t, rows, _ in last.table:
                        members[t].extend(rows.tolist())
                ids1 = np.array(list(merged.keys()))
                e1 = np.stack([merged[t][0] for t in ids1])
                e2 = np.stack([emb for _, _, emb in df2])
                sims = cosine_similarity(e1, e2)
                max_sims = sims.max(axis=0)
                targets = ids1[np.argmax(sims, axis=0)]
                next_id = int(ids1.max()) + 1
                pre_counts = {t: merged[t][1] for t in merged}
                for j, (_, rows, emb) in enumerate(df2):
                    if max_sims[j] < MIN_SIMILARITY:  # a new topic
                        merged[next_id] = [emb, len(rows)]
                        members[next_id].extend(rows.tolist())
                        next_id += 1
                for target in sorted(set(targets[max_sims >= MIN_SIMILARITY].tolist())):
                    for j, (_, rows, _) in enumerate(df2):
                        if max_sims[j] >= MIN_SIMILARITY and targets[j] == target:
                            merged[target][1] += len(rows)
                            members[target].extend(rows.tolist())
                            history.append((last.start, target, pre_counts[target], len(rows)))
        last = m
    return MergeResult(
        history=history,
        members=dict(members),
        n_topics=0 if merged is None else len(merged),
        n_trained=len(trained),
    )


# ---------------------------------------------------------------------------------------
# Popularity (BERTrend.calculate_signal_popularity, weak_signals helpers)


def signal_popularity(
    history: list[tuple[int, int, int, int]], granularity: int
) -> dict[int, list[tuple[int, float]]]:
    """Per merged topic, its (timestamp, popularity) points, in BERTrend's append order."""
    sizes: dict[int, list[tuple[int, float]]] = {}
    if not history:
        return sizes
    last_pop: dict[int, float] = {}
    last_update: dict[int, int] = {}
    by_ts: dict[int, list[tuple[int, int, int, int]]] = defaultdict(list)
    for row in history:
        by_ts[row[0]].append(row)
    t_min = min(by_ts)
    t_max = max(by_ts)
    for cur in range(t_min, t_max + granularity + 1, granularity):
        updated: set[int] = set()
        for _, topic, count1, count2 in by_ts.get(cur, []):
            updated.add(topic)
            if topic not in sizes:  # _initialize_new_topic
                sizes[topic] = [(cur, float(count1))]
                last_pop[topic] = float(count1)
                last_update[topic] = cur
            nxt = cur + granularity  # update_existing_topic
            last_pop[topic] = last_pop[topic] + count2
            sizes[topic].append((nxt, last_pop[topic]))
            last_update[topic] = nxt
        updated_next = {row[1] for row in by_ts.get(cur + granularity, [])}
        for topic in sorted(set(last_update) - updated - updated_next):
            periods = (cur - last_update[topic]) // granularity  # _apply_decay_to_inactive_topics
            if periods > 0:
                decayed = last_pop[topic] * np.exp(-DECAY_FACTOR * (periods**DECAY_POWER))
                sizes[topic].append((cur, float(decayed)))
                last_pop[topic] = float(decayed)
    return sizes


def is_rising(points: list[tuple[int, float]], latest_ts: int) -> bool:
    """weak_signals._is_rising_popularity."""
    from scipy.stats import linregress

    retro = [p for ts, p in points if latest_ts - RISING_LOOKBACK_DAYS <= ts <= latest_ts]
    if len(retro) >= 2:
        return bool(linregress(range(len(retro)), retro).slope > 0)
    return True


def classify_signals(
    sizes: dict[int, list[tuple[int, float]]],
    window_size: int,
    current_date: int,
    granularity: int,
) -> tuple[dict[int, str], float, float]:
    """BERTrend.classify_signals: thresholds, then noise / weak / strong per topic."""
    window_start = current_date - window_size
    window_end = current_date + granularity
    values = [
        p
        for points in sizes.values()
        for ts, p in points
        if window_start <= ts <= current_date and p > MIN_POPULARITY_FOR_THRESHOLDS
    ]
    if values:
        q1 = float(np.percentile(values, SIGNAL_CLASSIF_LOWER_BOUND))
        q3 = float(np.percentile(values, SIGNAL_CLASSIF_UPPER_BOUND))
    else:
        q1, q3 = 0.0, 0.0
    classes: dict[int, str] = {}
    for topic in sorted(sizes):
        filtered = [(ts, p) for ts, p in sizes[topic] if ts <= window_end]
        if not filtered:
            continue
        in_window = [(ts, p) for ts, p in filtered if window_start <= ts <= window_end]
        if not in_window:
            continue
        latest_ts, latest = in_window[-1]
        if latest < q1:
            classes[topic] = "noise"
        elif latest <= q3:
            classes[topic] = "weak" if is_rising(filtered, latest_ts) else "noise"
        else:
            classes[topic] = "strong"
    return classes, q1, q3


# ---------------------------------------------------------------------------------------
# Evaluation over dates


def load_stream(path: Path) -> list[dict[str, Any]]:
    items = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                items.append(json.loads(line))
    return items


def run(
    items: list[dict[str, Any]],
    vectors: np.ndarray,
    eval_dates: list[str],
    window_days: int = DEFAULT_WINDOW_DAYS,
    window_size: int | None = None,
) -> dict[str, Any]:
    if len(items) != vectors.shape[0]:
        raise SystemExit(f"{len(items)} items but {vectors.shape[0]} vectors")
    window_size = window_days if window_size is None else window_size
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    days = np.array([date.fromisoformat(it["observed_on"]).toordinal() for it in items])
    texts = [str(it["text"]) for it in items]
    ids = [str(it["id"]) for it in items]
    munis = [str(it["municipality"]) for it in items]
    origin = int(days.min())  # group_by_days: bins anchored at the first item's day
    bins = (days - origin) // window_days
    cache = WindowCache(texts, vectors)
    flags: dict[str, list[dict[str, Any]]] = {}
    diagnostics: dict[str, dict[str, Any]] = {}
    t_start = time.perf_counter()
    for iso in eval_dates:
        d = date.fromisoformat(iso).toordinal()
        visible = days <= d
        models: list[WindowModel] = []
        for b in sorted(set(bins[visible].tolist())):
            rows = np.flatnonzero(visible & (bins == b))
            models.append(cache.get(origin + b * window_days, rows))
        merge = merge_windows(models)
        sizes = signal_popularity(merge.history, window_days)
        date_flags: list[dict[str, Any]] = []
        classes: dict[int, str] = {}
        q1 = q3 = 0.0
        current = None
        # calculate_signal_popularity needs >= 2 trained windows and a merge history
        if merge.n_trained >= 2 and merge.history:
            current = max(row[0] for row in merge.history)
            classes, q1, q3 = classify_signals(sizes, window_size, current, window_days)
        for topic, signal in sorted(classes.items()):
            if signal == "noise":
                continue
            by_muni: dict[str, list[int]] = defaultdict(list)
            for r in sorted(merge.members.get(topic, [])):
                if d - RECENT_DAYS < days[r] <= d:
                    by_muni[munis[r]].append(r)
            for muni in sorted(by_muni):
                rows_m = by_muni[muni]
                if len(rows_m) >= MIN_ITEMS_PER_MUNICIPALITY:
                    date_flags.append(
                        {
                            "theme_id": f"bertrend-topic-{topic}",
                            "municipality": muni,
                            "items": [ids[r] for r in rows_m],
                            "signal": signal,
                        }
                    )
        flags[iso] = date_flags
        counts = {s: sum(1 for c in classes.values() if c == s) for s in ("noise", "weak")}
        counts["strong"] = sum(1 for c in classes.values() if c == "strong")
        diagnostics[iso] = {
            "items_visible": int(visible.sum()),
            "windows": len(models),
            "windows_trained": merge.n_trained,
            "windows_failed": {
                date.fromordinal(m.start).isoformat(): m.error for m in models if m.error
            },
            "merged_topics": merge.n_topics,
            "tracked_topics": len(sizes),
            "current_date": None if current is None else date.fromordinal(current).isoformat(),
            "q1": q1,
            "q3": q3,
            "topics": counts,
            "flags": {
                s: sum(1 for f in date_flags if f["signal"] == s) for s in ("weak", "strong")
            },
        }
        log.info(
            "%s: %d items, %d/%d windows trained, %d tracked topics, weak %d, strong %d, "
            "%d flags (%.0f s so far, %d fits)",
            iso,
            int(visible.sum()),
            merge.n_trained,
            len(models),
            len(sizes),
            counts["weak"],
            counts["strong"],
            len(date_flags),
            time.perf_counter() - t_start,
            cache.fits,
        )
    return {
        "method": f"BERTrend re-implemented on BERTopic ({versions()})",
        "differences": DIFFERENCES,
        "parameters": parameters(window_days, window_size),
        "runtime": {
            "seconds": round(time.perf_counter() - t_start, 1),
            "window_fits": cache.fits,
            "fit_seconds": round(cache.fit_seconds, 1),
        },
        "diagnostics": diagnostics,
        "flags": flags,
    }


def parameters(window_days: int, window_size: int) -> dict[str, Any]:
    """The values this run used, with BERTrend's names where it has them."""
    return {
        "window_days": window_days,
        "classify_window_size_days": window_size,
        "min_similarity": MIN_SIMILARITY,
        "decay_factor": DECAY_FACTOR,
        "decay_power": DECAY_POWER,
        "signal_classif_lower_bound": SIGNAL_CLASSIF_LOWER_BOUND,
        "signal_classif_upper_bound": SIGNAL_CLASSIF_UPPER_BOUND,
        "rising_lookback_days": RISING_LOOKBACK_DAYS,
        "umap": UMAP_PARAMS,
        "hdbscan": HDBSCAN_PARAMS,
        "vectorizer": {**VECTORIZER_PARAMS, "ngram_range": list(VECTORIZER_PARAMS["ngram_range"])},
        "ctfidf": CTFIDF_PARAMS,
        "outlier_strategy": OUTLIER_STRATEGY,
        "recent_days": RECENT_DAYS,
        "min_items_per_municipality": MIN_ITEMS_PER_MUNICIPALITY,
    }


def versions() -> str:
    from importlib.metadata import version

    names = ["bertopic", "umap-learn", "hdbscan", "scikit-learn", "numpy", "scipy"]
    return ", ".join(f"{n} {version(n)}" for n in names) + "; BERTrend 0.4.13 @ 51d15da"


# ---------------------------------------------------------------------------------------
# Self-test on a synthetic stream


def synthetic_stream(seed: int = 0) -> tuple[list[dict[str, Any]], np.ndarray, list[str]]:
    """~900 items over 300 days in 6 municipalities: 5 steady themes, a theme that fades
    after day 120, an emerging theme from day 220 in M02 and M05, and unclustered noise."""
    rng = np.random.default_rng(seed)
    dim, n_days = 48, 300
    start = date(2025, 1, 1)
    munis = [f"M0{i}" for i in range(1, 7)]
    centres = rng.normal(size=(7, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    filler = [f"sana{i}" for i in range(200)]
    rows: list[tuple[int, int, str]] = []  # (day, theme or -1, municipality)
    for day in range(n_days):
        for _ in range(rng.poisson(2.4)):
            theme = int(rng.integers(0, 5)) if rng.random() < 0.7 else -1
            rows.append((day, theme, munis[int(rng.integers(0, 6))]))
        if day < 120 and rng.random() < 0.5:
            rows.append((day, 5, munis[int(rng.integers(0, 6))]))
        if day >= 220 and rng.random() < (day - 200) / 120:
            rows.append((day, 6, munis[1] if rng.random() < 0.5 else munis[4]))
    items, vecs = [], []
    for n, (day, theme, muni) in enumerate(rows):
        if theme >= 0:
            v = centres[theme] + rng.normal(scale=0.08, size=dim)
            words = [f"teema{theme}_{int(rng.integers(0, 8))}" for _ in range(3)]
        else:
            v = rng.normal(size=dim)
            words = []
        words += [filler[int(rng.integers(0, 200))] for _ in range(4)]
        vecs.append(v / np.linalg.norm(v))
        items.append(
            {
                "id": f"s{n:04d}",
                "text": " ".join(words),
                "municipality": muni,
                "observed_on": (start + timedelta(days=day)).isoformat(),
                "_theme": theme,
            }
        )
    dates = [(start + timedelta(days=d)).isoformat() for d in range(60, n_days, 14)]
    return items, np.asarray(vecs, dtype=np.float32), dates


def selftest() -> int:
    items, vectors, dates = synthetic_stream()
    theme_of = {it["id"]: it["_theme"] for it in items}
    with tempfile.TemporaryDirectory() as tmp:
        stream, vec_path, dates_path, out = (
            Path(tmp) / n for n in ("stream.jsonl", "vectors.npy", "dates.json", "flags.json")
        )
        with stream.open("w", encoding="utf-8") as f:
            for it in items:
                f.write(json.dumps({k: v for k, v in it.items() if k != "_theme"}) + "\n")
        np.save(vec_path, vectors)
        dates_path.write_text(json.dumps(dates))
        t0 = time.perf_counter()
        main(
            ["--stream", str(stream), "--vectors", str(vec_path), "--eval-dates"]
            + [str(dates_path), "--out", str(out)]
        )
        seconds = time.perf_counter() - t0
        result = json.loads(out.read_text())
    print(f"self-test: {len(items)} items, {len(dates)} evaluation dates, {seconds:.1f} s")
    print(f"method: {result['method']}")
    n_flags = 0
    for iso in dates:
        fl = result["flags"][iso]
        n_flags += len(fl)
        diag = result["diagnostics"][iso]
        desc = ", ".join(
            f"{f['signal']} {f['theme_id']}@{f['municipality']} "
            f"(theme {sorted({theme_of[i] for i in f['items']})}, {len(f['items'])} items)"
            for f in fl
        )
        print(
            f"  {iso}: windows {diag['windows_trained']}/{diag['windows']}, "
            f"tracked {diag['tracked_topics']}, q1 {diag['q1']:.1f} q3 {diag['q3']:.1f}, "
            f"noise/weak/strong {diag['topics']['noise']}/{diag['topics']['weak']}/"
            f"{diag['topics']['strong']}; flags: {desc or '-'}"
        )
    planted = [
        (iso, f["signal"], f["municipality"])
        for iso in dates
        for f in result["flags"][iso]
        if sum(theme_of[i] == 6 for i in f["items"]) > len(f["items"]) / 2
    ]
    print(f"emerging theme (planted from day 220 in M02, M05) flagged: {planted or 'never'}")
    ok = True
    for iso in dates:
        for f in result["flags"][iso]:
            if set(f) != {"theme_id", "municipality", "items", "signal"}:
                ok = False
            if f["signal"] not in ("weak", "strong") or len(f["items"]) < 2:
                ok = False
            if any(
                i > iso
                for i in (next(x["observed_on"] for x in items if x["id"] == j) for j in f["items"])
            ):
                ok = False
    if n_flags == 0:
        ok = False
    # Determinism: a second run in-process with a fresh cache gives the same flags.
    again = run([{k: v for k, v in it.items() if k != "_theme"} for it in items], vectors, dates)
    same = again["flags"] == result["flags"]
    print(f"flags {n_flags}; schema ok: {ok}; second run identical: {same}")
    return 0 if ok and same else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--stream", type=Path)
    p.add_argument("--vectors", type=Path)
    p.add_argument("--eval-dates", type=Path)
    p.add_argument("--out", type=Path)
    p.add_argument("--window-days", type=int, default=DEFAULT_WINDOW_DAYS)
    p.add_argument(
        "--window-size",
        type=int,
        default=None,
        help="classify_signals' retrospective window in days (default: --window-days)",
    )
    p.add_argument("--selftest", action="store_true", help="run on a synthetic stream")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    for name in ("numba", "umap"):
        logging.getLogger(name).setLevel(logging.ERROR)
    # BERTopic resets its logger's level in every constructor; drop the one warning that
    # BERTrend's own update_topics(topics=...) call triggers in every window.
    logging.getLogger("BERTopic").addFilter(
        lambda r: "custom list of topic assignments" not in r.getMessage()
    )
    warnings.filterwarnings("ignore")
    if args.selftest:
        return selftest()
    if not (args.stream and args.vectors and args.eval_dates and args.out):
        p.error("--stream, --vectors, --eval-dates and --out are required (or --selftest)")
    items = load_stream(args.stream)
    vectors = np.load(args.vectors)
    eval_dates = [
        date.fromisoformat(d).isoformat() for d in json.loads(args.eval_dates.read_text())
    ]
    result = run(items, vectors, eval_dates, args.window_days, args.window_size)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    log.info(
        "wrote %s: %d flags over %d dates in %.1f s",
        args.out,
        sum(len(v) for v in result["flags"].values()),
        len(eval_dates),
        result["runtime"]["seconds"],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
