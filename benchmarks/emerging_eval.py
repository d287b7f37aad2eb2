"""Scores an emerging-theme detector on the labelled stream in benchmarks/data/emerging.

The stream is a background of everyday topics, steady controls and slowly growing themes
(base.jsonl) with hand-written emerging themes planted in one or two municipalities each
(planted_seen.jsonl for tuning, planted_unseen.jsonl for the first final check, used once
on 2026-12-02, planted_unseen2.jsonl and planted_unseen3.jsonl for the second and third,
each used once later that day, and planted_unseen4.jsonl and planted_unseen5.jsonl for the
next ones: do not read their texts while tuning). plan.json names the three as-of dates,
the weekly evaluation dates of the eight weeks before each, and the items of every labelled
theme.

A detector is run on the stream up to each evaluation date and says which themes it flags
there, one flag per (theme, municipality): ``{"theme_id": str, "municipality": "256",
"items": [ids of the flagged theme's members in that municipality]}``. The scorer needs only
those flags and the plan; it is pure standard-library Python, so any detector (this project's
or another) can be scored alike:

    from benchmarks.emerging_eval import load_plan, load_stream, score, format_table
    plan = load_plan()
    stream = load_stream("seen")
    flags_by_date = {day: my_detector(stream, as_of=day) for day in all_eval_dates(plan)}
    print(format_table(score(plan, "seen", flags_by_date)))

The measures are documented on `score`. Flags saved as JSON ({date: [flag, ...]}) can also
be scored from the shell: `python benchmarks/emerging_eval.py flags.json seen` (add `--json`
for the full result).
"""

from __future__ import annotations

import argparse
import json
import statistics
from datetime import date
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "emerging"
PARTS = ("seen", "unseen", "unseen2", "unseen3", "unseen4", "unseen5", "all")

Flag = dict[str, Any]


def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def load_stream(part: str, *, data: Path = DATA) -> list[dict]:
    """The stream a detector sees: base.jsonl plus the planted items of `part`.

    `part` is "seen" (tune on this), "unseen" (the first final check, used once on
    2026-12-02), "unseen2" (the second, used once later that day), "unseen3" (the third,
    used once after it with the same detector), "unseen4" (the fourth, held out for the
    next final check), "unseen5" (the fifth, also held out) or "all" (all six planted
    files). Items are sorted by `observed_on`,
    then by `id`. `data` is the folder of the files (the committed benchmark unless a test
    passes its own).
    """
    if part not in PARTS:
        raise ValueError(f"part must be one of {PARTS}, not {part!r}")
    rows = _read_jsonl(data / "base.jsonl")
    for name in ("seen", "unseen", "unseen2", "unseen3", "unseen4", "unseen5"):
        if part in (name, "all"):
            rows += _read_jsonl(data / f"planted_{name}.jsonl")
    return sorted(rows, key=lambda row: (row["observed_on"], row["id"]))


def load_plan(*, data: Path = DATA) -> dict:
    """plan.json: `as_of`, `eval_dates` per as-of date, `themes`, `municipalities` (22)."""
    with open(data / "plan.json", encoding="utf-8") as source:
        return json.load(source)


def all_eval_dates(plan: dict) -> list[str]:
    """Every evaluation date of the plan (each as-of date is its own last one), sorted."""
    return sorted({day for days in plan["eval_dates"].values() for day in days})


def _themes(plan: dict, kind: str, part: str | None = None) -> dict[str, dict]:
    return {
        theme_id: theme
        for theme_id, theme in plan["themes"].items()
        if theme["kind"] == kind and (part in (None, "all") or theme.get("part") == part)
    }


