"""Load benchmark (issue 11, "Writes that never fail under ordinary load").

Against a real `nakyma serve` on a free 127.0.0.1 port, with a copy of the demo database:
3 waves x 50 parallel `POST /api/observations` (distinct texts, a valid token) while a full
`nakyma run phenomena` and a 3,000-row `nakyma import observations` run in their own
processes. Then 12 SIGKILLs of an import at random moments. Reports 5xx count, whether every
acknowledged submission is stored exactly once, whether both jobs succeeded, submission
p50/p95 latency, and after the kills `PRAGMA integrity_check`, partial rows and the re-run.

Local only (127.0.0.1, the bundled offline model), bounded in count and time (a hard
deadline of 10 minutes for the whole script). Usage:

    PYTHONPATH=. python benchmarks/bench_load.py [--template demo.sqlite] [--seed 11]

Without --template the demo database is built once (about a minute) and cached in the
system's temp directory.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SECRET = "benchmark-salaisuus-" + "x" * 40
DEMO_TODAY = date(2026, 11, 22)
WAVES, PER_WAVE, IMPORT_ROWS, KILLS = 3, 50, 3000, 12
# The killed imports' file: long enough that all 12 kills land before its end (each killed
# import gets about 100-150 rows in), short enough for its final re-run to fit the budget.
KILL_ROWS = 2000
KILL_BATCH = 50  # their batch size (the command's is 500), so that kills land mid-file
# The killed imports run the command's function in a process of their own, with smaller
# batches; they are killed at a random moment 0-3 s after their first commit is seen.
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
                             today=settings.today(), batch_rows=int(sys.argv[2]))
print(report.count("stored"), report.count("already_stored"), len(report.rejected))
"""
DEADLINE_SECONDS = 600
CLI = [sys.executable, "-c", "from nakyma.cli import cli; cli()"]
MUNICIPALITIES = ["Äänekoski", "Laukaa", "Jyväskylä", "Konnevesi", "Saarijärvi"]


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NAKYMA_")}
    env.update(
        PYTHONPATH=str(ROOT),
        NAKYMA_DATA_DIR=str(data_dir),
        NAKYMA_SECRET_KEY=SECRET,
        NAKYMA_SCHEDULER_ENABLED="false",
    )
    return env


def build_template(path: Path) -> Path:
    """The demo loaded and computed, as tests/conftest.py builds it."""
    sys.path.insert(0, str(ROOT))
    from nakyma.config import Settings
    from nakyma.db import open_db
    from nakyma.regions import load_region
    from pipelines.demo import demo_sources, load_demo
    from pipelines.registry import run_pipeline

    base = Path(tempfile.mkdtemp(prefix="nakyma-bench-build-"))
    settings = Settings(_env_file=None, data_dir=base, secret_key=SECRET, scheduler_enabled=False)
    db = open_db(settings.database_path)
    load_demo(db, region=load_region(), today=DEMO_TODAY)
    for name, source in demo_sources().items():
        run_pipeline(db, settings, name, source=source)
    run_pipeline(db, settings, "phenomena", as_of=DEMO_TODAY)
    db.conn.execute("pragma wal_checkpoint(truncate)")
    db.close()
    shutil.copyfile(settings.database_path, path)
    shutil.rmtree(base, ignore_errors=True)
    return path


def make_tokens(data_dir: Path, n: int = PER_WAVE) -> list[str]:
    """One frontline account and API token per parallel client: 50 staff submitting at
    once (one account sending 150 in seconds would meet the rate limit, answered 429)."""
    sys.path.insert(0, str(ROOT))
    from nakyma.accounts import create_api_token, create_user
    from nakyma.config import Settings
    from nakyma.db import open_db
    from nakyma.regions import load_region

    settings = Settings(
        _env_file=None, data_dir=data_dir, secret_key=SECRET, scheduler_enabled=False
    )
    db = open_db(settings.database_path)
    try:
        tokens = []
        for i in range(n):
            name = f"kuormitus-{i:02d}"
            create_user(
                db, name, role="havainnoija", password="kuormitus-salasana", region=load_region()
            )
            tokens.append(create_api_token(db, name))
        return tokens
    finally:
        db.close()


