"""Indicator pipeline: THL Sotkanet REST API -> indicator values -> indicator signals.

fetch (SotkanetClient over SafeClient, or LocalSource reading a recorded copy laid out like the
API) -> save (idempotent upserts, one transaction per indicator) -> recompute the signals.
Sotkanet's terms: fetch in batches on a schedule and serve from our own copy; name THL,
Sotkanet and each indicator's producer wherever values are shown.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
from sqlite_utils import Database

from nakyma.config import Settings
from nakyma.db import now_utc, write_transaction
from nakyma.indicator_list import added_entries, store_list
from nakyma.indicators import (
    COUNTRY_CODE,
    STALE_AFTER_YEARS,
    TRANSLATED_TITLE_COLUMNS,
    CatalogueEntry,
    compute_signals,
    load_catalogue,
    unit_from_title,
)
from nakyma.progress import Progress, tell
from nakyma.regions import Region, fold, load_region
from nakyma.runs import RunReport
from pipelines.http import FetchError, SafeClient, plain_text

GENDERS = ("total", "male", "female")

# Years kept for an indicator marked `forecast`: a forecast and its rolling-origin backtest
# need 15-20 yearly points, more than the signals' `indicator_years` window.
FORECAST_HISTORY_YEARS = 20


def years_kept(entry: CatalogueEntry | None, settings: Settings) -> int:
    """How many recent years of `entry` to fetch and keep."""
    if entry is not None and entry.forecast:
        return max(settings.indicator_years, FORECAST_HISTORY_YEARS)
    return settings.indicator_years


class IndicatorMissing(FetchError):
    """Sotkanet does not know the indicator id (HTTP 404, or no such file in a recorded copy)."""


class SotkanetSource(Protocol):
    def regions(self) -> Any: ...

    def indicators(self) -> Any: ...

    def indicator(self, indicator_id: int) -> Any: ...

    def data(self, indicator_id: int, years: Sequence[int], genders: Sequence[str]) -> Any: ...


def _parse_json(content: bytes, what: str) -> Any:
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FetchError(
            f"{what}: vastaus ei ole kelvollista JSONia ({type(exc).__name__})."
        ) from exc


class SotkanetClient:
    """The Sotkanet REST API v1.1 over SafeClient. Tests pass an httpx.MockTransport."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.base_url = settings.sotkanet_base_url.rstrip("/")
        host = urlsplit(self.base_url).hostname or ""
        self._http = SafeClient(
            user_agent=settings.user_agent,
            timeout=settings.http_timeout_seconds,
            max_bytes=settings.sotkanet_max_bytes,
            allowed_hosts=[host],
            retries=settings.sotkanet_retries,
            max_retry_wait=settings.sotkanet_max_retry_wait,
            transport=transport,
            sleep=sleep,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SotkanetClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get(
        self, path: str, what: str, params: Sequence[tuple[str, str | int]] | None = None
    ) -> Any:
        result = self._http.get(
            f"{self.base_url}{path}", params=params, headers={"Accept": "application/json"}
        )
        return _parse_json(result.content, what)

    def regions(self) -> Any:
        return self._get("/regions", "Alueluettelo (/regions)")

    def indicators(self) -> Any:
        return self._get("/indicators", "Indikaattoriluettelo (/indicators)")

    def indicator(self, indicator_id: int) -> Any:
        try:
            return self._get(f"/indicators/{indicator_id}", f"Indikaattori {indicator_id}")
        except FetchError as exc:
            if exc.status == 404:  # Sotkanet's answer for "no such indicator id"
                raise IndicatorMissing(
                    f"Indikaattoria {indicator_id} ei löydy Sotkanetista (HTTP 404)."
                ) from exc
            raise

    def data(self, indicator_id: int, years: Sequence[int], genders: Sequence[str]) -> Any:
        params: list[tuple[str, str | int]] = [("indicator", indicator_id)]
        params += [("years", y) for y in years]
        params += [("genders", g) for g in genders]
        return self._get("/json", f"Indikaattorin {indicator_id} arvot", params)


class LocalSource:
    """A recorded copy laid out like the API: regions.json, indicators.json (the list),
    indicators/<id>.json (metadata) and data/<id>.json (the /json response for that id)."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    def _read(self, relative: str, what: str, *, missing: type[FetchError] = FetchError) -> Any:
        path = self.directory / relative
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            raise missing(f"{what}: tiedostoa {relative} ei ole hakemistossa.") from None
        except OSError as exc:
            raise FetchError(
                f"{what}: tiedostoa {relative} ei voitu lukea ({exc.strerror})."
            ) from exc
        return _parse_json(content, what)

    def regions(self) -> Any:
        return self._read("regions.json", "Alueluettelo")

    def indicators(self) -> Any:
        return self._read("indicators.json", "Indikaattoriluettelo")

    def indicator(self, indicator_id: int) -> Any:
        return self._read(
            f"indicators/{indicator_id}.json",
            f"Indikaattori {indicator_id}",
            missing=IndicatorMissing,
        )

    def data(self, indicator_id: int, years: Sequence[int], genders: Sequence[str]) -> Any:
        rows = self._read(f"data/{indicator_id}.json", f"Indikaattorin {indicator_id} arvot")
        if not isinstance(rows, list):
            return rows
        # Filter as the API would for the requested years and genders.
        wanted_years, wanted_genders = set(years), set(genders)
        return [
            r
            for r in rows
            if not isinstance(r, dict)
            or (r.get("year") in wanted_years and r.get("gender") in wanted_genders)
        ]


# --- Regions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SotkanetRegion:
    id: int
    code: str
    category: str
    title_fi: str
    member_of: tuple[int, ...]


@dataclass(frozen=True)
class Areas:
    """Sotkanet region id -> (area_kind, area_code) for the rows we keep."""

    by_id: dict[int, tuple[str, str]]
    warnings: tuple[str, ...]


def _title(value: Any, lang: str = "fi") -> str:
    if isinstance(value, dict):
        text = value.get(lang)
        return text.strip() if isinstance(text, str) else ""
    return value.strip() if isinstance(value, str) else ""


def parse_regions(payload: Any) -> tuple[list[SotkanetRegion], int]:
    """Regions from a /regions response, plus how many malformed elements were skipped."""
    if not isinstance(payload, list):
        raise FetchError("Alueluettelo: vastaus ei ole lista.")
    regions: list[SotkanetRegion] = []
    skipped = 0
    for item in payload:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("id"), int)
            or not isinstance(item.get("code"), str | int)
            or not isinstance(item.get("category"), str)
        ):
            skipped += 1
            continue
        member_of = item.get("memberOf")
        regions.append(
            SotkanetRegion(
                id=item["id"],
                code=str(item["code"]),
                category=item["category"],
                title_fi=_title(item.get("title")),
                member_of=tuple(m for m in member_of if isinstance(m, int))
                if isinstance(member_of, list)
                else (),
            )
        )
    if not regions:
        raise FetchError("Alueluettelo on tyhjä.")
    return regions, skipped


def fetch_regions(source: SotkanetSource) -> tuple[list[SotkanetRegion], int]:
    return parse_regions(source.regions())


def save_regions(db: Database, regions: Sequence[SotkanetRegion]) -> int:
    """Cache the region list; returns how many rows changed. Unchanged rows are left alone."""
    changed = 0
    now = now_utc()
    with write_transaction(db):
        existing = {r["id"]: r for r in db.query("select * from sotkanet_regions")}
        for r in regions:
            record = {
                "id": r.id,
                "code": r.code,
                "category": r.category,
                "title_fi": r.title_fi,
                "member_of": json.dumps(list(r.member_of)),
            }
            old = existing.get(r.id)
            if old is not None and all(old[k] == v for k, v in record.items()):
                continue
            db.table("sotkanet_regions").upsert({**record, "fetched_at": now}, pk="id")
            changed += 1
    return changed


def cached_regions(db: Database) -> list[SotkanetRegion]:
    return [
        SotkanetRegion(
            r["id"],
            r["code"],
            r["category"],
            r["title_fi"] or "",
            tuple(json.loads(r["member_of"] or "[]")),
        )
        for r in db.query("select * from sotkanet_regions order by id")
    ]


def _same_code(a: str, b: str) -> bool:
    return a.strip().lstrip("0") == b.strip().lstrip("0")


def resolve_areas(regions: Sequence[SotkanetRegion], region: Region) -> Areas:
    """Find the county's municipalities (KUNTA by Statistics Finland code), the county
    (HYVINVOINTIALUE by code) and the country (MAA) among Sotkanet's regions."""
    by_id: dict[int, tuple[str, str]] = {}
    warnings: list[str] = []
    kunta = {r.code.strip().zfill(3): r for r in regions if r.category == "KUNTA"}
    for m in region.municipalities:
        found = kunta.get(m.code)
        if found is None:
            warnings.append(f"Kuntaa {m.name} ({m.code}) ei löydy Sotkanetin alueluettelosta.")
            continue
        by_id[found.id] = ("kunta", m.code)
        if m.sotkanet_id is not None and m.sotkanet_id != found.id:
            warnings.append(
                f"Kunnan {m.name} Sotkanet-tunniste on {found.id}, aluetiedostossa {m.sotkanet_id}."
            )
    county = [
        r for r in regions if r.category == "HYVINVOINTIALUE" and _same_code(r.code, region.code)
    ]
    if county:
        by_id[county[0].id] = ("hyvinvointialue", region.code)
    else:
        warnings.append(
            f"Hyvinvointialuetta {region.code} ({region.name}) ei löydy alueluettelosta."
        )
    countries = [r for r in regions if r.category == "MAA"]
    if countries:
        # Only one MAA is known ("Koko maa"); prefer it by name should more ever appear.
        best = next((r for r in countries if fold(r.title_fi) == "koko maa"), countries[0])
        by_id[best.id] = ("maa", COUNTRY_CODE)
    else:
        warnings.append("Koko maan aluetta (MAA) ei löydy alueluettelosta.")
    return Areas(by_id, tuple(warnings))


# --- Indicator metadata --------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorMeta:
    id: int
    title: str
    organization: str
    range_start: int | None
    range_end: int | None
    region_levels: tuple[str, ...]
    decimals: int | None
    # Sotkanet's Swedish and English titles; "" when missing or only a copy of the Finnish one
    # (Sotkanet answers an untranslated title with the Finnish text).
    title_sv: str = ""
    title_en: str = ""
    # Sotkanet's description and interpretation in Finnish, as plain text ("" when missing).
    description: str = ""
    interpretation: str = ""


def _translated_title(value: Any, lang: str) -> str:
    text = _title(value, lang)
    return "" if text == _title(value) else text


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_indicator(payload: Any, indicator_id: int) -> IndicatorMeta:
    if not isinstance(payload, dict):
        raise FetchError(f"Indikaattori {indicator_id}: kuvaus ei ole JSON-objekti.")
    if payload.get("id") not in (None, indicator_id):
        raise FetchError(
            f"Indikaattori {indicator_id}: vastauksessa on eri tunniste ({payload.get('id')})."
        )
    rng = _dict(payload.get("range"))
    start, end = rng.get("start"), rng.get("end")
    classifications = _dict(payload.get("classifications"))
    region = _dict(classifications.get("region"))
    levels: list[str] = []
    values = region.get("values")
    for value in values if isinstance(values, list) else []:
        text = _title(value) if isinstance(value, dict) else value
        if isinstance(text, str) and text.strip():
            levels.append(text.strip())
    if not levels:  # newer responses may list the levels only in the title
        levels = [p.strip() for p in _title(region.get("title")).split(",") if p.strip()]
    organization = payload.get("organization")
    decimals = payload.get("decimals")
    return IndicatorMeta(
        id=indicator_id,
        title=_title(payload.get("title")),
        title_sv=_translated_title(payload.get("title"), "sv"),
        title_en=_translated_title(payload.get("title"), "en"),
        description=plain_text(_title(payload.get("description"))),
        interpretation=plain_text(_title(payload.get("interpretation"))),
        organization=_title(organization.get("title")) if isinstance(organization, dict) else "",
        range_start=start if isinstance(start, int) and not isinstance(start, bool) else None,
        range_end=end if isinstance(end, int) and not isinstance(end, bool) else None,
        region_levels=tuple(levels),
        decimals=decimals if isinstance(decimals, int) and not isinstance(decimals, bool) else None,
    )


def fetch_indicator(source: SotkanetSource, indicator_id: int) -> IndicatorMeta:
    return parse_indicator(source.indicator(indicator_id), indicator_id)


def has_municipal_data(meta: IndicatorMeta) -> bool:
    return any(fold(level) == "kunta" for level in meta.region_levels)


def years_to_fetch(meta: IndicatorMeta, *, keep: int, current_year: int) -> list[int]:
    """The last `keep` years within the indicator's range (up to last year if it has none)."""
    end = min(meta.range_end or current_year - 1, current_year)
    start = end - keep + 1
    if meta.range_start is not None:
        start = max(start, meta.range_start)
    return list(range(start, end + 1))


# --- Values --------------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def parse_values(
    payload: Any,
    indicator_id: int,
    areas: Areas,
    *,
    years: Iterable[int],
    genders: Iterable[str],
) -> tuple[list[dict[str, Any]], int]:
    """Rows to store from a /json response: only our areas, requested years and genders.
    Returns the rows and how many malformed rows were skipped."""
    if not isinstance(payload, list):
        raise FetchError(f"Indikaattorin {indicator_id} arvot: vastaus ei ole lista.")
    wanted_years, wanted_genders = set(years), set(genders)
    rows: dict[tuple[str, str, int, str], dict[str, Any]] = {}
    malformed = 0
    for item in payload:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("region"), int)
            or not isinstance(item.get("year"), int)
            or not isinstance(item.get("gender"), str)
            or item.get("indicator", indicator_id) != indicator_id
            or ("value" in item and item["value"] is not None and _number(item["value"]) is None)
        ):
            malformed += 1
            continue
        area = areas.by_id.get(item["region"])
        if area is None or item["year"] not in wanted_years or item["gender"] not in wanted_genders:
            continue
        kind, code = area
        key = (kind, code, item["year"], item["gender"])
        rows[key] = {
            "indicator_id": indicator_id,
            "area_kind": kind,
            "area_code": code,
            "year": item["year"],
            "gender": item["gender"],
            "value": _number(item.get("value")),
            "abs_value": _number(item.get("absValue")),
        }
    return list(rows.values()), malformed