def planted_pairs(plan: dict, part: str) -> list[dict]:
    """Every (planted theme, municipality) with at least two of the theme's items there.

    A municipality with a single item of a theme is not a pair: one observation alone is
    not a theme a detector could be asked to find. Each pair carries its as-of date and
    the date of its second item (by date, then id), from which the delay is counted.
    """
    pairs = []
    for theme_id, theme in _themes(plan, "emerging", part).items():
        for municipality, ids in theme["by_municipality"].items():
            if len(ids) < 2:
                continue
            ordered = sorted(ids, key=lambda item: (theme["dates"][item], item))
            pairs.append(
                {
                    "theme": theme_id,
                    "municipality": municipality,
                    "items": ordered,
                    "as_of": theme["as_of"],
                    "second_item_on": theme["dates"][ordered[1]],
                }
            )
    return sorted(pairs, key=lambda pair: (pair["as_of"], pair["theme"], pair["municipality"]))


def _mostly(flag: Flag, members: set[str]) -> bool:
    """At least half of the flag's items are members (an empty flag is mostly nothing)."""
    items = flag.get("items") or []
    return bool(items) and 2 * sum(item in members for item in items) >= len(items)


def _recalls(flag: Flag, pair: dict, members: set[str]) -> bool:
    return (
        flag.get("municipality") == pair["municipality"]
        and len(set(flag.get("items") or []) & set(pair["items"])) >= 2
        and _mostly(flag, members)
    )


def _recalled_at(flags: list[Flag], pair: dict, members: set[str]) -> bool:
    return any(_recalls(flag, pair, members) for flag in flags)


def _days(start: str, end: str) -> int:
    return (date.fromisoformat(end) - date.fromisoformat(start)).days


def _theme_flags(flags_by_date: dict[str, list[Flag]], themes: dict[str, dict]) -> list[dict]:
    """Flags, at any date given, whose items are mostly those of one of `themes`."""
    members = {theme_id: set(theme["items"]) for theme_id, theme in themes.items()}
    found = []
    for day in sorted(flags_by_date):
        for flag in flags_by_date[day]:
            for theme_id, ids in members.items():
                if _mostly(flag, ids):
                    found.append(
                        {
                            "date": day,
                            "theme_id": flag.get("theme_id"),
                            "municipality": flag.get("municipality"),
                            "theme": theme_id,
                        }
                    )
    return found


def _false_flags(plan: dict, flags: list[Flag]) -> list[tuple[str, str]]:
    """Distinct (theme_id, municipality) of flags that are not mostly any planted theme."""
    planted = [set(theme["items"]) for theme in _themes(plan, "emerging").values()]
    keys = {
        (str(flag.get("theme_id")), str(flag.get("municipality")))
        for flag in flags
        if not any(_mostly(flag, members) for members in planted)
    }
    return sorted(keys)


