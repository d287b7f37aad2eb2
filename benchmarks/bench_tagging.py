"""Municipality tagging quality on tests/data/headlines_labelled.csv.

Run by hand from the project root: `PYTHONPATH=. .venv/bin/python benchmarks/bench_tagging.py`.
"""

from __future__ import annotations

from nakyma.regions import load_region
from tests.test_tagging import tagging_scores

if __name__ == "__main__":
    precision, recall, n = tagging_scores(load_region())
    f1 = 2 * precision * recall / (precision + recall)
    print(f"{n} headlines: precision {precision:.3f}, recall {recall:.3f}, F1 {f1:.3f}")