def save_indicator(
    db: Database, record: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]
) -> tuple[int, int, int]:
    """Upsert one indicator's metadata and values in one transaction: all or nothing.
    Returns (added, updated, unchanged) value rows."""
    added = updated = unchanged = 0
    with write_transaction(db):
        db.table("indicators").upsert(dict(record), pk="id")
        existing = {
            (r[0], r[1], r[2], r[3]): (r[4], r[5])
            for r in db.execute(
                "select area_kind, area_code, year, gender, value, abs_value "
                "from indicator_values where indicator_id = ?",
                [record["id"]],
            ).fetchall()
        }
        changed = []
        for row in rows:
            key = (row["area_kind"], row["area_code"], row["year"], row["gender"])
            old = existing.get(key)
            if old is None:
                added += 1
            elif old == (row["value"], row["abs_value"]):
                unchanged += 1
                continue
            else:
                updated += 1
            changed.append(dict(row))
        if changed:
            db.table("indicator_values").upsert_all(
                changed, pk=("indicator_id", "area_kind", "area_code", "year", "gender")
            )
    return added, updated, unchanged


def _record_missing(db: Database, entry: CatalogueEntry, now: str) -> None:
    with write_transaction(db):
        if db.execute("select 1 from indicators where id = ?", [entry.id]).fetchone():
            db.table("indicators").update(entry.id, {"status": "missing", "checked_at": now})
        else:
            db.table("indicators").insert(
                {
                    **_catalogue_fields(entry, in_catalogue=True),
                    "title": entry.title,
                    "status": "missing",
                    "checked_at": now,
                }
            )


