"""Emerging themes against the per-phenomenon detector and a BERTrend re-implementation.

On the labelled stream of `benchmarks/data/emerging/` (base, steady controls, slowly growing
themes, planted emerging themes in six parts: `seen`, tuned on; `unseen`, the final check
used once on 2026-12-02; `unseen2` and `unseen3`, each used once later that day; `unseen4`
and `unseen5`, held out for the next final checks), at every evaluation date of `plan.json`:

- **ours**: `nakyma.emerging.find_themes` on the stream's items dated on or before the date;
- **per-phenomenon**: the product's phenomena (`run_clustering`) and weak signals
  (`score_signals`) computed in a fresh database of those items; a (phenomenon,
  municipality) weak or strengthening signal flags the phenomenon's recent members there;
- **BERTrend-like**: `benchmarks/bertrend_like.py` in the benchmark venv (BERTopic lives only
  there), given the same texts, dates and vectors.

All three get the SAME vectors: the bundled multilingual-e5-small as the product stores them
(cached in /tmp/bench-cache). Scored by `benchmarks/emerging_eval.py`. Usage:

    PYTHONPATH=. .venv/bin/python benchmarks/bench_emerging.py --part seen
    PYTHONPATH=. .venv/bin/python benchmarks/bench_emerging.py --part unseen \\
        --bench-python /path/to/.venv-bench/bin/python
    PYTHONPATH=. .venv/bin/python benchmarks/bench_emerging.py --cost   # 10^4-item run time
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
CACHE = Path(os.environ.get("BENCH_CACHE", "/tmp/bench-cache"))
SECRET = "benchmark-" + "x" * 40
RECENT_DAYS = 42


def settings(data_dir: Path | None = None) -> Any:
    from nakyma.config import Settings

    kwargs: dict[str, Any] = {"_env_file": None, "secret_key": SECRET, "scheduler_enabled": False}
    if data_dir is not None:
        kwargs["data_dir"] = data_dir
    return Settings(**kwargs)


def vectors_for(texts: list[str]) -> np.ndarray:
    """The product's item vectors, cached by the texts' digest."""
    from nakyma.embedding import get_embedder

    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"emerging-{digest}.npy"
    if path.exists():
        return np.load(path)
    emb = get_embedder(settings())
    out = np.concatenate(
        [emb.encode(texts[i : i + 64], kind="item") for i in range(0, len(texts), 64)]
    )
    out = (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)
    np.save(path, out)
    return out


def terms_for(texts: list[str]) -> list[list[str]]:
    from nakyma.finnish import voikko_terms

    return [voikko_terms(t) for t in texts]


def eval_dates(plan: dict) -> list[str]:
    return sorted({d for dates in plan["eval_dates"].values() for d in dates})


# --- ours ------------------------------------------------------------------------------------


def run_ours(items: list[dict], vectors: np.ndarray, dates: list[str], params: Any) -> dict:
    from nakyma.emerging import Stream, themes_with_hold
    from nakyma.finnish import word_vectors

    terms = terms_for([i["text"] for i in items])
    stream = Stream(
        keys=[i["id"] for i in items],
        municipalities=[i["municipality"] for i in items],
        days=np.array([date.fromisoformat(i["observed_on"]).toordinal() for i in items]),
        vectors=vectors,
        terms=terms,
        lexicon=word_vectors(t for doc in terms for t in doc),
    )
    flags: dict[str, list[dict]] = {}
    started = time.perf_counter()
    for d in dates:
        themes = themes_with_hold(stream, date.fromisoformat(d), params)
        flags[d] = [
            {"theme_id": f"{d}-{n}", "municipality": code, "items": sorted(t.areas[code])}
            for n, t in enumerate(themes)
            for code in sorted(t.flagged)
        ]
    return {"flags": flags, "seconds": round(time.perf_counter() - started, 1)}


# --- the per-phenomenon detector ---------------------------------------------------------------


def _database(items: list[dict], vectors: np.ndarray, work: Path) -> Any:
    from nakyma.db import open_db
    from nakyma.embedding import BUNDLED_NAME, store_vectors

    work.mkdir(parents=True, exist_ok=True)
    db = open_db(work / "nakyma.db")
    rows = [
        {
            "id": n + 1,
            "external_id": item["id"],
            "text": item["text"],
            "text_key": f"k{n}",
            "municipality_code": item["municipality"],
            "observed_on": item["observed_on"],
            "target_group": item.get("target_group") or "kaikki",
            "theme": "muu",
            "role": item.get("role") or "opettaja",
            "source": "tuonti",
            "redacted": 0,
            "created_at": "2026-11-20T00:00:00+00:00",
        }
        for n, item in enumerate(items)
    ]
    db.table("observations").insert_all(rows, batch_size=2000)
    store_vectors(
        db, BUNDLED_NAME, [("observation", str(n + 1)) for n in range(len(items))], vectors
    )
    return db


def run_current(items: list[dict], vectors: np.ndarray, dates: list[str]) -> dict:
    from nakyma.embedding import BUNDLED_NAME
    from nakyma.phenomena import ClusterParams, run_clustering
    from nakyma.regions import load_region
    from nakyma.signals import SignalParams, score_signals

    region = load_region()
    flags: dict[str, list[dict]] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for d in dates:
            day = date.fromisoformat(d)
            keep = [i for i, item in enumerate(items) if item["observed_on"] <= d]
            db = _database([items[i] for i in keep], vectors[keep], Path(tmp) / d)
            run_clustering(db, BUNDLED_NAME, params=ClusterParams())
            since = (day - timedelta(days=RECENT_DAYS)).isoformat()
            out = []
            for s in score_signals(db, region, as_of=day, params=SignalParams()):
                if s.area_kind != "kunta" or s.category not in ("heikko_signaali", "vahvistuva"):
                    continue
                members = [
                    r[0]
                    for r in db.execute(
                        "select o.external_id from phenomenon_members m join observations o "
                        "on m.item_kind = 'observation' and o.id = cast(m.item_key as integer) "
                        "where m.phenomenon_id = ? and o.municipality_code = ? "
                        "and o.observed_on > ? and o.observed_on <= ?",
                        [s.phenomenon_id, s.area_code, since, d],
                    )
                ]
                out.append(
                    {
                        "theme_id": str(s.phenomenon_id),
                        "municipality": s.area_code,
                        "items": members,
                    }
                )
            flags[d] = out
            db.close()
    return {"flags": flags, "seconds": round(time.perf_counter() - started, 1)}


# --- BERTrend re-implemented ------------------------------------------------------------------


def run_bertrend(items: list[dict], vectors: np.ndarray, dates: list[str], python: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        stream = Path(tmp) / "stream.jsonl"
        stream.write_text(
            "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8"
        )
        np.save(Path(tmp) / "vectors.npy", vectors)
        (Path(tmp) / "dates.json").write_text(json.dumps(dates))
        out = Path(tmp) / "flags.json"
        started = time.perf_counter()
        subprocess.run(
            [
                python,
                str(ROOT / "benchmarks" / "bertrend_like.py"),
                "--stream",
                str(stream),
                "--vectors",
                str(Path(tmp) / "vectors.npy"),
                "--eval-dates",
                str(Path(tmp) / "dates.json"),
                "--out",
                str(out),
            ],
            check=True,
            timeout=3600,
        )
        result = json.loads(out.read_text())
    weak = {
        d: [f for f in fl if f.get("signal", "weak") == "weak"] for d, fl in result["flags"].items()
    }
    return {
        "flags": weak,
        "flags_with_strong": result["flags"],
        "method": result.get("method"),
        "differences": result.get("differences"),
        "seconds": round(time.perf_counter() - started, 1),
    }


# --- cost -----------------------------------------------------------------------------------


# The code of "today's" full run in issue 12: the commit before the emerging themes engine.
BEFORE_REV = "8e751ea^"


def _tree_at(rev: str, into: Path) -> Path:
    """The repository's files at `rev`, extracted (git archive) into `into`."""
    into.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def cost(n: int = 10_000, before_rev: str | None = BEFORE_REV) -> dict:
    """A full phenomena run over n observations (the stream's texts and vectors repeated,
    dates spread over the last 18 months), each in a fresh process, in three modes: "with" and
    "without" the emerging themes step (this code), and "before" (the code at `before_rev`,
    today's full run when issue 12 was filed, on a copy of the same database). Each database
    is run twice: the first ("cold") run also computes and stores every observation's terms
    and every title once; the second ("warm") is the steady state of a nightly run. Three
    databases per mode, alternating; the best of each."""
    import emerging_eval

    items = emerging_eval.load_stream("all")
    vectors = vectors_for([i["text"] for i in items])
    rng = np.random.default_rng(0)
    chosen = rng.integers(0, len(items), n)
    as_of = date(2026, 10, 25)
    many = []
    for k, i in enumerate(chosen):
        item = dict(items[i])
        item["id"] = f"x-{k}"
        item["text"] = f"{item['text']} ({k})"
        item["observed_on"] = (as_of - timedelta(days=int(rng.integers(0, 540)))).isoformat()
        many.append(item)
    noisy = vectors[chosen] + rng.normal(0, 0.012, (n, vectors.shape[1])).astype(np.float32)
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    modes = ["without", "with"] + (["before"] if before_rev else [])
    timings: dict[str, list[float]] = {m: [] for m in modes} | {"with_cold": []}
    step: dict[str, list[float]] = {"cold": [], "warm": []}
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template"
        _database(many, noisy, template).close()
        roots = {"with": ROOT, "without": ROOT}
        if before_rev:
            roots["before"] = _tree_at(before_rev, Path(tmp) / "before-code")
        for attempt in range(3):
            for mode in modes:
                work = Path(tmp) / f"{mode}{attempt}"
                work.mkdir()
                (work / "nakyma.db").write_bytes((template / "nakyma.db").read_bytes())
                patch = (
                    "orig = p.run_emerging\n"
                    "def timed(*a, **k):\n"
                    "    t0 = time.perf_counter()\n"
                    f"    r = orig(*a, **k) if {mode!r} == 'with' else {{}}\n"
                    "    spent[0] = time.perf_counter() - t0\n"
                    "    return r\n"
                    "p.run_emerging = timed\n"
                    if mode != "before"
                    else ""
                )
                code = (
                    f"import sys, time; sys.path.insert(0, {str(roots[mode])!r})\n"
                    "from datetime import date\n"
                    "from pathlib import Path\n"
                    "import pipelines.phenomena as p\n"
                    "from nakyma.config import Settings\n"
                    "from nakyma.db import open_db\n"
                    "spent = [0.0]\n"
                    f"{patch}"
                    "s = Settings(_env_file=None, secret_key='x' * 40, scheduler_enabled=False,"
                    f" data_dir=Path({str(work)!r}))\n"
                    "db = open_db(s.database_path)\n"
                    "t = time.perf_counter()\n"
                    "r = p.run(db, s, as_of=date(2026, 10, 25))\n"
                    "print(time.perf_counter() - t, spent[0])\n"
                )
                for run in ("cold", "warm"):
                    out = subprocess.run(
                        [sys.executable, "-c", code],
                        capture_output=True,
                        text=True,
                        check=True,
                        cwd=roots[mode],
                    ).stdout.split()
                    # Warm runs compare; the cold one is reported for "with" only (the
                    # first run after the step was added: every text's terms computed once).
                    if run == "warm":
                        timings[mode].append(float(out[0]))
                    elif mode == "with":
                        timings["with_cold"].append(float(out[0]))
                    if mode == "with":
                        step[run].append(float(out[1]))
    best = {m: min(v) for m, v in timings.items()}
    out_: dict[str, Any] = {
        "items": n,
        "seconds": timings,
        "emerging_step_seconds": step,
        "ratio_warm_to_without": round(best["with"] / best["without"], 3),
        "ratio_cold_to_without": round(best["with_cold"] / best["without"], 3),
    }
    if before_rev:
        out_["before_rev"] = before_rev
        out_["ratio_warm_to_before"] = round(best["with"] / best["before"], 3)
        out_["ratio_cold_to_before"] = round(best["with_cold"] / best["before"], 3)
    return out_


