"""Emerging themes: the detector on streams built to show each rule, and the stored themes
of a run (identity from run to run, decisions kept, the export)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from nakyma.cli import cli
from nakyma.emerging import (
    EmergingParams,
    Stream,
    _cohesion_p,
    _tfidf,
    _word_channel,
    find_themes,
    run_emerging,
    theme_reasons,
    themes_with_hold,
)
from nakyma.finnish import voikko_terms_many, word_vectors
from tests.conftest import DEMO_TODAY, TEST_SECRET, copy_of_demo

AS_OF = date(2026, 6, 28)
DIM = 48
WORD_DIM = 32


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype(np.float32)


class StreamBuilder:
    """Items on topics: each topic a direction in vector space plus noise, and its words."""

    def __init__(self, seed: int = 1) -> None:
        self.rng = np.random.default_rng(seed)
        self.rows: list[tuple[str, str, int, np.ndarray, list[str]]] = []
        self.topics: dict[str, tuple[np.ndarray, list[str]]] = {}
        self.lexicon: dict[str, np.ndarray] = {"arki": _unit(self.rng.normal(size=WORD_DIM))}

    def topic(self, name: str, words: list[str]) -> None:
        self.topics[name] = (self.rng.normal(size=DIM), words)
        # A topic's words are related (their word vectors near one direction), as in the
        # Finnish model; every other word is a direction of its own.
        around = self.rng.normal(size=WORD_DIM)
        for word in words:
            self.lexicon[word] = _unit(around + 0.8 * self.rng.normal(size=WORD_DIM))

    def add(self, name: str, municipality: str, day: date) -> str:
        direction, words = self.topics[name]
        vector = direction + 1.1 * self.rng.normal(size=DIM)
        picked = list(self.rng.choice(words, size=min(3, len(words)), replace=False))
        key = f"{name}-{len(self.rows)}"
        self.rows.append((key, municipality, day.toordinal(), vector, [*picked, "arki"]))
        return key

    def steady(self, name: str, municipalities: list[str], per_week: int, weeks: int) -> None:
        for w in range(weeks):
            for i in range(per_week):
                self.add(
                    name,
                    municipalities[(w + i) % len(municipalities)],
                    AS_OF - timedelta(7 * w + i),
                )

    def stream(self) -> Stream:
        keys, munis, days, vectors, terms = zip(*self.rows, strict=True)
        v = np.array(vectors, np.float32)
        return Stream(
            keys=list(keys),
            municipalities=list(munis),
            days=np.array(days, np.int64),
            vectors=v / np.linalg.norm(v, axis=1, keepdims=True),
            terms=[list(t) for t in terms],
            lexicon=dict(self.lexicon),
        )


BACKGROUND = {
    "ruutuaika": ["ruutuaika", "puhelin", "ilta", "peli", "uni"],
    "yksinaisyys": ["yksinäisyys", "ikäihminen", "kotihoito", "seura", "ystävä"],
    "kuljetus": ["koulukuljetus", "taksi", "odotus", "aamu", "linja"],
    "talous": ["toimeentulo", "vuokra", "lasku", "ruoka", "raha"],
}
MUNIS = ["179", "992", "410", "182", "249", "729", "931", "256", "265", "275"]


@pytest.fixture
def builder() -> StreamBuilder:
    b = StreamBuilder()
    for name, words in BACKGROUND.items():
        b.topic(name, words)
        b.steady(name, MUNIS, per_week=3, weeks=60)
    b.topic("energiajuoma", ["energiajuoma", "kofeiini", "välitunti", "tölkki", "sydän", "juoma"])
    return b


def test_a_new_local_theme_is_flagged_where_it_is(builder) -> None:
    planted = [
        builder.add("energiajuoma", "256", AS_OF - timedelta(days=d)) for d in (30, 21, 12)
    ] + [builder.add("energiajuoma", "265", AS_OF - timedelta(days=d)) for d in (18, 5)]
    themes = find_themes(builder.stream(), AS_OF)
    assert len(themes) == 1, [t.members for t in themes]
    [theme] = themes
    assert set(theme.members) == set(planted)
    assert set(theme.flagged) == {"256", "265"} and theme.new
    assert theme.baseline_like == 0
    assert {"energiajuoma", "kofeiini"} & set(theme.terms)


def _busy_jyvaskyla(builder: StreamBuilder) -> None:
    """Jyväskylä writes ten times as much as the others: among its many recent items, a few
    look new by chance, so counting new items there cannot tell a theme from noise."""
    for name in BACKGROUND:
        builder.steady(name, ["179"], per_week=8, weeks=60)


def test_a_small_new_theme_in_a_large_municipality_is_flagged_by_its_likeness(builder) -> None:
    _busy_jyvaskyla(builder)
    for n in range(8):  # other new items, each about something of its own
        builder.topic(f"yksittainen{n}", [f"sana{n}a", f"sana{n}b", f"sana{n}c"])
        builder.add(f"yksittainen{n}", MUNIS[n % 3], AS_OF - timedelta(days=3 + 4 * n))
    planted = [builder.add("energiajuoma", "179", AS_OF - timedelta(days=d)) for d in (25, 14, 4)]
    [theme] = [t for t in find_themes(builder.stream(), AS_OF) if set(planted) <= set(t.members)]
    assert set(theme.flagged) == {"179"} and theme.new
    # Counting new items alone (the likeness test off) misses it: 3 of Jyväskylä's many.
    off = EmergingParams(cohesion_alpha=0.0)
    assert not [
        t for t in find_themes(builder.stream(), AS_OF, off) if set(planted) & set(t.members)
    ]


def test_likeness_is_measured_against_the_other_new_items() -> None:
    """Three new items about one thing are more alike than three of the others drawn at
    random; three of the others are not."""
    rng = np.random.default_rng(3)
    v = rng.normal(size=(24, DIM))
    v[:3] = rng.normal(size=DIM) + 0.6 * rng.normal(size=(3, DIM))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    sim = v @ v.T
    params = EmergingParams()
    everyone = np.arange(24)
    assert _cohesion_p(sim, everyone, np.arange(3), params) < 0.01
    assert _cohesion_p(sim, everyone, np.array([5, 11, 17]), params) > 0.2
    # Too few other new items (three): compared with all the window's other items instead,
    # or, with that fallback off or too small a window, nothing can be told (p = 1).
    assert _cohesion_p(sim, everyone[:6], np.arange(3), params) < 0.01
    assert (
        _cohesion_p(sim, everyone[:6], np.arange(3), replace(params, cohesion_fallback=False))
        == 1.0
    )
    assert _cohesion_p(sim[:5, :5], everyone[:5], np.arange(3), params) == 1.0


def test_word_vectors_are_the_models_own_without_loading_spacy() -> None:
    """The floret table read directly gives what spaCy's `vocab.get_vector` gives (the
    same rows, the same hashing), and a fresh process gets them without importing spaCy."""
    from nakyma.finnish import load

    words = ["raketti", "sähikäinen", "äiti", "Öljy", "koulukiusaaminen", "x", "energiajuoma-"]
    ours = word_vectors(words)
    nlp = load()
    for w in words:
        theirs = np.asarray(nlp.vocab.get_vector(w), np.float32)
        assert np.allclose(ours[w], theirs / np.linalg.norm(theirs), atol=1e-5), w
    code = (
        "import sys; from nakyma.finnish import word_vectors; "
        "v = word_vectors(['raketti']); "
        "print(len(v), 'spacy' in sys.modules, 'torch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["1", "False", "False"]


def test_word_vectors_tie_texts_that_share_no_word() -> None:
    """The Finnish model's word vectors bring together two texts about fireworks written
    in different words, which the lexical channel cannot (no shared term)."""
    texts = [
        "Nuoret ampuivat raketteja bussikatosta kohti illalla.",
        "Välitunnilla heiteltiin sähikäisiä pienempien jalkoihin.",
        "Koulukuljetuksen taksi myöhästyi taas aamulla.",
        "Ikäihmisen kotihoidon käynnit ovat lyhentyneet.",
        "Vuokra ja sähkölasku vievät perheen rahat.",
        "Kirjasto on auki lauantaisin entistä pidempään.",
    ]
    terms = voikko_terms_many(texts)
    lexical, vocab, _ = _tfidf(terms)
    assert lexical[0].dot(lexical[1].T).toarray()[0, 0] == 0  # no word in common
    words = _word_channel(lexical, vocab, word_vectors(t for doc in terms for t in doc))
    assert words is not None
    sims = words @ words.T
    assert sims[0, 1] > max(sims[0, 2:].max(), sims[1, 2:].max())
    assert _word_channel(lexical, vocab, None) is None


def test_a_theme_in_different_words_is_found_by_its_word_vectors(builder) -> None:
    """Four items in a busy Jyväskylä, each in its own words and with sentence vectors no
    closer than chance, whose words are near one another in the word model: alike with the
    word channel, so flagged; without it, four of Jyväskylä's many new items."""
    _busy_jyvaskyla(builder)
    for n in range(8):  # other new items, each about something of its own
        builder.topic(f"yksittainen{n}", [f"sana{n}a", f"sana{n}b", f"sana{n}c"])
        builder.add(f"yksittainen{n}", MUNIS[n % 3], AS_OF - timedelta(days=3 + 4 * n))
    rng = np.random.default_rng(11)
    around = rng.normal(size=WORD_DIM)
    planted = []
    for n, days_before in enumerate((30, 21, 12, 5)):
        builder.topics[f"oma{n}"] = (np.zeros(DIM), [f"oma{n}"])  # sentence vectors: noise
        builder.lexicon[f"oma{n}"] = _unit(around + 0.5 * rng.normal(size=WORD_DIM))
        planted.append(builder.add(f"oma{n}", "179", AS_OF - timedelta(days=days_before)))
    stream = builder.stream()

    def found(s: Stream) -> list[set[str]]:
        return [
            set(t.areas.get("179", [])) & set(planted)
            for t in find_themes(s, AS_OF)
            if "179" in t.flagged
        ]

    assert any(len(hit) >= 3 for hit in found(stream))
    assert not any(len(hit) >= 2 for hit in found(replace(stream, lexicon=None)))


