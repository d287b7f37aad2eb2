"""Command line: `nakyma serve`, `db`, `import`, `users` and `demo`, over the core and pipelines."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError
from sqlite_utils import Database

from nakyma import accounts, privacy
from nakyma.config import Settings
from nakyma.db import (
    BackupError,
    applied_migrations,
    backup,
    backup_to_directory,
    check_backup_file,
    open_db,
    restore,
    upgrade,
)
from nakyma.i18n import LANGUAGES, translator
from nakyma.progress import PlainProgress, Progress, describe, phase_label
from nakyma.regions import Region, load_region
from nakyma.vocabulary import USER_ROLES


def load_settings() -> Settings:
    try:
        settings = Settings()
    except ValidationError as exc:
        # Only our own messages: pydantic's text would echo the offending values.
        messages = "; ".join(
            str(e.get("msg", "")).removeprefix("Value error, ") for e in exc.errors()
        )
        raise click.ClickException(f"Asetukset eivät kelpaa: {messages}") from None
    try:
        privacy.use_region(load_region(settings.region_file))
    except (OSError, ValueError):
        pass  # the commands that need the region report the broken file themselves
    return settings


def _db(settings: Settings) -> Database:
    return open_db(settings.database_path)


def _region(settings: Settings) -> Region:
    try:
        return load_region(settings.region_file)
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"Aluetiedostoa ei voitu lukea: {exc}") from None


class _TerminalProgress:
    """click's progress bar on a terminal, one bar per counted phase (with the count and an
    estimate of the time left), and a plain line for a phase without a count."""

    def __init__(self) -> None:
        self._phase: str | None = None
        self._bar: Any = None
        self._shown = 0

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        if phase != self._phase:
            self.close()
            self._phase = phase
            if total is None:
                click.echo(describe(phase, done, None), err=True)
                return
            if total == 0:  # nothing to do in this phase: no empty bar
                return
            self._bar = click.progressbar(
                length=total,
                label=phase_label(phase),
                show_pos=True,
                show_eta=True,
                file=sys.stderr,
            )
            self._bar.__enter__()
            self._shown = 0
        if self._bar is not None and done > self._shown:
            self._bar.update(done - self._shown)
            self._shown = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


@contextmanager
def _progress() -> Iterator[Progress]:
    """How long work tells its progress: a bar on a terminal, periodic plain lines
    ("upotettu 512/3000 (17 %), noin 1 min 23 s jäljellä") in a log. Both go to standard
    error, so that standard output (a report, --json) stays clean."""
    if sys.stderr.isatty():
        bar = _TerminalProgress()
        try:
            yield bar
        finally:
            bar.close()
    else:
        yield PlainProgress(lambda line: click.echo(line, err=True))


@click.group()
@click.version_option(package_name="nakyma")
def cli() -> None:
    """Näkymä: tilannekuva hyvinvointialueen yhteisövaikuttavuustyöhön.

    Asetukset luetaan NAKYMA_-alkuisista ympäristömuuttujista tai .env-tiedostosta
    (ks. .env.example).
    """


@cli.command()
@click.option("--host", default=None, help="Kuunteluosoite (oletus NAKYMA_HOST tai 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Portti (oletus NAKYMA_PORT tai 8000).")
def serve(host: str | None, port: int | None) -> None:
    """Käynnistä verkkopalvelu."""
    import uvicorn

    from web.app import create_app

    settings = load_settings()
    _require_guard_model()
    app = create_app(settings)
    # Proxy headers are believed only from NAKYMA_TRUSTED_PROXIES, by the app itself
    # (web.app._trust_proxies); uvicorn's own handling would trust 127.0.0.1 by default.
    uvicorn.run(
        app,
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
        proxy_headers=False,
    )


def _require_guard_model() -> None:
    """Refuse to serve when the privacy guard's language model cannot load: without it no
    observation can be checked, and a service that accepts none should not look healthy."""
    from nakyma.finnish import ModelUnavailable, load

    try:
        load()
    except ModelUnavailable as exc:
        raise click.ClickException(
            f"Palvelua ei käynnistetty: tietosuojatarkistuksen kielimalli puuttuu. {exc} / "
            "Not starting: the privacy guard's Finnish language model cannot be loaded "
            "(install libvoikko1 and voikko-fi, then pip install -e .)."
        ) from None


@cli.command("check-config")
def check_config() -> None:
    """Tarkista tuotantoasetukset ja kerro, mikä on vialla (poistumiskoodi 1, jos jokin on).

    Tarkistaa salaisen avaimen, demotilan, evästeet, tieto- ja varmuuskopiohakemistot
    oikeuksineen, välityspalvelimet, aluetiedoston ja kielimallien latautumisen."""
    from nakyma.config_check import config_problems, unchecked_settings

    try:
        settings = unchecked_settings()
    except ValidationError as exc:
        for e in exc.errors():
            click.echo("VIRHE " + str(e.get("msg", "")).removeprefix("Value error, "))
        click.echo("Korjaa nämä asetukset; muut tarkistukset tehdään sen jälkeen.")
        sys.exit(1)
    problems = config_problems(settings)
    for problem in problems:
        click.echo(f"VIRHE {problem}")
    if problems:
        click.echo(f"{len(problems)} ongelmaa: asetukset eivät ole valmiit tuotantoon.")
        sys.exit(1)
    click.echo("Asetukset kunnossa tuotantoon.")


@cli.group()
def db() -> None:
    """Tietokannan ylläpito."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Luo tietokanta tai päivitä sen rakenne uusimpaan versioon."""
    settings = load_settings()
    database = open_db(settings.database_path, migrate=False)
    applied = upgrade(database)
    if applied:
        click.echo("Päivitetty: " + ", ".join(applied))
    else:
        click.echo("Tietokanta on jo ajan tasalla.")
    click.echo(
        f"Tietokanta: {settings.database_path} (rakenneversio {len(applied_migrations(database))})"
    )