def _catalogue_fields(entry: CatalogueEntry, *, in_catalogue: bool) -> dict[str, Any]:
    return {
        "id": entry.id,
        "short_title": entry.short_title,
        # NULL, not "", where the catalogue has none: the page then shows the Finnish title.
        **{column: getattr(entry, column) or None for column in TRANSLATED_TITLE_COLUMNS},
        "higher_is_worse": int(entry.higher_is_worse),
        "context": int(entry.context),
        "forecast": int(entry.forecast),
        "population_group": entry.population_group,
        "theme": entry.theme,
        "unit": entry.unit,
        "in_catalogue": int(in_catalogue),
    }


# --- Run -----------------------------------------------------------------------------------


def _entries(
    catalogue: Sequence[CatalogueEntry], indicator_ids: Sequence[int] | None, higher_is_worse: bool
) -> list[tuple[CatalogueEntry, bool]]:
    """(entry, in_catalogue) to fetch. An id outside the catalogue gets a provisional entry
    whose titles come from Sotkanet's metadata and whose direction is `higher_is_worse`."""
    by_id = {e.id: e for e in catalogue}
    if not indicator_ids:
        return [(e, True) for e in catalogue]
    out = []
    for ident in dict.fromkeys(indicator_ids):
        if ident in by_id:
            out.append((by_id[ident], True))
        else:
            out.append(
                (
                    CatalogueEntry(
                        id=ident,
                        title="",
                        short_title="",
                        higher_is_worse=higher_is_worse,
                    ),
                    False,
                )
            )
    return out