def write_import_file(path: Path, rows: int, prefix: str) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["id", "text", "municipality", "observed_on", "target_group"])
        for i in range(rows):
            out.writerow(
                [
                    f"{prefix}-{i}",
                    f"Tuontihavainto {prefix} {i}: iltapäivätoimintaan ei riitä ohjaajia, "
                    f"jono kasvaa ryhmässä {i % 17}.",
                    MUNICIPALITIES[i % len(MUNICIPALITIES)],
                    "2026-11-1" + str(i % 9),
                    "lapset",
                ]
            )
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, port: int) -> subprocess.Popen:
    log = (data_dir / "serve.log").open("w")
    server = subprocess.Popen(
        [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=_env(data_dir),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if server.poll() is not None:
            raise SystemExit(f"server exited: see {data_dir / 'serve.log'}")
        time.sleep(0.5)
    server.kill()
    raise SystemExit("server did not start in 120 s")


def submit_wave(port: int, tokens: list[str], wave: int) -> list[dict]:
    """50 parallel submissions, each its own connection; status, latency and answer."""
    barrier = threading.Barrier(PER_WAVE)

    def one(i: int) -> dict:
        text = (
            f"Kuormitusaalto {wave} havainto {i}: nuoret odottavat "
            f"iltaisin bussia yksin, koska vuoroja on vähennetty ({wave * 1000 + i})."
        )
        body = {
            "text": text,
            "municipality": MUNICIPALITIES[i % len(MUNICIPALITIES)],
            "observed_on": "2026-11-20",
            "target_group": "nuoret",
        }
        barrier.wait(timeout=60)
        started = time.perf_counter()
        try:
            r = httpx.post(
                f"http://127.0.0.1:{port}/api/observations",
                json=body,
                headers={"Authorization": f"Bearer {tokens[i]}"},
                timeout=60,
            )
            status, answer = r.status_code, r.text
        except httpx.HTTPError as exc:
            status, answer = 0, repr(exc)
        return {
            "status": status,
            "seconds": time.perf_counter() - started,
            "text": text,
            "answer": answer[:300],
        }

    with ThreadPoolExecutor(max_workers=PER_WAVE) as pool:
        return list(pool.map(one, range(PER_WAVE)))


def _finish(proc: subprocess.Popen, deadline: float) -> tuple[int | str, str]:
    """Exit code and output tail; a job past the time budget is stopped and says so."""
    try:
        out = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))[0].decode()
    except subprocess.TimeoutExpired:
        proc.kill()
        return "timeout", proc.communicate()[0].decode()[-400:]
    return proc.returncode, out[-400:]


