"""Cross-check benchmarks/bertrend_like.py against BERTrend's own code, on the same windows.

The per-window BERTopic models come from bertrend_like.py; the merging, popularity and
signal classification are then done twice: by bertrend_like.py and by BERTrend's own
functions (merge_models_with, _merge_models, _preprocess_model, calculate_signal_popularity,
_compute_popularity_values_and_thresholds, _classify_signals and the helpers in
trend_analysis/weak_signals.py), whose source is read at run time from a BERTrend git
directory or checkout (nothing of BERTrend is copied into this repository). The importable
rest of the bertrend package is not needed: those functions use numpy, pandas, scipy and
scikit-learn only.

    .venv-bench/bin/python benchmarks/bertrend_crosscheck.py --bertrend PATH [--rev HEAD]

PATH is a clone (or bare git directory) of rte-france/BERTrend. Exit status 0 when merge
histories, popularity series and noise/weak/strong classes agree at every evaluation date
of the self-test stream.
"""

from __future__ import annotations

import argparse
import ast
import logging
import subprocess
import sys
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bertrend_like as bl  # noqa: E402

BERTREND_METHODS = [
    "merge_models_with",
    "calculate_signal_popularity",
    "_compute_popularity_values_and_thresholds",
    "_classify_signals",
    "classify_signals",
]
BERTREND_FUNCTIONS = ["_preprocess_model", "_merge_models"]
WEAK_SIGNAL_FUNCTIONS = [
    "_apply_decay_to_inactive_topics",
    "_create_dataframes",
    "_create_df",
    "_filter_data",
    "_initialize_new_topic",
    "_is_rising_popularity",
    "update_existing_topic",
]