def _load_areas(
    db: Database, source: SotkanetSource, region: Region, report: RunReport
) -> Areas | None:
    try:
        regions, skipped = fetch_regions(source)
    except FetchError as exc:
        cached = cached_regions(db)
        if not cached:
            report.fail(f"Alueluetteloa ei saatu: {exc.reason}")
            return None
        report.warnings.append(
            f"Alueluetteloa ei saatu ({exc.reason}); käytetään tallennettua luetteloa."
        )
        regions, skipped = cached, 0
    else:
        report.details["regions_changed"] = save_regions(db, regions)
    if skipped:
        report.warnings.append(f"Alueluettelosta ohitettiin {skipped} virheellistä aluetta.")
    areas = resolve_areas(regions, region)
    report.warnings.extend(areas.warnings)
    if not areas.by_id:
        report.fail("Yhtään alueen kuntaa, hyvinvointialuetta tai koko maata ei löytynyt.")
        return None
    return areas


def _store_list(db: Database, src: SotkanetSource, report: RunReport) -> None:
    """Keep Sotkanet's whole indicator list for the search beyond the catalogue; a run goes
    on without it, keeping the stored list; a recorded directory without one is not warned
    about."""
    if isinstance(src, LocalSource) and not (src.directory / "indicators.json").exists():
        return
    if "regions_changed" not in report.details:
        return  # the region list could not be fetched either: no more waiting on the list
    try:
        payload = src.indicators()
    except FetchError as exc:
        report.warnings.append(
            f"Sotkanetin indikaattoriluetteloa ei saatu ({exc.reason}); käytetään tallennettua."
        )
        return
    report.details["indicator_list"] = store_list(db, payload)