def score(plan: dict, part: str, flags_by_date: dict[str, list[Flag]]) -> dict:
    """Recall, detection delay, false emerging themes and flagged controls of one detector.

    `plan` is `load_plan()` (or a test's own of the same shape); `part` is "seen", "unseen",
    "unseen2", "unseen3", "unseen4", "unseen5" or "all" and chooses the planted themes scored;
    `flags_by_date` maps ISO dates (the plan's evaluation dates) to the detector's flags
    there, each ``{"theme_id", "municipality", "items"}``. Dates without an entry count as
    no flags.

    - pairs: every (planted theme of `part`, municipality) with >= 2 of its items in that
      municipality (a lone item of a theme in a municipality is no pair). A pair is recalled
      at a date when some flag there in its municipality has >= 2 of the pair's items and
      at least half of the flag's items belong to the pair's theme. `recall` = pairs
      recalled at their theme's as-of date / pairs.
    - delay: for each recalled pair, days from its second item to the first evaluation date
      of its as-of date at which it is recalled (negative would mean the detector saw items
      from the future). `delay_median`, `delay_max` and `delays` (the list).
    - false emerging themes: at each as-of date, distinct (theme_id, municipality) of flags
      whose items are not mostly (>= half) the items of any planted emerging theme of either
      part; a flag on the other part's theme is out of scope, not false. Also per 10
      municipalities (count * 10 / plan["municipalities"]); the overall `false` is the sum
      over as-of dates and its per-10 figure the mean per as-of date.
    - controls_flagged: flags at any given date whose items are mostly one control theme's
      (must be empty); growing_flagged: the same for growing themes (reported only).
    """
    if part not in PARTS:
        raise ValueError(f"part must be one of {PARTS}, not {part!r}")
    themes = plan["themes"]
    pairs = planted_pairs(plan, part)
    outcomes = []
    for pair in pairs:
        members = set(themes[pair["theme"]]["items"])
        recalled = _recalled_at(flags_by_date.get(pair["as_of"], []), pair, members)
        first = next(
            (
                day
                for day in plan["eval_dates"][pair["as_of"]]
                if _recalled_at(flags_by_date.get(day, []), pair, members)
            ),
            None,
        )
        delay = _days(pair["second_item_on"], first) if recalled and first else None
        outcomes.append({**pair, "recalled": recalled, "first_recalled_on": first, "delay": delay})
    delays = [outcome["delay"] for outcome in outcomes if outcome["delay"] is not None]
    per_ten = 10 / plan["municipalities"]
    by_as_of = {}
    for as_of in plan["as_of"]:
        mine = [outcome for outcome in outcomes if outcome["as_of"] == as_of]
        false = _false_flags(plan, flags_by_date.get(as_of, []))
        by_as_of[as_of] = {
            "pairs": len(mine),
            "recalled": sum(outcome["recalled"] for outcome in mine),
            "recall": _ratio(sum(outcome["recalled"] for outcome in mine), len(mine)),
            "false": len(false),
            "false_per_10_municipalities": round(len(false) * per_ten, 3),
            "false_flags": [list(key) for key in false],
        }
    recalled_count = sum(outcome["recalled"] for outcome in outcomes)
    false_total = sum(row["false"] for row in by_as_of.values())
    return {
        "part": part,
        "pairs": len(outcomes),
        "recalled": recalled_count,
        "recall": _ratio(recalled_count, len(outcomes)),
        "delays": [
            {"theme": o["theme"], "municipality": o["municipality"], "days": o["delay"]}
            for o in outcomes
            if o["delay"] is not None
        ],
        "delay_median": statistics.median(delays) if delays else None,
        "delay_max": max(delays) if delays else None,
        "false": false_total,
        "false_per_10_municipalities": round(false_total * per_ten / len(plan["as_of"]), 3),
        "by_as_of": by_as_of,
        "missed": [
            {"theme": o["theme"], "municipality": o["municipality"]}
            for o in outcomes
            if not o["recalled"]
        ],
        "controls_flagged": _theme_flags(flags_by_date, _themes(plan, "control")),
        "growing_flagged": _theme_flags(flags_by_date, _themes(plan, "growing")),
    }


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def format_table(result: dict) -> str:
    """A small Markdown table of `score`'s result: one row per as-of date and a total."""
    lines = [
        f"Emerging themes, part `{result['part']}`",
        "",
        "| as-of | pairs | recalled | recall | false | false / 10 municipalities |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    rows = [*result["by_as_of"].items(), ("all (mean false / 10)", result)]
    for name, row in rows:
        recall = "–" if row["recall"] is None else f"{row['recall']:.2f}"
        lines.append(
            f"| {name} | {row['pairs']} | {row['recalled']} | {recall} | {row['false']} "
            f"| {row['false_per_10_municipalities']:.2f} |"
        )
    lines += [
        "",
        f"Delay from a pair's second item to detection (days): median "
        f"{result['delay_median']}, max {result['delay_max']}.",
        f"Controls flagged: {len(result['controls_flagged'])} (must be 0). "
        f"Growing themes flagged: {len(result['growing_flagged'])}.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Score a JSON file of flags by date: `python benchmarks/emerging_eval.py FLAGS [PART]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("flags", type=Path, help="JSON file: {ISO date: [flag, ...]}")
    parser.add_argument("part", nargs="?", default="seen", choices=PARTS)
    parser.add_argument("--json", action="store_true", help="print the full result as JSON")
    args = parser.parse_args(argv)
    with open(args.flags, encoding="utf-8") as source:
        result = score(load_plan(), args.part, json.load(source))
    print(json.dumps(result, indent=1) if args.json else format_table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
