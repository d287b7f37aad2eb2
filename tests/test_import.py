"""Tests for the observation import pipeline and `nakyma import observations`."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result
from sqlite_utils import Database

from nakyma.cli import cli
from nakyma.regions import Region
from pipelines.observations import (
    ImportFileError,
    ImportReport,
    import_observations,
    read_observation_rows,
    store_rows,
)
from tests.conftest import TEST_SECRET

HEADER = ["id", "text", "municipality", "observed_on", "target_group", "theme", "role"]
FINNISH_HEADER = ["tunniste", "teksti", "kunta", "päivämäärä", "kohderyhmä", "teema", "rooli"]

TEXT_A = "Nuoret viettävät iltoja kirjaston aulassa, koska nuorisotila on kiinni."
TEXT_B = "Ikääntyneiden yksinäisyys näkyy kotihoidon käynneillä yhä useammin."
TEXT_C = "Perheet kysyvät neuvolassa apua arjen jaksamiseen entistä useammin."
HETU = "131052-308T"


def row(
    id: str = "",
    text: str = TEXT_A,
    municipality: str = "Äänekoski",
    observed_on: str = "5.3.2026",
    target_group: str = "nuoret",
    theme: str = "mielen_hyvinvointi",
    role: str = "nuorisotyo",
) -> list[str]:
    return [id, text, municipality, observed_on, target_group, theme, role]


def csv_text(rows: Sequence[Sequence[object]], *, delimiter: str = ",", newline: str = "\n") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(rows)
    return out.getvalue()


def write_csv(
    path: Path,
    rows: Sequence[Sequence[object]],
    *,
    header: Sequence[str] = HEADER,
    delimiter: str = ",",
    encoding: str = "utf-8",
    newline: str = "\n",
) -> Path:
    path.write_bytes(
        csv_text([header, *rows], delimiter=delimiter, newline=newline).encode(encoding)
    )
    return path


def run_import(db: Database, path: Path, region: Region, today: date, **kw) -> ImportReport:
    return import_observations(db, path, region=region, today=today, **kw)


def stored(db: Database) -> list[dict]:
    return list(db.query("select * from observations order by id"))


def rejections(report: ImportReport) -> dict[int, list[str]]:
    return {r.line: [e.code for e in r.errors] for r in report.rejected}


def database_bytes(db: Database) -> bytes:
    path = Path(db.execute("pragma database_list").fetchone()[2])
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


@pytest.fixture
def invoke(settings, monkeypatch, tmp_path):
    """Run the CLI against the test database, away from any .env in the working tree."""
    monkeypatch.chdir(tmp_path)
    env = {"NAKYMA_DATA_DIR": str(settings.data_dir), "NAKYMA_SECRET_KEY": TEST_SECRET}

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, ["import", "observations", *args], env=env)

    return run


# --- reading files ---------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_csv_rows_are_stored(db, region, today, tmp_path, delimiter) -> None:
    path = write_csv(
        tmp_path / "havainnot.csv",
        [
            row("w-1", TEXT_A, "Äänekoski", "5.3.2026", "nuoret", "", ""),
            row("", TEXT_B, "Jyväskylässä", "2026-02-01", "Ikääntyneet", "Muu", "kotihoito"),
        ],
        delimiter=delimiter,
    )
    report = run_import(db, path, region, today)
    assert [(r.line, r.status) for r in report.rows] == [(2, "stored"), (3, "stored")]
    assert report.ignored_columns == []
    assert report.encoding == "utf-8"
    assert [
        (
            r["external_id"],
            r["text"],
            r["municipality_code"],
            r["observed_on"],
            r["target_group"],
            r["theme"],
            r["role"],
            r["source"],
        )
        for r in stored(db)
    ] == [
        ("w-1", TEXT_A, "992", "2026-03-05", "nuoret", None, None, "tuonti"),
        (None, TEXT_B, "179", "2026-02-01", "ikaantyneet", "muu", "kotihoito", "tuonti"),
    ]


@pytest.mark.parametrize(
    ("encoding", "reported"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8"), ("cp1252", "cp1252")],
)
def test_csv_encodings(db, region, today, tmp_path, encoding, reported) -> None:
    text = "Päiväkodin pihalla pölyää, lapset yskivät; äidit ovat huolissaan."
    path = write_csv(
        tmp_path / "h.csv",
        [row("ä-1", text, "Äänekoski", "5.3.2026", "Työikäiset")],
        delimiter=";",
        encoding=encoding,
        newline="\r\n",
    )
    if encoding == "utf-8-sig":
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    report = run_import(db, path, region, today)
    assert report.encoding == reported
    assert report.ignored_columns == []  # the BOM did not spoil the first header
    assert [(r["external_id"], r["text"], r["target_group"]) for r in stored(db)] == [
        ("ä-1", text, "tyoikaiset")
    ]


def make_xlsx(path: Path, rows: Sequence[Sequence[object]], header=FINNISH_HEADER) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for values in rows:
        sheet.append(list(values))
    workbook.save(path)
    return path


def test_xlsx_with_date_and_integer_cells(db, region, today, tmp_path) -> None:
    path = make_xlsx(
        tmp_path / "havainnot.xlsx",
        [
            [17, TEXT_A, "Äänekoski", date(2026, 3, 5), "nuoret", "Mielen hyvinvointi", None],
            [None] * 7,
            [18, "lyhyt", "Laukaa", datetime(2026, 3, 6, 9, 30), "lapset", None, None],
            [19.0, TEXT_B, 179, "6.3.2026", "ikääntyneet", None, "Kotihoito"],
        ],
    )
    report = run_import(db, path, region, today)
    assert report.encoding == "xlsx"
    assert [(r.line, r.status, r.external_id) for r in report.rows] == [
        (2, "stored", "17"),
        (4, "rejected", "18"),
        (5, "stored", "19"),
    ]
    assert rejections(report) == {4: ["too_short"]}
    assert [
        (r["external_id"], r["municipality_code"], r["observed_on"], r["theme"], r["role"])
        for r in stored(db)
    ] == [
        ("17", "992", "2026-03-05", "mielen_hyvinvointi", None),
        ("19", "179", "2026-03-06", None, "kotihoito"),
    ]


@pytest.mark.parametrize(
    "header",
    [
        FINNISH_HEADER,
        [h.upper() for h in FINNISH_HEADER],
        ["Tunniste", "Teksti", "Kunta", "PÄIVÄMÄÄRÄ", "Kohderyhmä", "Teema", "Rooli"],
        ["ID", "Havainto", "Kotikunta", "pvm", "KOHDERYHMA", "Painopiste", "Havainnoijan rooli"],
        ["external_id", "TEXT", "Municipality", "Observed_On", "target_group", "theme", "role"],
    ],
)
def test_column_names_in_finnish_or_english_any_case(tmp_path, header) -> None:
    path = write_csv(tmp_path / "h.csv", [row("7")], header=header)
    rows, ignored, encoding = read_observation_rows(path)
    assert ignored == []
    assert encoding == "utf-8"
    assert list(rows) == [
        (
            2,
            {
                "external_id": "7",
                "text": TEXT_A,
                "municipality": "Äänekoski",
                "observed_on": "5.3.2026",
                "target_group": "nuoret",
                "theme": "mielen_hyvinvointi",
                "role": "nuorisotyo",
            },
        )
    ]


def test_unknown_columns_are_reported_not_fatal(db, region, today, tmp_path) -> None:
    header = ["Vastaaja", "teksti", "kunta", "Lisätieto", "päivämäärä", "kohderyhmä", ""]
    path = write_csv(
        tmp_path / "h.csv",
        [["x", TEXT_A, "Äänekoski", "y", "5.3.2026", "nuoret", "z"]],
        header=header,
    )
    report = run_import(db, path, region, today)
    assert report.ignored_columns == ["Vastaaja", "Lisätieto"]
    assert report.count("stored") == 1
    assert [r["text"] for r in stored(db)] == [TEXT_A]


@pytest.mark.parametrize(
    ("drop", "field"),
    [
        ("teksti", "text"),
        ("kunta", "municipality"),
        ("päivämäärä", "observed_on"),
        ("kohderyhmä", "target_group"),
    ],
)
def test_missing_required_column(db, region, today, tmp_path, drop, field) -> None:
    header = [h for h in FINNISH_HEADER if h != drop]
    path = write_csv(tmp_path / "h.csv", [row()[: len(header)]], header=header)
    with pytest.raises(
        ImportFileError, match=f"^Tiedostosta puuttuu sarake: {field} \\({drop}\\)\\."
    ):
        run_import(db, path, region, today)
    assert stored(db) == []


@pytest.mark.parametrize("optional", ["tunniste", "teema", "rooli"])
def test_optional_columns_may_be_missing(db, region, today, tmp_path, optional) -> None:
    header = [h for h in FINNISH_HEADER if h != optional]
    values = [v for h, v in zip(FINNISH_HEADER, row("5"), strict=True) if h != optional]
    report = run_import(db, write_csv(tmp_path / "h.csv", [values], header=header), region, today)
    assert report.count("stored") == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("h.json", b'{"text": "x"}', "Tuettuja tiedostomuotoja"),
        ("h.ods", b"PK\x03\x04", "Tuettuja tiedostomuotoja"),
        ("h.csv", b"", "Tiedosto on tyhjä"),
        ("h.csv", b"\xef\xbb\xbf", "Tiedosto on tyhjä"),
        ("h.xlsx", b"not a zip file", "XLSX-tiedostoa ei voitu lukea"),
        ("h.csv", b"text,kunta\n\x81\x8d\x00\xff,x\n", "merkistöä ei tunnistettu"),
    ],
)
def test_unreadable_files(db, region, today, tmp_path, name, content, message) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=message):
        run_import(db, path, region, today)


def test_missing_file(db, region, today, tmp_path) -> None:
    with pytest.raises(ImportFileError, match="Tiedostoa ei löydy"):
        run_import(db, tmp_path / "ei-ole.csv", region, today)
    with pytest.raises(ImportFileError, match="Tiedostoa ei löydy"):
        run_import(db, tmp_path, region, today)  # a directory is not a file


def test_empty_workbook(db, region, today, tmp_path) -> None:
    path = tmp_path / "tyhja.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(ImportFileError):
        run_import(db, path, region, today)


def test_header_only_file_stores_nothing(db, region, today, tmp_path) -> None:
    report = run_import(db, write_csv(tmp_path / "h.csv", []), region, today)
    assert report.rows == []
    assert stored(db) == []


# --- row outcomes and line numbers -----------------------------------------------------

MULTILINE = 'Ensimmäinen rivi havainnosta.\nToinen rivi, jossa "lainaus".\n\nNeljäs rivi.'


def mixed_rows() -> list[list[str]]:
    """Lines: 1 header, 2-5 a quoted four-line text, 6 too short, 7 ok, 8 blank, 9 three bad
    fields, 10 ok, 11 duplicate of line 7, 12 future date, 13 bad target group."""
    return [
        row("m-1", MULTILINE),
        row("m-2", "lyhyt"),
        row("m-3", TEXT_B, target_group="ikaantyneet"),
        ["", "", "", "", "", "", ""],
        row("m-4", "x", municipality="Tampere", observed_on="31.2.2026"),
        row("", TEXT_C, municipality="179", target_group="perheet"),
        row("", TEXT_B.upper(), target_group="kaikki"),
        row("m-7", TEXT_A, observed_on="1.1.2099"),
        row("m-8", TEXT_A, target_group="aikuiset"),
    ]


EXPECTED_REJECTIONS = {
    6: ["too_short"],
    9: ["too_short", "unknown_municipality", "invalid_date"],
    11: ["duplicate"],
    12: ["future_date"],
    13: ["invalid_choice"],
}


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_every_rejected_row_is_reported_with_its_line(db, region, today, tmp_path, newline):
    path = write_csv(tmp_path / "h.csv", mixed_rows(), newline=newline)
    report = run_import(db, path, region, today)
    assert rejections(report) == EXPECTED_REJECTIONS
    assert [(r.line, r.status) for r in report.rows if r.status != "rejected"] == [
        (2, "stored"),
        (7, "stored"),
        (10, "stored"),
    ]
    assert [r["text"] for r in stored(db)] == [
        MULTILINE,
        TEXT_B,
        TEXT_C,
    ]
    as_dict = report.as_dict()
    assert (as_dict["rows"], as_dict["stored"], as_dict["valid"]) == (8, 3, 0)
    assert [r["line"] for r in as_dict["rejected"]] == [6, 9, 11, 12, 13]


def test_line_numbers_count_a_multi_line_header(db, region, today, tmp_path) -> None:
    header = [*HEADER, "Kerro lisää\n(vapaaehtoinen)"]
    path = write_csv(tmp_path / "h.csv", [[*row("1"), ""], [*row("2", "lyhyt"), ""]], header=header)
    report = run_import(db, path, region, today)
    assert report.ignored_columns == ["Kerro lisää\n(vapaaehtoinen)"]
    assert [(r.line, r.status) for r in report.rows] == [(3, "stored"), (4, "rejected")]


def test_dry_run_stores_nothing_and_reports_the_same(db, region, today, tmp_path) -> None:
    path = write_csv(tmp_path / "h.csv", mixed_rows())
    dry = run_import(db, path, region, today, dry_run=True)
    assert stored(db) == []
    assert rejections(dry) == EXPECTED_REJECTIONS
    assert dry.count("valid") == 3 and dry.count("stored") == 0
    real = run_import(db, path, region, today)
    assert rejections(real) == rejections(dry)
    assert len(stored(db)) == 3


@pytest.mark.parametrize(
    ("rows", "expected_rejections", "expected_statuses"),
    [
        pytest.param(
            [row("", TEXT_A), row("", "  " + TEXT_A.lower())],
            {3: ["duplicate"]},
            ["stored", "rejected"],
            id="same-text-no-id",
        ),
        pytest.param(
            [row("a", TEXT_A), row("b", TEXT_A)],
            {3: ["duplicate"]},
            ["stored", "rejected"],
            id="same-text-other-id",
        ),
        pytest.param(
            [row("a", TEXT_A), row("a", TEXT_B)],
            {3: ["conflict"]},
            ["stored", "rejected"],
            id="same-id-other-text",
        ),
        pytest.param(
            [row("a", TEXT_A), row("a", TEXT_A)],
            {},
            ["stored", "already_stored"],
            id="same-id-same-text",
        ),
        pytest.param(
            [row("", TEXT_A), row("", TEXT_A, municipality="Laukaa"), row("", TEXT_A, "Laukaa")],
            {4: ["duplicate"]},
            ["stored", "stored", "rejected"],
            id="other-municipality-ok",
        ),
    ],
)
def test_repeats_within_a_file_dry_run_matches_real_run(
    db, region, today, tmp_path, rows, expected_rejections, expected_statuses
) -> None:
    path = write_csv(tmp_path / "h.csv", rows)
    dry = run_import(db, path, region, today, dry_run=True)
    assert stored(db) == []
    assert rejections(dry) == expected_rejections
    assert [r.status for r in dry.rows] == [
        "valid" if s == "stored" else s for s in expected_statuses
    ]
    real = run_import(db, path, region, today)
    assert rejections(real) == expected_rejections
    assert [r.status for r in real.rows] == expected_statuses
    assert len(stored(db)) == expected_statuses.count("stored")


def test_reimporting_the_same_file_adds_nothing(db, region, today, tmp_path) -> None:
    path = write_csv(
        tmp_path / "h.csv",
        [row("1", TEXT_A), row("2", TEXT_B), row("3", "lyhyt"), row("4", TEXT_C)],
    )
    first = run_import(db, path, region, today)
    assert (first.count("stored"), rejections(first)) == (3, {4: ["too_short"]})
    before = stored(db)
    again = run_import(db, path, region, today)
    assert [(r.line, r.status) for r in again.rows] == [
        (2, "already_stored"),
        (3, "already_stored"),
        (4, "rejected"),
        (5, "already_stored"),
    ]
    assert again.count("stored") == 0
    assert stored(db) == before


def test_reimport_answers_stored_rows_without_running_the_guard_again(
    db, region, today, tmp_path, monkeypatch
) -> None:
    """A re-imported row that is stored exactly as written (same id, text, municipality,
    date) passed the guard when it came in; running the guard again made re-importing a
    year's file as slow as importing it. A changed row still takes the full path."""
    path = write_csv(tmp_path / "h.csv", [row("1", TEXT_A), row("2", TEXT_B)])
    run_import(db, path, region, today)
    from pipelines import observations as pipeline

    checked: list[str] = []
    real = pipeline.validate_observation

    def counting(raw, **kw):
        checked.append(raw["text"])
        return real(raw, **kw)

    monkeypatch.setattr(pipeline, "validate_observation", counting)
    again = run_import(db, path, region, today)
    assert [r.status for r in again.rows] == ["already_stored", "already_stored"]
    assert checked == []
    # The same id with another text, date or municipality is guarded and refused as before.
    changed = write_csv(
        tmp_path / "c.csv",
        [
            row("1", TEXT_C),
            row("2", TEXT_B, observed_on="6.3.2026"),
            row("1", TEXT_A, municipality="Laukaa"),
        ],
    )
    report = run_import(db, changed, region, today)
    assert rejections(report) == {2: ["conflict"], 3: ["conflict"], 4: ["conflict"]}
    assert TEXT_C in checked