def run(
    db: Database,
    settings: Settings,
    *,
    source: str | Path | None = None,
    client: SotkanetClient | None = None,
    indicator_ids: Sequence[int] | None = None,
    higher_is_worse: bool = True,
    today: date | None = None,
    run_id: int | None = None,  # (the registry passes it; nothing here names its run yet)
    progress: Progress | None = None,
) -> RunReport:
    """Fetch the catalogue's indicators (or `indicator_ids`) from Sotkanet, or from `source`
    (a recorded directory), save them, and recompute the indicator signals. `progress` is
    told ("indicators", done, total) after each indicator (`nakyma.progress`).

    Each indicator is saved in its own transaction: a failed indicator leaves its stored
    values as they were, the others are saved, and the run is `partial`.
    """
    report = RunReport("indicators")
    region = load_region(settings.region_file)
    try:
        catalogue = load_catalogue(settings.indicator_catalogue)
    except ValueError as exc:
        report.fail(f"Indikaattoriluettelo ei kelpaa: {exc}")
        return report
    current_year = (today or settings.today()).year

    own_client = False
    src: SotkanetSource
    if source is not None:
        if not Path(source).is_dir():
            report.fail(f"Hakemistoa ei ole: {source}")
            return report
        src = LocalSource(source)
    elif client is not None:
        src = client
    else:
        src = client = SotkanetClient(settings)
        own_client = True

    ok = failed = 0
    report.details["indicators"] = {}
    try:
        areas = _load_areas(db, src, region, report)
        if areas is None:
            return report
        _store_list(db, src, report)
        if not indicator_ids:  # the administrators' additions, fetched like the catalogue's
            catalogue = (*catalogue, *added_entries(db, (e.id for e in catalogue)))
        entries = _entries(catalogue, indicator_ids, higher_is_worse)
        tell(progress, "indicators", 0, len(entries))
        for done, (entry, in_catalogue) in enumerate(entries, start=1):
            result = _run_indicator(
                db, src, entry, in_catalogue, areas, report, settings=settings, year=current_year
            )
            report.details["indicators"][str(entry.id)] = result
            if result["status"] in ("missing", "failed"):
                failed += 1
            else:
                ok += 1
            tell(progress, "indicators", done, len(entries))
    finally:
        if own_client and client is not None:
            client.close()
    report.settle(ok, failed)
    tell(progress, "indicator_signals", 0)
    report.details["signals"] = compute_signals(db, region)
    return report


