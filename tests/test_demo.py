"""Tests for pipelines.demo and `nakyma demo`: demo mode only, the data's floor, shifted dates."""

import csv
import re
from collections import Counter
from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from nakyma.accounts import authenticate
from nakyma.cli import cli
from nakyma.observations import submit_observation
from nakyma.vocabulary import USER_ROLES
from pipelines.demo import DEMO_ACCOUNTS, DemoError, demo_file, demo_loaded, load_demo
from tests.conftest import TEST_SECRET, valid_observation

LOGIN_LINE = re.compile(r"^\s+(\S+)\s+salasana\s+(\S+)\s+rooli\s+(\S+)\s+(.+)$")


def demo_csv_rows() -> list[dict[str, str]]:
    path = demo_file()
    assert path.is_file(), f"demo data missing: {path}"
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def seed_demo_accounts(db) -> None:
    """The demo accounts without Argon2 (load_demo keeps existing ones), for data-only tests."""
    users = db.table("users")
    for a in DEMO_ACCOUNTS:
        users.insert(
            {
                "username": a.username,
                "display_name": a.display_name,
                "role": a.role,
                "password_hash": "!",
                "active": 1,
                "created_at": "2026-01-01T00:00:00+00:00",
            }
        )
        user_id = users.last_pk
        db.table("user_municipalities").insert_all(
            {"user_id": user_id, "municipality_code": c} for c in a.municipalities
        )


def counts(db) -> tuple[int, int, int]:
    return (
        db.table("observations").count,
        db.table("users").count,
        db.table("user_municipalities").count,
    )


