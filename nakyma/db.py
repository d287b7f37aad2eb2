"""Storage: opening the SQLite database, schema migrations, write transactions and backups."""

from __future__ import annotations

import os
import random
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("nakyma")
T = TypeVar("T")

# How long one attempt waits for the write lock (SQLite's busy handler), and how many
# attempts a write makes before it gives up. Short waits with jittered pauses between them
# let a queue of writers take turns instead of all timing out behind one long holder.
BUSY_TIMEOUT_MS = 2000
WRITE_ATTEMPTS = 6
_BACKOFF_SECONDS = 0.05


def is_busy(exc: BaseException) -> bool:
    """True for SQLITE_BUSY / SQLITE_LOCKED ("database is locked"): worth another try."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    message = str(exc).lower()
    return "database is locked" in message or "database table is locked" in message


def _pause(attempt: int) -> None:
    # Full jitter: a random pause up to an exponentially growing ceiling (max ~1.6 s).
    time.sleep(random.uniform(0, _BACKOFF_SECONDS * 2 ** min(attempt, 5)))


def open_db(path: Path | str, *, migrate: bool = True) -> Database:
    """Open (and create) the database at `path` in WAL mode, migrations applied."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # One connection per request/thread; check_same_thread is off because FastAPI may
    # finish a sync dependency on another worker thread than the one that opened it.
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    db = Database(conn)
    db.execute("PRAGMA foreign_keys = ON")
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    _retry_busy(db.enable_wal)
    if migrate:
        _retry_busy(lambda: upgrade(db))
    return db


def _retry_busy(action: Callable[[], T], attempts: int = WRITE_ATTEMPTS) -> T:
    for attempt in range(attempts):
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or attempt == attempts - 1:
                raise
            _pause(attempt)
    raise AssertionError("unreachable")


def upgrade(db: Database) -> list[str]:
    """Apply pending migrations; return the names applied."""
    pending = [m.name for m in migrations.pending(db)]
    migrations.apply(db)
    return pending


def applied_migrations(db: Database) -> list[str]:
    return [m.name for m in migrations.applied(db)]


@contextmanager
def write_transaction(db: Database) -> Iterator[None]:
    """One write transaction that takes the write lock first (BEGIN IMMEDIATE): everything
    inside commits together or not at all.

    sqlite-utils' `db.atomic()` begins a deferred transaction: one that reads (a decision's
    checks) before it writes cannot wait for the write lock, and fails at once with
    "database is locked" while a clustering run or an import writes. Inside a caller's
    transaction this is a savepoint, as `db.atomic()` is.

    Taking the lock waits up to BUSY_TIMEOUT_MS per attempt and is tried WRITE_ATTEMPTS
    times with jittered pauses; once taken, nothing inside can meet SQLITE_BUSY, so the
    body never needs to be re-run. Keep the body short: no model, no network, no parsing."""
    if db.conn.in_transaction:
        with db.atomic():
            yield
        return
    begin_immediate(db)
    try:
        yield
        db.commit()
    finally:
        db.rollback()  # a no-op once committed; otherwise nothing of the decision is kept


def begin_immediate(db: Database) -> None:
    """Take the write lock (BEGIN IMMEDIATE), retrying a bounded number of times on busy."""
    _retry_busy(lambda: db.execute("BEGIN IMMEDIATE"))


def write_with_retry(db: Database, action: Callable[[], T]) -> T:
    """Run `action` in its own write transaction, the whole of it re-run if the lock could
    not be had; for best-effort writes (a "last used" mark) callers catch the final error."""

    def attempt() -> T:
        with write_transaction(db):
            return action()

    return _retry_busy(attempt, attempts=2)


def best_effort_write(db: Database, sql: str, params: list | tuple = ()) -> bool:
    """One small write that may be skipped (a "last used" mark): it waits at most 50 ms for
    the lock, tries once, and never raises for a busy database. True when it was written."""
    if db.conn.in_transaction:
        return False
    db.execute("PRAGMA busy_timeout = 50")
    try:
        with write_transaction_once(db):
            db.execute(sql, params)
        return True
    except sqlite3.OperationalError as exc:
        if not is_busy(exc):
            raise
        return False
    finally:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


@contextmanager
def write_transaction_once(db: Database) -> Iterator[None]:
    """BEGIN IMMEDIATE without retries (the caller decides what a busy database means)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.commit()
    finally:
        db.rollback()


def now_utc() -> str:
    """Current time as an ISO 8601 UTC string, the one timestamp format in the database."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class BackupError(Exception):
    """A backup could not be made or failed verification."""


