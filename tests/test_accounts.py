"""Tests for nakyma.accounts and `nakyma users`: passwords, throttling, API tokens, sessions."""

import hashlib
import time
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from nakyma.accounts import (
    AccountError,
    LoginThrottled,
    User,
    authenticate,
    create_api_token,
    create_session,
    create_user,
    end_session,
    get_user,
    login_name_key,
    set_password,
    user_for_session,
    user_for_token,
)
from nakyma.cli import cli
from nakyma.db import open_db
from tests.conftest import PASSWORD, TEST_SECRET


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def insert_user(db, username: str = "maija", role: str = "havainnoija") -> User:
    """A user whose password is never checked: skips Argon2 for token and session tests."""
    db.table("users").insert(
        {
            "username": username,
            "display_name": username,
            "role": role,
            "password_hash": "!",
            "active": 1,
            "created_at": iso(datetime.now(UTC)),
        }
    )
    user = get_user(db, username)
    assert user is not None
    return user


def add_failures(db, *, usernames: list[str], client: str, minutes_ago: int = 0) -> None:
    """Failed login attempts as authenticate() records them (the name as a keyed hash)."""
    at = iso(datetime.now(UTC) - timedelta(minutes=minutes_ago))
    db.table("login_attempts").insert_all(
        {"username": login_name_key(name), "client": client, "attempted_at": at, "succeeded": 0}
        for name in usernames
    )


