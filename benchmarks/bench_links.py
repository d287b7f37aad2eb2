"""Indicator links (issue 16): precision@3 and recall@5 of five ways to rank indicators.

Usage: python benchmarks/bench_links.py [--unseen] [--tune] [--json OUT]

Data: `data/indicator_links/pool.csv` (232 real Sotkanet indicators) and the labelled
phenomena (`phenomena_*.jsonl`, the tuning part; `unseen_*.jsonl`, kept unseen until the
settings were frozen; format in the README of that folder). Each phenomenon is its
observations embedded with the bundled model (centroid of the members = its vector), its
keywords (c-TF-IDF over the part's phenomena), target groups and themes.

Methods: today's (indicator title embedded as an item, centred cosine; the centring mean
is the mean of the part's phenomenon vectors), lexical only (BM25 over Voikko terms),
embedding only (title as a passage, cosine), the fixed-weight combination
(`nakyma.linking.WEIGHTS`), and the learned model: logistic regression on simulated
decisions from the TUNING part (each tuning phenomenon's top-10 by the combination,
accepted if gold) applied to the evaluated part. On the tuning part that last one is
in-sample. `--tune` prints a small grid of weights and thresholds on the tuning part (it
refuses to run with --unseen).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
DATA = HERE / "data" / "indicator_links"
SOTKANET = ROOT / "nakyma" / "data" / "indicators" / "sotkanet_indicators_2015.json"

from nakyma import linking  # noqa: E402
from nakyma.indicators import load_catalogue  # noqa: E402


def load_pool(descriptions: bool = True) -> list[linking.IndicatorText]:
    """The pool, each indicator with its everyday description (`linking.everyday_descriptions`)
    unless `descriptions` is false (titles only, as round 1 measured)."""
    catalogue = {c.id: c for c in load_catalogue()}
    described = linking.everyday_descriptions() if descriptions else {}
    out = []
    with open(DATA / "pool.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            i = int(row["id"])
            entry = catalogue.get(i)
            out.append(
                linking.IndicatorText(
                    id=i,
                    title=row["title_fi"],
                    description=described.get(i, ""),
                    population_group=entry.population_group if entry else "",
                    theme=entry.theme if entry else "",
                )
            )
    return out


# Round 1 (2026-12-03 night): tuned on phenomena_*, unseen_a/b held out and run once.
# Round 2: those 68 are all tuning data now; unseen_c (written after round 1 by a writer who
# saw neither the engine nor its results) is held out.
PARTS = {
    1: (("phenomena_*.jsonl",), ("unseen_a.jsonl", "unseen_b.jsonl")),
    2: (("phenomena_*.jsonl", "unseen_a.jsonl", "unseen_b.jsonl"), ("unseen_c.jsonl",)),
}


def load_part(unseen: bool, folder: Path = DATA, round_: int = 2) -> list[dict[str, Any]]:
    patterns = PARTS[round_][1 if unseen else 0]
    rows = []
    for path in sorted(p for pattern in patterns for p in folder.glob(pattern)):
        with open(path, encoding="utf-8") as f:
            rows += [json.loads(line) for line in f if line.strip()]
    return rows


def normalise(m: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(m, axis=-1, keepdims=True)
    n[n == 0] = 1
    return m / n


class Part:
    """One part's phenomena with everything the methods need."""

    def __init__(self, rows: list[dict[str, Any]], embedder: Any, pool: Any) -> None:
        from nakyma.finnish import voikko_terms_many
        from nakyma.phenomena import class_keywords

        self.rows = rows
        self.gold = [list(r["indicators"]) for r in rows]
        keywords = class_keywords([r["observations"] for r in rows])
        self.evidence = []
        vectors = []
        for r, kw in zip(rows, keywords, strict=True):
            terms = voikko_terms_many(r["observations"])
            n = len(r["observations"])
            groups = list(r.get("target_groups") or [])
            themes = list(r.get("themes") or [])
            self.evidence.append(
                linking.PhenomenonEvidence(
                    member_terms=terms,
                    keywords=kw,
                    # each member is an observation with one ticked group: spread the
                    # phenomenon's ticked groups over its members
                    target_groups=[groups[k % len(groups)] for k in range(n)] if groups else [],
                    themes=[themes[k % len(themes)] for k in range(n)] if themes else [],
                )
            )
            vectors.append(normalise(embedder.encode(r["observations"], kind="item").mean(0)))
        self.vectors = np.stack(vectors)
        self.background = linking.phenomenon_idf(self.evidence)