def load_phase(data_dir: Path, tokens: list[str], import_file: Path) -> dict:
    """The waves while the phenomena run and the import work in their own processes."""
    port = free_port()
    server = start_server(data_dir, port)
    env = _env(data_dir)
    try:
        started = time.monotonic()
        phenomena = subprocess.Popen(
            [*CLI, "run", "phenomena"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        importer = subprocess.Popen(
            [*CLI, "import", "observations", str(import_file)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        time.sleep(8)  # both jobs past start-up and into their work
        results: list[dict] = []
        for wave in range(WAVES):
            results += submit_wave(port, tokens, wave)
            time.sleep(2)
        remaining = max(30.0, DEADLINE_SECONDS - 200 - (time.monotonic() - started))
        return {
            "results": results,
            "phenomena": _finish(phenomena, started + remaining),
            "import": _finish(importer, started + remaining),
            "jobs_seconds": round(time.monotonic() - started, 1),
        }
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def check_load(db_path: Path, phase: dict, import_prefix: str) -> dict:
    results = phase["results"]
    conn = sqlite3.connect(db_path)
    acknowledged = [r for r in results if r["status"] in (200, 201)]
    stored_counts = [
        conn.execute("select count(*) from observations where text = ?", [r["text"]]).fetchone()[0]
        for r in acknowledged
    ]
    run = conn.execute(
        "select status, errors from runs where pipeline = 'phenomena' order by id desc limit 1"
    ).fetchone()
    running = conn.execute("select count(*) from runs where status = 'running'").fetchone()[0]
    imported = conn.execute(
        "select count(*) from observations where external_id like ?", [import_prefix + "-%"]
    ).fetchone()[0]
    conn.close()
    latencies = sorted(r["seconds"] for r in results)
    statuses: dict[str, int] = {}
    for r in results:
        statuses[str(r["status"])] = statuses.get(str(r["status"]), 0) + 1
    return {
        "submissions": len(results),
        "statuses": statuses,
        "responses_5xx": sum(1 for r in results if r["status"] >= 500),
        "acknowledged": len(acknowledged),
        "acknowledged_stored_exactly_once": sum(1 for n in stored_counts if n == 1),
        "p50_seconds": round(statistics.median(latencies), 3),
        "p95_seconds": round(latencies[int(0.95 * (len(latencies) - 1))], 3),
        "max_seconds": round(latencies[-1], 3),
        "phenomena_exit": phase["phenomena"][0],
        "phenomena_run": run[0] if run else None,
        "phenomena_errors": json.loads(run[1]) if run and run[1] else [],
        "import_exit": phase["import"][0],
        "import_rows_stored": imported,
        "runs_left_running": running,
        "jobs_seconds": phase["jobs_seconds"],
        "non_2xx_examples": [r["answer"] for r in results if r["status"] not in (200, 201)][:3],
    }


def partial_rows(conn: sqlite3.Connection, prefix: str) -> int:
    """Stored import rows that differ from the file's row (none should)."""
    bad = 0
    for external_id, text, code, observed_on, group in conn.execute(
        "select external_id, text, municipality_code, observed_on, target_group "
        "from observations where external_id like ?",
        [prefix + "-%"],
    ):
        i = int(external_id.rsplit("-", 1)[1])
        expected_text = f"Tuontihavainto {prefix} {i}: "
        if not (
            text.startswith(expected_text)
            and text.endswith(f"ryhmässä {i % 17}.")
            and code
            and observed_on == "2026-11-1" + str(i % 9)
            and group == "lapset"
        ):
            bad += 1
    return bad


def _stored(db_path: Path, prefix: str) -> int:
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        return int(
            conn.execute(
                "select count(*) from observations where external_id like ?", [prefix + "-%"]
            ).fetchone()[0]
        )
    finally:
        conn.close()


def kill_phase(data_dir: Path, import_file: Path, prefix: str, rng: random.Random) -> dict:
    """12 imports killed with SIGKILL at random moments, then one run to the end."""
    db_path = data_dir / "nakyma.db"
    kills = []
    for _ in range(KILLS):
        before = _stored(db_path, prefix)
        proc = subprocess.Popen(
            [sys.executable, "-c", IMPORTER, str(import_file), str(KILL_BATCH)],
            env=_env(data_dir),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        launched = time.monotonic()
        while _stored(db_path, prefix) == before and proc.poll() is None:
            if time.monotonic() - launched > 120:
                break
            time.sleep(0.1)
        delay = rng.uniform(0.0, 3.0)
        time.sleep(delay)
        delay = time.monotonic() - launched
        finished_first = proc.poll() is not None  # nothing left to kill: not a real kill
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=20)
        conn = sqlite3.connect(db_path)
        integrity = conn.execute("pragma integrity_check").fetchone()[0]
        stored = conn.execute(
            "select count(*) from observations where external_id like ?", [prefix + "-%"]
        ).fetchone()[0]
        bad = partial_rows(conn, prefix)
        conn.close()
        kills.append(
            {
                "after_s": round(delay, 1),
                "mid_file": not finished_first and stored < KILL_ROWS,
                "integrity": integrity,
                "stored": stored,
                "partial": bad,
            }
        )
    final = subprocess.run(
        [*CLI, "import", "observations", str(import_file)],
        env=_env(data_dir),
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
    )
    conn = sqlite3.connect(db_path)
    result = {
        "kills": kills,
        "kills_mid_file": sum(k["mid_file"] for k in kills),
        "integrity_after_kills_ok": all(k["integrity"] == "ok" for k in kills),
        "partial_rows_after_kills": sum(k["partial"] for k in kills),
        "rerun_exit": final.returncode,
        "rerun_output": final.stdout.strip().splitlines()[:3],
        "rows_after_rerun": conn.execute(
            "select count(*) from observations where external_id like ?", [prefix + "-%"]
        ).fetchone()[0],
        "distinct_ids_after_rerun": conn.execute(
            "select count(distinct external_id) from observations where external_id like ?",
            [prefix + "-%"],
        ).fetchone()[0],
        "integrity_final": conn.execute("pragma integrity_check").fetchone()[0],
    }
    conn.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template", type=Path, help="a built demo database to copy")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--skip-kills", action="store_true")
    parser.add_argument("--skip-load", action="store_true", help="only the killed imports")
    args = parser.parse_args()
    started = time.monotonic()
    rng = random.Random(args.seed)
    template = args.template or Path(tempfile.gettempdir()) / "nakyma-bench-demo.sqlite"
    if not template.exists():
        print("building the demo database …", flush=True)
        build_template(template)
    work = Path(tempfile.mkdtemp(prefix="nakyma-bench-load-"))
    data_dir = work / "data"
    data_dir.mkdir()
    shutil.copyfile(template, data_dir / "nakyma.db")
    tokens = make_tokens(data_dir)
    load_file = write_import_file(work / "tuonti.csv", IMPORT_ROWS, "kuorma")
    report: dict = {}
    if not args.skip_load:
        phase = load_phase(data_dir, tokens, load_file)
        report["load"] = check_load(data_dir / "nakyma.db", phase, "kuorma")
        print(json.dumps(report, ensure_ascii=False, indent=2), flush=True)
    if not args.skip_kills:
        kill_file = write_import_file(work / "tapot.csv", KILL_ROWS, "tappo")
        report["kills"] = kill_phase(data_dir, kill_file, "tappo", rng)
        print(json.dumps(report["kills"], ensure_ascii=False, indent=2), flush=True)
    report["total_seconds"] = round(time.monotonic() - started, 1)
    print(f"total {report['total_seconds']} s; work dir {work}")
    load = report.get("load")
    ok = (
        (
            load is None
            or load["responses_5xx"] == 0
            and load["acknowledged"] == load["submissions"]
            and load["acknowledged_stored_exactly_once"] == load["acknowledged"]
            and load["phenomena_run"] == "ok"
            and load["import_exit"] == 0
        )
        and (args.skip_kills or report["kills"]["integrity_after_kills_ok"])
        and (args.skip_kills or report["kills"]["partial_rows_after_kills"] == 0)
        and (args.skip_kills or report["kills"]["kills_mid_file"] == KILLS)
        and (args.skip_kills or report["kills"]["rerun_exit"] == 0)
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