@pytest.fixture
def run_cli(settings, monkeypatch, tmp_path):
    """Invoke `nakyma …` against the same database file as the `db` fixture."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NAKYMA_DATA_DIR", str(settings.data_dir))

    def run(*args: str, demo: bool = True):
        if demo:
            monkeypatch.setenv("NAKYMA_DEMO", "true")
            monkeypatch.delenv("NAKYMA_SECRET_KEY", raising=False)
        else:
            monkeypatch.delenv("NAKYMA_DEMO", raising=False)
            monkeypatch.setenv("NAKYMA_SECRET_KEY", TEST_SECRET)
        return CliRunner().invoke(cli, list(args))

    return run


# The demo data itself (the floor)


def test_demo_csv_has_enough_rows():
    assert len(demo_csv_rows()) >= 300


def test_demo_csv_has_twelve_phenomena_with_ten_rows_each():
    per_phenomenon = Counter(row["phenomenon"].strip() for row in demo_csv_rows())
    assert "" not in per_phenomenon
    strong = {p: n for p, n in per_phenomenon.items() if p != "muu" and n >= 10}
    assert len(strong) >= 12, per_phenomenon


def test_demo_csv_ids_are_unique():
    ids = [row["id"] for row in demo_csv_rows()]
    assert all(ids)
    assert len(set(ids)) == len(ids)


# Loading


def test_load_demo_into_empty_database(db, region, today):
    report = load_demo(db, region=region, today=today)

    assert [(r.line, r.errors) for r in report.rejected] == []
    assert report.count("stored") == len(demo_csv_rows())
    assert report.count("stored") >= 300
    assert db.table("observations").count == report.count("stored")
    assert demo_loaded(db)
    assert db.execute("select distinct source from observations").fetchall() == [("demo",)]

    municipalities, months = db.execute(
        "select count(distinct municipality_code), count(distinct substr(observed_on, 1, 7)) "
        "from observations"
    ).fetchone()
    assert municipalities >= 15
    assert months >= 12

    newest, oldest = db.execute(
        "select max(observed_on), min(observed_on) from observations"
    ).fetchone()
    assert today - timedelta(days=7) < date.fromisoformat(newest) <= today
    assert date.fromisoformat(oldest) <= today - timedelta(days=300)


def test_load_demo_creates_one_account_per_role_that_can_log_in(db, region, today):
    load_demo(db, region=region, today=today)

    roles = sorted(r[0] for r in db.execute("select role from users where active = 1").fetchall())
    assert roles == sorted(USER_ROLES)
    for account in DEMO_ACCOUNTS:
        user = authenticate(db, account.username, account.password, client="demo")
        assert user is not None
        assert (user.role, user.display_name) == (account.role, account.display_name)
        assert user.municipalities == tuple(sorted(account.municipalities))
    assert DEMO_ACCOUNTS[1].role == "johto"
    assert DEMO_ACCOUNTS[1].municipalities


def test_frontline_demo_user_authored_their_municipalities_observations(db, region, today):
    seed_demo_accounts(db)
    load_demo(db, region=region, today=today)
    frontline_id = db.execute("select id from users where username = 'havainnoija'").fetchone()[0]

    by_author = dict(
        db.execute(
            "select municipality_code in ('992', '275'), count(distinct coalesce(created_by, -1)) "
            "from observations group by 1"
        ).fetchall()
    )
    assert by_author == {0: 1, 1: 1}
    assert db.execute(
        "select distinct created_by from observations where municipality_code in ('992', '275')"
    ).fetchall() == [(frontline_id,)]
    assert db.execute(
        "select count(*) from observations where municipality_code not in ('992', '275') "
        "and created_by is not null"
    ).fetchone() == (0,)


@pytest.mark.parametrize(
    "today",
    [
        date(2026, 11, 22),
        date(2024, 2, 14),  # the newest date itself: no shift
        date(2024, 2, 20),  # six days later: still no shift
        date(2024, 2, 21),  # a week later: one week
        date(2023, 12, 31),  # before the data: shifted back
    ],
)
def test_dates_shift_by_whole_weeks_to_end_in_the_last_week(db, region, tmp_path, today):
    original = [date(2024, 1, 1), date(2024, 1, 10), date(2024, 2, 14)]
    path = tmp_path / "demo.csv"
    path.write_text(
        "id,text,municipality,observed_on,target_group\n"
        + "".join(
            f"d{i},Demohavainto numero {i} nuorten illoista.,Laukaa,{d.isoformat()},nuoret\n"
            for i, d in enumerate(original)
        ),
        encoding="utf-8",
    )
    seed_demo_accounts(db)

    report = load_demo(db, region=region, today=today, path=path)

    assert report.count("stored") == 3
    stored = [
        date.fromisoformat(r[0])
        for r in db.execute("select observed_on from observations order by external_id")
    ]
    shift = stored[0] - original[0]
    assert shift.days % 7 == 0
    assert stored == [d + shift for d in original]
    assert today - timedelta(days=7) < max(stored) <= today


def test_loading_twice_is_refused_and_changes_nothing(db, region, today):
    seed_demo_accounts(db)
    load_demo(db, region=region, today=today)
    before = counts(db)
    with pytest.raises(DemoError, match="Demoaineisto on jo ladattu"):
        load_demo(db, region=region, today=today)
    assert counts(db) == before


def test_refuses_a_database_with_other_observations(db, region, today):
    submit_observation(db, valid_observation(), region=region, source="lomake", today=today)
    with pytest.raises(DemoError, match="Tietokannassa on jo muita havaintoja"):
        load_demo(db, region=region, today=today)
    assert counts(db) == (1, 0, 0)
    assert not demo_loaded(db)


# `nakyma demo`


def test_cli_demo_refuses_outside_demo_mode(db, run_cli):
    result = run_cli("demo", demo=False)
    assert result.exit_code == 1
    assert "Demotila ei ole päällä: aseta NAKYMA_DEMO=true" in result.output
    assert "salasana" not in result.output
    assert counts(db) == (0, 0, 0)


def test_cli_demo_loads_and_prints_working_logins(db, run_cli, today):
    result = run_cli("demo")

    assert result.exit_code == 0, result.output
    stored = db.table("observations").count
    assert stored >= 300
    assert f"Demoaineisto ladattu: {stored} havaintoa (0 hylättyä riviä)." in result.output
    assert "Demotunnukset (vain demokäyttöön):" in result.output
    logins = [m.groups() for line in result.output.splitlines() if (m := LOGIN_LINE.match(line))]
    assert sorted(role for _, _, role, _ in logins) == sorted(USER_ROLES)
    scopes = {role: scope.strip() for _, _, role, scope in logins}
    assert scopes["johto"] == "Äänekoski, Konnevesi"
    assert scopes["admin"] == "koko alue"
    for username, password, role, _ in logins:
        user = authenticate(db, username, password, client="demo")
        assert user is not None, username
        assert user.role == role
    newest = db.execute("select max(observed_on) from observations").fetchone()[0]
    assert today - timedelta(days=7) < date.fromisoformat(newest) <= today


def test_cli_demo_twice_duplicates_nothing(db, run_cli):
    first = run_cli("demo")
    assert first.exit_code == 0, first.output
    before = counts(db)

    second = run_cli("demo")
    assert second.exit_code == 0, second.output
    assert "Demoaineisto on jo ladattu." in second.output
    assert "Demoaineisto ladattu:" not in second.output
    assert "salasana demo-admin" in second.output
    assert counts(db) == before


def test_cli_demo_refuses_a_database_with_other_observations(db, run_cli, region, today):
    submit_observation(db, valid_observation(), region=region, source="tuonti", today=today)
    result = run_cli("demo")
    assert result.exit_code == 1
    assert "Tietokannassa on jo muita havaintoja" in result.output
    assert counts(db) == (1, 0, 0)