def backup(
    db: Database,
    target: Path | str,
    *,
    overwrite: bool = False,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> Path:
    """Copy the live database to `target` with SQLite's online backup API and verify it.

    The copy is written beside the target first and renamed into place only after
    `PRAGMA integrity_check` says ok, so a failed backup never leaves a half file.
    `progress` is told ("backup", pages copied, pages in all) as the copy goes, then
    ("check", 0, None) before the integrity check (`nakyma.progress`).
    """
    target = Path(target)
    if target.exists() and not overwrite:
        raise BackupError(f"Kohde on jo olemassa: {target}")
    if target.is_dir():
        raise BackupError(f"Kohde on hakemisto: {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    dest = sqlite3.connect(str(partial))
    try:
        if progress is None:
            db.conn.backup(dest)
        else:
            # In steps of about a hundredth of the file: a write by another connection
            # between steps restarts the copy, so steps are not made smaller than that.
            pages = max(256, db.execute("PRAGMA page_count").fetchone()[0] // 100)
            db.conn.backup(
                dest,
                pages=pages,
                progress=lambda _status, remaining, total: progress(
                    "backup", total - remaining, total
                ),
            )
            progress("check", 0, None)
        result = dest.execute("PRAGMA integrity_check").fetchone()[0]
        # The copy is a standalone file: leave WAL mode so it is one self-contained file.
        dest.execute("PRAGMA journal_mode = DELETE")
        # It holds everything the database holds: readable by its owner only.
        os.chmod(partial, 0o600)
    except sqlite3.Error as exc:
        dest.close()
        partial.unlink(missing_ok=True)
        raise BackupError(f"Varmuuskopiointi epäonnistui: {exc}") from exc
    except BaseException:
        dest.close()
        partial.unlink(missing_ok=True)
        raise
    finally:
        dest.close()
    if result != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"Varmuuskopion eheystarkistus epäonnistui: {result}")
    partial.replace(target)
    return target


BACKUP_PREFIX = "nakyma-"
# nakyma-20261202T213000Z.db: UTC, so that names sort in time order in every time zone.
_BACKUP_NAME = re.compile(r"^nakyma-(\d{8}T\d{6}Z)\.db$")
_BACKUP_PARTIAL = re.compile(r"^nakyma-\d{8}T\d{6}Z\.db\.partial$")


@dataclass
class BackupResult:
    """A directory backup: the new file, and the older ones removed beyond the retention."""

    path: Path
    removed: list[Path] = field(default_factory=list)


def backup_files(directory: Path | str) -> list[Path]:
    """The timestamped backups in `directory` (nakyma-YYYYMMDDTHHMMSSZ.db), oldest first.
    Other files are never counted, nor removed."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if _BACKUP_NAME.match(p.name) and p.is_file())


def backup_to_directory(
    db: Database,
    directory: Path | str,
    *,
    keep: int,
    now: datetime | None = None,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> BackupResult:
    """Write a verified, timestamped backup into `directory`, then keep only the newest `keep`.

    :param db: the live database
    :param directory: where the backups live; created (mode 0700) if missing
    :param keep: how many backups to keep, the new one included (at least 1)
    :param now: the time the file is named after (UTC; default: now)
    :param progress: as for `backup`

    Pruning happens only after the new copy passed `PRAGMA integrity_check` and was renamed
    into place, so a failed backup raises `BackupError` and leaves every older file; the new
    file is never removed, even when the clock has gone back and older names sort after it.
    Leftover `.partial` files of interrupted backups are removed with the pruned ones."""
    if keep < 1:
        raise BackupError("Säilytettävien varmuuskopioiden määrän on oltava vähintään 1.")
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise BackupError(f"Varmuuskopiohakemisto ei ole hakemisto: {directory}")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = backup(db, directory / f"{BACKUP_PREFIX}{stamp}.db", progress=progress)
    older = [p for p in backup_files(directory) if p != target]
    removed = older[: max(0, len(older) - (keep - 1))]
    removed += [p for p in directory.iterdir() if _BACKUP_PARTIAL.match(p.name)]
    for path in removed:
        path.unlink(missing_ok=True)
    return BackupResult(target, removed)


@dataclass
class RestoreResult:
    """A restore: the file restored from, where the replaced database was saved first (None
    when there was none), and the migrations applied to bring the copy up to date."""

    source: Path
    saved_previous: Path | None
    migrated: list[str]


def check_backup_file(path: Path | str) -> list[str]:
    """Read a backup file without changing it and return its applied migrations, or raise
    `BackupError` when it is not an intact Näkymä database of this or an older version."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"Varmuuskopiota ei löydy: {path}")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"Varmuuskopiota ei voi avata: {exc}") from exc
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise BackupError(f"Varmuuskopion eheystarkistus epäonnistui: {result}")
        names = [
            r[0]
            for r in conn.execute(
                "select name from _sqlite_migrations where migration_set = ? order by rowid",
                [migrations.name],
            )
        ]
    except sqlite3.Error as exc:
        raise BackupError(f"Tiedosto ei ole Näkymän varmuuskopio: {exc}") from exc
    finally:
        conn.close()
    empty = Database(memory=True)
    known = {m.name for m in migrations.pending(empty)}
    empty.close()
    unknown = [n for n in names if n not in known]
    if not names or unknown:
        raise BackupError(
            "Varmuuskopio on tätä ohjelmaversiota uudemmasta versiosta tai ei ole Näkymän "
            f"tietokanta (tuntemattomat rakennemuutokset: {', '.join(unknown) or '–'})."
        )
    return names


def restore(
    source: Path | str,
    database_path: Path | str,
    *,
    now: datetime | None = None,
) -> RestoreResult:
    """Replace the database at `database_path` with the backup `source`. Run it with the
    service stopped (`systemctl stop nakyma`).

    :param source: a backup made by `backup` or `backup_to_directory`
    :param database_path: the live database (`Settings.database_path`)
    :param now: the time the saved copy of the replaced database is named after

    The backup is checked first (`check_backup_file`); then the current database, if any,
    is saved beside it as nakyma-before-restore-TIMESTAMP.db, so a restore can be undone
    (`_save_current`); then SQLite's backup API copies the file into the live database (WAL
    included), which is checked with `PRAGMA integrity_check` and migrated to this version."""
    source = Path(source)
    database_path = Path(database_path)
    check_backup_file(source)
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    saved = _save_current(
        database_path, database_path.with_name(f"nakyma-before-restore-{stamp}.db")
    )
    live = open_db(database_path, migrate=False)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        src.backup(live.conn)
        live.execute("PRAGMA journal_mode = WAL")
        result = live.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise BackupError(f"Palautetun tietokannan eheystarkistus epäonnistui: {result}")
        migrated = upgrade(live)
    except sqlite3.Error as exc:
        raise BackupError(f"Palautus epäonnistui: {exc}") from exc
    finally:
        src.close()
        live.close()
    return RestoreResult(source, saved, migrated)


def _save_current(database_path: Path, saved: Path) -> Path | None:
    """Keep the database about to be replaced at `saved`: a verified backup when it reads as
    a database, else (a damaged file, the usual reason to restore) its files moved there as
    they are, so that the restore starts from a fresh file. None when there is none."""
    if not database_path.exists():
        return None
    if saved.exists():
        raise BackupError(f"Kohde on jo olemassa: {saved}")
    try:
        current = open_db(database_path, migrate=False)
        try:
            return backup(current, saved)
        finally:
            current.close()
    except (BackupError, sqlite3.DatabaseError):
        saved.with_name(saved.name + ".partial").unlink(missing_ok=True)
        for suffix in ("", "-wal", "-shm"):
            part = database_path.with_name(database_path.name + suffix)
            if part.exists():
                part.replace(saved.with_name(saved.name + suffix))
        return saved


@migrations(name="0001_initial")
def _m0001_initial(db: Database) -> None:
    db.table("users").create(
        {
            "id": int,
            "username": str,
            "display_name": str,
            "role": str,
            "password_hash": str,
            "active": int,
            "created_at": str,
        },
        pk="id",
        not_null={"username", "role", "password_hash", "active", "created_at"},
        defaults={"active": 1},
    )
    db.table("users").create_index(["username"], unique=True)
    db.table("user_municipalities").create(
        {"user_id": int, "municipality_code": str},
        pk=("user_id", "municipality_code"),
        foreign_keys=[("user_id", "users", "id")],
    )
    db.table("api_tokens").create(
        {
            "id": int,
            "user_id": int,
            "token_hash": str,
            "created_at": str,
            "last_used_at": str,
            "revoked_at": str,
        },
        pk="id",
        not_null={"user_id", "token_hash", "created_at"},
        foreign_keys=[("user_id", "users", "id")],
    )
    db.table("api_tokens").create_index(["token_hash"], unique=True)
    db.table("sessions").create(
        {
            "token_hash": str,
            "user_id": int,
            "created_at": str,
            "expires_at": str,
        },
        pk="token_hash",
        not_null={"user_id", "created_at", "expires_at"},
        foreign_keys=[("user_id", "users", "id")],
    )
    db.table("login_attempts").create(
        {
            "id": int,
            "username": str,
            "client": str,
            "attempted_at": str,
            "succeeded": int,
        },
        pk="id",
        not_null={"username", "client", "attempted_at", "succeeded"},
    )
    db.table("login_attempts").create_index(["username", "attempted_at"])
    db.table("login_attempts").create_index(["client", "attempted_at"])
    db.table("observations").create(
        {
            "id": int,
            "external_id": str,
            "text": str,
            "text_key": str,
            "municipality_code": str,
            "observed_on": str,
            "target_group": str,
            "theme": str,
            "role": str,
            "source": str,
            "redacted": int,
            "created_by": int,
            "created_at": str,
        },
        pk="id",
        not_null={
            "text",
            "text_key",
            "municipality_code",
            "observed_on",
            "target_group",
            "source",
            "redacted",
            "created_at",
        },
        defaults={"redacted": 0},
        foreign_keys=[("created_by", "users", "id")],
    )
    db.table("observations").create_index(["external_id"], unique=True)
    db.table("observations").create_index(
        ["text_key", "municipality_code", "observed_on"], unique=True
    )
    db.table("observations").create_index(["municipality_code", "observed_on"])
    db.table("observations").create_index(["created_by"])


@migrations(name="0002_pipelines")
def _m0002_pipelines(db: Database) -> None:
    _m0002_run_tables(db)
    _m0002_news_tables(db)
    _m0002_indicator_tables(db)


def _m0002_run_tables(db: Database) -> None:
    db.table("runs").create(
        {
            "id": int,
            "pipeline": str,
            "trigger": str,
            "source": str,
            "status": str,
            "started_at": str,
            "finished_at": str,
            "added": int,
            "updated": int,
            "skipped": int,
            "errors": str,  # JSON list of Finnish messages
            "warnings": str,  # JSON list
            "details": str,  # JSON object
        },
        pk="id",
        not_null={"pipeline", "trigger", "status", "started_at"},
    )
    db.table("runs").create_index(["pipeline", "started_at"])
    db.table("job_locks").create(
        {"name": str, "holder": str, "acquired_at": str, "expires_at": str},
        pk="name",
        not_null={"holder", "acquired_at", "expires_at"},
    )


def _m0002_news_tables(db: Database) -> None:
    db.table("feed_state").create(
        {
            "url": str,
            "etag": str,
            "last_modified": str,
            "last_fetched_at": str,
            "last_status": str,
        },
        pk="url",
    )
    db.table("headlines").create(
        {
            "guid": str,
            "feed_url": str,
            "title": str,
            "teaser": str,
            "link": str,
            "categories": str,  # JSON list
            "published": str,  # ISO 8601 with offset
            "content_hash": str,
            "first_seen_at": str,
            "updated_at": str,
        },
        pk="guid",
        not_null={"feed_url", "title", "link", "content_hash", "first_seen_at", "updated_at"},
    )
    db.table("headlines").create_index(["published"])
    db.table("headline_municipalities").create(
        {"guid": str, "municipality_code": str},
        pk=("guid", "municipality_code"),
        foreign_keys=[("guid", "headlines", "guid")],
    )
    db.table("headline_municipalities").create_index(["municipality_code"])


def _m0002_indicator_tables(db: Database) -> None:
    db.table("sotkanet_regions").create(
        {
            "id": int,
            "code": str,
            "category": str,
            "title_fi": str,
            "member_of": str,  # JSON list of region ids
            "fetched_at": str,
        },
        pk="id",
        not_null={"code", "category", "fetched_at"},
    )
    db.table("sotkanet_regions").create_index(["category", "code"])
    db.table("indicators").create(
        {
            "id": int,
            "title": str,
            "short_title": str,
            "higher_is_worse": int,
            "population_group": str,
            "theme": str,
            "unit": str,
            "in_catalogue": int,
            "organization": str,
            "range_start": int,
            "range_end": int,
            "region_levels": str,  # JSON list of Finnish region classification titles
            "decimals": int,
            "status": str,  # ok / stale / missing / no_municipal_data
            "checked_at": str,
        },
        pk="id",
        not_null={"title", "higher_is_worse", "in_catalogue"},
    )
    db.table("indicator_values").create(
        {
            "indicator_id": int,
            "area_kind": str,  # kunta / hyvinvointialue / maa
            "area_code": str,
            "year": int,
            "gender": str,
            "value": float,
            "abs_value": float,
        },
        pk=("indicator_id", "area_kind", "area_code", "year", "gender"),
        foreign_keys=[("indicator_id", "indicators", "id")],
    )
    db.table("indicator_signals").create(
        {
            "indicator_id": int,
            "municipality_code": str,
            "year": int,
            "value": float,
            "previous_year": int,
            "previous_value": float,
            "county_value": float,
            "country_value": float,
            "direction": str,  # worse / better
            "strength": float,
            "method": str,
            "text": str,
            "computed_at": str,
        },
        pk=("indicator_id", "municipality_code"),
        foreign_keys=[("indicator_id", "indicators", "id")],
    )


@migrations(name="0003_context_indicators")
def _m0003_context_indicators(db: Database) -> None:
    # Background indicators (population, age structure) are charted but never signalled.
    db.table("indicators").add_column("context", int, not_null_default=0)


@migrations(name="0004_phenomena")
def _m0004_phenomena(db: Database) -> None:
    # One vector per item and model, float32 little-endian; never recomputed.
    db.table("embeddings").create(
        {
            "item_kind": str,  # observation / headline
            "item_key": str,  # observation id, or headline guid
            "model": str,
            "dim": int,
            "vector": bytes,
            "created_at": str,
        },
        pk=("item_kind", "item_key", "model"),
        not_null={"dim", "vector", "created_at"},
    )
    db.table("embeddings").create_index(["model"])
    db.table("phenomena").create(
        {
            "id": int,  # stable: never reused, survives re-runs
            "title": str,
            "title_auto": str,
            "title_edited": int,
            "summary": str,
            "keywords": str,  # JSON list
            "representatives": str,  # JSON list of [kind, key]
            "status": str,  # review status (issue 5 workflow); "uusi" when created
            "dismissed": int,
            "merged_into": int,
            "centroid": bytes,
            "model": str,
            "size": int,
            "first_seen": str,
            "last_seen": str,
            "created_run": int,
            "updated_run": int,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"title", "title_auto", "title_edited", "status", "dismissed", "size"},
        defaults={"title_edited": 0, "dismissed": 0, "status": "uusi", "size": 0},
    )
    db.table("phenomenon_members").create(
        {
            "item_kind": str,
            "item_key": str,
            "phenomenon_id": int,
            "similarity": float,
            "origin": str,  # cluster / incremental / manual
            "assigned_at": str,
        },
        pk=("item_kind", "item_key"),
        not_null={"phenomenon_id", "origin", "assigned_at"},
        foreign_keys=[("phenomenon_id", "phenomena", "id")],
    )
    db.table("phenomenon_members").create_index(["phenomenon_id"])
    # Human decisions, replayed after every clustering run.
    db.table("manual_assignments").create(
        {
            "item_kind": str,
            "item_key": str,
            "phenomenon_id": int,
            "user_id": int,
            "created_at": str,
        },
        pk=("item_kind", "item_key"),
        not_null={"phenomenon_id", "created_at"},
        foreign_keys=[("phenomenon_id", "phenomena", "id")],
    )
    db.table("phenomenon_lineage").create(
        {
            "id": int,
            "run_id": int,
            "kind": str,  # merge / split / manual_merge / manual_split / new / vanished
            "from_id": int,
            "to_id": int,
            "created_at": str,
        },
        pk="id",
        not_null={"kind", "created_at"},
    )
    db.table("phenomenon_indicator_links").create(
        {
            "phenomenon_id": int,
            "indicator_id": int,
            "similarity": float,
            "decision": str,  # suggested / accepted / rejected
            "decided_by": int,
            "decided_at": str,
        },
        pk=("phenomenon_id", "indicator_id"),
        not_null={"decision"},
    )
    db.table("weak_signals").create(
        {
            "phenomenon_id": int,
            "area_kind": str,  # kunta / kuntaryhma / alue
            "area_code": str,
            "as_of": str,
            "score": float,
            "category": str,  # heikko_signaali / vahvistuva / vakiintunut / hiipuva
            "reasons": str,  # JSON list of Finnish sentences
            "recent": int,
            "baseline": float,
            "trend": str,  # JSON list of weekly or monthly counts
            "sources": str,  # JSON {"observation": n, "headline": n, "indicator": n}
            "computed_at": str,
        },
        pk=("phenomenon_id", "area_kind", "area_code"),
        not_null={"as_of", "score", "category", "reasons", "computed_at"},
    )
    db.table("weak_signals").create_index(["area_kind", "area_code", "score"])


@migrations(name="0005_cluster_space")
def _m0005_cluster_space(db: Database) -> None:
    # The mean vector a clustering run centred its vectors with, so that incremental
    # assignment and search compare new items in the same space as the stored centroids.
    db.table("cluster_space").create(
        {"model": str, "mean": bytes, "dim": int, "run_at": str},
        pk="model",
        not_null={"mean", "dim", "run_at"},
    )


@migrations(name="0006_review_dialogue")
def _m0006_review_dialogue(db: Database) -> None:
    # Append-only audit log: triggers refuse every UPDATE and DELETE, for everyone.
    db.table("audit_log").create(
        {
            "id": int,
            "at": str,
            "user_id": int,
            "username": str,
            "action": str,  # status, rename, summary, merge, split, move, dismiss, comment …
            "phenomenon_id": int,
            "details": str,  # JSON
        },
        pk="id",
        not_null={"at", "action"},
    )
    db.table("audit_log").create_index(["phenomenon_id", "at"])
    db.execute(
        "create trigger audit_log_no_update before update on audit_log "
        "begin select raise(abort, 'audit_log is append-only'); end"
    )
    db.execute(
        "create trigger audit_log_no_delete before delete on audit_log "
        "begin select raise(abort, 'audit_log is append-only'); end"
    )
    db.table("phenomenon_status_history").create(
        {
            "id": int,
            "phenomenon_id": int,
            "status": str,
            "reason": str,
            "user_id": int,
            "at": str,
        },
        pk="id",
        not_null={"phenomenon_id", "status", "at"},
        foreign_keys=[("phenomenon_id", "phenomena", "id")],
    )
    db.table("phenomenon_status_history").create_index(["phenomenon_id", "at"])
    db.table("comments").create(
        {
            "id": int,
            "phenomenon_id": int,
            "user_id": int,
            "body": str,
            "created_at": str,
        },
        pk="id",
        not_null={"phenomenon_id", "user_id", "body", "created_at"},
        foreign_keys=[("phenomenon_id", "phenomena", "id"), ("user_id", "users", "id")],
    )
    db.table("comments").create_index(["phenomenon_id", "created_at"])
    db.table("phenomenon_views").create(
        {"user_id": int, "phenomenon_id": int, "seen_at": str},
        pk=("user_id", "phenomenon_id"),
    )
    db.table("phenomena").add_column("status_reason", str)
    db.table("phenomena").add_column("theme", str)


@migrations(name="0007_cluster_state")
def _m0007_cluster_state(db: Database) -> None:
    # The partition a full run ended with (before pruning), so that the next run starts
    # from it: phenomena keep their members when data is added (see nakyma/phenomena.py).
    # `mean_items` is how many items the stored centring mean was computed over.
    db.table("cluster_space").add_column("mean_items", int)
    db.table("cluster_state").create(
        {"model": str, "item_kind": str, "item_key": str, "community": int},
        pk=("model", "item_kind", "item_key"),
        not_null={"community"},
    )
    # Incremental assignment asks for the vectors stored since the last full run: without
    # this it read every vector of the model (70 ms per call at 10^5 items).
    db.table("embeddings").create_index(["model", "created_at"])


@migrations(name="0008_municipal_responses")
def _m0008_municipal_responses(db: Database) -> None:
    # Each municipality's leadership records its own response to a phenomenon (see
    # nakyma/review.py): one row per phenomenon and municipality, history in audit_log.
    db.table("municipal_responses").create(
        {
            "phenomenon_id": int,
            "municipality_code": str,
            "status": str,
            "note": str,
            "user_id": int,
            "updated_at": str,
        },
        pk=("phenomenon_id", "municipality_code"),
        not_null={"status", "updated_at"},
    )


@migrations(name="0009_login_attempts_keyed")
def _m0009_login_attempts_keyed(db: Database) -> None:
    # From now on `login_attempts.username` holds a keyed hash (HMAC with the secret key)
    # of what was typed, never the text. The rows kept so far hold typed names (passwords
    # and e-mail addresses among them) and only serve a 15-minute throttle: dropped.
    db.execute("delete from login_attempts")
    db.table("login_attempts").create_index(
        ["username", "client", "attempted_at"], if_not_exists=True
    )
    db.table("login_attempts").create_index(["attempted_at"], if_not_exists=True)


@migrations(name="0010_emerging_themes")
def _m0010_emerging_themes(db: Database) -> None:
    # Emerging themes (nousevat teemat, see nakyma/emerging.py): small groups of recent
    # items found in the recent window on their own, at a finer grain than the phenomena.
    # A theme keeps its id from run to run (matched by members); `active` = flagged by the
    # latest run; `decision` is the leadership's: avoin / ylennetty / liitetty / hylätty.
    db.table("emerging_themes").create(
        {
            "id": int,
            "title": str,
            "title_auto": str,
            "category": str,  # nouseva / vahvistuva / ennallaan / hiipuva
            "score": float,
            "size": int,  # members in the latest run
            "terms": str,  # JSON list of bursting terms (lemmas, compound parts)
            "reasons": str,  # JSON list of Finnish sentences about the theme as a whole
            "nearest": str,  # JSON: the closest earlier items' phenomena {"id", "title"}
            "first_seen": str,  # as-of date of the first run that flagged it
            "last_seen": str,  # as-of date of the latest run that flagged it
            "as_of": str,
            "active": int,
            "decision": str,
            "phenomenon_id": int,  # promoted into / attached to
            "decided_by": int,
            "decided_at": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"title", "category", "score", "size", "as_of", "active", "decision"},
        defaults={"active": 1, "decision": "avoin"},
    )
    db.table("emerging_themes").create_index(["active", "decision"])
    db.table("emerging_members").create(
        {
            "theme_id": int,
            "item_kind": str,
            "item_key": str,
            "municipality_code": str,
            "observed_on": str,
            "phenomenon_id": int,  # the phenomenon the item sat in at the run
        },
        pk=("theme_id", "item_kind", "item_key"),
        foreign_keys=[("theme_id", "emerging_themes", "id")],
    )
    db.table("emerging_members").create_index(["item_kind", "item_key"])
    # Where a theme is flagged: one row per area (kunta / kuntaryhma / alue) with its own
    # category, score and reasons, as weak_signals has per phenomenon.
    db.table("emerging_areas").create(
        {
            "theme_id": int,
            "area_kind": str,
            "area_code": str,
            "items": int,
            "score": float,
            "category": str,
            "reasons": str,  # JSON list of Finnish sentences
            "as_of": str,
        },
        pk=("theme_id", "area_kind", "area_code"),
        not_null={"items", "score", "category", "reasons", "as_of"},
        foreign_keys=[("theme_id", "emerging_themes", "id")],
    )
    db.table("emerging_areas").create_index(["area_kind", "area_code", "score"])


@migrations(name="0011_item_terms")
def _m0011_item_terms(db: Database) -> None:
    # Voikko base forms and compound parts of an observation's text (JSON list), computed
    # once like its vector and kept, so that a full run does not analyse every text again.
    db.table("item_terms").create(
        {"item_kind": str, "item_key": str, "terms": str},
        pk=("item_kind", "item_key"),
        not_null={"terms"},
    )


@migrations(name="0012_weak_signal_technical")
def _m0012_weak_signal_technical(db: Database) -> None:
    # The reasons column keeps the plain sentences a leader reads; how a row was reckoned
    # (the test, expected count, p-value) goes to its own JSON list. Rows stored before this
    # have NULL here and are split on reading (`signals.stored_reasons`).
    db.table("weak_signals").add_column("technical", str)


@migrations(name="0013_home_visits")
def _m0013_home_visits(db: Database) -> None:
    # When each user last opened their front page, so that it can put what is new since
    # then first. One row per user, overwritten on each visit.
    db.table("home_visits").create(
        {"user_id": int, "visited_at": str},
        pk="user_id",
        not_null={"visited_at"},
    )


@migrations(name="0014_forecasts")
def _m0014_forecasts(db: Database) -> None:
    # Forecasts of corrective-service demand (nakyma/forecasting.py): per catalogue indicator
    # marked `forecast`, area (kunta / kuntaryhma / hyvinvointialue) and future year, the
    # point forecast and its 80 % and 95 % prediction intervals in the indicator's unit, by
    # the method that won the series' rolling-origin backtest (naive when nothing beat it).
    db.table("indicators").add_column("forecast", int, not_null_default=0)
    db.table("forecasts").create(
        {
            "indicator_id": int,
            "area_kind": str,
            "area_code": str,
            "year": int,
            "forecast": float,
            "lo80": float,
            "hi80": float,
            "lo95": float,
            "hi95": float,
            "method": str,  # naive / drift / ets / theta
            "run_id": int,
            "computed_at": str,
        },
        pk=("indicator_id", "area_kind", "area_code", "year"),
        not_null={"forecast", "lo80", "hi80", "lo95", "hi95", "method", "computed_at"},
        foreign_keys=[("indicator_id", "indicators", "id")],
    )
    # Every method's backtest per series: MASE against the naive forecast (< 1 beats it) and
    # the empirical coverage of the 80 % and 95 % intervals over the rolling origins.
    db.table("forecast_backtests").create(
        {
            "indicator_id": int,
            "area_kind": str,
            "area_code": str,
            "method": str,
            "mase": float,
            "coverage80": float,
            "coverage95": float,
            "origins": int,
            "chosen": int,  # the method shown for this series
            "beats_naive": int,  # the chosen method's MASE < 1
            "computed_at": str,
        },
        pk=("indicator_id", "area_kind", "area_code", "method"),
        not_null={"origins", "chosen", "beats_naive", "computed_at"},
        foreign_keys=[("indicator_id", "indicators", "id")],
    )


@migrations(name="0015_forecast_calibrated_coverage")
def _m0015_forecast_calibrated_coverage(db: Database) -> None:
    # On the chosen method's backtest row: the held-out coverage of the intervals as drawn
    # (calibrated, with the calibration fitted without that series) and how many held-out
    # values it is over. `coverage80` / `coverage95` stay the model's own, uncalibrated ones.
    table = db.table("forecast_backtests")
    table.add_column("calibrated80", float)
    table.add_column("calibrated95", float)
    table.add_column("points", int, not_null_default=0)


@migrations(name="0016_auto_titles")
def _m0016_auto_titles(db: Database) -> None:
    # The automatic titles the last run used, per kind ("phenomenon", "theme"), by a digest of
    # their inputs (the most central members' texts, keywords, title version): a run in a fresh
    # process reuses them instead of running the language models again for every unchanged
    # phenomenon or theme.
    db.table("auto_titles").create(
        {"digest": str, "kind": str, "title": str, "run_id": int},
        pk="digest",
        not_null={"kind", "title"},
    )


@migrations(name="0017_oidc_identities")
def _m0017_oidc_identities(db: Database) -> None:
    # Single sign-on: an identity provider's account is its (issuer, subject) pair, linked to
    # one users row of its own. Never matched by user name or e-mail, so a local account and
    # an SSO identity of the same person stay two accounts.
    db.table("user_identities").create(
        {
            "issuer": str,
            "subject": str,
            "user_id": int,
            "created_at": str,
            "last_login_at": str,
        },
        pk=("issuer", "subject"),
        not_null={"user_id", "created_at", "last_login_at"},
        foreign_keys=[("user_id", "users", "id")],
    )
    db.table("user_identities").create_index(["user_id"], unique=True)
    # The ID token a single sign-on session began with: the id_token_hint of RP-initiated
    # logout at the provider.
    db.table("sessions").add_column("id_token", str)


@migrations(name="0018_user_language")
def _m0018_user_language(db: Database) -> None:
    # The user interface language the user chose ("fi", "sv", "en"); NULL until they choose,
    # and then the browser's Accept-Language and the region's default decide.
    db.table("users").add_column("language", str)


@migrations(name="0019_reasons_i18n")
def _m0019_reasons_i18n(db: Database) -> None:
    # The generated sentences of weak signals and emerging themes in the interface's other
    # languages, beside the Finnish ones in `reasons` / `technical`: JSON {"sv": [...], "en":
    # [...]}. NULL for rows stored before this (they read in Finnish until the next run).
    db.table("weak_signals").add_column("reasons_i18n", str)
    db.table("weak_signals").add_column("technical_i18n", str)
    db.table("emerging_themes").add_column("reasons_i18n", str)
    db.table("emerging_areas").add_column("reasons_i18n", str)


@migrations(name="0020_indicator_titles_sv_en")
def _m0020_indicator_titles_sv_en(db: Database) -> None:
    # Sotkanet's Swedish and English titles and our short forms (catalogue or /indicators/{id});
    # NULL where unknown, and the page falls back to the Finnish title (indicators.title_in).
    for column in ("title_sv", "title_en", "short_title_sv", "short_title_en"):
        db.table("indicators").add_column(column, str)


@migrations(name="0021_indicator_link_evidence")
def _m0021_indicator_link_evidence(db: Database) -> None:
    # Why an indicator is suggested for a phenomenon (issue 16, nakyma/linking.py): the
    # combined score (or the learned model's probability), the features it was computed
    # from (JSON) and the reasons in Finnish and Swedish (JSON {"fi": [...], "sv": [...]}).
    # NULL for links stored before this or added by hand.
    for column, kind in (("score", float), ("features", str), ("reasons", str)):
        db.table("phenomenon_indicator_links").add_column(column, kind)
    # Indicator texts are now embedded as passages ("passage: " for e5), not as items:
    # the old vectors are dropped and the next full run embeds them again.
    db.execute("delete from embeddings where item_kind = 'indicator'")


@migrations(name="0022_sotkanet_list")
def _m0022_sotkanet_list(db: Database) -> None:
    # Sotkanet's whole indicator list (/indicators), kept by each indicator run that gets it,
    # so that indicators outside the catalogue can be found; and the ones an administrator
    # added to this installation's catalogue (fetched by the next run like the packaged ones).
    db.table("sotkanet_indicators").create(
        {
            "id": int,
            "title": str,
            "title_sv": str,
            "title_en": str,
            "organization": str,
            "municipal": int,  # 1: Sotkanet lists municipal values (region level "Kunta")
            "recorded_at": str,
        },
        pk="id",
        not_null={"title", "recorded_at"},
    )
    db.table("added_indicators").create(
        {
            "id": int,
            "higher_is_worse": int,  # 1, 0, or NULL for a context figure with no direction
            "added_by": int,
            "added_at": str,
        },
        pk="id",
        not_null={"added_at"},
    )


@migrations(name="0023_list_suggestions")
def _m0023_list_suggestions(db: Database) -> None:
    # "Sotkanetissa olisi myös": for a phenomenon no catalogue indicator fits, the best
    # indicators of Sotkanet's stored list outside the catalogue (replaced by every full run).
    db.table("phenomenon_list_suggestions").create(
        {"phenomenon_id": int, "indicator_id": int, "score": float, "reasons": str},
        pk=("phenomenon_id", "indicator_id"),
    )


@migrations(name="0024_indicator_descriptions")
def _m0024_indicator_descriptions(db: Database) -> None:
    # Sotkanet's own description and interpretation of an indicator (Finnish, plain text),
    # stored by the indicator run from /indicators/{id}; NULL until the next run.
    db.table("indicators").add_column("description", str)
    db.table("indicators").add_column("interpretation", str)
    # Indicators are now embedded and matched with an everyday description beside the title
    # (nakyma/data/indicators/descriptions, issue 16): the old title-only vectors are dropped
    # and the next full run embeds the texts again.
    db.execute("delete from embeddings where item_kind in ('indicator', 'sotkanet')")
