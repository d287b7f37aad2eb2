"""Observation intake: the one function every entry point (form, API, import) stores through."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from sqlite_utils import Database

from nakyma import i18n, privacy, unmask
from nakyma.db import now_utc, write_transaction
from nakyma.regions import Municipality, Region, fold
from nakyma.vocabulary import OBSERVER_ROLES, TARGET_GROUPS, THEMES

Translate = Callable[[str], str]

MIN_TEXT_LENGTH = 10
MAX_TEXT_LENGTH = 2000
# Cap on the text as sent (characters and UTF-8 bytes), before it is even normalised.
MAX_TEXT_BYTES = 20_000
EARLIEST_DATE = date(2000, 1, 1)
MAX_EXTERNAL_ID_LENGTH = 200

SOURCES = ("lomake", "api", "tuonti", "demo")
FIELDS = ("text", "municipality", "observed_on", "target_group", "theme", "role", "external_id")


@dataclass(frozen=True)
class FieldError:
    """One problem with one field, in words a user can act on. Never echoes the input."""

    field: str
    message: str
    code: str = "invalid"
    kind: str | None = None
    start: int | None = None
    end: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "message": self.message, "code": self.code}
        if self.kind is not None:
            out.update(kind=self.kind, start=self.start, end=self.end)
        return out


class IntakeError(Exception):
    """The observation was not stored; `errors` says why, field by field."""

    def __init__(self, errors: list[FieldError], *, checked_text: str | None = None):
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors
        # The text that personal-data spans (start, end) refer to.
        self.checked_text = checked_text

    @property
    def codes(self) -> set[str]:
        return {e.code for e in self.errors}


@dataclass(frozen=True)
class CleanObservation:
    text: str
    text_key: str
    municipality: Municipality
    observed_on: date
    target_group: str
    theme: str | None
    role: str | None
    external_id: str | None
    redacted_kinds: tuple[str, ...] = ()


@dataclass
class Submission:
    status: Literal["stored", "already_stored", "valid"]
    observation: CleanObservation
    record: dict[str, Any] | None = field(default=None)


def normalise_text(text: str) -> str:
    """Unicode-normalise and trim; keeps the writer's line breaks but not runs of spaces."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def text_key(text: str) -> str:
    """Key for duplicate detection: case, accents' encoding and whitespace do not matter."""
    folded = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def parse_date(value: object) -> date | None:
    """ISO (2025-03-12) or Finnish (12.3.2025) dates, or date/datetime objects from XLSX."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    s = value.strip()
    try:
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.+Z-]*)?", s):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", s):
            return date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError:
        return None
    return None


def _choice(value: str, vocabulary: Mapping[str, str]) -> str | None:
    """Match a key or its Finnish label, case- and diacritic-insensitively."""
    wanted = fold(value).replace(" ", "_").replace("-", "_")
    for key, label in vocabulary.items():
        if wanted in (key, fold(label).replace(" ", "_").replace("-", "_")):
            return key
    return None


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _choice_field(
    raw: Mapping[str, object],
    name: str,
    vocabulary: Mapping[str, str],
    unknown: str,
    errors: list[FieldError],
    *,
    required: str | None = None,
) -> str | None:
    """Validate one controlled-vocabulary field; append its error, return its key."""
    written = _as_text(raw.get(name))
    if not written:
        if required:
            errors.append(FieldError(name, required, code="required"))
        return None
    key = _choice(written, vocabulary)
    if key is None:
        errors.append(
            FieldError(
                name,
                unknown % {"allowed": ", ".join(vocabulary)},
                code="invalid_choice",
            )
        )
    return key


def written_text(raw: Mapping[str, object]) -> str:
    """The `text` field as written, as a string. `normalise_text` of it is what is stored
    and what the privacy guard must clear (the import checks names ahead from the same)."""
    value = raw.get("text")
    return "" if value is None else str(value)


def validate_observation(
    raw: Mapping[str, object],
    *,
    region: Region,
    today: date,
    redact: bool = False,
    language: str = "fi",
) -> CleanObservation:
    """Check every field and run the privacy guard; raise IntakeError listing all problems.

    With `redact`, personal data in the text is replaced by placeholders instead of
    being refused (used by the import's --redact). The errors' messages are in `language`
    (Finnish by default); their `field` and `code` are the same in every language.
    """
    _ = i18n.translator(language)
    errors: list[FieldError] = []
    text, redacted_kinds, spans_in = _checked_text(raw, redact, errors, language)
    municipality = _checked_municipality(raw, region, errors, language)
    observed_on = _checked_date(raw, today, errors, _)
    target_group = _choice_field(
        raw,
        "target_group",
        TARGET_GROUPS,
        _("Tuntematon kohderyhmä. Sallitut: %(allowed)s."),
        errors,
        required=_("Valitse kohderyhmä."),
    )
    theme = _choice_field(
        raw, "theme", THEMES, _("Tuntematon teema. Sallitut: %(allowed)s."), errors
    )
    role = _choice_field(
        raw,
        "role",
        OBSERVER_ROLES,
        _("Tuntematon havainnoijan rooli. Sallitut: %(allowed)s."),
        errors,
    )
    external_id = _checked_external_id(raw, errors, _)
    if errors:
        raise IntakeError(errors, checked_text=spans_in)
    assert municipality is not None and observed_on is not None and target_group is not None
    return CleanObservation(
        text=text,
        text_key=text_key(text),
        municipality=municipality,
        observed_on=observed_on,
        target_group=target_group,
        theme=theme,
        role=role,
        external_id=external_id,
        redacted_kinds=redacted_kinds,
    )


def _too_long(length: int, language: str = "fi") -> FieldError:
    _ = i18n.translator(language)
    return FieldError(
        "text",
        _("Havainto on liian pitkä: enintään %(max)s merkkiä (nyt %(n)s).")
        % {"max": MAX_TEXT_LENGTH, "n": length},
        code="too_long",
    )


def text_limit_error(written: str, language: str = "fi") -> FieldError | None:
    """The text's size problem, checked before anything expensive (normalising, the
    guard's language model, embedding) so that a huge text costs next to nothing."""
    if len(written) > MAX_TEXT_BYTES or len(written.encode("utf-8", "surrogatepass")) > (
        MAX_TEXT_BYTES
    ):
        return _too_long(len(written), language)
    return None


def _control_error(language: str) -> FieldError:
    _ = i18n.translator(language)
    return FieldError(
        "text",
        _(
            "Tekstissä on näkymättömiä ohjausmerkkejä (esim. NUL- tai tekstin suuntaa "
            "muuttavia merkkejä). Kirjoita teksti uudelleen tai liitä se pelkkänä tekstinä."
        ),
        code="control_character",
    )


def _checked_text(
    raw: Mapping[str, object], redact: bool, errors: list[FieldError], language: str
) -> tuple[str, tuple[str, ...], str]:
    """The text to store, the kinds redacted from it, and the text that error spans
    refer to; problems are appended to `errors`.

    Order matters: size first (a megabyte of text must not reach the language model),
    then forbidden characters, then the privacy guard."""
    _ = i18n.translator(language)
    written = written_text(raw)
    if (limit := text_limit_error(written, language)) is not None:
        errors.append(limit)
        return "", (), written
    text = normalise_text(written)
    if not text:
        errors.append(FieldError("text", _("Kirjoita havainto."), code="required"))
        return text, (), written
    if len(text) > MAX_TEXT_LENGTH:
        errors.append(_too_long(len(text), language))
        return text, (), written
    if unmask.forbidden_characters(written):
        errors.append(_control_error(language))
    redacted_kinds: tuple[str, ...] = ()
    # The stored (normalised) text is what the guard must clear. Spans are reported
    # against what the user actually wrote, so a client or the form can point at them;
    # only if normalising created a match (e.g. collapsed spaces) are they reported
    # against the normalised text instead.
    findings = privacy.find_personal_data(text)
    spans_in = written
    if findings and not redact:
        if written_findings := privacy.find_personal_data(written):
            findings = written_findings
        else:
            spans_in = text
    if findings and redact:
        text = privacy.redact(text, findings)
        redacted_kinds = tuple(sorted({f.kind for f in findings}))
        if len(text) > MAX_TEXT_LENGTH:  # the placeholders made it longer
            errors.append(_too_long(len(text), language))
    elif findings:
        errors.extend(
            FieldError(
                "text",
                f.message(language=language),
                code="personal_data",
                kind=f.kind,
                start=f.start,
                end=f.end,
            )
            for f in findings
        )
    if len(text) < MIN_TEXT_LENGTH:
        errors.append(
            FieldError(
                "text",
                _("Havainto on liian lyhyt: kirjoita vähintään %(min)s merkkiä.")
                % {"min": MIN_TEXT_LENGTH},
                code="too_short",
            )
        )
    return text, redacted_kinds, spans_in


def _checked_municipality(
    raw: Mapping[str, object], region: Region, errors: list[FieldError], language: str
) -> Municipality | None:
    _ = i18n.translator(language)
    written = _as_text(raw.get("municipality"))
    if not written:
        errors.append(FieldError("municipality", _("Valitse kunta."), code="required"))
        return None
    municipality = region.resolve(written)
    if municipality is None:
        errors.append(
            FieldError(
                "municipality",
                _("Kuntaa ei tunnistettu. Kirjoita jonkin alueen (%(region)s) kunnan nimi.")
                % {"region": region.name_in(language)},
                code="unknown_municipality",
            )
        )
    return municipality


def _checked_date(
    raw: Mapping[str, object], today: date, errors: list[FieldError], _: Translate
) -> date | None:
    raw_date = raw.get("observed_on")
    if raw_date is None or _as_text(raw_date) == "":
        errors.append(FieldError("observed_on", _("Anna havainnon päivämäärä."), code="required"))
        return None
    observed_on = parse_date(raw_date)
    if observed_on is None:
        errors.append(
            FieldError(
                "observed_on",
                _("Päivämäärä ei kelpaa. Käytä muotoa P.K.VVVV (esim. 5.3.2026) tai VVVV-KK-PP."),
                code="invalid_date",
            )
        )
    elif observed_on > today:
        errors.append(
            FieldError(
                "observed_on", _("Päivämäärä ei voi olla tulevaisuudessa."), code="future_date"
            )
        )
    elif observed_on < EARLIEST_DATE:
        errors.append(
            FieldError(
                "observed_on", _("Päivämäärä ei voi olla ennen vuotta 2000."), code="too_old"
            )
        )
    return observed_on


def _checked_external_id(
    raw: Mapping[str, object], errors: list[FieldError], _: Translate
) -> str | None:
    external_id = _as_text(raw.get("external_id")) or None
    if external_id is None:
        return None
    if len(external_id) > MAX_EXTERNAL_ID_LENGTH:
        errors.append(
            FieldError(
                "external_id",
                _("Tunniste on liian pitkä (enintään %(max)s merkkiä).")
                % {"max": MAX_EXTERNAL_ID_LENGTH},
                code="too_long",
            )
        )
    elif privacy.find_personal_data(external_id):
        errors.append(
            FieldError(
                "external_id",
                _("Tunniste näyttää sisältävän henkilötietoja. Käytä juoksevaa numeroa."),
                code="personal_data",
            )
        )
    return external_id


def _duplicate_error(language: str) -> IntakeError:
    _ = i18n.translator(language)
    return IntakeError(
        [
            FieldError(
                "text",
                _("Sama havainto on jo kirjattu tälle kunnalle ja päivälle."),
                code="duplicate",
            )
        ]
    )


def _conflict_error(language: str) -> IntakeError:
    _ = i18n.translator(language)
    return IntakeError(
        [
            FieldError(
                "external_id",
                _("Tunniste on jo käytössä toisella havainnolla."),
                code="conflict",
            )
        ]
    )


def _existing(db: Database, obs: CleanObservation) -> dict[str, Any] | None:
    rows = list(
        db.query(
            "select * from observations where text_key = ? and municipality_code = ? "
            "and observed_on = ?",
            [obs.text_key, obs.municipality.code, obs.observed_on.isoformat()],
        )
    )
    return rows[0] if rows else None


def submit_observation(
    db: Database,
    raw: Mapping[str, object],
    *,
    region: Region,
    source: str,
    today: date,
    created_by: int | None = None,
    redact: bool = False,
    dry_run: bool = False,
    language: str = "fi",
) -> Submission:
    """Validate, guard and store one observation.

    Raises IntakeError when the observation is invalid, holds personal data, or
    duplicates a stored one; its messages are in `language` (Finnish by default).
    Re-sending an observation with the same `external_id` and the same content is not an
    error: it answers `already_stored` and stores nothing.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    obs = validate_observation(raw, region=region, today=today, redact=redact, language=language)
    if dry_run:  # a read: never takes the write lock
        return store_observation(
            db, obs, region=region, source=source, dry_run=True, language=language
        )
    with write_transaction(db):
        return store_observation(
            db,
            obs,
            region=region,
            source=source,
            created_by=created_by,
            dry_run=dry_run,
            language=language,
        )


def store_observation(
    db: Database,
    obs: CleanObservation,
    *,
    region: Region,
    source: str,
    created_by: int | None = None,
    dry_run: bool = False,
    language: str = "fi",
) -> Submission:
    """Store one validated observation, or answer why not (IntakeError): a duplicate, an
    `external_id` already in use, or `already_stored` for the same one sent again.

    Called inside a write transaction (BEGIN IMMEDIATE), so the duplicate checks and the
    insert see the same database: the checks are indexed look-ups, the insert one row.
    The import stores a batch of validated rows in one such transaction."""
    same = _existing(db, obs)
    if obs.external_id is not None:
        by_id = list(
            db.query("select * from observations where external_id = ?", [obs.external_id])
        )
        if by_id:
            if same is not None and same["id"] == by_id[0]["id"]:
                return Submission("already_stored", obs, observation_record(same, region))
            raise _conflict_error(language)
    if same is not None:
        raise _duplicate_error(language)
    if dry_run:
        return Submission("valid", obs)

    row = {
        "external_id": obs.external_id,
        "text": obs.text,
        "text_key": obs.text_key,
        "municipality_code": obs.municipality.code,
        "observed_on": obs.observed_on.isoformat(),
        "target_group": obs.target_group,
        "theme": obs.theme,
        "role": obs.role,
        "source": source,
        "redacted": 1 if obs.redacted_kinds else 0,
        "created_by": created_by,
        "created_at": now_utc(),
    }
    try:
        with write_transaction(db):  # a savepoint inside the caller's transaction
            table = db.table("observations")
            table.insert(row)
            row["id"] = table.last_pk
    except sqlite3.IntegrityError as exc:  # lost a race with an identical submission
        raise _duplicate_error(language) from exc
    return Submission("stored", obs, observation_record(row, region))


def observation_record(row: Mapping[str, Any], region: Region) -> dict[str, Any]:
    """The public shape of a stored observation (API responses, page data)."""
    municipality = region.municipality(row["municipality_code"])
    return {
        "id": row["id"],
        "external_id": row["external_id"],
        "text": row["text"],
        "municipality": {"code": municipality.code, "name": municipality.name},
        "observed_on": row["observed_on"],
        "target_group": row["target_group"],
        "theme": row["theme"],
        "role": row["role"],
        "source": row["source"],
        "created_at": row["created_at"],
    }


def _observation_filter(
    created_by: int | None,
    municipality_code: str | None,
    date_from: str | None,
    date_to: str | None,
    contains: str | None,
) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    for clause, value in (
        ("created_by = ?", created_by),
        ("municipality_code = ?", municipality_code),
        ("observed_on >= ?", date_from),
        ("observed_on <= ?", date_to),
    ):
        if value is not None and value != "":
            clauses.append(clause)
            params.append(value)
    if contains:
        escaped = contains.lower().replace("!", "!!").replace("%", "!%").replace("_", "!_")
        clauses.append("lower(text) like ? escape '!'")
        params.append(f"%{escaped}%")
    return ("where " + " and ".join(clauses) if clauses else ""), params


def list_observations(
    db: Database,
    region: Region,
    *,
    created_by: int | None = None,
    municipality_code: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    contains: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Newest first; `created_by` limits to one user's own submissions, `municipality_code`
    to one municipality, `date_from`/`date_to` (ISO dates, inclusive) to the observation
    dates between, `contains` to texts containing it (SQLite's LIKE: case-insensitive
    for ASCII letters only)."""
    where, params = _observation_filter(created_by, municipality_code, date_from, date_to, contains)
    rows = db.query(
        f"select * from observations {where} order by observed_on desc, id desc limit ? offset ?",
        [*params, limit, offset],
    )
    return [observation_record(r, region) for r in rows]


def count_observations(
    db: Database,
    *,
    created_by: int | None = None,
    municipality_code: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    contains: str | None = None,
) -> int:
    """How many observations `list_observations` would list with the same filters."""
    where, params = _observation_filter(created_by, municipality_code, date_from, date_to, contains)
    return int(db.execute(f"select count(*) from observations {where}", params).fetchone()[0])


def counts_by_municipality(db: Database) -> dict[str, int]:
    return {
        code: n
        for code, n in db.execute(
            "select municipality_code, count(*) from observations group by municipality_code"
        ).fetchall()
    }
