"""Observation import: CSV (Webropol, Excel) and XLSX files through the one intake function."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from nakyma import finnish, i18n, privacy
from nakyma.db import write_transaction
from nakyma.observations import (
    SOURCES,
    CleanObservation,
    FieldError,
    IntakeError,
    normalise_text,
    parse_date,
    store_observation,
    text_key,
    validate_observation,
    written_text,
)
from nakyma.progress import Progress, tell
from nakyma.regions import Region, fold

BATCH_ROWS = 500  # rows stored per write transaction: tens of milliseconds of lock

# Column names accepted for each field, compared after fold() (case and accents ignored).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "external_id": ("id", "tunniste", "tunnus", "vastaustunnus", "external_id"),
    "text": ("text", "teksti", "havainto", "havainnon kuvaus", "kuvaus"),
    "municipality": ("municipality", "kunta", "kotikunta"),
    "observed_on": (
        "observed_on",
        "paivamaara",
        "pvm",
        "havaintopaiva",
        "havaintopaivamaara",
        "havainnon paivamaara",
    ),
    "target_group": ("target_group", "kohderyhma"),
    "theme": ("theme", "teema", "painopiste", "painopistealue"),
    "role": ("role", "rooli", "havainnoijan rooli", "ammattiryhma", "tehtava"),
}
# The Finnish column names the file may use (they are what the file says, in any language).
COLUMN_LABELS = {
    "external_id": "tunniste",
    "text": "teksti",
    "municipality": "kunta",
    "observed_on": "päivämäärä",
    "target_group": "kohderyhmä",
    "theme": "teema",
    "role": "rooli",
}
Translate = Callable[[str], str]
REQUIRED_COLUMNS = ("text", "municipality", "observed_on", "target_group")
MAX_FILE_BYTES = 50 * 1024 * 1024


class ImportFileError(Exception):
    """The file as a whole cannot be read; nothing was stored."""


@dataclass
class RowOutcome:
    line: int
    status: str  # "stored", "valid", "already_stored", "rejected"
    errors: list[FieldError] = field(default_factory=list)
    external_id: str | None = None


@dataclass
class ImportReport:
    path: str
    dry_run: bool
    rows: list[RowOutcome] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str = "utf-8"

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def rejected(self) -> list[RowOutcome]:
        return [r for r in self.rows if r.status == "rejected"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "dry_run": self.dry_run,
            "rows": len(self.rows),
            "stored": self.count("stored"),
            "valid": self.count("valid"),
            "already_stored": self.count("already_stored"),
            "rejected": [
                {"line": r.line, "errors": [e.as_dict() for e in r.errors]} for r in self.rejected
            ],
            "ignored_columns": self.ignored_columns,
            "encoding": self.encoding,
        }


def _column_map(headers: list[str], _: Translate) -> tuple[dict[int, str], list[str]]:
    lookup = {fold(alias): name for name, aliases in COLUMN_ALIASES.items() for alias in aliases}
    mapping: dict[int, str] = {}
    ignored: list[str] = []
    for i, header in enumerate(headers):
        name = lookup.get(fold(str(header or "")).replace("_", " ")) or lookup.get(
            fold(str(header or ""))
        )
        if name is None or name in mapping.values():
            if str(header or "").strip():
                ignored.append(str(header).strip())
            continue
        mapping[i] = name
    missing = [c for c in REQUIRED_COLUMNS if c not in mapping.values()]
    if missing:
        raise ImportFileError(
            _(
                "Tiedostosta puuttuu sarake: %(columns)s. Ensimmäisellä rivillä on oltava "
                "sarakkeiden nimet (esim. text/teksti, municipality/kunta, "
                "observed_on/päivämäärä, target_group/kohderyhmä)."
            )
            % {"columns": ", ".join(f"{c} ({COLUMN_LABELS[c]})" for c in missing)}
        )
    return mapping, ignored


def _decode(data: bytes, _: Translate) -> tuple[str, str]:
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        # Excel's "CSV (erotinmerkein eroteltu)" on Finnish Windows writes Windows-1252.
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        raise ImportFileError(
            _("Tiedoston merkistöä ei tunnistettu. Tallenna se CSV UTF-8 -muodossa.")
        ) from None


def _csv_rows(data: bytes, _: Translate) -> tuple[list[str], Iterator[tuple[int, list[str]]], str]:
    text, encoding = _decode(data, _)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = next(reader)
    except StopIteration:
        raise ImportFileError(_("Tiedosto on tyhjä.")) from None

    def rows() -> Iterator[tuple[int, list[str]]]:
        line = reader.line_num + 1
        try:
            for row in reader:
                if any(cell.strip() for cell in row):
                    yield line, row
                line = reader.line_num + 1
        except csv.Error as exc:
            # Raised inside the import transaction, so nothing from the file is stored.
            raise ImportFileError(
                _("CSV-tiedoston rivi %(line)s on virheellinen (%(error)s). Mitään ei tallennettu.")
                % {"line": line, "error": exc}
            ) from None

    return headers, rows(), encoding


def _xlsx_rows(path: Path, _: Translate) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(_("XLSX-tiedostoa ei voitu lukea. Onko se Excel-työkirja?")) from exc
    sheet = workbook.worksheets[0]
    all_rows = sheet.iter_rows(values_only=True)
    try:
        headers = ["" if h is None else str(h) for h in next(all_rows)]
    except StopIteration:
        raise ImportFileError(_("Työkirjan ensimmäinen taulukko on tyhjä.")) from None

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for number, row in enumerate(all_rows, start=2):
            if any(cell is not None and str(cell).strip() for cell in row):
                yield number, list(row)

    return headers, rows()


def read_observation_rows(
    path: Path, language: str = "fi"
) -> tuple[Iterator[tuple[int, dict[str, Any]]], list[str], str]:
    """Rows of a CSV or XLSX file as (line number, {field: value}); plus ignored columns.
    ImportFileError's message is in `language` (Finnish by default)."""
    _ = i18n.translator(language)
    if not path.is_file():
        raise ImportFileError(_("Tiedostoa ei löydy: %(path)s") % {"path": path})
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ImportFileError(_("Tiedosto on liian suuri (yli 50 Mt)."))
    encoding = "xlsx"
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        headers, raw_rows = _xlsx_rows(path, _)
    elif path.suffix.lower() in (".csv", ".txt"):
        headers, raw_rows, encoding = _csv_rows(path.read_bytes(), _)
    else:
        raise ImportFileError(_("Tuettuja tiedostomuotoja ovat CSV (.csv) ja Excel (.xlsx)."))
    mapping, ignored = _column_map(headers, _)

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for line, values in raw_rows:
            yield (
                line,
                {name: values[i] if i < len(values) else None for i, name in mapping.items()},
            )

    return rows(), ignored, encoding