def _run_indicator(
    db: Database,
    src: SotkanetSource,
    entry: CatalogueEntry,
    in_catalogue: bool,
    areas: Areas,
    report: RunReport,
    *,
    settings: Settings,
    year: int,
) -> dict[str, Any]:
    ident = entry.id
    name = f"Indikaattori {ident}" + (f" ({entry.short_title})" if entry.short_title else "")
    try:
        meta = fetch_indicator(src, ident)
    except IndicatorMissing as exc:
        report.problem(f"{name}: puuttuu Sotkanetista – {exc.reason}")
        if in_catalogue:
            _record_missing(db, entry, now_utc())
        return {"status": "missing"}
    except FetchError as exc:
        report.problem(f"{name}: kuvausta ei saatu – {exc.reason}")
        return {"status": "failed", "error": exc.reason}

    status = "ok"
    if meta.range_end is None:
        report.warnings.append(f"{name}: kuvauksesta puuttuu vuosiväli (range).")
    elif meta.range_end < year - STALE_AFTER_YEARS:
        status = "stale"
        report.warnings.append(
            f"{name}: vanhentunut – uusin tilastovuosi {meta.range_end} (yli "
            f"{STALE_AFTER_YEARS} vuotta sitten)."
        )
    if not has_municipal_data(meta):
        levels = ", ".join(meta.region_levels) or "ei aluetasoja"
        report.warnings.append(f"{name}: ei kuntatason tietoja (aluetasot: {levels}).")
        if status == "ok":
            status = "no_municipal_data"

    years = years_to_fetch(meta, keep=years_kept(entry, settings), current_year=year)
    try:
        # All three genders always: some indicators answer nothing to genders=total alone.
        payload = src.data(ident, years, GENDERS)
        rows, malformed = parse_values(payload, ident, areas, years=years, genders=GENDERS)
    except FetchError as exc:
        report.problem(f"{name}: arvoja ei saatu – {exc.reason}")
        return {"status": "failed", "error": exc.reason}
    if malformed:
        report.warnings.append(f"{name}: ohitettiin {malformed} virheellistä riviä.")

    title = meta.title or entry.title or f"Indikaattori {ident}"
    record = {
        **_catalogue_fields(entry, in_catalogue=in_catalogue),
        "title": title,
        "short_title": entry.short_title or title,
        # Sotkanet's current titles win over the catalogue's 2015 ones, as the Finnish one does.
        "title_sv": meta.title_sv or entry.title_sv or None,
        "title_en": meta.title_en or entry.title_en or None,
        "unit": entry.unit or unit_from_title(title),
        "organization": meta.organization,
        "description": meta.description or None,
        "interpretation": meta.interpretation or None,
        "range_start": meta.range_start,
        "range_end": meta.range_end,
        "region_levels": json.dumps(list(meta.region_levels), ensure_ascii=False),
        "decimals": meta.decimals,
        "status": status,
        "checked_at": now_utc(),
    }
    added, updated, unchanged = save_indicator(db, record, rows)
    report.count(added=added, updated=updated, skipped=unchanged)
    return {
        "status": status,
        "years": [years[0], years[-1]] if years else [],
        "rows": len(rows),
        "added": added,
        "updated": updated,
        "unchanged": unchanged,
    }


