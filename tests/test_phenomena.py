"""Phenomena engine: clustering, identity across runs, human decisions, incremental
assignment, labels, indicator links and search — on constructed, reproducible data."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

import numpy as np
from sklearn.metrics import adjusted_rand_score

from nakyma import phenomena as ph
from nakyma import review
from nakyma.embedding import store_vectors
from nakyma.observations import submit_observation
from tests.conftest import valid_observation

TOPICS = {
    "nuuska": "yläkoulun pihalla nuuska ja vapettaminen yleistyvät välitunneilla",
    "kaatuminen": "iäkäs asiakas kaatui liukkaalla pihalla kotihoito huolissaan",
    "ruoka-apu": "lapsiperheet jonottavat ruoka-apua ja sähkölaskut huolettavat",
    "yksinäisyys": "nuori viettää välitunnit yksin eikä hänellä ole kavereita",
    "omaishoito": "omaishoitaja uupuu eikä saa vapaapäiviä puolison hoidosta",
}


def topic_vectors(
    n_per_topic: int, *, seed: int = 1, dim: int = 48
) -> tuple[list[str], np.ndarray]:
    """Unit vectors around five well-separated topic directions."""
    rng = np.random.default_rng(seed)
    centres = np.linalg.qr(rng.normal(size=(dim, dim)))[0][: len(TOPICS)]
    labels, rows = [], []
    for t, name in enumerate(TOPICS):
        for _ in range(n_per_topic):
            v = centres[t] + rng.normal(scale=0.25, size=dim) / np.sqrt(dim) * 3
            rows.append(v / np.linalg.norm(v))
            labels.append(name)
    return labels, np.array(rows, dtype=np.float32)


def seed_items(db, region, today, n_per_topic: int = 8, *, start: int = 0, seed: int = 1):
    """Observations with vectors: `n_per_topic` per topic, stored under model 'test'."""
    labels, vectors = topic_vectors(n_per_topic, seed=seed)
    keys = []
    for i, label in enumerate(labels):
        n = start + i
        text = f"{TOPICS[label]} (havainto {n})"
        when = (today - timedelta(days=3 * n % 300)).isoformat()
        record = submit_observation(
            db,
            valid_observation(text=text, observed_on=when, municipality="Laukaa"),
            region=region,
            source="tuonti",
            today=today,
        ).record
        keys.append(("observation", str(record["id"])))
    store_vectors(db, "test", keys, vectors)
    return keys, labels


def members(db) -> dict[tuple[str, str], int]:
    return {
        (r[0], r[1]): r[2]
        for r in db.execute("select item_kind, item_key, phenomenon_id from phenomenon_members")
    }


def test_clusters_follow_the_data_not_a_fixed_k() -> None:
    labels, vectors = topic_vectors(10)
    found = ph.cluster_vectors(ph.centre(vectors, vectors.mean(0)))
    assert found.max() + 1 == 5
    for name in TOPICS:
        idx = [i for i, lab in enumerate(labels) if lab == name]
        assert len(set(found[idx])) == 1  # each topic is one phenomenon
    assert (found == -1).sum() == 0


def test_clustering_is_deterministic() -> None:
    _, vectors = topic_vectors(12, seed=7)
    a = ph.cluster_vectors(ph.centre(vectors, vectors.mean(0)))
    b = ph.cluster_vectors(ph.centre(vectors.copy(), vectors.mean(0)))
    assert np.array_equal(a, b)


def test_small_groups_unassigned_unless_tight() -> None:
    dim = 48
    basis = np.linalg.qr(np.random.default_rng(1).normal(size=(dim, dim)))[0]
    # Directions that no topic uses (topic_vectors takes the first five basis rows).
    tight_pair = basis[20] + np.random.default_rng(3).normal(scale=0.01, size=(2, dim))
    loners = basis[30:32]
    labels, vectors = topic_vectors(8, dim=dim)
    X = ph.normalise(np.vstack([vectors, tight_pair, loners]))
    found = ph.cluster_vectors(ph.centre(X, X.mean(0)))
    assert found[-4] == found[-3] != -1  # the tight pair is kept as a group
    assert list(found[-2:]) == [-1, -1]  # loners wait unassigned
    assert found.max() + 1 == 6


def test_scale_path_uses_approximate_neighbours() -> None:
    labels, vectors = topic_vectors(40, seed=5)
    X = ph.centre(vectors, vectors.mean(0))
    exact = ph.cluster_vectors(X)
    params = ph.ClusterParams(exact_limit=50)  # 200 items: the faiss IVF path
    found = ph.cluster_vectors(X, params)
    assert np.array_equal(found, ph.cluster_vectors(X.copy(), params))  # deterministic
    assert found.max() + 1 == 5
    purity = [
        max(np.sum(np.array(labels)[found == c] == name) for name in TOPICS) / np.sum(found == c)
        for c in range(found.max() + 1)
    ]
    assert min(purity) == 1.0
    # The same kind of graph at every scale: both paths find the same phenomena here.
    assert adjusted_rand_score(exact, found) == 1.0


def test_approximate_neighbours_are_mostly_the_exact_ones() -> None:
    rng = np.random.default_rng(4)
    X = ph.normalise(rng.normal(size=(3000, 32)).astype(np.float32))
    exact, _ = ph._knn(X, 10)
    approx, sims = ph._knn_approximate(X, 10, ph.ClusterParams(probe=12))
    assert not (approx == np.arange(3000)[:, None]).any()  # never an item itself
    assert np.all(np.diff(sims, axis=1) <= 0)  # best first
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact, approx, strict=True)])
    assert recall > 0.6  # isotropic noise is the hardest case; real texts do better


def _kept(before: np.ndarray, after: np.ndarray) -> float:
    """Share of items that stay with the group most of their old group-mates went to."""
    kept = 0
    for c in np.unique(before[before >= 0]):
        idx = np.flatnonzero(before == c)
        values, counts = np.unique(after[idx], return_counts=True)
        kept += counts.max() if values[np.argmax(counts)] >= 0 else 0
    return kept / max(1, int((before >= 0).sum()))


def test_warm_start_keeps_members_when_data_is_added() -> None:
    # Eight broad, overlapping topics cut into about 23 communities: a cold run on 10 %
    # more data cuts them quite differently (about 57 % kept), a warm start keeps its cut.
    rng = np.random.default_rng(0)
    dirs = np.linalg.qr(rng.normal(size=(24, 24)))[0][:8]
    X = ph.normalise(
        np.vstack([dirs[i % 8] + rng.normal(scale=2.0, size=24) / 4 for i in range(660)])
    )
    base, added = X[:600], X[600:]
    mean = base.mean(0)
    raw0, l0 = ph.partition(ph.centre(base, mean))
    full = ph.centre(np.vstack([base, added]), mean)
    initial = np.concatenate([raw0, np.full(60, -1)])
    _, warm = ph.partition(full, initial=initial)
    _, cold = ph.partition(full)
    assert _kept(l0, warm[:600]) >= 0.95
    assert _kept(l0, cold[:600]) < 0.8  # the case is a hard one
    assert (warm[600:] >= 0).mean() > 0.8  # new items join by their neighbours


def test_warm_start_still_finds_new_phenomena_and_is_a_fixed_point() -> None:
    labels, vectors = topic_vectors(10, seed=2)
    old = np.array([lab != "omaishoito" for lab in labels])
    X = ph.centre(vectors, vectors.mean(0))
    raw0, _ = ph.partition(X[old])
    initial = np.full(len(X), -1)
    initial[old] = raw0
    raw1, found = ph.partition(X, initial=initial)
    new_items = found[~old]
    assert len(set(new_items.tolist())) == 1 and new_items[0] >= 0
    assert not set(new_items.tolist()) & set(found[old].tolist())  # a phenomenon of its own
    assert found.max() + 1 == 5
    # Starting from its own result with the same data changes nothing.
    raw2, again = ph.partition(X, initial=raw1)
    assert np.array_equal(raw1, raw2) and np.array_equal(found, again)


def test_run_titles_are_noun_phrases_not_keyword_lists(db, region, today) -> None:
    seed_items(db, region, today)
    ph.run_clustering(db, "test")
    shown = [r["title"] for r in db.query("select title from phenomena")]
    assert len(shown) == 5
    assert all("," not in t and 0 < len(t.split()) <= 5 and t[0].isupper() for t in shown)


def test_run_twice_gives_same_phenomena_and_ids(db, region, today) -> None:
    seed_items(db, region, today)
    first = ph.run_clustering(db, "test")
    before = members(db)
    titles = {r["id"]: r["title"] for r in db.query("select * from phenomena")}
    second = ph.run_clustering(db, "test")
    assert members(db) == before
    assert {r["id"]: r["title"] for r in db.query("select * from phenomena")} == titles
    assert (first.phenomena, first.new, second.new, second.continued) == (5, 5, 0, 5)
    assert first.unassigned == 0


def test_a_fresh_process_reuses_the_stored_titles(db, region, today, monkeypatch) -> None:
    # A run in a new process (the CLI, the first run after a restart) has no titles in memory:
    # it must take unchanged phenomena's titles from the database, not run the models again.
    keys, _ = seed_items(db, region, today)
    ph.run_clustering(db, "test")
    titles = {r["id"]: r["title_auto"] for r in db.query("select * from phenomena")}
    assert sorted(ph.stored_titles(db, "phenomenon").values()) == sorted(titles.values())
    computed: list[list[str]] = []
    real = ph.phenomenon_title

    def counting(texts, *args, **kwargs):
        computed.append(list(texts))
        return real(texts, *args, **kwargs)

    monkeypatch.setattr(ph, "phenomenon_title", counting)
    monkeypatch.setattr(ph, "_TITLES", {})
    ph.run_clustering(db, "test")
    assert computed == []
    assert {r["id"]: r["title_auto"] for r in db.query("select * from phenomena")} == titles
    # New members change the central texts of some phenomena: those are computed again, and
    # the table keeps only the titles of this run.
    seed_items(db, region, today, n_per_topic=3, start=100, seed=9)
    monkeypatch.setattr(ph, "_TITLES", {})
    ph.run_clustering(db, "test")
    assert computed
    in_use = db.execute("select count(*) from phenomena where size > 0").fetchone()[0]
    assert len(ph.stored_titles(db, "phenomenon")) == in_use


def test_added_data_keeps_ids_of_persisting_phenomena(db, region, today) -> None:
    keys, labels = seed_items(db, region, today)
    ph.run_clustering(db, "test")
    before = members(db)
    seed_items(db, region, today, n_per_topic=2, start=100, seed=9)  # +25 %
    ph.run_clustering(db, "test")
    after = members(db)
    kept = sum(1 for k in keys if after.get(k) == before[k])
    assert kept / len(keys) >= 0.9


def test_human_decisions_survive_a_rerun(db, region, today, make_user) -> None:
    keys, labels = seed_items(db, region, today)
    ph.run_clustering(db, "test")
    by_topic = {lab: members(db)[k] for k, lab in zip(keys, labels, strict=True)}
    nuuska, kaatuminen = by_topic["nuuska"], by_topic["kaatuminen"]
    ruoka, yksin, omais = by_topic["ruoka-apu"], by_topic["yksinäisyys"], by_topic["omaishoito"]
    backbone = make_user("tuki", "tukitiimi")

    review.rename(db, backbone, nuuska, "Nuuska ja vapettaminen yläkoulussa")
    review.dismiss(db, backbone, omais)
    review.merge(db, backbone, yksin, ruoka)
    moved = next(k for k, lab in zip(keys, labels, strict=True) if lab == "kaatuminen")
    review.move(db, backbone, moved, nuuska)
    split_off = [k for k, lab in zip(keys, labels, strict=True) if lab == "nuuska"][:3]
    new_id = review.split(db, backbone, nuuska, split_off, "Vapettaminen vessoissa")
    db.execute("update phenomena set status = 'käsittelyssä' where id = ?", [kaatuminen])
    db.conn.commit()

    ph.run_clustering(db, "test")
    rows = {r["id"]: r for r in db.query("select * from phenomena")}
    now = members(db)
    assert rows[nuuska]["title"] == "Nuuska ja vapettaminen yläkoulussa"
    # The automatic title is still computed, but the human one is what is shown.
    assert rows[nuuska]["title_auto"] and rows[nuuska]["title_auto"] != rows[nuuska]["title"]
    assert rows[omais]["dismissed"] == 1
    assert rows[kaatuminen]["status"] == "käsittelyssä"
    assert rows[yksin]["merged_into"] == ruoka
    assert not any(pid == yksin for pid in now.values())  # merged members stay merged
    assert now[moved] == nuuska
    assert all(now[k] == new_id for k in split_off)
    assert rows[new_id]["title"] == "Vapettaminen vessoissa"
    kinds = {r["kind"] for r in db.query("select kind from phenomenon_lineage")}
    assert {"manual_merge", "manual_split"} <= kinds


def test_incremental_assignment_and_waiting(db, region, today) -> None:
    keys, labels = seed_items(db, region, today)
    ph.run_clustering(db, "test")
    more_labels, more = topic_vectors(9)  # same topic centres, one more noisy sample each
    extra = more[[i for i, lab in enumerate(more_labels) if lab == "nuuska"][-1:]]
    basis = np.linalg.qr(np.random.default_rng(1).normal(size=(48, 48)))[0]
    far = basis[40:41].astype(np.float32)  # a direction no topic uses
    new_keys = []
    for text in ("Nuuska yläkoulussa lisääntyy taas tällä viikolla.", "Aivan muu asia tässä."):
        rec = submit_observation(
            db, valid_observation(text=text), region=region, source="api", today=today
        ).record
        new_keys.append(("observation", str(rec["id"])))
    store_vectors(db, "test", new_keys, np.vstack([extra[0:1], far]))
    assigned, waiting = ph.assign_incrementally(db, "test")
    assert (assigned, waiting) == (1, 1)
    nuuska_id = members(db)[keys[labels.index("nuuska")]]
    assert members(db)[new_keys[0]] == nuuska_id
    assert new_keys[1] not in members(db)
    row = next(
        db.query("select origin from phenomenon_members where item_key = ?", [new_keys[0][1]])
    )
    assert row["origin"] == "incremental"


def test_keywords_are_lemmatised_finnish() -> None:
    docs = [
        ["Nuuskaa käytetään yläkoulun pihalla.", "Nuuskan käyttö yläkoulussa yleistyy."],
        ["Iäkäs asiakas kaatui pihalla.", "Kaatumiset lisääntyivät liukkailla pihoilla."],
    ]
    words = ph.class_keywords(docs)
    assert "nuuska" in words[0] and "yläkoulu" in words[0]
    assert "piha" not in words[0][:1]  # shared by both classes: not the top word
    assert not {"käyttää", "kaatua", "yleistyä"} & {w for ws in words for w in ws}  # no verbs
    assert ph.auto_title(["nuuska", "yläkoulu", "käyttö"]) == "Nuuska, yläkoulu ja käyttö"
    assert ph.auto_title([]) == "Nimeämätön ilmiö"


def test_match_records_merges_and_splits() -> None:
    a = [("observation", str(i)) for i in range(6)]
    b = [("observation", str(i)) for i in range(6, 12)]
    previous = {**dict.fromkeys(a, 1), **dict.fromkeys(b, 2)}
    dim = 4
    cents = {1: np.eye(dim, dtype=np.float32)[0], 2: np.eye(dim, dtype=np.float32)[1]}
    merged = ph.match_to_previous([a + b], np.eye(dim, dtype=np.float32)[:1], previous, cents)
    assert merged.ids == [1] and merged.merges == [(2, 0)]
    split = ph.match_to_previous(
        [a[:4], a[4:] + b], np.eye(dim, dtype=np.float32)[:2], previous, cents
    )
    assert split.ids[1] == 2 or split.ids[0] == 1


def test_indicator_links_keep_decisions(db, region, today, make_user) -> None:
    seed_items(db, region, today)
    ph.run_clustering(db, "test")
    db.table("indicators").insert_all(
        [
            {"id": 1, "title": "nuuska", "higher_is_worse": 1, "in_catalogue": 1},
            {"id": 2, "title": "kaatumiset", "higher_is_worse": 1, "in_catalogue": 1},
        ]
    )
    _, vectors = topic_vectors(1)
    store_vectors(db, "test", [("indicator", "1"), ("indicator", "2")], vectors[:2])
    assert ph.suggest_indicator_links(db, "test").suggested >= 2
    link = next(db.query("select * from phenomenon_indicator_links where indicator_id = 1"))
    review.decide_link(db, make_user("tuki", "tukitiimi"), link["phenomenon_id"], 1, "rejected")
    ph.suggest_indicator_links(db, "test")
    again = next(db.query("select * from phenomenon_indicator_links where indicator_id = 1"))
    assert again["decision"] == "rejected"


class HashEmbedder:
    """A test double for the Embedder protocol: hashed bag of words, deterministic."""

    name = "hash-test"
    dim = 64

    def encode(self, texts, *, kind="item"):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                h = int(hashlib.md5(word.encode()).hexdigest(), 16)
                out[i, h % self.dim] += 1
        return ph.normalise(out + 1e-6)


def test_search_finds_items_and_phenomena(db, region, today) -> None:
    embedder = HashEmbedder()
    for name, text in TOPICS.items():
        for i in range(4):
            submit_observation(
                db,
                valid_observation(text=f"{text} {name} {i}", observed_on=today.isoformat()),
                region=region,
                source="tuonti",
                today=today,
            )
    from nakyma.embedding import embed_pending

    embed_pending(db, embedder)
    ph.run_clustering(db, embedder.name)
    hits = ph.search(db, embedder, "omaishoitaja uupuu puolison hoidosta", limit=5)
    top = next(h for h in hits if h.kind == "observation")
    text = next(db.query("select text from observations where id = ?", [int(top.key)]))["text"]
    assert "omaishoitaja" in text
    assert any(h.kind == "phenomenon" for h in ph.search(db, embedder, "omaishoitaja", limit=20))
    assert ph.search(db, embedder, "   ") == []


def test_export_assignments_lists_unassigned_too(db, region, today) -> None:
    keys, _ = seed_items(db, region, today, n_per_topic=4)
    ph.run_clustering(db, "test")
    extra = submit_observation(
        db,
        valid_observation(text="Ei vielä upotettu havainto."),
        region=region,
        source="api",
        today=today,
    ).record
    rows = ph.assignments_for_export(db)
    assert len(rows) == len(keys) + 1
    lonely = next(r for r in rows if r["item_id"] == str(extra["id"]))
    assert lonely["phenomenon_id"] == "" and lonely["phenomenon_title"] == ""
    assert all(r["phenomenon_title"] for r in rows if r["phenomenon_id"] != "")


def test_empty_database_run_is_harmless(db) -> None:
    result = ph.run_clustering(db, "test")
    assert result.items == 0 and db.table("phenomena").count == 0
    assert json.loads(json.dumps(result.as_dict()))["unassigned_share"] == 0
    assert ph.assign_incrementally(db, "test") == (0, 0)
    assert date.today()  # keeps the import used when run alone


def test_changing_the_model_keeps_identities(db, region, today) -> None:
    keys, labels = seed_items(db, region, today)
    ph.run_clustering(db, "test")
    before = members(db)
    # The same items embedded by "another model" (a rotation of the space, other dimension).
    from nakyma.embedding import load_vectors

    loaded_keys, vectors = load_vectors(db, "test")
    rotated = np.hstack([vectors, np.zeros((len(vectors), 16), dtype=np.float32)])
    store_vectors(db, "toinen-malli", loaded_keys, ph.normalise(rotated))
    result = ph.run_clustering(db, "toinen-malli")
    assert result.new == 0 and members(db) == before


def test_incremental_skips_items_the_full_run_left_out(db, region, today) -> None:
    seed_items(db, region, today)
    basis = np.linalg.qr(np.random.default_rng(1).normal(size=(48, 48)))[0]
    rec = submit_observation(
        db,
        valid_observation(text="Yksittäinen poikkeava havainto."),
        region=region,
        source="api",
        today=today,
    ).record
    store_vectors(db, "test", [("observation", str(rec["id"]))], basis[40:41].astype(np.float32))
    result = ph.run_clustering(db, "test")
    assert result.unassigned == 1
    # It waits for the next full run instead of being re-scored on every incremental call.
    assert ph.assign_incrementally(db, "test") == (0, 0)


def test_full_run_starts_from_the_stored_partition_and_mean(db, region, today) -> None:
    seed_items(db, region, today, 6)
    ph.run_clustering(db, "test", run_id=1)
    mean1, items1 = db.execute("select mean, mean_items from cluster_space").fetchone()
    state = dict(
        ((r[0], r[1]), r[2])
        for r in db.execute("select item_kind, item_key, community from cluster_state")
    )
    assert len(state) == 30 and items1 == 30
    # +10 items (33 %): the mean stays, the stored partition is the starting point.
    seed_items(db, region, today, 2, start=30, seed=4)
    ph.run_clustering(db, "test", run_id=2)
    assert db.execute("select mean, mean_items from cluster_space").fetchone() == (mean1, 30)
    assert db.table("cluster_state").count == 40
    # +20 more (now 60, double the 30 the mean came from): re-centred.
    seed_items(db, region, today, 4, start=40, seed=5)
    ph.run_clustering(db, "test", run_id=3)
    mean3, items3 = db.execute("select mean, mean_items from cluster_space").fetchone()
    assert mean3 != mean1 and items3 == 60
    # A deleted item leaves the state and the members with its vector.
    gone = ("observation", next(iter(state))[1])
    db.execute("delete from embeddings where item_kind = ? and item_key = ?", list(gone))
    ph.run_clustering(db, "test", run_id=4)
    assert gone not in members(db)
    assert db.table("cluster_state").count == 59
