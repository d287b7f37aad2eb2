"""The emerging-theme benchmark: its scorer on hand examples, and the committed stream files."""

from __future__ import annotations

import importlib.util
import json
import re
from collections import Counter
from datetime import date

import pytest

from benchmarks.emerging_eval import (
    DATA,
    all_eval_dates,
    format_table,
    load_plan,
    load_stream,
    main,
    planted_pairs,
    score,
)

MUNICIPALITIES = {
    "077", "172", "179", "182", "216", "226", "249", "256", "265", "275", "312",
    "410", "435", "495", "500", "592", "601", "729", "850", "892", "931", "992",
}  # fmt: skip
TARGET_GROUPS = {"lapset", "nuoret", "perheet", "tyoikaiset", "ikaantyneet", "vammaiset", "kaikki"}
ROLES = {
    "opettaja", "oppilashuolto", "terveydenhoitaja", "varhaiskasvatus", "nuorisotyo",
    "sosiaalityo", "jarjesto", "seurakunta",
}  # fmt: skip


def _theme(kind: str, dates: dict[str, tuple[str, str]], **extra: str) -> dict:
    """A plan theme from {item id: (municipality, date)}."""
    by_municipality: dict[str, list[str]] = {}
    for item, (municipality, _) in dates.items():
        by_municipality.setdefault(municipality, []).append(item)
    return {
        "kind": kind,
        "items": list(dates),
        "municipalities": sorted(by_municipality),
        "by_municipality": by_municipality,
        "dates": {item: day for item, (_, day) in dates.items()},
        **extra,
    }


@pytest.fixture
def plan() -> dict:
    """Two as-of dates, one seen and one unseen theme, a control and a growing theme."""
    return {
        "as_of": ["2025-03-30", "2025-06-29"],
        "eval_dates": {
            "2025-03-30": ["2025-03-16", "2025-03-23", "2025-03-30"],
            "2025-06-29": ["2025-06-15", "2025-06-22", "2025-06-29"],
        },
        "themes": {
            # Kinnula pair (s1, s2, s3; second item on 03-10), Kivijärvi pair (s4, s5;
            # second on 03-20); s6 alone in Karstula is no pair.
            "emerging:a": _theme(
                "emerging",
                {
                    "s1": ("256", "2025-03-02"),
                    "s2": ("256", "2025-03-10"),
                    "s3": ("256", "2025-03-12"),
                    "s4": ("265", "2025-03-05"),
                    "s5": ("265", "2025-03-20"),
                    "s6": ("226", "2025-03-21"),
                },
                part="seen",
                as_of="2025-03-30",
            ),
            "emerging:b": _theme(
                "emerging",
                {"u1": ("179", "2025-06-01"), "u2": ("179", "2025-06-10")},
                part="unseen",
                as_of="2025-06-29",
            ),
            "control:c": _theme(
                "control", {f"c{n}": ("179", f"2025-0{n}-15") for n in range(1, 7)}
            ),
            "growing:g": _theme(
                "growing", {f"g{n}": ("410", f"2025-0{n}-15") for n in range(1, 7)}
            ),
        },
        "municipalities": 22,
    }


def _flag(theme_id: str, municipality: str, *items: str) -> dict:
    return {"theme_id": theme_id, "municipality": municipality, "items": list(items)}


def test_pairs_need_two_items_in_a_municipality(plan: dict) -> None:
    pairs = planted_pairs(plan, "seen")
    assert [(p["municipality"], p["second_item_on"]) for p in pairs] == [
        ("256", "2025-03-10"),
        ("265", "2025-03-20"),
    ]
    assert len(planted_pairs(plan, "all")) == 3


def test_perfect_detector_recalls_every_pair_without_false_themes(plan: dict) -> None:
    flags = {
        "2025-03-30": [_flag("t1", "256", "s1", "s2", "s3"), _flag("t2", "265", "s4", "s5")],
        "2025-06-29": [_flag("t3", "179", "u1", "u2")],
    }
    for part in ("seen", "unseen", "all"):
        result = score(plan, part, flags)
        assert result["recall"] == 1.0, part
        assert result["false"] == 0
        assert result["missed"] == []
        assert result["controls_flagged"] == []
    json.dumps(result)
    assert "| 2025-03-30 |" in format_table(score(plan, "seen", flags))


def test_noise_flags_are_false_alarms_and_a_control_is_reported(plan: dict) -> None:
    flags = {
        "2025-03-30": [
            _flag("x", "179", "b-1", "b-2", "b-3"),
            _flag("x", "179", "b-1", "b-4"),  # the same (theme, municipality): counted once
            _flag("y", "410", "b-5"),
            _flag("z", "179", "c1", "c2", "b-9"),  # mostly the control
        ],
        "2025-03-16": [_flag("w", "410", "g1", "g2")],
    }
    result = score(plan, "seen", flags)
    assert result["recall"] == 0.0
    assert result["by_as_of"]["2025-03-30"]["false"] == 3
    assert result["by_as_of"]["2025-03-30"]["false_per_10_municipalities"] == round(30 / 22, 3)
    assert [(f["date"], f["theme"]) for f in result["controls_flagged"]] == [
        ("2025-03-30", "control:c")
    ]
    assert [(f["date"], f["theme"]) for f in result["growing_flagged"]] == [
        ("2025-03-16", "growing:g")
    ]