def test_a_theme_stays_listed_two_weeks_after_its_last_flag(builder) -> None:
    """Its items 40-48 days old: no longer a theme in this window, but flagged a week ago,
    so it is held (once, not once per checkpoint), and gone once the hold is over."""
    planted = [builder.add("energiajuoma", "256", AS_OF - timedelta(days=d)) for d in (48, 45, 40)]
    stream = builder.stream()

    def with_planted(themes: list) -> list:
        return [t for t in themes if set(planted) & set(t.members)]

    assert not with_planted(find_themes(stream, AS_OF))
    assert with_planted(find_themes(stream, AS_OF - timedelta(days=7)))
    [held] = with_planted(themes_with_hold(stream, AS_OF))
    assert held.extra["held_from"] == AS_OF - timedelta(days=7)
    assert set(held.areas["256"]) == set(planted) and set(held.flagged) == {"256"}
    [current] = with_planted(themes_with_hold(stream, AS_OF - timedelta(days=7)))
    assert "held_from" not in current.extra  # flagged now: not also held from before
    assert not with_planted(themes_with_hold(stream, AS_OF + timedelta(days=14)))
    assert not with_planted(themes_with_hold(stream, AS_OF, EmergingParams(hold_days=0)))


def test_steady_topics_are_never_flagged_even_when_everything_doubles(builder) -> None:
    for name in BACKGROUND:  # twice the volume in the recent window, every topic alike
        builder.steady(name, MUNIS, per_week=3, weeks=6)
    assert find_themes(builder.stream(), AS_OF) == []