def test_reimported_row_deleted_meanwhile_is_stored_again(db, region, today, tmp_path) -> None:
    """The check ahead of the guard is made again under the write lock: a row deleted
    between the two is validated and stored, not answered `already_stored`."""
    from pipelines import observations as pipeline

    path = write_csv(tmp_path / "h.csv", [row("1", TEXT_A)])
    run_import(db, path, region, today)
    fields = ["external_id", "text", "municipality", "observed_on", "target_group", "theme", "role"]
    raw = dict(zip(fields, row("1", TEXT_A), strict=True))
    stale = pipeline._Checked(2, "1", stored_before=True, raw=raw)
    db.execute("delete from observations")
    db.conn.commit()
    report = ImportReport(path=str(path), dry_run=False)
    pipeline._store_batch(
        db,
        [stale],
        report,
        pipeline._DryRunSeen(),
        region=region,
        source="tuonti",
        today=today,
        redact=False,
        created_by=None,
    )
    assert [r.status for r in report.rows] == ["stored"]
    assert [r["text"] for r in stored(db)] == [TEXT_A]


def test_dry_run_of_an_imported_file_says_already_stored(db, region, today, tmp_path) -> None:
    path = write_csv(tmp_path / "h.csv", [row("1", TEXT_A), row("2", TEXT_B)])
    run_import(db, path, region, today)
    dry = run_import(db, path, region, today, dry_run=True)
    assert [r.status for r in dry.rows] == ["already_stored", "already_stored"]


