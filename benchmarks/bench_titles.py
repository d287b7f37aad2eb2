"""Titles and keywords of the 46 labelled groups of the emerging stream, old vs new.

Usage: python benchmarks/bench_titles.py [--set base|heldout] [--write]

For every label of `data/emerging/base.jsonl` (41 everyday topics, 3 controls, 2 growing
themes) it builds the old title (`phenomena.auto_title` over the old simplemma c-TF-IDF
keywords) and the new one (`titles.phenomenon_title` over the group's first 30 texts in
file order, with all 46 groups' texts as background, no vectors), and both keyword lists.
`--write` stores them in `data/titles/generated.json` for judging. With
`data/titles/judged.json` present it prints the share of titles judged "same" as the gold
(`data/titles/gold.json`, written before the generator ran; rule in the README there).
`--set heldout` titles the 18 planted themes of the emerging stream's `seen` and `unseen`
parts instead (3-6 texts each; background: every text of the stream and of those parts),
against `data/titles/gold_heldout.json`, written before the generator ran on them and
never used to tune it; files `generated_heldout.json` and `judged_heldout.json`.
A keyword counts as a real content lemma when Voikko has an analysis whose base form is the
keyword and whose class is noun or adjective.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
EMERGING = HERE / "data" / "emerging"
STREAM = EMERGING / "base.jsonl"
HELDOUT = [EMERGING / "planted_seen.jsonl", EMERGING / "planted_unseen.jsonl"]
UNSEEN2 = [EMERGING / "planted_unseen2.jsonl"]
UNSEEN3 = [EMERGING / "planted_unseen3.jsonl"]
UNSEEN4 = [EMERGING / "planted_unseen4.jsonl"]
UNSEEN5 = [EMERGING / "planted_unseen5.jsonl"]
OUT = HERE / "data" / "titles"
SUFFIX = {
    "base": "",
    "heldout": "_heldout",
    "unseen2": "_unseen2",
    "unseen3": "_unseen3",
    "unseen4": "_unseen4",
    "unseen5": "_unseen5",
}


def _read(paths: Sequence[Path]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        with path.open(encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                out[row["label"]].append(row["text"])
    return dict(sorted(out.items()))


def groups(which: str = "base") -> dict[str, list[str]]:
    sets = {
        "base": [STREAM],
        "heldout": HELDOUT,
        "unseen2": UNSEEN2,
        "unseen3": UNSEEN3,
        "unseen4": UNSEEN4,
        "unseen5": UNSEEN5,
    }
    return _read(sets[which])


def old_keywords(docs_per_class: Sequence[Sequence[str]], top: int = 8) -> list[list[str]]:
    """The keywords as they were before: c-TF-IDF over simplemma lemmas of every word."""
    from nakyma.phenomena import lemmas
    from nakyma.titles import ctfidf

    return ctfidf(
        [Counter(lemma for doc in docs for lemma in lemmas(doc)) for docs in docs_per_class], top
    )


def is_content_lemma(word: str) -> bool:
    """Voikko knows the word as the base form of a noun or adjective; a -minen action noun
    ("kaatuminen", which Voikko analyses as the verb's MINEN form) counts as a noun."""
    from nakyma.finnish import voikko_analyses

    return any(
        (
            a.get("BASEFORM", "").lower() == word
            and a.get("CLASS") in ("nimisana", "laatusana", "nimisana_laatusana")
        )
        or (
            a.get("MOOD") == "MINEN-infinitive"
            and a.get("SIJAMUOTO") == "nimento"
            and a.get("NUMBER") == "singular"
            and word.endswith("minen")
        )
        for a in voikko_analyses(word)
    )


def _centres(g: dict[str, list[str]]) -> tuple[Any, dict[str, Any]]:
    """The product's embedder and each group's centre (mean of its item vectors)."""
    import numpy as np
    from bench_emerging import settings

    from nakyma.embedding import get_embedder

    embedder = get_embedder(settings())
    out = {}
    for label, texts in g.items():
        centre = embedder.encode(texts, kind="item").mean(axis=0)
        out[label] = centre / np.linalg.norm(centre)
    return embedder, out


def generate(which: str = "base", embed: bool = False) -> dict[str, dict[str, Any]]:
    from nakyma import titles
    from nakyma.phenomena import auto_title

    g = groups(which)
    labels = list(g)
    started = time.perf_counter()
    everything = {**_read([STREAM]), **g}
    background = titles.document_shares(t for texts in everything.values() for t in texts)
    old = old_keywords([g[k] for k in labels])
    new = titles.class_keywords([g[k] for k in labels])
    embedder, centres = _centres(g) if embed else (None, {})
    keyword_seconds = time.perf_counter() - started
    out: dict[str, dict[str, Any]] = {}
    started = time.perf_counter()
    for label, old_words, new_words in zip(labels, old, new, strict=True):
        out[label] = {
            "old": auto_title(old_words),
            "new": titles.phenomenon_title(
                g[label],
                centres.get(label),
                embedder,
                background=background,
                keywords=new_words,
            ),
            "old_keywords": old_words,
            "new_keywords": new_words,
        }
    title_seconds = time.perf_counter() - started
    print(f"keywords {keyword_seconds:.1f} s, titles {title_seconds:.1f} s for {len(g)} groups")
    return out


def report(generated: dict[str, dict[str, Any]], which: str = "base") -> None:
    for kind in ("old", "new"):
        words = [w for row in generated.values() for w in row[f"{kind}_keywords"]]
        good = sum(is_content_lemma(w) for w in words)
        print(f"{kind} keywords: {good}/{len(words)} = {good / len(words):.0%} noun/adj lemmas")
        print("  not:", ", ".join(sorted({w for w in words if not is_content_lemma(w)})))
    print(f"titles of {len(generated)} groups (old -> new):")
    for label, row in generated.items():
        print(f"  {label}: {row['old']} -> {row['new']}")
    judged_path = OUT / f"judged{SUFFIX[which]}.json"
    if judged_path.exists():
        judged = json.loads(judged_path.read_text(encoding="utf-8"))
        for kind in ("old", "new"):
            verdicts = Counter(row[f"{kind}_verdict"] for row in judged.values())
            print(f"{kind} titles vs gold: {dict(sorted(verdicts.items()))} of {len(judged)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=list(SUFFIX), default="base", dest="which")
    parser.add_argument("--write", action="store_true", help="store data/titles/generated.json")
    parser.add_argument("--embed", action="store_true", help="re-rank by closeness to centres")
    args = parser.parse_args(argv)
    generated = generate(args.which, args.embed)
    if args.write:
        (OUT / f"generated{SUFFIX[args.which]}.json").write_text(
            json.dumps(generated, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
    report(generated, args.which)
    return 0


if __name__ == "__main__":
    sys.exit(main())