def read_source(repo: Path, rev: str, path: str) -> str:
    if (repo / path).is_file():
        return (repo / path).read_text(encoding="utf-8")
    return subprocess.run(
        ["git", "--git-dir", str(repo if (repo / "HEAD").exists() else repo / ".git")]
        + ["show", f"{rev}:{path}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def extract(source: str, names: list[str], class_name: str | None = None) -> str:
    tree = ast.parse(source)
    body = tree.body
    if class_name:
        body = next(n for n in body if isinstance(n, ast.ClassDef) and n.name == class_name).body
    found = {n.name: n for n in body if isinstance(n, ast.FunctionDef) and n.name in names}
    missing = set(names) - set(found)
    if missing:
        raise SystemExit(f"not found in BERTrend's source: {sorted(missing)}")
    return "\n\n".join(ast.unparse(found[n]) for n in names)


class _Logger:
    def __getattr__(self, name: str):
        return lambda *a, **k: None


def load_bertrend(repo: Path, rev: str) -> type:
    import pandas as pd
    import scipy
    import scipy.stats  # noqa: F401
    from pandas import Timestamp
    from sklearn.metrics.pairwise import cosine_similarity

    ns: dict[str, Any] = {
        "np": np,
        "pd": pd,
        "scipy": scipy,
        "Timestamp": Timestamp,
        "cosine_similarity": cosine_similarity,
        "defaultdict": defaultdict,
        "Any": Any,
        "logger": _Logger(),
        "BERTopic": object,
        "SIGNAL_CLASSIF_LOWER_BOUND": bl.SIGNAL_CLASSIF_LOWER_BOUND,
        "SIGNAL_CLASSIF_UPPER_BOUND": bl.SIGNAL_CLASSIF_UPPER_BOUND,
    }
    main_src = read_source(repo, rev, "bertrend/BERTrend.py")
    ws_src = read_source(repo, rev, "bertrend/trend_analysis/weak_signals.py")
    exec(extract(ws_src, WEAK_SIGNAL_FUNCTIONS), ns)  # noqa: S102
    exec(extract(main_src, BERTREND_FUNCTIONS), ns)  # noqa: S102
    exec(extract(main_src, BERTREND_METHODS, class_name="BERTrend"), ns)  # noqa: S102
    return type("BERTrendCore", (), {n: ns[n] for n in BERTREND_METHODS})


class FakeTopicModel:
    """What BERTrend's merge code reads of a fitted model (_train_by_period's extras)."""

    def __init__(self, wm: bl.WindowModel, ids: list[str]):
        import pandas as pd

        docs = [ids[r] for r in wm.rows]
        assert wm.topics is not None
        self.doc_info_df = pd.DataFrame(
            {
                "Topic": wm.topics,
                "Paragraph": docs,
                "document_id": docs,
                "source": ["s"] * len(docs),
                "url": [""] * len(docs),
            }
        )
        counts = self.doc_info_df.groupby("Topic")["document_id"].nunique()
        self.topic_info_df = pd.DataFrame(
            {
                "Topic": counts.index,
                "Count": counts.values,
                "Document_Count": counts.values,
                "Representation": [[f"t{t}"] for t in counts.index],
            }
        )
        self.docs = docs


def bertrend_reference(core: type, models: list[bl.WindowModel], ids, vectors, g, wsize):
    import pandas as pd

    bt = core()
    bt.config = {
        "granularity": g,
        "min_similarity": bl.MIN_SIMILARITY,
        "decay_factor": bl.DECAY_FACTOR,
        "decay_power": bl.DECAY_POWER,
    }
    bt.last_topic_model = None
    bt.last_topic_model_timestamp = None
    bt.doc_groups, bt.emb_groups = {}, {}
    bt.merge_df_size_over_time = []
    bt.all_new_topics_df = bt.all_merge_histories_df = bt.merged_df = None
    for wm in models:  # BERTrend.train_topic_models, failed periods skipped
        if wm.error is not None:
            continue
        period = pd.Timestamp(bl.date.fromordinal(wm.start))
        fake = FakeTopicModel(wm, ids)
        bt.doc_groups[period] = fake.docs
        bt.emb_groups[period] = vectors[wm.rows]
        if bt.last_topic_model is not None:
            bt.merge_models_with(fake, period)
        bt.last_topic_model = fake
        bt.last_topic_model_timestamp = period
    hist = bt.all_merge_histories_df
    if len(bt.doc_groups) < 2 or hist is None or hist.empty:
        return [], {}, {}
    bt.calculate_signal_popularity()
    history = [
        (
            r.Timestamp.date().toordinal(),
            int(r.Topic1),
            int(r.Document_Count1),
            int(r.Document_Count2),
        )
        for r in hist.itertuples()
    ]
    sizes = {
        int(t): [
            (pd.Timestamp(ts).date().toordinal(), float(p))
            for ts, p in zip(d["Timestamps"], d["Popularity"], strict=True)
        ]
        for t, d in bt.topic_sizes.items()
    }
    current = hist["Timestamp"].max()
    noise, weak, strong = bt.classify_signals(wsize, current)
    classes = {}
    for df, name in ((noise, "noise"), (weak, "weak"), (strong, "strong")):
        for t in df["Topic"] if not df.empty else []:
            classes[int(t)] = name
    return history, sizes, classes


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bertrend", type=Path, required=True, help="BERTrend clone or git dir")
    p.add_argument("--rev", default="HEAD")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("BERTopic").addFilter(
        lambda r: "custom list of topic assignments" not in r.getMessage()
    )
    warnings.filterwarnings("ignore")
    core = load_bertrend(args.bertrend, args.rev)
    items, vectors, dates = bl.synthetic_stream()
    g = bl.DEFAULT_WINDOW_DAYS
    days = np.array([bl.date.fromisoformat(it["observed_on"]).toordinal() for it in items])
    ids = [it["id"] for it in items]
    origin = int(days.min())
    bins = (days - origin) // g
    cache = bl.WindowCache([it["text"] for it in items], vectors)
    bad = 0
    for iso in dates:
        d = bl.date.fromisoformat(iso).toordinal()
        visible = days <= d
        models = [
            cache.get(origin + b * g, np.flatnonzero(visible & (bins == b)))
            for b in sorted(set(bins[visible].tolist()))
        ]
        merge = bl.merge_windows(models)
        sizes = bl.signal_popularity(merge.history, g)
        classes: dict[int, str] = {}
        if merge.n_trained >= 2 and merge.history:
            current = max(r[0] for r in merge.history)
            classes, _, _ = bl.classify_signals(sizes, g, current, g)
        ref_hist, ref_sizes, ref_classes = bertrend_reference(core, models, ids, vectors, g, g)
        same_sizes = set(sizes) == set(ref_sizes) and all(
            [ts for ts, _ in sizes[t]] == [ts for ts, _ in ref_sizes[t]]
            and np.allclose([p for _, p in sizes[t]], [p for _, p in ref_sizes[t]])
            for t in sizes
        )
        ok = merge.history == ref_hist and same_sizes and classes == ref_classes
        bad += not ok
        print(
            f"{iso}: merge rows {len(merge.history)}/{len(ref_hist)}, topics tracked "
            f"{len(sizes)}/{len(ref_sizes)}, classes {sorted(classes.items())} / "
            f"{sorted(ref_classes.items())}: {'same' if ok else 'DIFFERENT'}"
        )
    print(f"{len(dates) - bad} of {len(dates)} evaluation dates agree with BERTrend's code")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
