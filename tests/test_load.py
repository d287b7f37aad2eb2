"""Writes under ordinary load: the essentials of benchmarks/bench_load.py, fast enough for the
normal suite. Two processes writing at once, 40 parallel logins, and an import killed with
SIGKILL half-way then re-run: nothing fails with "database is locked", nothing is lost or
stored twice, and no partial row is left. Local files and processes only, no network."""

from __future__ import annotations

import csv
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from nakyma.accounts import authenticate
from nakyma.db import open_db, write_transaction
from nakyma.runs import list_runs
from pipelines.observations import import_observations
from pipelines.registry import run_pipeline
from tests.conftest import PASSWORD, TEST_SECRET

ROOT = Path(__file__).resolve().parents[1]

# The import in its own process, as `nakyma import observations` runs it, in batches of 10
# (the CLI's are 500) so that a few dozen rows make several batches.
IMPORTER = """
import sys
from pathlib import Path
from nakyma.config import Settings
from nakyma.db import open_db
from nakyma.regions import load_region
from pipelines.observations import import_observations
settings = Settings()
db = open_db(settings.database_path)
report = import_observations(db, Path(sys.argv[1]), region=load_region(),
                             today=settings.today(), batch_rows=10)
print(report.count("stored"), report.count("already_stored"), len(report.rejected))
"""

# A second process: 4 threads, each its own connection, 25 short write transactions each,
# every transaction reading before it writes (what failed at once under DEFERRED).
WRITER = """
import sys, threading
from nakyma.db import open_db, write_transaction
path, tag = sys.argv[1], sys.argv[2]
errors = []
def work(t):
    db = open_db(path, migrate=False)
    try:
        for i in range(25):
            with write_transaction(db):
                n = db.execute("select count(*) from load_probe").fetchone()[0]
                db.execute("insert into load_probe (tag, seen) values (?, ?)",
                           [f"{tag}-{t}-{i}", n])
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        db.close()
threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
for t in threads: t.start()
for t in threads: t.join()
print("\\n".join(errors))
sys.exit(1 if errors else 0)
"""


def _env(settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NAKYMA_")}
    env.update(
        PYTHONPATH=str(ROOT),
        NAKYMA_DATA_DIR=str(settings.data_dir),
        NAKYMA_SECRET_KEY=TEST_SECRET,
    )
    return env


def _threads(n: int, work: Callable[[int], object]) -> list[object]:
    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(work, range(n)))


def test_two_processes_writing_with_threads_lose_nothing(db, settings) -> None:
    db.execute("create table load_probe (id integer primary key, tag text unique, seen int)")
    db.conn.commit()
    other = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(settings.database_path), "b"],
        env=_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    def work(t: int) -> int:
        conn = open_db(settings.database_path, migrate=False)
        try:
            for i in range(25):
                with write_transaction(conn):
                    n = conn.execute("select count(*) from load_probe").fetchone()[0]
                    conn.execute(
                        "insert into load_probe (tag, seen) values (?, ?)", [f"a-{t}-{i}", n]
                    )
                    if i % 10 == 0:
                        time.sleep(0.05)  # now and then a longer holder
            return 25
        finally:
            conn.close()

    assert sum(_threads(4, work)) == 100  # type: ignore[arg-type]
    out, _ = other.communicate(timeout=60)
    assert other.returncode == 0, out
    tags = [r[0] for r in db.execute("select tag from load_probe")]
    assert len(tags) == len(set(tags)) == 200
    # Every transaction saw the rows committed before it: counts are 0..199, each once.
    assert sorted(r[0] for r in db.execute("select seen from load_probe")) == list(range(200))


