"""The deployment files agree with the code: compose.yaml only sets settings the app reads,
the Dockerfile runs a real CLI subcommand, and CI runs the README's test command.

Docker is not needed: these read the files as text and YAML.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("migrate", "app", "worker")  # everything that runs the streetshare image


def read(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(read("compose.yaml"))


@pytest.fixture(scope="module")
def settings_env_names() -> set[str]:
    source = read("src/streetshare/settings.py")
    names = set(re.findall(r'\be\.get\(\s*"([A-Z][A-Z0-9_]*)"', source))
    names |= set(re.findall(r'\b_int\(\s*e,\s*"([A-Z][A-Z0-9_]*)"', source))
    names |= set(re.findall(r'\b_bool\(\s*e\.get\(\s*"([A-Z][A-Z0-9_]*)"', source))
    assert {"DATABASE_URL", "SECRET_KEY", "STREETSHARE_MODE"} <= names, "settings.py parsing broke"
    return names


def environment(service: dict) -> dict[str, str | None]:
    """A service's environment as a mapping, whichever of compose's two spellings it uses."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {key: None if value is None else str(value) for key, value in env.items()}


def command_words(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else list(command)


def cli_has_subcommand(name: str) -> bool:
    cli = ROOT / "src/streetshare/cli.py"
    if cli.exists():
        return re.search(rf"""["']{name}["']|\bdef {name}\(""", cli.read_text(encoding="utf-8")) is not None
    # Until the CLI module exists, at least the console script must be declared.
    scripts = tomllib.loads(read("pyproject.toml"))["project"]["scripts"]
    return scripts.get("streetshare") == "streetshare.cli:main"


def test_compose_declares_db_migrate_app_and_worker(compose: dict) -> None:
    assert {"db", "migrate", "app", "worker"} <= set(compose["services"])


def test_compose_only_sets_settings_the_app_reads(compose: dict, settings_env_names: set[str]) -> None:
    for name in APP_SERVICES:
        unknown = set(environment(compose["services"][name])) - settings_env_names
        assert not unknown, f"compose passes {sorted(unknown)} to {name}, but settings.py never reads them"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_run_in_production_with_required_secrets(compose: dict, name: str) -> None:
    env = environment(compose["services"][name])
    assert env["STREETSHARE_MODE"] == "production"
    # Required from the operator, never defaulted in the file.
    assert (env.get("SECRET_KEY") or "").startswith("${SECRET_KEY:?")
    assert re.search(r"^postgresql://[^/]*@db:5432/\w+$", env.get("DATABASE_URL") or "")
    assert env["STREETSHARE_DATA_DIR"] == "/data"
    assert "appdata:/data" in compose["services"][name]["volumes"]


def test_all_app_services_share_one_image(compose: dict) -> None:
    services = compose["services"]
    assert len({services[name]["image"] for name in APP_SERVICES}) == 1
    assert all(services[name].get("build") == "." for name in APP_SERVICES)


def test_db_is_postgres_17_with_a_readiness_check(compose: dict) -> None:
    db = compose["services"]["db"]
    assert db["image"] == "postgres:17"
    assert "pg_isready" in command_words(db["healthcheck"]["test"])
    assert "pgdata:/var/lib/postgresql/data" in db["volumes"]


def test_migrations_run_once_before_app_and_worker_start(compose: dict) -> None:
    services = compose["services"]
    migrate = services["migrate"]
    assert command_words(migrate["command"])[:2] == ["streetshare", "migrate"]
    assert migrate.get("restart", "no") == "no"  # a finished migration must not be restarted
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("app", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_app_serves_port_8000_and_is_health_checked(compose: dict) -> None:
    app = compose["services"]["app"]
    assert "8000:8000" in app["ports"]
    assert "/healthz" in " ".join(command_words(app["healthcheck"]["test"]))


def test_worker_runs_the_worker(compose: dict) -> None:
    assert command_words(compose["services"]["worker"]["command"]) == ["streetshare", "worker"]


def test_named_volumes_are_declared(compose: dict) -> None:
    declared = set(compose.get("volumes") or {})
    assert {"pgdata", "appdata"} <= declared
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/", "~")):
                assert source in declared, f"{name} mounts undeclared volume {source!r}"


def test_compose_and_dockerfile_run_real_cli_subcommands(compose: dict) -> None:
    match = re.search(r"^CMD\s+(\[.*\])\s*$", read("Dockerfile"), re.MULTILINE)
    assert match, "the Dockerfile needs an exec-form CMD"
    cmd = json.loads(match.group(1))
    assert cmd == ["streetshare", "serve", "--host", "0.0.0.0", "--port", "8000"]
    subcommands = {cmd[1]} | {
        command_words(service["command"])[1]
        for service in compose["services"].values()
        if command_words(service.get("command", []))[:1] == ["streetshare"]
    }
    assert subcommands == {"serve", "migrate", "worker"}
    for name in sorted(subcommands):
        assert cli_has_subcommand(name), f"the CLI has no {name!r} subcommand"


def test_dockerfile_builds_a_non_root_image_without_dev_dependencies() -> None:
    dockerfile = read("Dockerfile")
    assert re.search(r"^FROM python:3\.12-slim\s*$", dockerfile, re.MULTILINE)
    assert "uv sync --no-dev" in dockerfile
    assert "--frozen" not in dockerfile and "--locked" not in dockerfile  # no lock is committed
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}
    assert re.search(r"^EXPOSE 8000\s*$", dockerfile, re.MULTILINE)


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image() -> None:
    ignored = read(".dockerignore").split()
    assert {".env", ".venv", ".git", "uv.lock", "var/"} <= set(ignored)


def test_uv_lock_is_not_committed() -> None:
    assert "uv.lock" in read(".gitignore").split()


def test_ci_runs_the_readme_test_command() -> None:
    ci = ROOT / ".ci/run"
    script = ci.read_text(encoding="utf-8")
    assert os.access(ci, os.X_OK)
    assert "set -euo pipefail" in script
    assert "STREETSHARE_E2E_REQUIRED=1" in script
    ci_commands = [line.strip() for line in script.splitlines() if line.strip().startswith("uv run pytest")]
    assert ci_commands == ["uv run pytest"]
    # README.md is written elsewhere; once it shows a test command in a code block, CI must run that.
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", read("README.md"), re.MULTILINE | re.DOTALL)
    readme_commands = {
        line.strip().removeprefix("$ ").strip()
        for block in blocks
        for line in block.splitlines()
        if "uv run pytest" in line
    }
    if readme_commands:
        assert ci_commands[0] in readme_commands, f"README shows {sorted(readme_commands)}; .ci/run runs {ci_commands[0]!r}"


def test_the_benchmark_runs_postgresql_with_compose_settings(compose: dict) -> None:
    from bench.pg import SERVER_SETTINGS

    command = " ".join(compose["services"]["db"]["command"])
    default = re.search(r"shared_buffers=\$\{POSTGRES_SHARED_BUFFERS:-(\w+)\}", command)
    assert default, command
    assert SERVER_SETTINGS["shared_buffers"] == default.group(1)


def _readme_code_lines() -> list[str]:
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", read("README.md"), re.MULTILINE | re.DOTALL)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_readmes_uv_set_up_works_where_pip_refuses_system_installs() -> None:
    # Debian 12 and Ubuntu 24.04 refuse `pip install` into the system Python (PEP 668): pip may
    # only install uv into an environment of its own (a venv's pip, or pipx).
    setup = [line for line in _readme_code_lines() if re.search(r"\binstall\b.*\buv\b", line)]
    assert setup, "the README shows no way to install uv"
    for line in setup:
        for command in re.split(r"&&|;|\|", line.split("#", 1)[0]):
            words = command.split()
            if "pip" in words or (words[:3] == ["python3", "-m", "pip"]):
                raise AssertionError(f"the README's {line!r} runs the system pip (PEP 668 refuses it)")
    assert any(line.startswith("python3 -m venv ") for line in setup)
    assert any("pipx install uv" in line for line in setup)


def test_ci_installs_uv_the_way_the_readme_says() -> None:
    script = read(".ci/run")
    assert "break-system-packages" not in script.lower().replace("_", "-")
    (venv_line,) = [line for line in _readme_code_lines() if line.startswith("python3 -m venv ")]
    ci_lines = [line.strip() for line in script.splitlines()]
    assert venv_line in ci_lines, f".ci/run must install uv with the README's line: {venv_line}"
    # The README names the Debian package that line needs; CI installs the same one.
    assert "python3-venv" in read("README.md") and "python3-venv" in script


def test_readme_configuration_table_lists_every_setting(settings_env_names: set[str]) -> None:
    readme = read("README.md")
    table = readme[readme.index("## Configuration"):readme.index("\n## ", readme.index("## Configuration") + 1)]
    first_cells = re.findall(r"^\|([^|]*)\|", table, re.MULTILINE)
    listed = {name for cell in first_cells for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", cell)}
    assert settings_env_names - listed == set(), "settings.py reads these; the README's table does not say so"
    assert listed - settings_env_names == set(), "the README's table lists these; settings.py never reads them"
