"""Intake benchmark: privacy-guard latency per text and CSV import throughput.

Run by hand: `.venv/bin/python benchmarks/bench_intake.py [--rows 10000]`; results go to
benchmarks/RESULTS.md with the machine and date.
"""

from __future__ import annotations

import argparse
import csv
import platform
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from nakyma import privacy
from nakyma.db import open_db
from nakyma.regions import load_region
from pipelines.demo import demo_file
from pipelines.observations import import_observations


def bench_guard(texts: list[str], repeats: int) -> dict[str, float]:
    samples = []
    for _ in range(repeats):
        for text in texts:
            start = time.perf_counter_ns()
            privacy.find_personal_data(text)
            samples.append((time.perf_counter_ns() - start) / 1000)
    samples.sort()
    return {
        "texts": len(samples),
        "p50_us": statistics.median(samples),
        "p95_us": samples[int(len(samples) * 0.95)],
        "max_us": samples[-1],
    }


def bench_import(rows: list[dict[str, str]], n: int) -> dict[str, float]:
    region = load_region()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bulk.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            for i in range(n):
                row = dict(rows[i % len(rows)])
                row["id"] = f"bulk-{i}"
                # Distinct texts and dates so nothing is a duplicate.
                row["text"] = f"{row['text']} (kirjaus {i})"
                row["observed_on"] = (date(2024, 1, 1) + timedelta(days=i % 700)).isoformat()
                writer.writerow(row)
        db = open_db(Path(tmp) / "bench.db")
        start, cpu = time.perf_counter(), time.process_time()
        report = import_observations(db, path, region=region, today=date.today())
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        assert report.count("stored") == n, report.as_dict()["rejected"][:3]
        start = time.perf_counter()
        again = import_observations(db, path, region=region, today=date.today())
        reimport = time.perf_counter() - start
        assert again.count("already_stored") == n
    # CPU seconds of this process (all threads): on a shared machine the wall time follows
    # the load, the CPU time much less.
    return {
        "rows": n,
        "seconds": elapsed,
        "rows_per_s": n / elapsed,
        "cpu_s": cpu,
        "rows_per_cpu_s": n / cpu,
        "reimport_s": reimport,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    with demo_file().open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    texts = [r["text"] for r in rows]
    print(
        f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}"
    )
    print("privacy guard:", bench_guard(texts, args.repeats))
    print("import:", bench_import(rows, args.rows))


if __name__ == "__main__":
    main()