@db.command("backup")
@click.argument("path", type=click.Path(path_type=Path), required=False)
@click.option("--force", is_flag=True, help="Korvaa olemassa oleva tiedosto.")
@click.option(
    "--keep",
    type=click.IntRange(min=1),
    default=None,
    help="Hakemistotila: kirjoita aikaleimattu kopio hakemistoon (PATH tai NAKYMA_BACKUP_DIR) "
    "ja säilytä näin monta uusinta.",
)
def db_backup(path: Path | None, force: bool, keep: int | None) -> None:
    """Tee tietokannasta yhtenäinen varmuuskopio PATH-tiedostoon ja tarkista sen eheys.

    Jos PATH on hakemisto, se puuttuu (jolloin käytetään NAKYMA_BACKUP_DIR-hakemistoa) tai
    --keep on annettu, kopio kirjoitetaan hakemistoon nimellä nakyma-AIKALEIMA.db ja
    vanhimmat poistetaan niin, että --keep uusinta jää (oletus 14). Vanhoja poistetaan vasta,
    kun uusi kopio on tarkistettu."""
    settings = load_settings()
    directory = path if path is None or keep is not None or path.is_dir() else None
    # The database as it is, not migrated first: the backup before an upgrade, made with the
    # new version already installed, must still hold the old schema (docs/deployment.md).
    database = open_db(settings.database_path, migrate=not settings.database_path.exists())
    try:
        with _progress() as progress:
            if path is not None and directory is None:
                target = backup(database, path, overwrite=force, progress=progress)
                removed: list[Path] = []
            else:
                directory = directory or settings.backup_dir
                if directory is None:
                    raise click.UsageError(
                        "Anna hakemisto tai tiedosto, tai aseta NAKYMA_BACKUP_DIR."
                    )
                result = backup_to_directory(
                    database, directory, keep=keep or 14, progress=progress
                )
                target, removed = result.path, result.removed
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Varmuuskopio tehty ja tarkistettu (integrity_check: ok): {target}")
    for old in removed:
        click.echo(f"Poistettu vanha: {old}")


