"""Guard benchmark: how fast a huge text is refused, and whether normal submissions stay
fast while huge ones keep arriving (issue #11 item 2: "a 1.2 MB text is refused in under
0.1 s, and normal submissions meanwhile keep p95 under 1 s").

Run by hand: `.venv/bin/python benchmarks/bench_guard.py [--normal 60] [--attackers 2]`.
Part 1 sends 1.2 MB (body cap) and 30 kB (intake's own cap) texts through the app
in-process (TestClient). Part 2 starts a real uvicorn on 127.0.0.1, lets `--attackers`
threads post 1.2 MB texts in a loop, and meanwhile posts `--normal` ordinary observations
from `--workers` threads, reporting their latency (and any answer other than 201). Rate
limits are raised for the run so that they do not hide the cost of the work itself.
Results go to benchmarks/RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import platform
import socket
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import uvicorn
from fastapi.testclient import TestClient

from nakyma import finnish
from nakyma.accounts import create_api_token, create_user
from nakyma.config import Settings
from nakyma.db import open_db
from nakyma.regions import load_region
from web.app import create_app

HUGE = "Yläkoulun välitunneilla moni istuu yksin. " * 29_000  # about 1.2 MB
MEDIUM = "Nuoret kertovat yksinäisyydestä. " * 900  # about 30 kB
SENTENCES = [
    "Yläkoulun välitunneilla moni istuu yksin puhelimen kanssa",
    "Perheiden arki kuormittuu, kun koulukuljetukset muuttuvat",
    "Ikäihmiset kertovat yksinäisyydestä kotihoidon käynneillä",
    "Nuorten harrastusryhmät täyttyvät heti ilmoittautumisen alussa",
]


def observation(text: str) -> dict[str, str]:
    return {
        "text": text,
        "municipality": "Äänekoski",
        "observed_on": "2026-01-15",
        "target_group": "nuoret",
    }


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def setup(tmp: Path) -> tuple[Settings, list[str]]:
    settings = Settings(
        _env_file=None,
        data_dir=tmp / "data",
        secret_key="vertailu-" + "x" * 40,
        scheduler_enabled=False,
        rate_limit_submissions_per_minute=100_000,
        rate_limit_checks_per_minute=100_000,
        rate_limit_client_per_minute=100_000,
    )
    db = open_db(settings.database_path)
    region = load_region()
    tokens = []
    for name in ("kentta", "hyokkaaja"):
        create_user(db, name, role="havainnoija", password="salasana-123456", region=region)
        tokens.append(create_api_token(db, name))
    db.close()
    return settings, tokens


def bench_refusal(settings: Settings, token: str, repeats: int) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {token}"}
    out: dict[str, float] = {}
    with TestClient(create_app(settings)) as client:
        for label, text in (("1.2MB", HUGE), ("30kB", MEDIUM)):
            times = []
            for _ in range(repeats):
                started = time.perf_counter()
                response = client.post("/api/observations", json=observation(text), headers=headers)
                times.append(time.perf_counter() - started)
                assert response.status_code in (413, 422), response.status_code
            out[f"refuse_{label}_median_s"] = statistics.median(times)
            out[f"refuse_{label}_max_s"] = max(times)
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_under_attack(
    settings: Settings, tokens: list[str], normal: int, attackers: int, workers: int
) -> dict[str, float]:
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    while not server.started:
        time.sleep(0.05)
    stop = threading.Event()
    huge_times: list[float] = []

    def attack() -> None:
        with httpx.Client(base_url=base, timeout=60) as http:
            headers = {"Authorization": f"Bearer {tokens[1]}"}
            while not stop.is_set():
                started = time.perf_counter()
                http.post("/api/observations", json=observation(HUGE), headers=headers)
                huge_times.append(time.perf_counter() - started)

    failures: list[int] = []

    def submit(i: int) -> float:
        text = f"{SENTENCES[i % len(SENTENCES)]} (kirjaus {i})."
        with httpx.Client(base_url=base, timeout=60) as http:
            started = time.perf_counter()
            response = http.post(
                "/api/observations",
                json=observation(text),
                headers={"Authorization": f"Bearer {tokens[0]}"},
            )
            elapsed = time.perf_counter() - started
        if response.status_code != 201:
            failures.append(response.status_code)  # e.g. "database is locked" (item 1)
        return elapsed

    attack_threads = [threading.Thread(target=attack, daemon=True) for _ in range(attackers)]
    for t in attack_threads:
        t.start()
    time.sleep(0.5)
    try:
        with ThreadPoolExecutor(workers) as pool:
            latencies = list(pool.map(submit, range(normal)))
    finally:
        stop.set()
        for t in attack_threads:
            t.join(timeout=60)
        server.should_exit = True
        thread.join(timeout=10)
    return {
        "normal_submissions": len(latencies),
        "normal_p50_s": statistics.median(latencies),
        "normal_p95_s": percentile(latencies, 0.95),
        "normal_max_s": max(latencies),
        "normal_not_201": len(failures),
        "huge_sent_meanwhile": len(huge_times),
        "huge_p95_s": percentile(huge_times, 0.95) if huge_times else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--normal", type=int, default=60, help="ordinary submissions")
    parser.add_argument("--attackers", type=int, default=2, help="threads sending 1.2 MB")
    parser.add_argument("--workers", type=int, default=1, help="threads of ordinary ones")
    parser.add_argument("--repeats", type=int, default=10, help="refusals timed per size")
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}")
    finnish.load()  # the guard's model, as `nakyma serve` loads it before serving
    with tempfile.TemporaryDirectory() as tmp:
        settings, tokens = setup(Path(tmp))
        for name, value in bench_refusal(settings, tokens[1], args.repeats).items():
            print(f"{name:28} {value:.4f}")
        results = bench_under_attack(settings, tokens, args.normal, args.attackers, args.workers)
        for name, value in results.items():
            print(f"{name:28} {value:.4f}" if isinstance(value, float) else f"{name:28} {value}")


if __name__ == "__main__":
    main()