@pytest.mark.parametrize("dry_run", [False, True])
def test_second_file_without_ids_duplicating_stored_rows(
    db, region, today, tmp_path, dry_run
) -> None:
    run_import(
        db, write_csv(tmp_path / "a.csv", [row("1", TEXT_A), row("2", TEXT_B)]), region, today
    )
    second = write_csv(
        tmp_path / "b.csv",
        [row("", TEXT_A.upper()), row("", TEXT_C), row("", TEXT_B, observed_on="2026-03-05")],
    )
    report = run_import(db, second, region, today, dry_run=dry_run)
    assert rejections(report) == {2: ["duplicate"], 4: ["duplicate"]}
    assert report.count("valid" if dry_run else "stored") == 1
    assert [r["text"] for r in stored(db)] == [TEXT_A, TEXT_B] + ([] if dry_run else [TEXT_C])


def test_personal_data_rows_rejected_with_kind_and_span(db, region, today, tmp_path) -> None:
    text = f"Oppilaan tunnus {HETU} ja äidin numero 040 123 4567 kirjattiin vahingossa."
    path = write_csv(tmp_path / "h.csv", [row("1", TEXT_A), row("2", text)])
    report = run_import(db, path, region, today)
    (rejected,) = report.rejected
    assert rejected.line == 3
    assert [(e.code, e.kind, text[e.start : e.end]) for e in rejected.errors] == [
        ("personal_data", "hetu", HETU),
        ("personal_data", "puhelin", "040 123 4567"),
    ]
    assert [r["text"] for r in stored(db)] == [TEXT_A]
    assert HETU.encode() not in database_bytes(db)