def import_observations(
    db: Database,
    path: Path,
    *,
    region: Region,
    today: date,
    dry_run: bool = False,
    redact: bool = False,
    source: str = "tuonti",
    batch_rows: int = BATCH_ROWS,
    progress: Progress | None = None,
    language: str = "fi",
) -> ImportReport:
    """Validate every row and store the valid ones, in short transactions of `batch_rows`.
    Messages (file errors and each row's errors) are in `language` (Finnish by default).

    A row that fails is reported with its line number and reasons and the rest go on;
    a crash half-way keeps the batches committed before it, each row whole, and nothing
    else. Re-importing the same file finishes it: rows whose `id` is already stored are
    `already_stored`, the rest are stored.
    Without the privacy guard's language model nothing is read or stored:
    `nakyma.finnish.ModelUnavailable` is raised before the first row.
    `progress` is told ("import", rows done, rows in the file) after each batch.
    """
    finnish.load()
    row_iter, ignored, encoding = read_observation_rows(path, language)
    # Read whole (the file is at most MAX_FILE_BYTES) so that progress knows the total.
    rows = list(row_iter)
    report = ImportReport(
        path=str(path), dry_run=dry_run, ignored_columns=ignored, encoding=encoding
    )
    return store_rows(
        db,
        rows,
        report,
        region=region,
        today=today,
        redact=redact,
        source=source,
        batch_rows=batch_rows,
        progress=progress,
        total=len(rows),
        language=language,
    )


@dataclass
class _Checked:
    """One row after validation (outside any transaction): the clean observation or why not."""

    line: int
    external_id: str | None
    obs: CleanObservation | None = None
    errors: list[FieldError] = field(default_factory=list)
    created_by: int | None = None
    # Sent again exactly as stored: answered `already_stored` without the privacy guard.
    stored_before: bool = False
    raw: Mapping[str, Any] | None = None


def _stored_before(db: Database, raw: Mapping[str, Any], region: Region) -> bool:
    """Is this row already stored exactly as it is written: an observation with its `id`
    and the same text, municipality and date? Such a row passed the privacy guard when it
    came in, so a re-import answers it without running the guard again (the guard is the
    slow part: re-importing a year's file took as long as importing it). Anything else,
    a changed text included, takes the full path."""
    external_id = str(raw.get("external_id") or "").strip()
    if not external_id:
        return False
    stored = db.execute(
        "select text_key, municipality_code, observed_on from observations where external_id = ?",
        [external_id],
    ).fetchone()
    if stored is None:
        return False
    municipality = region.resolve(str(raw.get("municipality") or ""))
    day = parse_date(raw.get("observed_on"))
    return (
        municipality is not None
        and day is not None
        and stored
        == (text_key(normalise_text(written_text(raw))), municipality.code, day.isoformat())
    )


def _validated(
    batch: list[tuple[int, Mapping[str, Any]]],
    *,
    stored_before: Collection[int] = (),
    region: Region,
    today: date,
    redact: bool,
    created_by: Callable[[Mapping[str, Any]], int | None] | None,
    language: str = "fi",
) -> list[_Checked]:
    out = []
    for line, raw in batch:
        external_id = str(raw.get("external_id") or "").strip() or None
        if line in stored_before:
            out.append(_Checked(line, external_id, stored_before=True, raw=raw))
            continue
        try:
            obs = validate_observation(
                raw, region=region, today=today, redact=redact, language=language
            )
        except IntakeError as exc:
            out.append(_Checked(line, external_id, errors=exc.errors))
            continue
        out.append(
            _Checked(line, external_id, obs, created_by=created_by(raw) if created_by else None)
        )
    return out