def rank_metrics(scores: np.ndarray, ids: list[int], gold: list[list[int]]) -> tuple[float, float]:
    p3, r5 = [], []
    for row, g in zip(scores, gold, strict=True):
        order = np.argsort(-row, kind="stable")
        top = [ids[j] for j in order[:5]]
        p3.append(len(set(top[:3]) & set(g)) / 3)
        r5.append(len(set(top[:5]) & set(g)) / max(1, len(g)))
    return float(np.mean(p3)), float(np.mean(r5))


def pair_features(part: Part, pool: Any, index: Any, sims: np.ndarray) -> list[list[Any]]:
    return [
        linking.score_pairs(ev, pool, index, sims[i], background=part.background)
        for i, ev in enumerate(part.evidence)
    ]


def threshold_f1(pairs: list[list[Any]], gold: list[list[int]], threshold: float) -> float:
    tp = fp = 0
    total = sum(len(g) for g in gold)
    for ps, g in zip(pairs, gold, strict=True):
        top = sorted(ps, key=lambda p: -p.score)[: linking_per_phenomenon()]
        for p in top:
            if p.score >= threshold:
                tp += p.indicator_id in g
                fp += p.indicator_id not in g
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / total if total else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def linking_per_phenomenon() -> int:
    from nakyma.phenomena import LINKS_PER_PHENOMENON

    return LINKS_PER_PHENOMENON


