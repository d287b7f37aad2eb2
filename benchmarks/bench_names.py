"""Person-name detection of the privacy guard: quality on the labelled set, and speed.

Reads ``tests/data/names_labelled.csv`` (columns id, text, has_name, names, set; ``names`` is
the ``|``-joined list of the name strings as written in the text). Scores:

* name recall: labelled names overlapped by a ``nimi`` finding;
* name precision: ``nimi`` findings that overlap a labelled name;
* FP rate: texts without a name in which the whole guard flags anything;
* guard recall: texts with a name that the whole guard refuses;
* latency of one ``find_personal_data`` call per text (the result cache is cleared first,
  so every call runs the model), after the model has been loaded once;
* the demo observations (``nakyma/data/demo/observations.csv``) that would be refused.

Usage: ``.venv/bin/python benchmarks/bench_names.py [--repeats 5] [--json]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nakyma import finnish, privacy  # noqa: E402

LABELLED = ROOT / "tests" / "data" / "names_labelled.csv"
DEMO = ROOT / "nakyma" / "data" / "demo" / "observations.csv"


@dataclass
class Row:
    id: str
    text: str
    has_name: bool
    names: list[tuple[int, int]]
    set: str


@dataclass
class Score:
    names: int = 0
    found: int = 0
    findings: int = 0
    correct_findings: int = 0
    texts_with: int = 0
    guard_refused_with: int = 0
    texts_without: int = 0
    flagged_without: int = 0
    misses: list[str] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "names": self.names,
            "recall": self.found / self.names if self.names else None,
            "precision": self.correct_findings / self.findings if self.findings else None,
            "texts_without": self.texts_without,
            "fp_rate": self.flagged_without / self.texts_without if self.texts_without else None,
            "guard_recall": (
                self.guard_refused_with / self.texts_with if self.texts_with else None
            ),
            "misses": self.misses,
            "false_positives": self.false_positives,
        }


def load_rows(path: Path = LABELLED) -> list[Row]:
    rows = []
    with path.open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            spans = []
            for name in filter(None, r["names"].split("|")):
                start = r["text"].index(name)
                spans.append((start, start + len(name)))
            rows.append(Row(r["id"], r["text"], r["has_name"] == "1", spans, r.get("set", "")))
    return rows


def score(rows: list[Row]) -> Score:
    s = Score()
    for row in rows:
        findings = privacy.find_personal_data(row.text)
        names = [(f.start, f.end) for f in findings if f.kind == "nimi"]
        if row.has_name:
            s.texts_with += 1
            s.guard_refused_with += bool(findings)
            for a, b in row.names:
                s.names += 1
                if any(x < b and a < y for x, y in names):
                    s.found += 1
                else:
                    s.misses.append(row.id)
            s.findings += len(names)
            s.correct_findings += sum(any(x < b and a < y for a, b in row.names) for x, y in names)
        else:
            s.texts_without += 1
            s.findings += len(names)
            if findings:
                s.flagged_without += 1
                s.false_positives.append(row.id)
    return s


def latencies(texts: list[str], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        for text in texts:
            privacy._name_cache.clear()
            started = time.perf_counter()
            privacy.find_personal_data(text)
            out.append((time.perf_counter() - started) * 1000)
    return out


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    finnish.load()
    load_s = time.perf_counter() - started
    rows = load_rows()
    result: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{os.cpu_count()} cores ({platform.machine()}), Python "
        f"{platform.python_version()}",
        "model_load_s": round(load_s, 2),
        "all": score(rows).as_dict(),
    }
    for name in sorted({r.set for r in rows if r.set}):
        result[name] = score([r for r in rows if r.set == name]).as_dict()
    with DEMO.open(encoding="utf-8", newline="") as f:
        demo = [r["text"] for r in csv.DictReader(f)]
    result["demo_refused"] = sum(bool(privacy.find_personal_data(t)) for t in demo)
    result["demo_texts"] = len(demo)
    times = latencies([r.text for r in rows], args.repeats)
    result["latency_ms"] = {
        "calls": len(times),
        "p50": round(pct(times, 50), 2),
        "p95": round(pct(times, 95), 2),
        "max": round(max(times), 2),
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    print(f"{result['date']}, {result['machine']}; model load {result['model_load_s']} s")
    for name in ["all", *sorted({r.set for r in rows if r.set})]:
        s = result[name]
        print(
            f"{name}: {s['names']} names, recall {s['recall']:.3f}, precision "
            f"{s['precision']:.3f}; {s['texts_without']} texts without names, FP rate "
            f"{s['fp_rate']:.3f}; guard recall {s['guard_recall']:.3f}; "
            f"misses {s['misses']}, false positives {s['false_positives']}"
        )
    print(f"demo: {result['demo_refused']} of {result['demo_texts']} texts refused")
    lat = result["latency_ms"]
    print(f"latency per check: p50 {lat['p50']} ms, p95 {lat['p95']} ms, max {lat['max']} ms")


if __name__ == "__main__":
    main()
