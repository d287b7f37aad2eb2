"""Tests for nakyma.config: the secret-key guard, NAKYMA_* variables, paths and local time."""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from nakyma.cli import cli
from nakyma.config import MIN_SECRET_KEY_LENGTH, SECRET_KEY_PLACEHOLDER, Settings
from tests.conftest import TEST_SECRET


def make_settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path / "data", **values)


@pytest.mark.parametrize(
    "secret_key",
    [
        pytest.param(None, id="left-unset"),
        pytest.param(SECRET_KEY_PLACEHOLDER, id="placeholder"),
        pytest.param("x" * (MIN_SECRET_KEY_LENGTH - 1), id="31-chars"),
        pytest.param("", id="empty"),
    ],
)
def test_weak_secret_is_refused_outside_demo_mode(tmp_path, secret_key):
    values = {} if secret_key is None else {"secret_key": secret_key}
    with pytest.raises(ValidationError) as excinfo:
        make_settings(tmp_path, **values)
    message = str(excinfo.value)
    assert "NAKYMA_SECRET_KEY" in message
    assert "vähintään 32 merkkiä" in message


def test_secret_of_exactly_32_chars_is_accepted(tmp_path):
    assert MIN_SECRET_KEY_LENGTH == 32
    settings = make_settings(tmp_path, secret_key="s" * 32)
    assert settings.secret_key == "s" * 32
    assert settings.demo is False


@pytest.mark.parametrize("secret_key", [SECRET_KEY_PLACEHOLDER, "lyhyt"])
def test_weak_secret_is_accepted_in_demo_mode(tmp_path, secret_key):
    settings = make_settings(tmp_path, secret_key=secret_key, demo=True)
    assert settings.demo is True
    assert settings.secret_key == secret_key


def test_placeholder_is_the_default_in_demo_mode(tmp_path):
    assert make_settings(tmp_path, demo=True).secret_key == SECRET_KEY_PLACEHOLDER