# Round 1's engine: titles only, these weights and lexical scale (commit 8bc984e).
ROUND1_WEIGHTS = {
    "lexical": 1.0,
    "embedding": 2.0,
    "group_match": 0.2,
    "group_mismatch": -0.3,
    "theme_match": 0.1,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--unseen", action="store_true", help="evaluate the unseen part")
    parser.add_argument("--tune", action="store_true", help="grid on the tuning part")
    parser.add_argument("--round", type=int, choices=sorted(PARTS), default=2, dest="round_")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--data", type=Path, default=DATA, help="folder of the labelled parts")
    args = parser.parse_args()
    if args.unseen and args.tune:
        parser.error("tuning on the unseen part is not allowed")
    from nakyma.embedding import BundledEmbedder

    started = time.perf_counter()
    embedder = BundledEmbedder(num_threads=2)
    titled, described = load_pool(descriptions=False), load_pool()
    ids = [i.id for i in described]
    print(
        f"{len(described)} indicators, "
        f"{sum(1 for i in described if i.description)} with an everyday description"
    )
    index_t, index_d = linking.LexicalIndex(titled), linking.LexicalIndex(described)
    title_items = embedder.encode([i.text for i in titled], kind="item")
    title_passages = embedder.encode([i.text for i in titled], kind="passage")
    text_passages = embedder.encode([i.text for i in described], kind="passage")
    tune = Part(load_part(False, args.data, args.round_), embedder, described)
    part = (
        Part(load_part(True, args.data, args.round_), embedder, described) if args.unseen else tune
    )
    print(f"round {args.round_}; tuning {len(tune.rows)}; evaluated {len(part.rows)}")

    def today(p: Part) -> np.ndarray:
        mean = p.vectors.mean(0)
        return normalise(p.vectors - mean) @ normalise(title_items - mean).T

    def embedding(p: Part, passages: np.ndarray) -> np.ndarray:
        # the items' mean of the part stands in for an installation's cluster space
        return linking.centred_cosines(p.vectors, passages, p.vectors.mean(0))

    def lexical(p: Part, index: Any) -> np.ndarray:
        return np.stack([index.scores(ev, p.background)[0] for ev in p.evidence])

    results: dict[str, tuple[float, float]] = {}
    results["today (title, centred cosine)"] = rank_metrics(today(part), ids, part.gold)
    results["lexical only, titles"] = rank_metrics(lexical(part, index_t), ids, part.gold)
    results["lexical only, titles + descriptions"] = rank_metrics(
        lexical(part, index_d), ids, part.gold
    )
    results["embedding only, titles"] = rank_metrics(
        embedding(part, title_passages), ids, part.gold
    )
    results["embedding only, titles + descriptions"] = rank_metrics(
        embedding(part, text_passages), ids, part.gold
    )
    round1 = [
        linking.score_pairs(
            ev, titled, index_t, sims, background=part.background, weights=ROUND1_WEIGHTS
        )
        for ev, sims in zip(part.evidence, embedding(part, title_passages), strict=True)
    ]
    results["combination, round 1 (titles, its weights)"] = rank_metrics(
        np.array([[p.score for p in ps] for ps in round1]), ids, part.gold
    )
    pairs = pair_features(part, described, index_d, embedding(part, text_passages))
    combined = np.array([[p.score for p in ps] for ps in pairs])
    results["combination, fixed weights (titles + descriptions)"] = rank_metrics(
        combined, ids, part.gold
    )

    tune_pairs = (
        pairs
        if part is tune
        else pair_features(tune, described, index_d, embedding(tune, text_passages))
    )
    train_x, train_y = [], []
    for ps, g in zip(tune_pairs, tune.gold, strict=True):
        for p in sorted(ps, key=lambda p: -p.score)[:10]:
            train_x.append(p.features)
            train_y.append(p.indicator_id in g)
    model = linking.fit_link_model(train_x, train_y)
    assert model is not None
    learned = np.array([model.probabilities([p.features for p in ps]) for ps in pairs])
    results["learned (LR on simulated decisions)"] = rank_metrics(learned, ids, part.gold)

    name = "unseen" if args.unseen else "tuning"
    print(f"\n| method ({name} part, n={len(part.rows)}) | P@3 | R@5 |\n|---|---|---|")
    for method, (p3, r5) in results.items():
        print(f"| {method} | {p3:.3f} | {r5:.3f} |")
    f1 = threshold_f1(pairs, part.gold, linking.LINK_THRESHOLD)
    print(f"\nF1 of top-3 above threshold {linking.LINK_THRESHOLD}: {f1:.3f}")
    print(f"learned model: {model.decisions} simulated decisions, calibrated={model.calibrated}")
    if args.tune:
        tune_grid(tune, described, index_d, embedding(tune, text_passages), None)
    print(
        f"\n{platform.node()} {platform.processor() or platform.machine()}, "
        f"{time.perf_counter() - started:.0f} s"
    )
    if args.json:
        args.json.write_text(
            json.dumps({k: {"p3": v[0], "r5": v[1]} for k, v in results.items()}, indent=1)
        )


def tune_grid(part: Part, pool: Any, index: Any, sims: np.ndarray, _: Any) -> None:
    ids = [i.id for i in pool]
    base = pair_features(part, pool, index, sims)
    rows = []
    for w_emb, w_group, w_mis, w_theme, scale in itertools.product(
        (1.0, 2.0, 3.0), (0.1, 0.2, 0.3), (-0.2, -0.3, -0.4), (0.0, 0.1), (8.0, 12.0, 16.0)
    ):
        weights = {
            "lexical": 1.0,
            "embedding": w_emb,
            "group_match": w_group,
            "group_mismatch": w_mis,
            "theme_match": w_theme,
        }
        scores = []
        for ps, ev in zip(base, part.evidence, strict=True):
            raw, _q = index.scores(ev, part.background)
            row = []
            for j, p in enumerate(ps):
                f = dict(p.features)
                f["lexical"] = 1.0 - np.exp(-max(0.0, float(raw[j])) / scale)
                row.append(linking.combined_score(f, weights))
            scores.append(row)
        p3, r5 = rank_metrics(np.array(scores), ids, part.gold)
        rows.append((p3 + r5, p3, r5, w_emb, w_group, w_mis, w_theme, scale))
    rows.sort(reverse=True)
    print("\nsum P@3 R@5 w_emb w_group w_mismatch w_theme lexical_scale")
    for r in rows[:15]:
        print(" ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in r))
    print("\nthreshold F1 (current weights):")
    for t in np.arange(0.2, 1.8, 0.05):
        print(f"{t:.2f} {threshold_f1(base, part.gold, float(t)):.3f}")


if __name__ == "__main__":
    main()
