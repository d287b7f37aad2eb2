"""Demo data: fictional observations and one account per role, for trying the service out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from nakyma.accounts import create_user, get_user
from nakyma.observations import parse_date
from nakyma.progress import Progress
from nakyma.regions import Region
from pipelines.observations import ImportReport, read_observation_rows, store_rows

DEMO_FILE = Path(__file__).resolve().parent.parent / "nakyma" / "data" / "demo" / "observations.csv"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    municipalities: tuple[str, ...]
    display_name: str


# Published passwords: `nakyma demo` refuses to run outside demo mode.
DEMO_ACCOUNTS = (
    DemoAccount(
        "havainnoija", "demo-havainnoija", "havainnoija", ("992", "275"), "Kenttätyöntekijä"
    ),
    DemoAccount("johto", "demo-johto", "johto", ("992", "275"), "Kunnan johto"),
    DemoAccount("tukitiimi", "demo-tukitiimi", "tukitiimi", (), "Tukitiimi"),
    DemoAccount("admin", "demo-admin", "admin", (), "Ylläpitäjä"),
)


class DemoError(Exception):
    pass


def demo_file() -> Path:
    # Installed as package data next to the core; fall back to the source tree layout.
    from importlib.resources import files

    packaged = Path(str(files("nakyma") / "data" / "demo" / "observations.csv"))
    return packaged if packaged.is_file() else DEMO_FILE


def demo_sources() -> dict[str, Path]:
    """Offline copies the demo runs the news and indicator pipelines from."""
    base = demo_file().parent
    return {"news": base / "yle_keski_suomi.xml", "indicators": base / "sotkanet"}


def demo_loaded(db: Database) -> bool:
    return bool(db.execute("select 1 from observations where source = 'demo' limit 1").fetchone())


def load_demo(
    db: Database,
    *,
    region: Region,
    today: date,
    path: Path | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Create the demo accounts and load the demo observations into an empty database.

    Dates are shifted by whole weeks so the newest demo observation falls in the last
    week before `today`: the demo stays current without changing weekday patterns.
    `progress` is told how many rows are stored, as by `import_observations`.
    """
    if db.table("observations").count and not demo_loaded(db):
        raise DemoError("Tietokannassa on jo muita havaintoja: demo ladataan vain tyhjään kantaan.")
    if demo_loaded(db):
        raise DemoError("Demoaineisto on jo ladattu.")
    path = path or demo_file()
    rows, ignored, encoding = read_observation_rows(path)
    rows_list = list(rows)
    dates = [d for _, r in rows_list if (d := parse_date(r.get("observed_on"))) is not None]
    shift = timedelta(weeks=(today - max(dates)).days // 7) if dates else timedelta(0)

    def shifted(row: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(row)
        d = parse_date(row.get("observed_on"))
        if d is not None:
            out["observed_on"] = (d + shift).isoformat()
        return out

    for account in DEMO_ACCOUNTS:
        if get_user(db, account.username) is None:
            create_user(
                db,
                account.username,
                role=account.role,
                password=account.password,
                region=region,
                municipalities=account.municipalities,
                display_name=account.display_name,
            )
    frontline = get_user(db, "havainnoija")
    assert frontline is not None

    def author(row: Mapping[str, Any]) -> int | None:
        # The demo frontline user "wrote" the observations of their own municipalities,
        # so their "my observations" page has something to show.
        m = region.resolve(str(row.get("municipality") or ""))
        return frontline.id if m is not None and m.code in frontline.municipalities else None

    report = ImportReport(path=str(path), dry_run=False, ignored_columns=ignored, encoding=encoding)
    return store_rows(
        db,
        ((line, shifted(row)) for line, row in rows_list),
        report,
        region=region,
        today=today,
        source="demo",
        created_by=author,
        progress=progress,
        total=len(rows_list),
    )