def test_settings_are_read_from_nakyma_environment_variables(tmp_path, monkeypatch):
    region_file = tmp_path / "alue.toml"
    env = {
        "NAKYMA_DATA_DIR": str(tmp_path / "tila"),
        "NAKYMA_SECRET_KEY": TEST_SECRET,
        "NAKYMA_REGION_FILE": str(region_file),
        "NAKYMA_HOST": "0.0.0.0",
        "NAKYMA_PORT": "8123",
        "NAKYMA_COOKIE_SECURE": "true",
        "NAKYMA_SESSION_HOURS": "3",
        "NAKYMA_LOGIN_MAX_FAILURES": "7",
        "NAKYMA_LOGIN_WINDOW_MINUTES": "30",
        "NAKYMA_TIMEZONE": "Europe/Stockholm",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    settings = Settings(_env_file=None)

    assert settings.data_dir == tmp_path / "tila"
    assert settings.secret_key == TEST_SECRET
    assert settings.demo is False
    assert settings.region_file == region_file
    assert settings.host == "0.0.0.0"
    assert settings.port == 8123
    assert settings.cookie_secure is True
    assert settings.session_hours == 3
    assert settings.login_max_failures == 7
    assert settings.login_window_minutes == 30
    assert settings.timezone == "Europe/Stockholm"


def test_demo_flag_from_environment_allows_the_placeholder(monkeypatch):
    monkeypatch.setenv("NAKYMA_DEMO", "true")
    settings = Settings(_env_file=None)
    assert settings.demo is True
    assert settings.secret_key == SECRET_KEY_PLACEHOLDER


def test_variables_without_the_prefix_are_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("PORT", "9999")
    with pytest.raises(ValidationError):
        Settings(_env_file=None, data_dir=tmp_path)
    monkeypatch.setenv("NAKYMA_SECRET_KEY", TEST_SECRET)
    assert Settings(_env_file=None).port == 8000


def test_env_file_is_read_and_environment_wins(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"NAKYMA_SECRET_KEY={TEST_SECRET}\nNAKYMA_PORT=8200\nNAKYMA_HOST=10.0.0.1\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("NAKYMA_PORT", "8300")
    settings = Settings(_env_file=env_file)
    assert settings.secret_key == TEST_SECRET
    assert settings.host == "10.0.0.1"
    assert settings.port == 8300


@pytest.mark.parametrize(
    ("field", "value"),
    [("session_hours", 0), ("login_max_failures", 0), ("login_window_minutes", 0)],
)
def test_out_of_range_numbers_are_refused(tmp_path, field, value):
    with pytest.raises(ValidationError, match=field):
        make_settings(tmp_path, secret_key=TEST_SECRET, **{field: value})


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_field_has_a_description(name):
    description = Settings.model_fields[name].description
    assert description is not None
    assert len(description.strip()) >= 10


def test_defaults(tmp_path):
    settings = make_settings(tmp_path, secret_key=TEST_SECRET)
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    # Outside demo mode cookies are Secure with the __Host- prefix unless told otherwise.
    assert settings.cookie_secure is None and settings.secure_cookies is True
    assert make_settings(tmp_path, demo=True).secure_cookies is False
    assert settings.session_hours == 10
    assert (settings.login_max_failures, settings.login_window_minutes) == (5, 15)
    assert settings.timezone == "Europe/Helsinki"
    assert settings.region_file is None
    assert Settings.model_fields["data_dir"].default == Path("./data")


def test_database_path_is_inside_data_dir(tmp_path):
    settings = make_settings(tmp_path, secret_key=TEST_SECRET)
    assert settings.database_path == tmp_path / "data" / "nakyma.db"
    assert settings.database_path.parent == settings.data_dir


# UTC+14 and UTC-11 are 25 hours apart, so their calendar dates always differ.
@pytest.mark.parametrize("timezone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_today_uses_the_configured_time_zone(tmp_path, timezone):
    settings = make_settings(tmp_path, secret_key=TEST_SECRET, timezone=timezone)
    before = datetime.now(ZoneInfo(timezone)).date()
    today = settings.today()
    after = datetime.now(ZoneInfo(timezone)).date()
    assert today in (before, after)


def test_today_differs_between_far_apart_time_zones(tmp_path):
    east = make_settings(tmp_path, secret_key=TEST_SECRET, timezone="Pacific/Kiritimati")
    west = make_settings(tmp_path, secret_key=TEST_SECRET, timezone="Pacific/Pago_Pago")
    assert (east.today() - west.today()).days in (1, 2)


@pytest.mark.parametrize(
    "env",
    [
        pytest.param({}, id="secret-missing"),
        pytest.param({"NAKYMA_SECRET_KEY": "liian-lyhyt-salaisuus"}, id="secret-too-short"),
        pytest.param({"NAKYMA_DEMO": "false"}, id="demo-off"),
    ],
)
def test_cli_reports_the_settings_error_in_finnish(tmp_path, monkeypatch, env):
    monkeypatch.chdir(tmp_path)  # no stray .env from the working directory
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    result = CliRunner().invoke(cli, ["db", "upgrade"])

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "Asetukset eivät kelpaa" in result.output
    assert "NAKYMA_SECRET_KEY" in result.output
    assert "Traceback" not in result.output
    assert "liian-lyhyt-salaisuus" not in result.output
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("timezone", ["Europe/Helsingfors", "", "../etc/passwd"])
def test_unknown_time_zone_is_refused_at_start_up(tmp_path, timezone):
    with pytest.raises(ValidationError, match="NAKYMA_TIMEZONE"):
        make_settings(tmp_path, secret_key=TEST_SECRET, timezone=timezone)


def test_cli_reports_an_unknown_time_zone_without_a_traceback(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NAKYMA_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("NAKYMA_TIMEZONE", "Europe/Helsingfors")
    result = CliRunner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 1
    assert "Asetukset eivät kelpaa: NAKYMA_TIMEZONE: tuntematon aikavyöhyke" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("value", ["", "  "])
def test_empty_region_file_means_the_packaged_default(monkeypatch, value):
    monkeypatch.setenv("NAKYMA_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("NAKYMA_REGION_FILE", value)
    assert Settings(_env_file=None).region_file is None


def test_cluster_settings_make_the_cluster_params(tmp_path, monkeypatch):
    from nakyma.phenomena import ClusterParams

    # The defaults are the engine's own defaults.
    assert (
        ClusterParams.from_settings(make_settings(tmp_path, secret_key=TEST_SECRET))
        == ClusterParams()
    )
    monkeypatch.setenv("NAKYMA_CLUSTER_MIN_MEMBER_SIMILARITY", "0.2")
    monkeypatch.setenv("NAKYMA_CLUSTER_STICKINESS", "0")
    params = ClusterParams.from_settings(make_settings(tmp_path, secret_key=TEST_SECRET))
    assert (params.min_member_similarity, params.stickiness) == (0.2, 0.0)
    assert params.resolution == ClusterParams().resolution


def test_signal_settings_make_the_signal_params(tmp_path, monkeypatch):
    from nakyma.signals import SignalParams

    # The defaults are written once, in Settings, and are the engine's defaults.
    assert SignalParams.from_settings(make_settings(tmp_path, secret_key=TEST_SECRET)) == (
        SignalParams()
    )
    monkeypatch.setenv("NAKYMA_SIGNAL_RECENT_WEEKS", "4")
    monkeypatch.setenv("NAKYMA_TIMEZONE", "Europe/Stockholm")
    params = SignalParams.from_settings(make_settings(tmp_path, secret_key=TEST_SECRET))
    assert (params.recent_weeks, params.timezone) == (4, "Europe/Stockholm")
    assert params.baseline_weeks == SignalParams().baseline_weeks


def test_a_region_file_named_only_in_dot_env_reaches_the_privacy_guard(tmp_path, monkeypatch):
    from nakyma import privacy
    from nakyma.regions import DEFAULT_REGION_FILE, load_region
    from web.app import create_app

    region_file = tmp_path / "alue.toml"
    region_file.write_bytes(Path(DEFAULT_REGION_FILE).read_bytes())
    dot_env = tmp_path / ".env"
    dot_env.write_text(f"NAKYMA_REGION_FILE={region_file}\nNAKYMA_SECRET_KEY={TEST_SECRET}\n")
    monkeypatch.delenv("NAKYMA_REGION_FILE", raising=False)
    settings = Settings(_env_file=dot_env, data_dir=tmp_path / "data")
    assert settings.region_file == region_file
    try:
        create_app(settings)
        assert privacy.names_region() is load_region(region_file)
        assert privacy.names_region() is not load_region()  # another file, another object
    finally:
        privacy.use_region(load_region())