@db.command("restore")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--yes", is_flag=True, help="Älä kysy vahvistusta (nykyinen tietokanta tallennetaan silti)."
)
def db_restore(file: Path, yes: bool) -> None:
    """Palauta tietokanta varmuuskopiosta FILE (pysäytä palvelu ensin).

    Kopion eheys tarkistetaan ensin; nykyinen tietokanta tallennetaan sen viereen nimellä
    nakyma-before-restore-AIKALEIMA.db; palautettu tietokanta tarkistetaan ja päivitetään
    tämän version rakenteeseen."""
    settings = load_settings()
    try:
        check_backup_file(file)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    if not yes and not click.confirm(
        f"Korvataanko {settings.database_path} varmuuskopiolla {file}? "
        "Palvelun on oltava pysäytettynä."
    ):
        raise click.ClickException("Palautus peruttu; mitään ei muutettu.")
    try:
        result = restore(file, settings.database_path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    if result.saved_previous is not None:
        click.echo(f"Edellinen tietokanta tallennettu: {result.saved_previous}")
    if result.migrated:
        click.echo("Rakenne päivitetty: " + ", ".join(result.migrated))
    click.echo(
        f"Palautettu ja tarkistettu (integrity_check: ok): {settings.database_path} "
        f"← {result.source}"
    )


@cli.group("import")
def import_() -> None:
    """Tuo aineistoa tiedostoista."""


@import_.command("observations")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Tarkista rivit tallentamatta mitään.")
@click.option(
    "--redact",
    is_flag=True,
    help="Korvaa henkilötiedot merkinnöillä [HETU], [PUHELIN], [SÄHKÖPOSTI], [NIMI] "
    "rivin hylkäämisen sijaan.",
)
@click.option("--json", "as_json", is_flag=True, help="Tulosta raportti JSON-muodossa.")
@click.option(
    "--language",
    type=click.Choice(list(LANGUAGES)),
    default=None,
    help="Raportin ja virheilmoitusten kieli (oletus: aluetiedoston default_language).",
)
def import_observations_cmd(
    file: Path, dry_run: bool, redact: bool, as_json: bool, language: str | None
) -> None:
    """Tuo havainnot CSV- tai XLSX-tiedostosta (Webropol, Excel).

    Sarakkeet: id, text, municipality, observed_on, target_group, theme, role
    (myös suomeksi: tunniste, teksti, kunta, päivämäärä, kohderyhmä, teema, rooli).
    """
    from nakyma.finnish import ModelUnavailable
    from pipelines.observations import ImportFileError, import_observations

    settings = load_settings()
    database = _db(settings)
    region = _region(settings)
    language = language or region.default_language
    _ = translator(language)
    try:
        with _progress() as progress:
            report = import_observations(
                database,
                file,
                region=region,
                today=settings.today(),
                dry_run=dry_run,
                redact=redact,
                progress=progress,
                language=language,
            )
    except (ImportFileError, ModelUnavailable) as exc:
        # One line, no traceback; the import stores nothing when the guard cannot run.
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        if report.dry_run:
            valid = report.count("valid")
            click.echo(_("Koeajo: %(n)s riviä kelpaa, mitään ei tallennettu.") % {"n": valid})
        else:
            click.echo(_("Tallennettu: %(n)s havaintoa.") % {"n": report.count("stored")})
        if report.count("already_stored"):
            already = report.count("already_stored")
            click.echo(_("Jo aiemmin tuotu (ohitettu): %(n)s.") % {"n": already})
        if report.encoding != "utf-8" and report.encoding != "xlsx":
            note = _("Huom: tiedosto luettiin merkistöllä %(encoding)s.")
            click.echo(note % {"encoding": report.encoding})
        if report.ignored_columns:
            ignored = ", ".join(report.ignored_columns)
            click.echo(_("Tuntemattomat sarakkeet ohitettiin: %(columns)s") % {"columns": ignored})
        rejected = report.rejected
        click.echo(_("Hylätty: %(n)s riviä.") % {"n": len(rejected)})
        for row in rejected:
            for error in row.errors:
                line = _("rivi %(line)s") % {"line": row.line}
                click.echo(f"  {line}: {error.field}: {error.message}")
    if report.rejected:
        sys.exit(1)


@cli.group()
def users() -> None:
    """Käyttäjätunnukset ja API-avaimet."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(list(USER_ROLES)), help="Käyttäjän rooli.")
@click.option(
    "--municipality",
    "municipalities",
    multiple=True,
    help="Kunta, jonka tietoja käyttäjä käsittelee (toistettavissa; johdolle pakollinen).",
)
@click.option("--display-name", default=None, help="Näytettävä nimi (oletus: tunnus).")
@click.option("--password-stdin", is_flag=True, required=True, help="Lue salasana vakiosyötteestä.")
def users_add(
    name: str,
    role: str,
    municipalities: tuple[str, ...],
    display_name: str | None,
    password_stdin: bool,
) -> None:
    """Lisää käyttäjä NAME."""
    settings = load_settings()
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = accounts.create_user(
            _db(settings),
            name,
            role=role,
            password=password,
            region=_region(settings),
            municipalities=municipalities,
            display_name=display_name,
        )
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    scope = ", ".join(user.municipalities) or "koko alue"
    click.echo(f"Käyttäjä {user.username} lisätty: rooli {user.role}, kunnat: {scope}.")


@users.command("token")
@click.argument("name")
def users_token(name: str) -> None:
    """Luo käyttäjälle NAME uusi henkilökohtainen API-avain ja tulosta se (näytetään kerran)."""
    settings = load_settings()
    try:
        token = accounts.create_api_token(_db(settings), name)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(token)


@users.command("list")
def users_list() -> None:
    """Luettele käyttäjät."""
    settings = load_settings()
    region = _region(settings)
    for user in accounts.list_users(_db(settings)):
        names = ", ".join(region.municipality(c).name for c in user.municipalities) or "koko alue"
        click.echo(f"{user.username}\t{user.role}\t{names}")


@cli.command("run")
@click.argument(
    "pipeline", type=click.Choice(["news", "indicators", "forecasts", "phenomena", "embed"])
)
@click.option(
    "--source",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Lue verkon sijaan paikallisesta tiedostosta (news) tai hakemistosta (indicators).",
)
@click.option(
    "--indicator",
    "indicator_ids",
    type=int,
    multiple=True,
    help="indicators, forecasts: rajaa ajo näihin indikaattoreihin (toistettavissa).",
)
@click.option(
    "--higher-is-worse/--higher-is-better",
    default=True,
    help="indicators: suunta luettelon ulkopuolisille --indicator-tunnisteille (oletus: "
    "suurempi on huonompi).",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="phenomena: laske heikot signaalit tämän päivän (VVVV-KK-PP) tilanteena.",
)
def run_cmd(
    pipeline: str,
    source: Path | None,
    indicator_ids: tuple[int, ...],
    higher_is_worse: bool,
    as_of: datetime | None,
) -> None:
    """Aja putki nyt: news (Yle-uutiset), indicators (THL Sotkanet; ennusteet lasketaan
    heti perään), forecasts (indikaattoriennusteet), phenomena (ilmiöt ja heikot signaalit)
    tai embed (uusien havaintojen liittäminen ilmiöihin)."""
    from nakyma.runs import JobLocked
    from pipelines.registry import run_pipeline

    settings = load_settings()
    options: dict[str, object] = {}
    if pipeline == "indicators":
        options = {"indicator_ids": indicator_ids or None, "higher_is_worse": higher_is_worse}
    elif pipeline == "forecasts":
        options = {"indicator_ids": indicator_ids or None}
    elif indicator_ids:
        raise click.UsageError("--indicator koskee vain indicators- ja forecasts-putkia.")
    if as_of is not None:
        if pipeline != "phenomena":
            raise click.UsageError("--as-of koskee vain phenomena-putkea.")
        options["as_of"] = as_of.date()
    try:
        with _progress() as progress:
            report = run_pipeline(
                _db(settings),
                settings,
                pipeline,
                source=source,
                trigger="cli",
                progress=progress,
                **options,
            )
    except JobLocked as exc:
        raise click.ClickException(
            f"Ajo {pipeline} on jo käynnissä ({exc.holder}); yritä myöhemmin uudelleen."
        ) from None
    for shown in (report, *report.followed_by):
        click.echo(shown.summary())
        for warning in shown.warnings:
            click.echo(f"  huomio: {warning}")
        for error in shown.errors:
            click.echo(f"  virhe: {error}", err=True)
    if report.status == "failed":
        sys.exit(1)


@cli.command("runs")
@click.option("--pipeline", default=None, help="Näytä vain tämän putken ajot.")
@click.option("--limit", default=20, show_default=True, help="Montako ajoa näytetään.")
@click.option(
    "--check",
    is_flag=True,
    help="Valvontaa varten: kerro epäonnistuneet, vanhentuneet ja jumiutuneet ajot; "
    "poistumiskoodi 1, jos niitä on.",
)
def runs_cmd(pipeline: str | None, limit: int, check: bool) -> None:
    """Näytä viimeisimmät putkiajot: aika, tila, määrät ja virheet."""
    from nakyma.runs import list_runs, run_problems
    from pipelines.registry import run_expectations

    settings = load_settings()
    if check:
        expected = [e for e in run_expectations(settings) if pipeline in (None, e.pipeline)]
        if not expected:
            raise click.UsageError(f"{pipeline} ei ole ajastettu putki.")
        problems = run_problems(_db(settings), expected)
        for problem in problems:
            click.echo(f"VIRHE {problem}")
        if problems:
            sys.exit(1)
        click.echo("Ajot kunnossa: " + ", ".join(e.pipeline for e in expected))
        return
    for run in list_runs(_db(settings), pipeline=pipeline, limit=limit):
        click.echo(
            f"{run['id']:>5}  {run['started_at']}  {run['pipeline']:<11} {run['status']:<8} "
            f"+{run['added']} ~{run['updated']} ={run['skipped']}  ({run['trigger']})"
        )
        for error in run["errors"]:
            click.echo(f"       virhe: {error}")


# Every export prints CSV to standard output; other formats may follow.
csv_format = click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv"]),
    default="csv",
    show_default=True,
    help="Tulostusmuoto (CSV vakiotulosteeseen).",
)


@cli.group("export")
def export() -> None:
    """Vie tietoja CSV-muodossa."""


def _write_csv(rows: list[dict], columns: list[str]) -> None:
    import csv

    writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)


@export.command("headlines")
@csv_format
@click.option("--limit", default=100_000, help="Enintään näin monta uusinta uutista.")
def export_headlines(fmt: str, limit: int) -> None:
    """Vie uutisotsikot kuntatunnisteineen (guid, title, published, municipalities, link)."""
    from nakyma.views import headlines_for_export

    settings = load_settings()
    rows = headlines_for_export(_db(settings), _region(settings), limit=limit)
    _write_csv(rows, ["guid", "title", "published", "municipalities", "link"])


@export.command("indicator-signals")
@csv_format
def export_indicator_signals(fmt: str) -> None:
    """Vie indikaattorisignaalit (indicator_id, municipality, year, value, … text)."""
    from nakyma.indicators import list_signals

    settings = load_settings()
    rows = list_signals(_db(settings), _region(settings))
    _write_csv(
        rows,
        [
            "indicator_id",
            "municipality",
            "year",
            "value",
            "previous_value",
            "county_value",
            "country_value",
            "direction",
            "strength",
            "text",
        ],
    )


@export.command("assignments")
@csv_format
def export_assignments(fmt: str) -> None:
    """Vie havaintojen ja uutisten ilmiöt (item_id, kind, phenomenon_id, phenomenon_title)."""
    from nakyma.phenomena import assignments_for_export

    settings = load_settings()
    _write_csv(
        assignments_for_export(_db(settings)),
        ["item_id", "kind", "phenomenon_id", "phenomenon_title"],
    )


@export.command("signals")
@csv_format
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Laske signaalit tämän päivän (VVVV-KK-PP) tilanteena tallentamatta niitä.",
)
def export_signals(fmt: str, as_of: datetime | None) -> None:
    """Vie heikot signaalit kunnittain (municipality, phenomenon_id, phenomenon_title,
    category, score, reasons)."""
    from nakyma.signals import signal_rows

    settings = load_settings()
    rows = signal_rows(_db(settings), _region(settings), as_of=as_of.date() if as_of else None)
    _write_csv(
        rows,
        ["municipality", "phenomenon_id", "phenomenon_title", "category", "score", "reasons"],
    )


@export.command("emerging")
@csv_format
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Laske nousevat teemat tämän päivän (VVVV-KK-PP) tilanteena tallentamatta niitä.",
)
def export_emerging(fmt: str, as_of: datetime | None) -> None:
    """Vie nousevat teemat kunnittain (theme_id, title, category, municipality, items,
    score, reasons); items = teeman havainnot kunnassa (tuodun havainnon tunniste)."""
    from nakyma.embedding import get_embedder
    from nakyma.emerging import EXPORT_COLUMNS, EmergingParams, export_rows

    settings = load_settings()
    rows = export_rows(
        _db(settings),
        _region(settings),
        model=get_embedder(settings).name,
        as_of=as_of.date() if as_of else None,
        params=EmergingParams.from_settings(settings),
    )
    _write_csv(rows, EXPORT_COLUMNS)


@export.command("forecasts")
@csv_format
def export_forecasts(fmt: str) -> None:
    """Vie indikaattoriennusteet (indicator_id, area, year, forecast, lo80, hi80, lo95, hi95,
    method, mase, coverage80); mase ja coverage80 = valitun menetelmän jälkitesti (coverage80:
    vietyjen, levennettyjen välien osuvuus)."""
    from nakyma.forecast_export import EXPORT_COLUMNS, NO_FORECASTS, export_rows

    settings = load_settings()
    rows = export_rows(_db(settings), _region(settings))
    if not rows:
        click.echo(NO_FORECASTS, err=True)
    _write_csv(rows, EXPORT_COLUMNS)


@cli.group("indicators")
def indicators_group() -> None:
    """Indikaattoriluettelo (THL Sotkanet)."""


@indicators_group.command("search")
@click.argument("word")
@click.option(
    "--source",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Hae tallennetusta hakemistosta (sen indicators.json) verkon sijaan.",
)
def indicators_search(word: str, source: Path | None) -> None:
    """Hae Sotkanetin indikaattoreita otsikon sanalla, luettelon laajentamista varten."""
    from pipelines.http import FetchError
    from pipelines.indicators import search_indicators

    settings = load_settings()
    try:
        hits = search_indicators(settings, word, source=source)
    except FetchError as exc:
        raise click.ClickException(f"Haku epäonnistui: {exc.reason}") from None
    for hit in hits:
        click.echo(f"{hit['id']:>6}  {hit['title']}  [{hit['organization']}]")
    click.echo(f"{len(hits)} osumaa.")


@indicators_group.command("record")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def indicators_record(directory: Path) -> None:
    """Tallenna Sotkanetin vastaukset hakemistoon DIRECTORY (--source-muoto), verkosta."""
    from pipelines.http import FetchError
    from pipelines.indicators import record_copy

    settings = load_settings()
    try:
        notes = record_copy(settings, directory)
    except FetchError as exc:
        raise click.ClickException(f"Tallennus epäonnistui: {exc.reason}") from None
    for note in notes:
        click.echo(f"  ei tallennettu: {note}")
    click.echo(
        f"Tallennettu hakemistoon {directory}; lataa: nakyma run indicators --source {directory}"
    )


@cli.command()
def demo() -> None:
    """Lataa demoaineisto tyhjään tietokantaan ja luo demokäyttäjät (vain demotilassa)."""
    from pipelines.demo import DEMO_ACCOUNTS, DemoError, demo_loaded, load_demo

    settings = load_settings()
    if not settings.demo:
        raise click.ClickException(
            "Demotila ei ole päällä: aseta NAKYMA_DEMO=true (ei koskaan tuotannossa)."
        )
    database = _db(settings)
    region = _region(settings)
    if demo_loaded(database):
        click.echo("Demoaineisto on jo ladattu.")
    else:
        try:
            with _progress() as progress:
                report = load_demo(
                    database, region=region, today=settings.today(), progress=progress
                )
        except DemoError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(
            f"Demoaineisto ladattu: {report.count('stored')} havaintoa "
            f"({len(report.rejected)} hylättyä riviä)."
        )
        for row in report.rejected:
            for error in row.errors:
                click.echo(f"  rivi {row.line}: {error.field}: {error.message}", err=True)
    from nakyma.runs import JobLocked
    from pipelines.demo import demo_sources
    from pipelines.registry import run_pipeline

    for name, source in demo_sources().items():
        if database.execute(
            "select 1 from runs where pipeline = ? and trigger = 'demo'", [name]
        ).fetchone():
            continue
        try:
            with _progress() as progress:
                run = run_pipeline(
                    database, settings, name, source=source, trigger="demo", progress=progress
                )
        except JobLocked:
            continue
        for shown in (run, *run.followed_by):
            click.echo(f"Demo: {shown.summary()}")
    if not database.execute("select 1 from runs where pipeline = 'phenomena'").fetchone():
        click.echo("Demo: lasketaan ilmiöt (upotetaan tekstit, noin puoli minuuttia)…")
        try:
            with _progress() as progress:
                found = run_pipeline(
                    database, settings, "phenomena", trigger="demo", progress=progress
                )
        except JobLocked:
            pass
        else:
            share = found.details.get("unassigned_share", 0)
            click.echo(
                f"Demo: {found.details.get('phenomena', 0)} ilmiötä, "
                f"{found.details.get('weak_signals', 0)} signaaliriviä, "
                f"ilmiöiden ulkopuolella {share:.1%}."
            )
    click.echo("\nDemotunnukset (vain demokäyttöön):")
    for a in DEMO_ACCOUNTS:
        scope = ", ".join(region.municipality(c).name for c in a.municipalities) or "koko alue"
        click.echo(f"  {a.username:<12} salasana {a.password:<18} rooli {a.role:<12} {scope}")
    click.echo(f"\nAvaa selaimessa http://{settings.host}:{settings.port}/")


if __name__ == "__main__":
    cli()