def test_redact_stores_rows_without_the_personal_data(db, region, today, tmp_path) -> None:
    text = f"Oppilaan tunnus {HETU} ja äidin posti aiti.virtanen@example.fi kirjattiin."
    path = write_csv(tmp_path / "h.csv", [row("1", TEXT_A), row("2", text)])
    report = run_import(db, path, region, today, redact=True)
    assert report.rejected == []
    assert [(r["text"], r["redacted"]) for r in stored(db)] == [
        (TEXT_A, 0),
        ("Oppilaan tunnus [HETU] ja äidin posti [SÄHKÖPOSTI] kirjattiin.", 1),
    ]
    db.conn.commit()
    data = database_bytes(db)
    assert HETU.encode() not in data
    assert b"aiti.virtanen" not in data


def test_created_by_callback(db, region, today, make_user) -> None:
    user = make_user("tuoja")
    raw = {"text": TEXT_A, "municipality": "Laukaa", "observed_on": "2026-03-05"}
    rows = [(2, {**raw, "target_group": "kaikki"})]
    report = store_rows(
        db,
        rows,
        ImportReport("muisti", dry_run=False),
        region=region,
        today=today,
        source="api",
        created_by=lambda raw: user.id,
    )
    assert report.count("stored") == 1
    assert [(r["created_by"], r["source"]) for r in stored(db)] == [(user.id, "api")]