def main() -> None:
    import emerging_eval

    from nakyma.emerging import EmergingParams

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=list(emerging_eval.PARTS), default="seen")
    parser.add_argument("--skip-current", action="store_true")
    parser.add_argument("--bench-python", default=None, help="the BERTopic venv's python")
    parser.add_argument("--cost", action="store_true")
    parser.add_argument(
        "--before-rev", default=BEFORE_REV, help="the code of today's run for --cost ('' = none)"
    )
    parser.add_argument("--params", default="{}", help="EmergingParams overrides as JSON")
    args = parser.parse_args()
    if args.cost:
        print(json.dumps(cost(before_rev=args.before_rev or None), indent=2))
        return
    plan = emerging_eval.load_plan()
    items = emerging_eval.load_stream(args.part)
    vectors = vectors_for([i["text"] for i in items])
    dates = eval_dates(plan)
    params = EmergingParams(**json.loads(args.params))
    results: dict[str, Any] = {"part": args.part, "items": len(items), "params": params.__dict__}
    runs = {"ours": run_ours(items, vectors, dates, params)}
    if not args.skip_current:
        runs["per-phenomenon"] = run_current(items, vectors, dates)
    if args.bench_python:
        runs["BERTrend-like"] = run_bertrend(items, vectors, dates, args.bench_python)
    for name, run in runs.items():
        scored = emerging_eval.score(plan, args.part, run["flags"])
        results[name] = {"score": scored, "seconds": run["seconds"]}
        print(f"\n## {name} ({run['seconds']} s)\n")
        print(emerging_eval.format_table(scored))
    CACHE.mkdir(parents=True, exist_ok=True)
    out = CACHE / f"emerging-results-{args.part}.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str))
    print(f"\nresults: {out}")


if __name__ == "__main__":
    main()
