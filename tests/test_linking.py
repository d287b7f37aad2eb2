"""Indicator links (issue 16): features, reasons, the learned model and the full run."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nakyma import linking
from nakyma import phenomena as ph
from nakyma.db import migrations
from nakyma.finnish import voikko_terms_many
from tests.conftest import copy_of_demo

POOL = [
    linking.IndicatorText(335, "Nuuskaa päivittäin, % 8. ja 9. luokan oppilaista"),
    linking.IndicatorText(288, "Tupakoi päivittäin, % 8. ja 9. luokan oppilaista"),
    linking.IndicatorText(
        327,
        "Kokenut seksuaalista väkivaltaa joskus tai toistuvasti, % 8. ja 9. luokan oppilaista",
    ),
    linking.IndicatorText(3146, "Pelaa rahapelejä viikoittain, % 8. ja 9. luokan oppilaista"),
    linking.IndicatorText(
        3893, "Rikoksista syyllisiksi epäillyt 0 - 14-vuotiaat / 1 000 vastaavanikäistä"
    ),
    linking.IndicatorText(4287, "Itsensä yksinäiseksi tuntevien osuus (%), 75 vuotta täyttäneet"),
    linking.IndicatorText(4405, "Päivittäin tupakoivien osuus (%), 20 - 64-vuotiaat"),
    linking.IndicatorText(
        5, "Toimeentulotukea saaneet 25 - 64-vuotiaat, % vastaavanikäisestä väestöstä"
    ),
]

NUUSKA = [
    "Yläkoululaiset ostavat nuuskaa kaverin kautta ja käyttävät sitä välitunnilla.",
    "Kahdeksasluokkalaisilla on nuuskapusseja taskuissa, opettajat ovat huolissaan.",
    "Koulun pihalta löytyi tyhjiä nuuskarasioita välitunnin jälkeen.",
    "Nuorisotalolla moni kertoo kokeilleensa nuuskaa.",
]
RAHAPELIT = [
    "Nuoret pelaavat rahapelejä puhelimella ja velkaantuvat.",
    "Yhdeksäsluokkalaiset lyövät vetoa netissä vanhempien tunnuksilla.",
    "Rahapelivelkojen takia nuori on varastanut kaupasta.",
    "Kauppakeskuksen pelikoneilla istuu koululaisia iltaisin.",
]


def evidence(texts: list[str], group: str = "nuoret") -> linking.PhenomenonEvidence:
    return linking.PhenomenonEvidence(
        member_terms=voikko_terms_many(texts), target_groups=[group] * len(texts)
    )


@pytest.fixture(scope="module")
def embedder():
    from nakyma.embedding import BundledEmbedder

    return BundledEmbedder(num_threads=1)


def scores_for(texts: list[str], embedder) -> dict[int, linking.PairScore]:
    index = linking.LexicalIndex(POOL)
    centroid = embedder.encode(texts, kind="item").mean(0)
    centroid /= np.linalg.norm(centroid)
    sims = embedder.encode([i.text for i in POOL], kind="passage") @ centroid
    return {p.indicator_id: p for p in linking.score_pairs(evidence(texts), POOL, index, sims)}


def test_indicator_groups_from_titles() -> None:
    assert linking.indicator_groups(POOL[0].title) == {"nuoret"}
    assert linking.indicator_groups(POOL[5].title) == {"ikaantyneet"}
    assert linking.indicator_groups(POOL[7].title) == {"tyoikaiset"}
    assert linking.indicator_groups("Lastensuojelun avohuollon asiakkaat 0 - 17-vuotiaat") >= {
        "lapset",
        "nuoret",
    }
    assert linking.indicator_groups("Väestö, 0 - 84-vuotiaat") == frozenset()
    assert linking.indicator_groups("x", "lapset_nuoret_perheet") == {"lapset", "nuoret", "perheet"}


def test_nuuska_gets_snus_above_sexual_violence(embedder) -> None:
    pairs = scores_for(NUUSKA, embedder)
    snus, violence = pairs[335], pairs[327]
    assert snus.score > violence.score
    assert max(pairs.values(), key=lambda p: p.score).indicator_id == 335
    assert snus.score >= linking.LINK_THRESHOLD
    assert "nuuska" in snus.shared_terms
    assert snus.features["group_match"] == 1.0 and snus.features["group_mismatch"] == 0.0
    assert pairs[4405].features["group_mismatch"] == 1.0  # adults' smoking: wrong group
    reasons = snus.reasons()
    assert reasons[0] == "sama kohderyhmä: nuoret"
    assert any(r.startswith("yhteiset sanat: nuuska") for r in reasons)


def test_gambling_phenomenon_gets_a_gambling_indicator(embedder) -> None:
    pairs = scores_for(RAHAPELIT, embedder)
    gambling = pairs[3146]
    assert gambling.score >= linking.LINK_THRESHOLD
    ranked = sorted(pairs.values(), key=lambda p: -p.score)
    assert 3146 in [p.indicator_id for p in ranked[:2]]
    assert {"rahapeli"} & set(gambling.shared_terms) or {"peli"} & set(gambling.shared_terms)


def test_reasons_in_swedish_keep_words_as_they_are() -> None:
    pair = linking.PairScore(
        indicator_id=335,
        features={"lexical": 0.8, "embedding": 0.9},
        score=1.0,
        shared_terms=["nuuska", "välitunti"],
        shared_groups=["nuoret"],
        theme="mielen_hyvinvointi",
    )
    assert pair.reasons("sv") == [
        "samma målgrupp: unga",
        "samma tema: psykiskt välbefinnande",
        "gemensamma ord: nuuska, välitunti",
        "innehållet ligger nära observationerna",
    ]
    assert linking.reasons_json(pair)["fi"][0] == "sama kohderyhmä: nuoret"


def test_learned_model_fits_and_predicts_on_synthetic_features() -> None:
    rng = np.random.default_rng(1)
    rows, labels = [], []
    for _ in range(120):
        good = bool(rng.random() < 0.4)
        rows.append(
            {
                "lexical": float(np.clip(rng.normal(0.6 if good else 0.2, 0.15), 0, 1)),
                "embedding": float(rng.normal(0.85 if good else 0.8, 0.02)),
                "group_match": float(good and rng.random() < 0.8),
                "group_mismatch": float(not good and rng.random() < 0.5),
                "theme_match": 0.0,
            }
        )
        labels.append(good)
    model = linking.fit_link_model(rows, labels)
    assert model is not None and model.decisions == 120
    strong = {"lexical": 0.8, "embedding": 0.87, "group_match": 1.0}
    weak = {"lexical": 0.05, "embedding": 0.78, "group_mismatch": 1.0}
    assert model.probability(strong) > 0.8 > 0.2 > model.probability(weak)
    assert linking.fit_link_model(rows[:5], [True] * 5) is None  # one kind of decision only
    few = linking.fit_link_model(rows[:12], labels[:12])
    assert few is not None and not few.calibrated


def test_migration_adds_link_evidence_columns(tmp_path) -> None:
    from sqlite_utils import Database

    database = Database(tmp_path / "old.db")
    migrations.apply(database, stop_before="0021_indicator_link_evidence")
    database.table("embeddings").insert(
        {
            "item_kind": "indicator",
            "item_key": "1",
            "model": "m",
            "dim": 1,
            "vector": b"\0\0\0\0",
            "created_at": "2026-01-01",
        },
        alter=True,
    )
    migrations.apply(database)
    columns = database.table("phenomenon_indicator_links").columns_dict
    assert {"score", "features", "reasons"} <= set(columns)
    # indicator vectors are embedded again, as passages, on the next run
    assert database.execute("select count(*) from embeddings").fetchone()[0] == 0


class TestDemo:
    @pytest.fixture
    def db(self, demo_template, settings):
        yield from copy_of_demo(demo_template, settings)

    def test_full_run_stores_score_features_and_reasons(self, db) -> None:
        rows = list(
            db.query(
                "select l.*, p.title as phenomenon, i.title as indicator "
                "from phenomenon_indicator_links l join phenomena p on p.id = l.phenomenon_id "
                "join indicators i on i.id = l.indicator_id where l.decision = 'suggested'"
            )
        )
        assert rows
        for row in rows:
            assert row["score"] >= linking.LINK_THRESHOLD
            assert set(json.loads(row["features"])) == set(linking.FEATURES)
            reasons = json.loads(row["reasons"])
            assert set(reasons) == {"fi", "sv"} and len(reasons["fi"]) == len(reasons["sv"])
        # the everyday descriptions reach the stored reasons
        assert any(
            r.startswith("indikaattorin kuvauksessa: ")
            for row in rows
            for r in json.loads(row["reasons"])["fi"]
        )
        per = {}
        for row in rows:
            per.setdefault(row["phenomenon_id"], []).append(row)
        assert max(len(v) for v in per.values()) <= ph.LINKS_PER_PHENOMENON

    def test_model_is_fitted_once_there_are_enough_decisions(self, db) -> None:
        model = db.execute("select model from cluster_space").fetchone()[0]
        first = ph.suggest_indicator_links(db, model)
        assert not first.fitted
        pids = [r[0] for r in db.execute("select id from phenomena order by id")]
        iids = [r[0] for r in db.execute("select id from indicators order by id")]
        decided = 0
        for pid in pids:
            for k, iid in enumerate(iids[:8]):
                db.table("phenomenon_indicator_links").upsert(
                    {
                        "phenomenon_id": pid,
                        "indicator_id": iid,
                        "decision": "accepted" if k % 3 == 0 else "rejected",
                    },
                    pk=("phenomenon_id", "indicator_id"),
                )
                decided += 1
        assert decided >= linking.MIN_DECISIONS
        run = ph.suggest_indicator_links(db, model)
        assert run.fitted and run.decisions == decided
        kept = db.execute(
            "select count(*) from phenomenon_indicator_links where decision != 'suggested'"
        ).fetchone()[0]
        assert kept == decided


def test_migration_drops_title_only_vectors_and_adds_description_columns(tmp_path) -> None:
    from sqlite_utils import Database

    database = Database(tmp_path / "old.db")
    migrations.apply(database, stop_before="0024_indicator_descriptions")
    row = {"model": "m", "dim": 1, "vector": b"\0\0\0\0", "created_at": "2026-01-01"}
    database.table("embeddings").insert_all(
        [
            {**row, "item_kind": kind, "item_key": "1"}
            for kind in ("indicator", "sotkanet", "observation")
        ]
    )
    migrations.apply(database)
    assert {"description", "interpretation"} <= set(database.table("indicators").columns_dict)
    kinds = [r[0] for r in database.execute("select item_kind from embeddings")]
    assert kinds == ["observation"]  # observations keep theirs; indicators are embedded again


def test_everyday_descriptions_cover_the_catalogue_and_the_benchmark_pool() -> None:
    import csv
    from pathlib import Path

    from nakyma.indicators import load_catalogue

    described = linking.everyday_descriptions()
    pool = Path(__file__).parent.parent / "benchmarks" / "data" / "indicator_links" / "pool.csv"
    with open(pool, encoding="utf-8") as f:
        pool_ids = {int(r["id"]) for r in csv.DictReader(f)}
    assert pool_ids <= set(described)
    assert {c.id for c in load_catalogue()} <= set(described)
    seen: set[int] = set()
    for path in sorted(linking.DESCRIPTIONS.glob("*.csv")):
        with open(path, encoding="utf-8") as f:
            ids = [int(r["id"]) for r in csv.DictReader(f)]
        assert not seen & set(ids), f"{path.name} describes an indicator again"
        seen |= set(ids)
    for text in described.values():
        assert 250 <= len(text) <= 600 and "Arjessa tämä voi näkyä esimerkiksi näin:" in text


FOOD_AID = [
    "Diakoniatyön ruokajonossa on nyt joka viikko enemmän väkeä kuin viime talvena.",
    "Asiakkaan rahat loppuvat kesken kuun, ja sähkölasku jäi maksamatta.",
    "Seurakunnan ruokakassit loppuivat kesken jakopäivän.",
    "Moni työikäinen kysyy apua Kelan hakemuksen täyttämiseen.",
]


def test_a_description_brings_everyday_words_to_the_statistic(embedder) -> None:
    described = linking.everyday_descriptions()
    titled = [linking.IndicatorText(i.id, i.title) for i in POOL]
    with_text = [linking.IndicatorText(i.id, i.title, described[i.id]) for i in POOL]
    ev = linking.PhenomenonEvidence(
        member_terms=voikko_terms_many(FOOD_AID), target_groups=["tyoikaiset"] * len(FOOD_AID)
    )
    centroid = embedder.encode(FOOD_AID, kind="item").mean(0)

    def ranked(pool: list[linking.IndicatorText]) -> list[linking.PairScore]:
        sims = embedder.encode([i.text for i in pool], kind="passage") @ centroid
        pairs = linking.score_pairs(ev, pool, linking.LexicalIndex(pool), sims)
        return sorted(pairs, key=lambda p: -p.score)

    by_title, by_text = ranked(titled), ranked(with_text)
    assert not any(p.shared_terms or p.description_terms for p in by_title if p.indicator_id == 5)
    best = by_text[0]
    assert best.indicator_id == 5  # social assistance of 25-64-year-olds
    assert best.score > next(p.score for p in by_title if p.indicator_id == 5)
    assert {"ruoka", "loppua"} <= set(best.description_terms)
    assert any(r.startswith("indikaattorin kuvauksessa: ") for r in best.reasons())
    assert any(r.startswith("i indikatorns beskrivning: ") for r in best.reasons("sv"))


def test_indicators_are_embedded_with_their_description() -> None:
    text = ph.indicator_text({"id": 5, "title": "Toimeentulotukea saaneet 25 - 64-vuotiaat"})
    assert text.startswith("Toimeentulotukea saaneet 25 - 64-vuotiaat. ")
    assert "rahat loppuvat kesken kuun" in text
    assert ph.indicator_text({"id": 999999, "title": "Tuntematon"}) == "Tuntematon"


def test_general_words_count_but_are_not_given_as_reasons() -> None:
    pool = [
        linking.IndicatorText(1, "Yksinäisyys", "Ihminen on yksin. Sama ihminen."),
        linking.IndicatorText(2, "Liikunta", "Ihminen liikkuu."),
    ]
    texts = ["Sama ihminen on yksinäinen.", "Yksinäisyys vaivaa ihmistä."]
    only_general = ["Sama ihminen.", "Ihminen."]
    index = linking.LexicalIndex(pool)
    pairs = linking.score_pairs(evidence(texts), pool, index, np.zeros(2))
    terms = pairs[0].shared_terms + pairs[0].description_terms
    assert "yksinäisyys" in terms and not {"sama", "ihminen"} & set(terms)
    general = linking.score_pairs(evidence(only_general), pool, index, np.zeros(2))
    assert general[0].features["lexical"] > 0 and not general[0].reasons()