@pytest.fixture
def run_cli(settings, monkeypatch, tmp_path):
    """Invoke `nakyma …` against the same database file as the `db` fixture."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NAKYMA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("NAKYMA_SECRET_KEY", TEST_SECRET)

    def run(*args: str, input: str | None = None):
        return CliRunner().invoke(cli, list(args), input=input)

    return run


# Users


def test_password_is_stored_as_argon2id_never_plaintext(db, make_user):
    make_user("maija", password=PASSWORD)
    row = db.execute("select * from users where username = 'maija'").fetchone()
    stored = db.execute("select password_hash from users").fetchone()[0]
    assert stored.startswith("$argon2id$")
    assert all(PASSWORD not in str(value) for value in row)


def test_same_password_gets_a_different_salt(db, make_user):
    make_user("maija")
    make_user("matti")
    hashes = [r[0] for r in db.execute("select password_hash from users").fetchall()]
    assert len(set(hashes)) == 2


def test_username_is_normalised_to_lower_case(db, region):
    user = create_user(db, "  Maija.Meik-1 ", role="havainnoija", password=PASSWORD, region=region)
    assert user.username == "maija.meik-1"
    assert user.display_name == "maija.meik-1"
    assert get_user(db, "MAIJA.MEIK-1") == user
    assert db.execute("select username from users").fetchall() == [("maija.meik-1",)]


def test_roles_and_scope(db, make_user):
    observer = make_user("kentta", "havainnoija", municipalities=("Konnevesi",))
    leader = make_user("pomo", "johto", municipalities=("Äänekoski", "992", "konnevesi"))
    support = make_user("tuki", "tukitiimi")
    assert observer.municipalities == ("275",)
    assert leader.municipalities == ("275", "992")
    assert support.municipalities == ()
    assert (leader.role_label, leader.sees_whole_region) == ("Johto", False)
    assert (support.role_label, support.sees_whole_region) == ("Tukitiimi", True)


@pytest.mark.parametrize(
    ("username", "role", "password", "municipalities", "message"),
    [
        ("m", "havainnoija", PASSWORD, (), "Käyttäjätunnus: 2–64 merkkiä"),
        ("väinö", "havainnoija", PASSWORD, (), "Käyttäjätunnus: 2–64 merkkiä"),
        ("-maija", "havainnoija", PASSWORD, (), "Käyttäjätunnus: 2–64 merkkiä"),
        ("maija meik", "havainnoija", PASSWORD, (), "Käyttäjätunnus: 2–64 merkkiä"),
        ("m" * 65, "havainnoija", PASSWORD, (), "Käyttäjätunnus: 2–64 merkkiä"),
        ("maija", "pomo", PASSWORD, (), "Tuntematon rooli 'pomo'"),
        ("maija", "Admin", PASSWORD, (), "Tuntematon rooli 'Admin'"),
        ("maija", "havainnoija", "x" * 9, (), "vähintään 10 merkkiä"),
        ("maija", "havainnoija", "", (), "vähintään 10 merkkiä"),
        ("maija", "havainnoija", PASSWORD, ("Tampere",), "Tuntematon kunta: 'Tampere'"),
        ("maija", "johto", PASSWORD, ("Laukaa", "999"), "Tuntematon kunta: '999'"),
        ("maija", "johto", PASSWORD, (), "vähintään yksi kunta"),
    ],
)
def test_invalid_user_is_refused_in_finnish(
    db, region, username, role, password, municipalities, message
):
    with pytest.raises(AccountError) as excinfo:
        create_user(
            db,
            username,
            role=role,
            password=password,
            region=region,
            municipalities=municipalities,
        )
    assert message in str(excinfo.value)
    assert db.table("users").count == 0
    assert db.table("user_municipalities").count == 0


def test_boundary_lengths_are_accepted(db, region):
    user = create_user(db, "m" * 64, role="admin", password="x" * 10, region=region)
    assert user.username == "m" * 64
    assert authenticate(db, "m" * 64, "x" * 10, client="c") == user


def test_duplicate_user_is_refused_whatever_the_case(db, make_user, region):
    make_user("maija")
    with pytest.raises(AccountError, match="Käyttäjä 'maija' on jo olemassa"):
        create_user(db, "MAIJA", role="admin", password=PASSWORD, region=region)
    assert db.table("users").count == 1


def test_set_password_replaces_it_and_ends_sessions(db, make_user):
    user = make_user("maija")
    session = create_session(db, user, hours=1)
    set_password(db, "maija", "uusi-salasana-456")
    assert user_for_session(db, session) is None
    assert authenticate(db, "maija", PASSWORD, client="c") is None
    assert authenticate(db, "maija", "uusi-salasana-456", client="c") == user


# Authentication and throttling


def test_authenticate_right_password_returns_the_user(db, make_user):
    user = make_user("maija", municipalities=("Laukaa",))
    assert authenticate(db, "maija", PASSWORD, client="10.0.0.1") == user
    assert authenticate(db, " MAIJA ", PASSWORD, client="10.0.0.1") == user


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("maija", "väärä-salasana"),
        ("maija", PASSWORD.upper()),
        ("tuntematon", PASSWORD),
    ],
)
def test_authenticate_wrong_password_or_unknown_user_is_none(db, make_user, username, password):
    make_user("maija")
    assert authenticate(db, username, password, client="10.0.0.1") is None
    assert db.execute("select username, client, succeeded from login_attempts").fetchall() == [
        (login_name_key(username), "10.0.0.1", 0)
    ]


def test_inactive_user_cannot_log_in(db, make_user):
    user = make_user("maija")
    db.table("users").update(user.id, {"active": 0})
    assert authenticate(db, "maija", PASSWORD, client="c") is None
    assert get_user(db, "maija") is None


def test_failures_per_name_and_client_throttle_even_the_right_password(db, make_user):
    user = make_user("maija")
    for _ in range(2):
        assert authenticate(db, "maija", "väärä", client="10.0.0.1", max_failures=2) is None

    with pytest.raises(LoginThrottled) as excinfo:
        authenticate(db, "MAIJA", PASSWORD, client="10.0.0.1", max_failures=2, window_minutes=15)
    assert excinfo.value.retry_after_seconds == 15 * 60
    # A refused attempt is not recorded (and its password not checked).
    assert db.table("login_attempts").count == 2
    # The owner elsewhere is not locked out by what one address did.
    assert authenticate(db, "maija", PASSWORD, client="10.9.9.9", max_failures=2) == user


def test_name_throttle_starts_exactly_at_max_failures(db, make_user):
    user = make_user("maija")
    add_failures(db, usernames=["maija"] * 4, client="10.0.0.1")
    assert authenticate(db, "maija", PASSWORD, client="10.0.0.1", max_failures=5) == user
    add_failures(db, usernames=["maija"] * 5, client="10.0.0.1")
    with pytest.raises(LoginThrottled):
        authenticate(db, "maija", PASSWORD, client="10.0.0.1", max_failures=5)


def test_other_names_are_not_throttled_by_one_names_failures(db, make_user):
    user = make_user("matti")
    add_failures(db, usernames=["maija"] * 5, client="10.0.0.1")
    assert authenticate(db, "matti", PASSWORD, client="10.0.0.1", max_failures=5) == user


def test_many_names_from_one_client_throttle_that_client(db, make_user):
    user = make_user("maija")
    # max_failures=2: one client may fail 4 x 2 = 8 times across names.
    add_failures(db, usernames=[f"arvaus{i}" for i in range(7)], client="10.6.6.6")
    assert authenticate(db, "maija", PASSWORD, client="10.6.6.6", max_failures=2) == user
    assert authenticate(db, "arvaus7", "väärä", client="10.6.6.6", max_failures=2) is None

    with pytest.raises(LoginThrottled):
        authenticate(db, "maija", PASSWORD, client="10.6.6.6", max_failures=2)
    assert authenticate(db, "maija", PASSWORD, client="10.1.1.1", max_failures=2) == user


def test_success_clears_the_names_failures(db, make_user):
    user = make_user("maija")
    assert authenticate(db, "maija", "väärä", client="c", max_failures=2) is None
    assert authenticate(db, "maija", PASSWORD, client="c", max_failures=2) == user
    assert db.execute(
        "select count(*) from login_attempts where username = ? and succeeded = 0",
        [login_name_key("maija")],
    ).fetchone() == (0,)
    # Without the clearing this would be the second failure in the window: throttled.
    assert authenticate(db, "maija", "väärä", client="c", max_failures=2) is None
    assert authenticate(db, "maija", PASSWORD, client="c", max_failures=2) == user


def test_login_names_are_kept_only_as_a_keyed_hash(db, make_user):
    make_user("maija")
    typed = "maija@example.fi salasana123"
    assert authenticate(db, typed, "väärä", client="c", secret_key=TEST_SECRET) is None
    stored = db.execute("select username from login_attempts").fetchone()[0]
    assert "maija" not in stored and "salasana" not in stored
    assert stored == login_name_key(typed, TEST_SECRET)
    assert stored != login_name_key(typed, TEST_SECRET + "x")  # keyed, not a plain digest


def test_login_attempts_older_than_30_days_are_purged(db, make_user):
    user = make_user("maija")
    add_failures(db, usernames=["maija", "x"], client="c", minutes_ago=31 * 24 * 60)
    add_failures(db, usernames=["y"], client="c", minutes_ago=29 * 24 * 60)
    assert authenticate(db, "maija", PASSWORD, client="d") == user
    # The two old rows are gone; the 29-day-old one and this success remain.
    assert db.table("login_attempts").count == 2


def test_many_failures_from_one_client_do_not_lock_the_owner_out_elsewhere(db, make_user):
    user = make_user("maija")
    refused = 0
    for _ in range(200):
        try:
            authenticate(db, "maija", "väärä", client="10.6.6.6")
        except LoginThrottled:
            refused += 1
    assert refused == 195  # 5 wrong passwords, then 429 for that client
    assert authenticate(db, "maija", PASSWORD, client="10.1.1.1") == user


def test_per_account_ceiling_stops_clients_that_failed_and_slows_the_rest(
    db, make_user, monkeypatch
):
    user = make_user("maija")
    slept: list[float] = []
    monkeypatch.setattr("nakyma.accounts.time.sleep", slept.append)
    # max_failures=2: 1 failure from one address and 2 each from 20 more: 41 failures
    # reach the account's ceiling (20 x 2) while no (account, client) pair is throttled.
    add_failures(db, usernames=["maija"], client="10.0.1.0")
    for i in range(1, 21):
        add_failures(db, usernames=["maija"] * 2, client=f"10.0.1.{i}")
    with pytest.raises(LoginThrottled):
        authenticate(db, "maija", PASSWORD, client="10.0.1.0", max_failures=2)
    assert not slept
    # A client that has not failed on the account gets in, after a delay.
    assert authenticate(db, "maija", PASSWORD, client="10.2.2.2", max_failures=2) == user
    assert slept == [1.0]


def test_failures_outside_the_window_do_not_count(db, make_user):
    user = make_user("maija")
    add_failures(db, usernames=["maija"] * 10, client="c", minutes_ago=16)
    assert authenticate(db, "maija", PASSWORD, client="c", window_minutes=15) == user
    add_failures(db, usernames=["maija"] * 10, client="c", minutes_ago=14)
    with pytest.raises(LoginThrottled):
        authenticate(db, "maija", PASSWORD, client="c", window_minutes=15)


# API tokens


def test_api_token_is_returned_once_and_only_its_hash_stored(db):
    user = insert_user(db, "maija")
    token = create_api_token(db, "maija")
    assert token.startswith("nky_")
    assert len(token) > 40
    row = db.execute("select * from api_tokens").fetchone()
    stored_hash = db.execute("select token_hash from api_tokens").fetchone()[0]
    assert stored_hash == sha256(token)
    assert all(token not in str(v) and token[4:] not in str(v) for v in row)
    assert user_for_token(db, token) == user


def test_each_token_is_new(db):
    insert_user(db, "maija")
    first, second = create_api_token(db, "maija"), create_api_token(db, "maija")
    assert first != second
    assert db.table("api_tokens").count == 2


def test_using_a_token_records_when(db):
    insert_user(db, "maija")
    token = create_api_token(db, "maija")
    assert db.execute("select last_used_at from api_tokens").fetchone() == (None,)
    user_for_token(db, token)
    used = db.execute("select last_used_at from api_tokens").fetchone()[0]
    assert abs(datetime.fromisoformat(used) - datetime.now(UTC)) < timedelta(minutes=1)


def test_token_use_writes_last_used_at_at_most_once_a_minute(db):
    insert_user(db, "maija")
    token = create_api_token(db, "maija")
    assert user_for_token(db, token) is not None
    first = db.execute("select last_used_at from api_tokens").fetchone()[0]
    changes = db.conn.total_changes
    for _ in range(5):
        assert user_for_token(db, token) is not None
    assert db.conn.total_changes == changes  # no write within the minute
    assert db.execute("select last_used_at from api_tokens").fetchone()[0] == first
    # A minute later the next use marks it again.
    old = iso(datetime.now(UTC) - timedelta(minutes=2))
    db.execute("update api_tokens set last_used_at = ?", [old])
    db.conn.commit()
    user_for_token(db, token)
    assert db.execute("select last_used_at from api_tokens").fetchone()[0] > old


def test_token_use_succeeds_while_another_connection_holds_the_write_lock(db, settings):
    insert_user(db, "maija")
    token = create_api_token(db, "maija")
    other = open_db(settings.database_path)
    try:
        other.execute("BEGIN IMMEDIATE")
        started = time.perf_counter()
        user = user_for_token(db, token)  # its last_used_at mark is skipped, not waited for
        assert time.perf_counter() - started < 1.0
        assert user is not None and user.username == "maija"
        other.conn.rollback()
    finally:
        other.close()
    assert db.execute("select last_used_at from api_tokens").fetchone() == (None,)


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda t: t + "x", id="suffix"),
        pytest.param(lambda t: t[:-1], id="truncated"),
        pytest.param(lambda t: t[4:], id="no-prefix"),
        pytest.param(lambda t: "Bearer " + t, id="with-scheme"),
        pytest.param(lambda t: t.upper(), id="upper"),
        pytest.param(lambda t: "nky_", id="prefix-only"),
        pytest.param(lambda t: "", id="empty"),
        pytest.param(lambda t: "nky_" + "A" * 43, id="guess"),
        pytest.param(lambda t: sha256(t), id="the-stored-hash"),
    ],
)
def test_wrong_token_is_none(db, mangle):
    insert_user(db, "maija")
    token = create_api_token(db, "maija")
    assert user_for_token(db, mangle(token)) is None


def test_revoked_token_is_none(db):
    insert_user(db, "maija")
    token = create_api_token(db, "maija")
    db.execute("update api_tokens set revoked_at = ?", [iso(datetime.now(UTC))])
    db.conn.commit()
    assert user_for_token(db, token) is None


def test_token_of_inactive_user_is_none(db):
    user = insert_user(db, "maija")
    token = create_api_token(db, "maija")
    db.table("users").update(user.id, {"active": 0})
    assert user_for_token(db, token) is None


def test_token_for_unknown_user_is_refused(db):
    with pytest.raises(AccountError, match="Käyttäjää 'kukaan' ei ole"):
        create_api_token(db, "kukaan")
    assert db.table("api_tokens").count == 0


# Browser sessions


def test_session_create_lookup_end(db):
    user = insert_user(db, "maija")
    token = create_session(db, user, hours=2)
    row = db.execute("select token_hash, user_id, expires_at from sessions").fetchone()
    assert row[:2] == (sha256(token), user.id)
    expires = datetime.fromisoformat(row[2])
    assert abs(expires - (datetime.now(UTC) + timedelta(hours=2))) < timedelta(minutes=1)
    assert user_for_session(db, token) == user
    assert user_for_session(db, token + "x") is None

    end_session(db, token)
    assert user_for_session(db, token) is None
    assert db.table("sessions").count == 0


def test_expired_session_is_none_and_purged(db):
    user = insert_user(db, "maija")
    token = create_session(db, user, hours=1)
    past = iso(datetime.now(UTC) - timedelta(seconds=5))
    db.execute("update sessions set expires_at = ?", [past])
    db.conn.commit()
    assert user_for_session(db, token) is None

    fresh = create_session(db, user, hours=1)
    assert db.execute("select token_hash from sessions").fetchall() == [(sha256(fresh),)]


def test_sessions_are_independent(db):
    maija, matti = insert_user(db, "maija"), insert_user(db, "matti")
    a, b = create_session(db, maija, hours=1), create_session(db, matti, hours=1)
    assert a != b
    end_session(db, a)
    assert user_for_session(db, a) is None
    assert user_for_session(db, b) == matti


# CLI


def test_cli_users_add_reads_the_password_from_stdin(db, run_cli):
    result = run_cli(
        "users",
        "add",
        "Maija",
        "--role",
        "johto",
        "--municipality",
        "Äänekoski",
        "--municipality",
        "Konnevesi",
        "--display-name",
        "Maija M.",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "Käyttäjä maija lisätty: rooli johto, kunnat: 275, 992." in result.output
    assert PASSWORD not in result.output
    user = authenticate(db, "maija", PASSWORD, client="c")
    assert user is not None
    assert (user.role, user.municipalities, user.display_name) == (
        "johto",
        ("275", "992"),
        "Maija M.",
    )


def test_cli_users_add_strips_only_the_line_ending(db, run_cli):
    result = run_cli(
        "users",
        "add",
        "maija",
        "--role",
        "admin",
        "--password-stdin",
        input=" väli lyönnit \r\n",
    )
    assert result.exit_code == 0, result.output
    assert authenticate(db, "maija", " väli lyönnit ", client="c") is not None


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--role", "havainnoija", "--password-stdin"], "lyhyt\n", "vähintään 10 merkkiä"),
        (["--role", "johto", "--password-stdin"], PASSWORD + "\n", "vähintään yksi kunta"),
        (
            ["--role", "havainnoija", "--municipality", "Tampere", "--password-stdin"],
            PASSWORD + "\n",
            "Tuntematon kunta: 'Tampere'",
        ),
        (["--role", "pomo", "--password-stdin"], PASSWORD + "\n", "'pomo'"),
        (["--role", "havainnoija"], PASSWORD + "\n", "--password-stdin"),
    ],
)
def test_cli_users_add_refusals(db, run_cli, args, stdin, message):
    result = run_cli("users", "add", "maija", *args, input=stdin)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert db.table("users").count == 0


def test_cli_users_token_prints_a_working_token(db, make_user, run_cli):
    user = make_user("maija")
    result = run_cli("users", "token", "maija")
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert token.startswith("nky_")
    assert "\n" not in token
    assert user_for_token(db, token) == user


def test_cli_users_token_for_unknown_user(db, run_cli):
    result = run_cli("users", "token", "kukaan")
    assert result.exit_code == 1
    assert "Käyttäjää 'kukaan' ei ole." in result.output


def test_cli_users_list(db, make_user, run_cli):
    make_user("tuki", "tukitiimi")
    make_user("pomo", "johto", municipalities=("Äänekoski", "Konnevesi"))
    result = run_cli("users", "list")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "pomo\tjohto\tKonnevesi, Äänekoski",
        "tuki\ttukitiimi\tkoko alue",
    ]
