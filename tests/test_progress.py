"""Progress of long work: the plain lines of a log, the CLI's commands, and a running job
on the "Ajot" page."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from nakyma.cli import cli
from nakyma.embedding import embed_pending
from nakyma.observations import submit_observation
from nakyma.progress import PlainProgress, RunProgress, describe, duration, nice_step
from nakyma.runs import start_run
from nakyma.views import runs_overview
from pipelines.observations import import_observations
from pipelines.registry import run_pipeline
from tests.conftest import TEST_SECRET, login, valid_observation
from tests.test_import import TEXT_A, TEXT_B, TEXT_C, row, write_csv
from tests.test_phenomena import HashEmbedder

DEMO = Path(__file__).resolve().parent.parent / "nakyma" / "data" / "demo" / "sotkanet"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_plain_lines_every_nice_step_with_an_estimate() -> None:
    lines: list[str] = []
    clock = Clock()
    progress = PlainProgress(lines.append, clock=clock)
    progress("embed", 0, 3000)
    for done in range(64, 3000, 64):
        clock.now = done / 30  # 30 texts a second: 100 s in all
        progress("embed", done, 3000)
    clock.now = 100.0
    progress("embed", 3000, 3000)
    assert [line.split(" (")[0] for line in lines] == [
        "upotettu 512/3000",
        "upotettu 1024/3000",
        "upotettu 1536/3000",
        "upotettu 2048/3000",
        "upotettu 2560/3000",
        "upotettu 3000/3000",
    ]
    assert lines[0] == "upotettu 512/3000 (17 %), noin 1 min 23 s jäljellä"
    assert lines[-1] == "upotettu 3000/3000 (100 %)"


def test_a_phase_without_a_count_is_one_line_and_an_empty_phase_none() -> None:
    lines: list[str] = []
    progress = PlainProgress(lines.append)
    progress("embed", 0, 0)
    progress("cluster", 0, None)
    progress("cluster", 0, None)
    assert lines == ["ryhmitellään ilmiöitä …"]


@pytest.mark.parametrize(
    ("total", "step"), [(1, 1), (9, 1), (30, 5), (100, 10), (3000, 500), (40_000, 5000)]
)
def test_nice_step(total: int, step: int) -> None:
    assert nice_step(total) == step


def test_finnish_durations_and_lines() -> None:
    assert duration(45) == "45 s"
    assert duration(80) == "1 min 20 s"
    assert duration(7500) == "2 h 5 min"
    assert describe("indicators", 3, 12) == "indikaattoreita haettu 3/12 (25 %)"
    assert describe("backup", 10, 40, elapsed=2.0) == (
        "kopioitu sivuja 10/40 (25 %), noin 6 s jäljellä"
    )
    assert describe("backup", 10, 40, elapsed=0.1) == "kopioitu sivuja 10/40 (25 %)"


# --- the commands, their output not a terminal ---------------------------------------


@pytest.fixture
def run_cli(settings, db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = {"NAKYMA_DATA_DIR": str(settings.data_dir), "NAKYMA_SECRET_KEY": TEST_SECRET}

    def invoke(*args: str):
        return CliRunner().invoke(cli, list(args), env=env)

    return invoke


def test_db_backup_tells_its_pages_and_the_check(run_cli, tmp_path) -> None:
    result = run_cli("db", "backup", str(tmp_path / "kopio.db"))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Varmuuskopio tehty ja tarkistettu")
    lines = result.stderr.splitlines()
    assert lines[-2].startswith("kopioitu sivuja ") and lines[-2].endswith("(100 %)")
    assert lines[-1] == "tarkistetaan varmuuskopion eheyttä …"


def test_run_indicators_tells_each_step(run_cli) -> None:
    result = run_cli("run", "indicators", "--source", str(DEMO), "--indicator", "189")
    assert result.exit_code == 0, result.output
    assert "indicators: onnistui" in result.stdout
    assert result.stderr.splitlines() == [
        "indikaattoreita haettu 1/1 (100 %)",
        "lasketaan indikaattorisignaaleja …",
    ]


def _thirty_rows(tmp_path: Path) -> Path:
    texts = (TEXT_A, TEXT_B, TEXT_C)
    return write_csv(
        tmp_path / "h.csv",
        [row(str(i), texts[i % 3], observed_on=f"{1 + i // 3}.3.2026") for i in range(30)],
    )


def test_import_tells_its_rows(run_cli, tmp_path) -> None:
    result = run_cli("import", "observations", str(_thirty_rows(tmp_path)))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "Tallennettu: 30 havaintoa."
    assert result.stderr.splitlines() == ["käsitelty rivejä 30/30 (100 %)"]


def test_import_tells_each_batch(db, region, today, tmp_path) -> None:
    calls: list[tuple[str, int, int | None]] = []
    import_observations(
        db,
        _thirty_rows(tmp_path),
        region=region,
        today=today,
        dry_run=True,
        batch_rows=10,
        progress=lambda *c: calls.append(c),
    )
    assert calls == [("import", n, 30) for n in (0, 10, 20, 30)]


# --- the core's hooks and the "Ajot" page ---------------------------------------------


def test_embedding_tells_each_batch(db, region, today) -> None:
    for i in range(5):
        submit_observation(
            db,
            valid_observation(text=f"Ruoka-avun jonot ovat pidentyneet viikolla {i}."),
            region=region,
            source="tuonti",
            today=today,
        )
    calls: list[tuple[str, int, int | None]] = []
    embed_pending(db, HashEmbedder(), batch_size=2, progress=lambda *c: calls.append(c))
    assert calls == [("embed", n, 5) for n in (0, 2, 4, 5)]


def test_a_pipeline_run_hears_progress_and_its_record_ends_without_it(db, settings) -> None:
    calls: list[tuple[str, int, int | None]] = []
    run_pipeline(
        db,
        settings,
        "indicators",
        source=DEMO,
        indicator_ids=[189],
        progress=lambda *c: calls.append(c),
    )
    assert calls == [("indicators", 0, 1), ("indicators", 1, 1), ("indicator_signals", 0, None)]
    # The forecasts run that follows (nothing marked `forecast` is stored here) is recorded
    # on its own and ends without progress too.
    runs = {r["pipeline"]: r for r in runs_overview(db)["runs"]}
    assert set(runs) == {"indicators", "forecasts"}
    for run in runs.values():
        assert run["status"] == "ok" and "progress" not in run["details"]
        assert run["progress_text"] is None


def test_the_runs_page_shows_a_running_jobs_phase(db, client, make_user) -> None:
    run_id = start_run(db, "phenomena", trigger="cli", source=None)
    RunProgress(db, run_id)("embed", 500, 3000)
    (run,) = runs_overview(db)["runs"]
    assert run["progress_text"] == "upotettu 500/3000 (16 %)"
    make_user("yllapito", "admin")
    login(client, "yllapito")
    page = client.get("/ajot").text
    assert "Käynnissä" in page
    assert "Nyt: upotettu 500/3000 (16 %)" in page


def test_run_progress_skips_inside_a_callers_transaction(db) -> None:
    run_id = start_run(db, "embed", trigger="cli", source=None)
    db.execute("begin")
    RunProgress(db, run_id)("embed", 1, 2)
    db.conn.rollback()
    (run,) = runs_overview(db)["runs"]
    assert run["progress_text"] is None


def test_run_progress_is_skipped_while_another_connection_writes(db, settings) -> None:
    import sqlite3

    run_id = start_run(db, "phenomena", trigger="cli", source=None)
    other = sqlite3.connect(str(settings.database_path), isolation_level=None)
    other.execute("begin immediate")
    try:
        RunProgress(db, run_id)("embed", 1, 2)  # neither waits long nor raises
    finally:
        other.execute("rollback")
        other.close()
    (run,) = runs_overview(db)["runs"]
    assert run["progress_text"] is None


def test_run_progress_writes_at_most_every_few_seconds_but_each_new_phase(db) -> None:
    run_id = start_run(db, "phenomena", trigger="cli", source=None)
    progress = RunProgress(db, run_id, every_seconds=3600)
    progress("embed", 0, 100)
    progress("embed", 50, 100)
    assert runs_overview(db)["runs"][0]["progress_text"] == "upotettu 0/100 (0 %)"
    progress("embed", 100, 100)  # the end of a phase is always written
    assert runs_overview(db)["runs"][0]["progress_text"] == "upotettu 100/100 (100 %)"
    progress("cluster", 0, None)
    assert runs_overview(db)["runs"][0]["progress_text"] == "ryhmitellään ilmiöitä …"


def test_a_full_phenomena_run_tells_its_phases_in_order(db, region, today, settings) -> None:
    from pipelines.phenomena import run

    for i in range(6):
        submit_observation(
            db,
            valid_observation(text=f"Ruoka-avun jonot ovat pidentyneet viikolla {i}."),
            region=region,
            source="tuonti",
            today=today,
        )
    calls: list[tuple[str, int, int | None]] = []
    run(db, settings, embedder=HashEmbedder(), progress=lambda *c: calls.append(c))
    phases = list(dict.fromkeys(phase for phase, _, _ in calls))
    assert phases == ["embed", "indicator_vectors", "cluster", "links", "signals", "emerging"]
    assert [c for c in calls if c[0] == "embed"][-1] == ("embed", 6, 6)


def test_terminal_progress_has_a_bar_per_counted_phase(capsys) -> None:
    from nakyma.cli import _TerminalProgress

    bar = _TerminalProgress()
    bar("embed", 0, 0)
    bar("indicators", 0, 3)
    for done in (1, 2, 3):
        bar("indicators", done, 3)
    bar("indicator_signals", 0, None)
    bar.close()
    err = capsys.readouterr().err
    # Not a terminal here, so click prints each bar's label once; on a terminal it redraws.
    assert "indikaattoreita haettu" in err
    assert "upotettu" not in err
    assert err.rstrip().endswith("lasketaan indikaattorisignaaleja …")