def test_a_known_topic_concentrating_in_one_place_is_flagged_there_only(builder) -> None:
    # Ten school-transport observations in Kivijärvi in four weeks, where about two a month
    # are usual: a known topic, suddenly concentrated in one place (the detector is
    # conservative here: seven in four weeks, p about 0.01, are not enough at alpha 0.001).
    extra = [builder.add("kuljetus", "265", AS_OF - timedelta(days=d)) for d in range(1, 30, 3)]
    themes = find_themes(builder.stream(), AS_OF)
    flagged = [t for t in themes if "265" in t.flagged]
    assert flagged and not flagged[0].new
    assert set(flagged[0].flagged) == {"265"}
    assert len(set(extra) & set(flagged[0].members)) >= 5


def test_items_after_the_date_and_a_short_history_are_not_used(builder) -> None:
    later = [builder.add("energiajuoma", "256", AS_OF + timedelta(days=d)) for d in (1, 2, 3)]
    assert find_themes(builder.stream(), AS_OF) == []
    # The same theme seen from its own date is found.
    assert find_themes(builder.stream(), AS_OF + timedelta(days=3))[0].members == sorted(later)
    young = StreamBuilder()
    young.topic("energiajuoma", BACKGROUND["ruutuaika"])
    young.steady("energiajuoma", ["256"], per_week=3, weeks=7)
    assert find_themes(young.stream(), AS_OF) == []  # a week of baseline tells nothing