def test_40_parallel_logins_all_succeed(db, settings, make_user, monkeypatch) -> None:
    # Cheap Argon2 parameters: what is tested is the write of 40 attempts at once, not the
    # hashing (40 hashes of 64 MiB would take most of the suite's budget on 2 cores).
    monkeypatch.setattr(
        "nakyma.accounts._hasher", PasswordHash([Argon2Hasher(time_cost=1, memory_cost=1024)])
    )
    user = make_user("maija")
    barrier = threading.Barrier(40)

    def login(i: int) -> object:
        conn = open_db(settings.database_path, migrate=False)
        try:
            barrier.wait(timeout=30)
            return authenticate(
                conn, "maija", PASSWORD, client=f"10.0.0.{i}", secret_key=TEST_SECRET
            )
        finally:
            conn.close()

    results = _threads(40, login)
    assert results == [user] * 40
    assert db.execute("select count(*) from login_attempts where succeeded = 1").fetchone() == (40,)


def _import_file(path: Path, rows: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["id", "text", "municipality", "observed_on", "target_group"])
        for i in range(rows):
            out.writerow(
                [
                    f"kuorma-{i}",
                    f"Havainto {i}: nuorten iltatoiminta puuttuu, ryhmä {i % 13} odottaa tiloja.",
                    "Laukaa",
                    "2026-11-15",
                    "nuoret",
                ]
            )
    return path


def _rows(path: Path) -> dict[str, tuple[str, ...]]:
    conn = sqlite3.connect(path)
    try:
        return {
            r[0]: tuple(r[1:])
            for r in conn.execute(
                "select external_id, text, municipality_code, observed_on, target_group, source "
                "from observations where external_id like 'kuorma-%'"
            )
        }
    finally:
        conn.close()


def test_import_killed_half_way_leaves_whole_rows_and_a_rerun_finishes(
    db, settings, tmp_path, region, today
) -> None:
    rows = 80
    path = _import_file(tmp_path / "kuorma.csv", rows)
    command = [sys.executable, "-c", IMPORTER, str(path)]
    importer = subprocess.Popen(
        command, env=_env(settings), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while not _rows(settings.database_path) and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(importer.pid, signal.SIGKILL)
    importer.wait(timeout=10)
    assert importer.returncode == -signal.SIGKILL
    kept = _rows(settings.database_path)
    assert 0 < len(kept) < rows, "the kill came before the first batch or after the last"
    conn = sqlite3.connect(settings.database_path)
    assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
    conn.close()
    # Whole batches: a multiple of the batch size, each row complete as in the file.
    assert len(kept) % 10 == 0
    for external_id, values in kept.items():
        i = int(external_id.split("-")[1])
        assert values[0].startswith(f"Havainto {i}: ") and values[1:] == (
            "410",
            "2026-11-15",
            "nuoret",
            "tuonti",
        )

    # Re-run (in this process: the same function the command calls) finishes the file.
    rerun = import_observations(db, path, region=region, today=today, batch_rows=10)
    assert rerun.count("stored") == rows - len(kept) and not rerun.rejected
    assert rerun.count("already_stored") == len(kept)
    assert len(_rows(settings.database_path)) == rows


def test_a_run_left_running_is_closed_by_the_next_holder_of_its_lock(db, settings) -> None:
    # A process killed mid-run leaves its run 'running' and its lock behind.
    db.table("runs").insert(
        {
            "pipeline": "news",
            "trigger": "schedule",
            "status": "running",
            "started_at": "2026-12-01T10:00:00+00:00",
        }
    )
    db.table("job_locks").insert(
        {
            "name": "pipeline:news",
            "holder": f"{socket.gethostname()}:999999999",  # no such process
            "acquired_at": "2026-12-01T10:00:00+00:00",
            "expires_at": "2999-01-01T00:00:00+00:00",
        }
    )
    settings.news_feeds = ["https://example.invalid/rss"]
    run_pipeline(db, settings, "news")
    runs = list_runs(db, pipeline="news")
    assert [r["status"] for r in runs] == ["failed", "failed"]
    assert "keskeytyi" in runs[1]["errors"][0]
    assert db.execute("select count(*) from job_locks").fetchone() == (0,)