# --- Search --------------------------------------------------------------------------------


def search_indicators(
    settings: Settings,
    word: str,
    *,
    source: str | Path | None = None,
    client: SotkanetClient | None = None,
) -> list[dict[str, Any]]:
    """Sotkanet indicators whose Finnish title contains `word` (case- and diacritic-
    insensitive), as {id, title, organization}, by id. Raises FetchError if the list can't
    be read."""
    own = client is None and source is None
    src: SotkanetSource = (
        LocalSource(source) if source is not None else (client or SotkanetClient(settings))
    )
    try:
        payload = src.indicators()
    finally:
        if own and isinstance(src, SotkanetClient):
            src.close()
    if not isinstance(payload, list):
        raise FetchError("Indikaattoriluettelo: vastaus ei ole lista.")
    needle = fold(word)
    hits = []
    for item in payload:
        if not isinstance(item, dict) or not isinstance(item.get("id"), int):
            continue
        title = _title(item.get("title"))
        if needle and needle in fold(title):
            org = item.get("organization")
            hits.append(
                {
                    "id": item["id"],
                    "title": title,
                    "organization": _title(org.get("title")) if isinstance(org, dict) else "",
                }
            )
    return sorted(hits, key=lambda h: h["id"])


# --- Recording a copy ----------------------------------------------------------------------


def record_copy(
    settings: Settings,
    directory: str | Path,
    *,
    client: SotkanetClient | None = None,
    indicator_ids: Sequence[int] | None = None,
    today: date | None = None,
) -> list[str]:
    """Save the API's answers for the catalogue (or `indicator_ids`) in the layout that
    `--source DIR` reads. Returns Finnish notes about ids that could not be recorded."""
    out = Path(directory)
    (out / "indicators").mkdir(parents=True, exist_ok=True)
    (out / "data").mkdir(parents=True, exist_ok=True)
    catalogue = {e.id: e for e in load_catalogue(settings.indicator_catalogue)}
    ids = list(indicator_ids or catalogue)
    year = (today or settings.today()).year
    own = client is None
    api = client or SotkanetClient(settings)
    notes: list[str] = []

    def write(relative: str, data: Any) -> None:
        (out / relative).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    try:
        write("regions.json", api.regions())
        write("indicators.json", api.indicators())
        for ident in ids:
            try:
                payload = api.indicator(ident)
                meta = parse_indicator(payload, ident)
                keep = years_kept(catalogue.get(ident), settings)
                years = years_to_fetch(meta, keep=keep, current_year=year)
                data = api.data(ident, years, GENDERS)
            except FetchError as exc:
                notes.append(f"{ident}: {exc.reason}")
                continue
            write(f"indicators/{ident}.json", payload)
            write(f"data/{ident}.json", data)
    finally:
        if own:
            api.close()
    return notes