def test_reasons_name_places_counts_and_novelty(builder, region) -> None:
    for d in (30, 21, 12):
        builder.add("energiajuoma", "256", AS_OF - timedelta(days=d))
    for d in (18, 5):
        builder.add("energiajuoma", "265", AS_OF - timedelta(days=d))
    [theme] = find_themes(builder.stream(), AS_OF)
    reasons = theme_reasons(theme, region, ["Nuorten ruutuaika"])
    assert reasons[0] == "3 havaintoa Kinnulasta ja 2 havaintoa Kivijärveltä 4 viikossa."
    assert reasons[1] == "Vastaavia ei aiemmin vuoden aikana."
    assert reasons[-1] == "Lähimmät aiemmat havainnot kuuluivat ilmiöön ”Nuorten ruutuaika”."


# --- stored runs over the demo -----------------------------------------------------------


@pytest.fixture
def demo(demo_template, settings) -> Iterator[Database]:
    yield from copy_of_demo(demo_template, settings)


def _model(db: Database) -> str:
    return db.execute("select model from embeddings limit 1").fetchone()[0]


def test_the_demo_run_flags_its_planted_themes_where_they_are(demo, region) -> None:
    """The demo plants two money themes (casino games in Äänekoski and Saarijärvi, money
    mules in Jämsä and Keuruu) in its last weeks: the full run flags them in those four
    municipalities and nowhere else. (It flags them as one theme, as the phenomena merge
    them: telling the two apart is not shown here.)"""
    themes = list(demo.query("select * from emerging_themes where active = 1"))
    assert themes, "the full run stores emerging themes"
    areas = {
        t["id"]: {
            r[0]
            for r in demo.execute(
                "select area_code from emerging_areas where theme_id = ? and area_kind = 'kunta'",
                [t["id"]],
            )
        }
        for t in themes
    }
    assert set().union(*areas.values()) == {"992", "729", "182", "249"}
    assert all(t["category"] in ("nouseva", "vahvistuva", "ennallaan", "hiipuva") for t in themes)
    reasons = json.loads(themes[0]["reasons"])
    assert reasons and all(r.endswith(".") for r in reasons)