def test_a_flag_on_the_other_parts_theme_is_not_false(plan: dict) -> None:
    result = score(plan, "seen", {"2025-06-29": [_flag("t", "179", "u1", "u2")]})
    assert result["false"] == 0


def test_one_item_or_a_diluted_flag_does_not_recall(plan: dict) -> None:
    one_item = {"2025-03-30": [_flag("t", "256", "s1", "b-1")]}
    diluted = {"2025-03-30": [_flag("t", "256", "s1", "s2", "b-1", "b-2", "b-3")]}
    elsewhere = {"2025-03-30": [_flag("t", "179", "s1", "s2")]}
    for flags in (one_item, diluted, elsewhere):
        assert score(plan, "seen", flags)["recalled"] == 0
    # Exactly half of the flag's items from the theme is enough.
    half = {"2025-03-30": [_flag("t", "256", "s1", "s2", "b-1", "b-2")]}
    assert score(plan, "seen", half)["recalled"] == 1


def test_delay_counts_from_the_second_item_to_the_first_recalling_date(plan: dict) -> None:
    flags = {
        # Kinnula found a week early (second item 03-10 -> 03-23: 13 days); Kivijärvi only
        # at the as-of date (second item 03-20 -> 03-30: 10 days).
        "2025-03-23": [_flag("t", "256", "s1", "s2")],
        "2025-03-30": [_flag("t", "256", "s1", "s2", "s3"), _flag("u", "265", "s4", "s5")],
    }
    result = score(plan, "seen", flags)
    assert [d["days"] for d in result["delays"]] == [13, 10]
    assert result["delay_median"] == 11.5
    assert result["delay_max"] == 13
    # A pair flagged early but dropped by the as-of date is not recalled and has no delay.
    dropped = score(plan, "seen", {"2025-03-23": [_flag("t", "256", "s1", "s2")]})
    assert dropped["recalled"] == 0 and dropped["delays"] == []


def test_unknown_part_is_refused(plan: dict) -> None:
    with pytest.raises(ValueError):
        score(plan, "train", {})
    with pytest.raises(ValueError):
        load_stream("train")


# --- the committed stream ----------------------------------------------------------------


@pytest.fixture(scope="module")
def stream() -> list[dict]:
    return load_stream("all")


@pytest.fixture(scope="module")
def real_plan() -> dict:
    return load_plan()


def test_stream_rows_are_well_formed(stream: list[dict]) -> None:
    ids = [row["id"] for row in stream]
    assert len(ids) == len(set(ids))
    for row in stream:
        assert set(row) == {
            "id", "text", "municipality", "observed_on", "target_group", "role", "label",
        }  # fmt: skip
        assert row["municipality"] in MUNICIPALITIES
        assert row["target_group"] in TARGET_GROUPS
        assert row["role"] in ROLES
        assert "2025-01-01" <= row["observed_on"] <= "2026-10-31"
        assert 60 <= len(row["text"]) <= 350, row["id"]
        kind = row["label"].split(":")[0]
        prefixes = {"base": "b-", "control": "c-", "growing": "g-"}
        if kind in prefixes:
            assert row["id"].startswith(prefixes[kind])
        else:
            assert kind == "emerging" and row["id"][:2] in ("s-", "u-", "v-", "w-", "x-", "y-")
        # No personal data: no e-mail addresses, phone numbers or identity codes.
        assert not re.search(r"@|\d{6}[-+A]\d{3}|\d{3}[ -]?\d{4}", row["text"]), row["id"]


def test_parts_hold_their_own_planted_items(real_plan: dict) -> None:
    parts = ("seen", "unseen", "unseen2", "unseen3", "unseen4", "unseen5")
    ids = {part: {row["id"] for row in load_stream(part)} for part in parts}
    base = {row["id"] for row in load_stream("all") if not row["label"].startswith("emerging:")}
    for part in parts:
        assert base <= ids[part], part
    for theme_id, theme in real_plan["themes"].items():
        if theme["kind"] == "emerging":
            assert theme["part"] in parts, theme_id
            for part in parts:
                inside = set(theme["items"]) <= ids[part]
                assert inside == (part == theme["part"]), (theme_id, part)


def test_volumes_and_split(stream: list[dict], real_plan: dict) -> None:
    kinds = Counter(row["label"].split(":")[0] for row in stream)
    assert 1500 <= kinds["base"] <= 2500
    assert len({row["label"] for row in stream if row["label"].startswith("base:")}) >= 35
    themes = real_plan["themes"].values()
    assert sum(theme["kind"] == "control" for theme in themes) >= 3
    assert sum(theme["kind"] == "growing" for theme in themes) == 2
    for as_of in real_plan["as_of"]:
        parts = Counter(t["part"] for t in themes if t.get("as_of") == as_of)
        assert parts["seen"] >= 3 and parts["unseen"] >= 3, as_of
        assert parts["unseen2"] >= 4 and parts["unseen3"] >= 4 and parts["unseen4"] >= 4, as_of
        assert parts["unseen5"] >= 4, as_of
    assert sum(theme["kind"] == "emerging" for theme in themes) >= 30
    assert real_plan["municipalities"] == 22
    assert len(all_eval_dates(real_plan)) == 27