@dataclass
class _DryRunSeen:
    """Dry runs store nothing, so repeats inside the file are caught here instead,
    answering as the intake would had the earlier row been stored."""

    keys: dict[tuple[str, str, str], int] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    language: str = "fi"

    def check(self, line: int, obs: CleanObservation) -> tuple[str, FieldError | None]:
        key = (text_key(obs.text), obs.municipality.code, obs.observed_on.isoformat())
        same_key = self.keys.get(key)
        same_id = self.ids.get(obs.external_id) if obs.external_id else None
        _ = i18n.translator(self.language)
        if same_id is not None and same_key == same_id:
            return "already_stored", None
        if same_id is not None:
            message = _("Tunniste on jo käytössä rivillä %(line)s.") % {"line": same_id}
            return "valid", FieldError("external_id", message, code="conflict")
        if same_key is not None:
            message = _("Sama havainto on jo rivillä %(line)s.") % {"line": same_key}
            return "valid", FieldError("text", message, code="duplicate")
        self.keys[key] = line
        if obs.external_id:
            self.ids[obs.external_id] = line
        return "valid", None


def _store_batch(
    db: Database,
    checked: list[_Checked],
    report: ImportReport,
    seen: _DryRunSeen,
    *,
    region: Region,
    source: str,
    today: date,
    redact: bool,
    created_by: Callable[[Mapping[str, Any]], int | None] | None,
    language: str = "fi",
) -> None:
    """Store one batch of validated rows: one short write transaction (none in a dry run).
    A crash before its commit keeps nothing of the batch; rows are whole or absent."""
    dry_run = report.dry_run
    with nullcontext() if dry_run else write_transaction(db):
        for row in checked:
            if row.stored_before:
                # Checked again under the write lock: it may have been deleted since.
                if row.raw is not None and not _stored_before(db, row.raw, region):
                    row = _validated(
                        [(row.line, row.raw)],
                        region=region,
                        today=today,
                        redact=redact,
                        created_by=created_by,
                        language=language,
                    )[0]
                else:
                    report.rows.append(RowOutcome(row.line, "already_stored", [], row.external_id))
                    continue
            if row.obs is None:
                report.rows.append(RowOutcome(row.line, "rejected", row.errors, row.external_id))
                continue
            try:
                submission = store_observation(
                    db,
                    row.obs,
                    region=region,
                    source=source,
                    created_by=row.created_by,
                    dry_run=dry_run,
                    language=language,
                )
            except IntakeError as exc:
                report.rows.append(RowOutcome(row.line, "rejected", exc.errors, row.external_id))
                continue
            status: str = submission.status
            error: FieldError | None = None
            if dry_run and status == "valid":
                status, error = seen.check(row.line, row.obs)
            if error is not None:
                report.rows.append(RowOutcome(row.line, "rejected", [error], row.external_id))
                continue
            report.rows.append(RowOutcome(row.line, status, [], row.external_id))


def store_rows(
    db: Database,
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    report: ImportReport,
    *,
    region: Region,
    today: date,
    redact: bool = False,
    source: str = "tuonti",
    created_by: Callable[[Mapping[str, Any]], int | None] | None = None,
    batch_rows: int = BATCH_ROWS,
    progress: Progress | None = None,
    total: int | None = None,
    language: str = "fi",
) -> ImportReport:
    """Run numbered rows through the intake, recording each outcome.

    Each batch of `batch_rows` is validated first (the privacy guard, the slow part) with
    no lock held, then stored in one short write transaction: intake from the web keeps
    flowing during a long import. A killed import keeps the batches committed before it
    and nothing of the rest; re-running the file stores what is missing, answering
    `already_stored` for the rows with an `id` that are already in.
    `progress` is told ("import", rows done, `total`) after each batch; `total` is how many
    rows there are, when the caller knows (None otherwise)."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    seen = _DryRunSeen(language=language)
    rows = iter(rows)
    done = 0
    if total:
        tell(progress, "import", 0, total)
    while batch := list(islice(rows, batch_rows)):
        again = {line for line, raw in batch if _stored_before(db, raw, region)}
        privacy.prepare_names(
            [normalise_text(written_text(raw)) for line, raw in batch if line not in again]
        )
        checked = _validated(
            batch,
            stored_before=again,
            region=region,
            today=today,
            redact=redact,
            created_by=created_by,
            language=language,
        )
        _store_batch(
            db,
            checked,
            report,
            seen,
            region=region,
            source=source,
            today=today,
            redact=redact,
            created_by=created_by,
            language=language,
        )
        done += len(batch)
        tell(progress, "import", done, total)
    return report