def test_identity_and_decisions_survive_runs(demo, region) -> None:
    before = {r["id"]: r for r in demo.query("select * from emerging_themes")}
    counts = run_emerging(demo, region, model=_model(demo), as_of=DEMO_TODAY)
    assert counts["new"] == 0 and counts["continued"] == len(before)
    after = {r["id"]: r for r in demo.query("select * from emerging_themes")}
    assert set(after) == set(before)
    assert {r["category"] for r in after.values()} == {"ennallaan"}
    first = min(after)
    demo.table("emerging_themes").update(first, {"decision": "hylätty"})
    # A run that sees nothing (long after): open themes go, a decided one stays, inactive.
    later = DEMO_TODAY + timedelta(days=200)
    run_emerging(demo, region, model=_model(demo), as_of=later)
    left = list(demo.query("select id, decision, active from emerging_themes"))
    assert left == [{"id": first, "decision": "hylätty", "active": 0}]
    assert demo.execute("select count(*) from emerging_areas").fetchone()[0] == 0
    # Seen again: the same id, its decision kept, active again.
    run_emerging(demo, region, model=_model(demo), as_of=DEMO_TODAY)
    again = next(demo.query("select * from emerging_themes where id = ?", [first]))
    assert (again["decision"], again["active"]) == ("hylätty", 1)


def test_a_theme_not_found_again_is_held_then_dropped(demo, region, monkeypatch) -> None:
    """A run that does not find a theme flagged within the last two weeks keeps it on the
    list, in the same places, as "hiipuva" with a sentence saying so (once, however many
    runs); the first run after the two weeks drops it."""
    before = {r["id"] for r in demo.query("select id from emerging_themes where active = 1")}
    places = set(demo.execute("select theme_id, area_kind, area_code from emerging_areas"))
    assert before and places
    monkeypatch.setattr("nakyma.emerging.find_themes", lambda *a, **k: [])
    for days in (7, 14):
        counts = run_emerging(demo, region, model=_model(demo), as_of=DEMO_TODAY + timedelta(days))
        assert (counts["held"], counts["removed"]) == (len(before), 0)
    held = list(demo.query("select * from emerging_themes where active = 1"))
    assert {t["id"] for t in held} == before
    assert {t["category"] for t in held} == {"hiipuva"}
    for t in held:
        reasons = json.loads(t["reasons"])
        assert reasons[0].startswith("Ei uusia merkkejä tällä kertaa; nostettiin viimeksi")
        assert sum(r.startswith("Ei uusia merkkejä") for r in reasons) == 1
    assert set(demo.execute("select theme_id, area_kind, area_code from emerging_areas")) == places
    assert {r[0] for r in demo.execute("select category from emerging_areas")} == {"hiipuva"}
    counts = run_emerging(demo, region, model=_model(demo), as_of=DEMO_TODAY + timedelta(15))
    assert (counts["held"], counts["removed"]) == (0, len(before))
    assert demo.execute("select count(*) from emerging_areas").fetchone()[0] == 0


def test_export_emerging_stored_and_as_of(demo, settings) -> None:
    env = {"NAKYMA_DATA_DIR": str(settings.data_dir), "NAKYMA_SECRET_KEY": TEST_SECRET}
    runner = CliRunner()
    out = runner.invoke(cli, ["export", "emerging", "--format", "csv"], env=env)
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.output)))
    assert rows and list(rows[0]) == [
        "theme_id",
        "title",
        "category",
        "municipality",
        "items",
        "score",
        "reasons",
    ]
    assert {"Äänekoski", "Saarijärvi"} <= {r["municipality"] for r in rows}
    # Imported demo observations are named by their external id.
    assert all(i.startswith("demo-") for r in rows for i in r["items"].split(";"))
    stored = demo.execute("select count(*), max(updated_at) from emerging_themes").fetchone()
    past = runner.invoke(
        cli, ["export", "emerging", "--as-of", DEMO_TODAY.isoformat(), "--format", "csv"], env=env
    )
    assert past.exit_code == 0, past.output
    prows = list(csv.DictReader(io.StringIO(past.output)))
    assert {r["items"] for r in prows} == {r["items"] for r in rows}
    assert all(r["theme_id"].startswith(DEMO_TODAY.isoformat()) for r in prows)
    early = runner.invoke(cli, ["export", "emerging", "--as-of", "2026-01-15"], env=env)
    assert early.exit_code == 0 and len(early.output.splitlines()) == 1  # header only
    assert (
        demo.execute("select count(*), max(updated_at) from emerging_themes").fetchone() == stored
    )
