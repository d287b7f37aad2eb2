"""Docs as tests: every CLI command and every setting is explained and appears in the docs."""

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from nakyma.cli import cli
from nakyma.config import Settings
from tests.conftest import TEST_SECRET

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
ENV_EXAMPLE = ROOT / ".env.example"


def walk(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The argument path of every command and sub-command, the root included."""
    yield path
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from walk(sub, (*path, name))


def command_at(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


def full_name(path: tuple[str, ...]) -> str:
    return " ".join(("nakyma", *path))


COMMANDS = list(walk(cli))
OPTIONS = [
    (path, param.name)
    for path in COMMANDS
    for param in command_at(path).params
    if isinstance(param, click.Option) and not param.hidden
]
ENV_PREFIX = Settings.model_config["env_prefix"]
ENV_NAMES = [ENV_PREFIX + name.upper() for name in Settings.model_fields]


def read(path: Path) -> str:
    assert path.is_file(), f"{path.name} is missing"
    return path.read_text(encoding="utf-8")


def mentions(text: str, name: str) -> bool:
    # "nakyma db" must not count as "nakyma db-foo"; NAKYMA_PORT not as NAKYMA_PORTS.
    return re.search(re.escape(name) + r"(?![\w-])", text) is not None


def test_the_walk_finds_the_known_commands():
    names = {full_name(p) for p in COMMANDS}
    assert {
        "nakyma",
        "nakyma serve",
        "nakyma db upgrade",
        "nakyma db backup",
        "nakyma import observations",
        "nakyma users add",
        "nakyma users token",
        "nakyma users list",
        "nakyma demo",
    } <= names
    assert len(ENV_NAMES) >= 11
    assert "NAKYMA_DATA_DIR" in ENV_NAMES


@pytest.mark.parametrize("path", COMMANDS, ids=full_name)
def test_command_has_help_text(path):
    command = command_at(path)
    assert (command.help or "").strip(), f"{full_name(path)} has no help text"
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="nakyma")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: {full_name(path)} ")
    first_line = command.help.strip().splitlines()[0]
    assert first_line in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("path", "option"), OPTIONS, ids=[f"{full_name(p)} --{o}" for p, o in OPTIONS]
)
def test_option_has_help_text(path, option):
    (param,) = [p for p in command_at(path).params if p.name == option]
    assert isinstance(param, click.Option)
    assert (param.help or "").strip(), f"{full_name(path)} {param.opts} has no help text"


@pytest.mark.parametrize("path", COMMANDS, ids=full_name)
def test_command_appears_in_readme(path):
    assert mentions(read(README), full_name(path)), f"README.md does not mention {full_name(path)}"


@pytest.mark.parametrize("env_name", ENV_NAMES)
def test_setting_appears_in_readme(env_name):
    assert mentions(read(README), env_name), f"README.md does not mention {env_name}"


@pytest.mark.parametrize("env_name", ENV_NAMES)
def test_setting_appears_in_env_example(env_name):
    assert mentions(read(ENV_EXAMPLE), env_name), f".env.example does not mention {env_name}"


def test_env_example_names_only_real_settings():
    named = re.findall(r"^\s*#?\s*(NAKYMA_\w+)\s*=", read(ENV_EXAMPLE), flags=re.MULTILINE)
    assert named
    assert sorted(set(named) - set(ENV_NAMES)) == []


def test_env_example_loads_and_keeps_demo_mode_off(monkeypatch):
    monkeypatch.setenv("NAKYMA_SECRET_KEY", TEST_SECRET)
    settings = Settings(_env_file=ENV_EXAMPLE)
    assert settings.demo is False
    assert settings.secret_key == TEST_SECRET


def test_env_example_secret_is_refused_as_is():
    # Copying the example unchanged must not give a working production configuration.
    with pytest.raises(ValueError, match="NAKYMA_SECRET_KEY"):
        Settings(_env_file=ENV_EXAMPLE)