# --- atomicity -------------------------------------------------------------------------


def numbered_rows(n: int) -> list[tuple[int, dict[str, str]]]:
    return [
        (
            i + 2,
            {
                "external_id": f"g-{i}",
                "text": f"Havainto numero {i}: nuoret kaipaavat iltatoimintaa.",
                "municipality": "Äänekoski",
                "observed_on": "2026-03-05",
                "target_group": "nuoret",
            },
        )
        for i in range(n)
    ]


def fail_after(rows: list[tuple[int, dict[str, str]]]) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows, then the failure a reader meets half-way (a lost disk, a corrupt file)."""
    yield from rows
    raise OSError("levy irrotettiin kesken tuonnin")


def test_failure_half_way_keeps_whole_batches_and_a_rerun_finishes(
    db, region, today, tmp_path
) -> None:
    run_import(db, write_csv(tmp_path / "aiempi.csv", [row("vanha", TEXT_C)]), region, today)
    report = ImportReport("kesken.csv", dry_run=False)
    # Batches of 100: two are committed, the reader fails inside the third.
    with pytest.raises(OSError, match="levy irrotettiin"):
        store_rows(
            db, fail_after(numbered_rows(260)), report, region=region, today=today, batch_rows=100
        )
    assert [r.status for r in report.rows] == ["stored"] * 200
    ids = [r["external_id"] for r in stored(db)]
    assert ids[0] == "vanha" and sorted(ids[1:]) == sorted(f"g-{i}" for i in range(200))
    assert not db.conn.in_transaction
    # Every stored row is whole: its text and fields as in the file.
    for obs in stored(db)[1:]:
        i = int(obs["external_id"][2:])
        assert obs["text"] == f"Havainto numero {i}: nuoret kaipaavat iltatoimintaa."
        assert (obs["municipality_code"], obs["observed_on"]) == ("992", "2026-03-05")
    # Re-running the file finishes it: the rest stored, the first 200 already there.
    retry = store_rows(
        db, numbered_rows(260), ImportReport("kesken.csv", False), region=region, today=today
    )
    assert [r.status for r in retry.rows] == ["already_stored"] * 200 + ["stored"] * 60
    assert len(stored(db)) == 261


# --- the CLI command -------------------------------------------------------------------


def test_cli_reports_in_finnish_and_exits_1_on_rejections(db, invoke, tmp_path) -> None:
    path = write_csv(
        tmp_path / "h.csv",
        [row("1", MULTILINE), row("2", "lyhyt"), row("3", TEXT_B), row("4", TEXT_C, "Tampere")],
    )
    result = invoke(str(path))
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Tallennettu: 2 havaintoa."
    assert "Hylätty: 2 riviä." in lines
    assert "  rivi 6: text: Havainto on liian lyhyt: kirjoita vähintään 10 merkkiä." in lines
    assert [line.split(":")[0] for line in lines if line.startswith("  rivi")] == [
        "  rivi 6",
        "  rivi 8",
    ]
    assert "  rivi 8: municipality: Kuntaa ei tunnistettu." in " ".join(lines)
    assert [r["external_id"] for r in stored(db)] == ["1", "3"]


def test_cli_exit_0_when_all_rows_are_fine(db, invoke, tmp_path) -> None:
    path = write_csv(tmp_path / "h.csv", [row("1", TEXT_A), row("2", TEXT_B)])
    result = invoke(str(path))
    assert result.exit_code == 0, result.output
    # The report on standard output; progress (a log's plain line) on standard error.
    assert result.stdout.splitlines() == ["Tallennettu: 2 havaintoa.", "Hylätty: 0 riviä."]
    assert result.stderr.splitlines() == ["käsitelty rivejä 2/2 (100 %)"]
    again = invoke(str(path))
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines() == [
        "Tallennettu: 0 havaintoa.",
        "Jo aiemmin tuotu (ohitettu): 2.",
        "Hylätty: 0 riviä.",
    ]
    assert len(stored(db)) == 2


def test_cli_dry_run(db, invoke, tmp_path) -> None:
    path = write_csv(tmp_path / "h.csv", [row("1", TEXT_A), row("2", TEXT_A), row("3", TEXT_B)])
    result = invoke(str(path), "--dry-run")
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines()[0] == "Koeajo: 2 riviä kelpaa, mitään ei tallennettu."
    assert "  rivi 3: text: Sama havainto on jo rivillä 2." in result.output
    assert stored(db) == []


def test_cli_json(db, invoke, tmp_path) -> None:
    path = write_csv(
        tmp_path / "h.csv",
        [row("1", TEXT_A), row("2", "Soita numeroon 040 123 4567 illalla kiitos.")],
        header=[*HEADER[:-1], "Lisätieto"],
    )
    result = invoke(str(path), "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert {k: report[k] for k in report if k != "rejected"} == {
        "path": str(path),
        "dry_run": False,
        "rows": 2,
        "stored": 1,
        "valid": 0,
        "already_stored": 0,
        "ignored_columns": ["Lisätieto"],
        "encoding": "utf-8",
    }
    (rejected,) = report["rejected"]
    assert rejected["line"] == 3
    (error,) = rejected["errors"]
    assert (error["code"], error["kind"], error["start"], error["end"]) == (
        "personal_data",
        "puhelin",
        15,
        27,
    )
    assert "040 123 4567" not in result.output


def test_cli_notes_encoding_and_ignored_columns(db, invoke, tmp_path) -> None:
    path = write_csv(
        tmp_path / "h.csv",
        [["Hölmö", TEXT_A, "Äänekoski", "5.3.2026", "nuoret"]],
        header=["Vastaaja", "teksti", "kunta", "päivämäärä", "kohderyhmä"],
        delimiter=";",
        encoding="cp1252",
    )
    result = invoke(str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Tallennettu: 1 havaintoa.",
        "Huom: tiedosto luettiin merkistöllä cp1252.",
        "Tuntemattomat sarakkeet ohitettiin: Vastaaja",
        "Hylätty: 0 riviä.",
    ]
    assert [r["text"] for r in stored(db)] == [TEXT_A]


@pytest.mark.parametrize("as_json", [False, True])
def test_cli_personal_data_without_redact(db, invoke, tmp_path, as_json) -> None:
    text = f"Oppilaan henkilötunnus {HETU} löytyi vanhasta lomakkeesta."
    path = write_csv(tmp_path / "h.csv", [row("1", text)])
    result = invoke(str(path), *(["--json"] if as_json else []))
    assert result.exit_code == 1
    assert HETU not in result.output
    if as_json:
        (error,) = json.loads(result.stdout)["rejected"][0]["errors"]
        assert (error["kind"], error["start"], error["end"]) == ("hetu", 23, 34)
    else:
        assert "  rivi 2: text: Tekstissä näyttää olevan henkilötunnus (merkit 24–34)." in (
            result.output
        )
    assert stored(db) == []


def test_cli_redact(db, invoke, tmp_path) -> None:
    text = f"Oppilaan henkilötunnus {HETU} ja puhelin +358 40 1234567 löytyivät."
    path = write_csv(tmp_path / "h.csv", [row("1", text)])
    result = invoke(str(path), "--redact")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "Tallennettu: 1 havaintoa."
    assert HETU not in result.output
    assert [r["text"] for r in stored(db)] == [
        "Oppilaan henkilötunnus [HETU] ja puhelin [PUHELIN] löytyivät."
    ]
    data = database_bytes(db)
    assert HETU.encode() not in data and b"1234567" not in data


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing-column", "Tiedostosta puuttuu sarake: municipality (kunta)."),
        ("missing-file", "Tiedostoa ei löydy"),
        ("empty", "Tiedosto on tyhjä."),
        ("extension", "Tuettuja tiedostomuotoja ovat CSV (.csv) ja Excel (.xlsx)."),
    ],
)
def test_cli_file_errors_exit_non_zero_with_finnish_message(db, invoke, tmp_path, setup, message):
    path = tmp_path / ("h.txt" if setup != "extension" else "h.pdf")
    if setup == "missing-column":
        write_csv(path, [["teksti", "5.3.2026", "nuoret"]], header=["teksti", "pvm", "kohderyhmä"])
    elif setup in ("empty", "extension"):
        path.write_bytes(b"")
    result = invoke(str(path))
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert stored(db) == []


def test_unreadable_csv_row_stops_the_import_and_stores_nothing(db, region, today, tmp_path):
    path = tmp_path / "rikki.csv"
    huge = "x" * 200_000  # over Python csv's field size limit
    path.write_text(
        "teksti,kunta,päivämäärä,kohderyhmä\n"
        "Ensimmäinen kelvollinen havainto nuorista.,Laukaa,2026-01-02,nuoret\n"
        f'"{huge}",Laukaa,2026-01-03,nuoret\n',
        encoding="utf-8",
    )
    with pytest.raises(ImportFileError, match="rivi 3 on virheellinen"):
        run_import(db, path, region, today)
    assert stored(db) == []