def test_planted_themes_fit_their_window(stream: list[dict], real_plan: dict) -> None:
    rows = {row["id"]: row for row in stream}
    for theme_id, theme in real_plan["themes"].items():
        if theme["kind"] != "emerging":
            continue
        items = [rows[item] for item in theme["items"]]
        assert all(row["label"] == theme_id for row in items)
        assert 3 <= len(items) <= 8, theme_id
        assert 1 <= len({row["municipality"] for row in items}) <= 2, theme_id
        as_of = date.fromisoformat(theme["as_of"])
        before = sorted((as_of - date.fromisoformat(row["observed_on"])).days for row in items)
        assert before[0] >= 0 and 28 <= before[-1] <= 56, theme_id
        assert theme["as_of"] in real_plan["eval_dates"], theme_id
        assert real_plan["eval_dates"][theme["as_of"]][-1] == theme["as_of"]


@pytest.mark.parametrize(
    ("part", "prefix"), [("unseen2", "v"), ("unseen3", "w"), ("unseen4", "x"), ("unseen5", "y")]
)
def test_later_held_out_parts_are_their_own_files(real_plan: dict, part: str, prefix: str) -> None:
    """planted_unseen2/3/4/5.jsonl: ids v-NNNN / w-NNNN / x-NNNN / y-NNNN, 3-6 items a theme in 1-2
    municipalities, 4 themes per as-of date, each theme with a pair (2+ items in a
    municipality), none in another file. (Window, shared words, personal data and unique ids
    are checked for every planted file by the tests above and below.)"""
    with open(DATA / f"planted_{part}.jsonl", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    assert [row["id"] for row in rows] == [f"{prefix}-{n:04d}" for n in range(1, len(rows) + 1)]
    themes = {k: t for k, t in real_plan["themes"].items() if t.get("part") == part}
    assert {row["label"] for row in rows} == set(themes)
    assert len(themes) >= 12
    assert Counter(t["as_of"] for t in themes.values()) == Counter(
        {as_of: 4 for as_of in real_plan["as_of"]}
    )
    for theme_id, theme in themes.items():
        assert 3 <= len(theme["items"]) <= 6, theme_id
        assert 1 <= len(theme["municipalities"]) <= 2, theme_id
        assert any(len(ids) >= 2 for ids in theme["by_municipality"].values()), theme_id
    assert len(planted_pairs(real_plan, part)) >= 12
    others = {row["label"] for row in load_stream("all") if row["id"][0] != prefix}
    assert not others & set(themes)


def _stems(text: str) -> set[str]:
    return {word[:5] for word in re.findall(r"\w+", text.lower()) if len(word) >= 4}


def test_no_content_word_is_shared_by_every_item_of_a_planted_theme(
    stream: list[dict], real_plan: dict
) -> None:
    rows = {row["id"]: row for row in stream}
    for theme_id, theme in real_plan["themes"].items():
        if theme["kind"] == "emerging":
            stems = [_stems(rows[item]["text"]) for item in theme["items"]]
            assert set.intersection(*stems) == set(), theme_id


def test_controls_are_steady_all_year(stream: list[dict], real_plan: dict) -> None:
    for theme_id, theme in real_plan["themes"].items():
        if theme["kind"] != "control":
            continue
        months = Counter(day[:7] for day in theme["dates"].values())
        assert len(months) >= 10, theme_id
        assert len(theme["municipalities"]) >= 10, theme_id
        assert max(months.values()) <= 2 * min(months.values()), theme_id


def test_the_plan_matches_the_files(stream: list[dict], real_plan: dict) -> None:
    labelled = Counter(row["label"] for row in stream if not row["label"].startswith("base:"))
    assert labelled == Counter({k: len(t["items"]) for k, t in real_plan["themes"].items()})
    assert (DATA / "README.md").exists()


def test_committed_files_are_what_the_generator_writes(real_plan: dict) -> None:
    spec = importlib.util.spec_from_file_location("make_stream", DATA / "make_stream.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    rows = generator.build()
    with open(DATA / "base.jsonl", encoding="utf-8") as committed:
        assert rows == [json.loads(line) for line in committed]
    planted = load_stream("all")
    planted = [row for row in planted if row["label"].startswith("emerging:")]
    assert generator.build_plan(rows + planted) == real_plan


def test_command_line_scores_a_flags_file(tmp_path, capsys) -> None:
    plan = load_plan()
    pair = planted_pairs(plan, "seen")[0]
    flags = {pair["as_of"]: [_flag("t", pair["municipality"], *pair["items"])]}
    path = tmp_path / "flags.json"
    path.write_text(json.dumps(flags), encoding="utf-8")
    assert main([str(path), "seen", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["recalled"] == 1 and result["false"] == 0
    assert main([str(path)]) == 0
    assert "| as-of |" in capsys.readouterr().out
