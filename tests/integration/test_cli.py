"""The `streetshare` command: its sub-commands, and refusing to serve production without a real secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from streetshare import cli

SCRIPT = Path(sys.executable).with_name("streetshare")  # the console script in this environment


def env_without_settings(**extra: str) -> dict[str, str]:
    """The current environment minus every Streetshare setting, plus `extra`."""
    names = {"DATABASE_URL", "SECRET_KEY", "BASE_URL", "STREETSHARE_MODE", "STREETSHARE_DATA_DIR", "SMTP_HOST"}
    return {k: v for k, v in os.environ.items() if k not in names} | extra


def test_help_lists_demo_serve_migrate_and_worker(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["--help"])

    assert done.value.code == 0
    out = capsys.readouterr().out
    for command in ["demo", "serve", "migrate", "worker"]:
        assert command in out


def test_the_console_script_is_installed_and_answers_help():
    result = subprocess.run([str(SCRIPT), "--help"], capture_output=True, text=True, timeout=60, env=env_without_settings())

    assert result.returncode == 0
    assert "{demo,serve,migrate,worker" in result.stdout


def test_no_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main([])

    assert done.value.code == 2


def test_serving_production_without_a_secret_key_exits_2_with_a_clear_message(tmp_path):
    env = env_without_settings(STREETSHARE_MODE="production", DATABASE_URL="postgresql://app@127.0.0.1:1/app",
                               STREETSHARE_DATA_DIR=str(tmp_path))

    result = subprocess.run([str(SCRIPT), "serve"], capture_output=True, text=True, timeout=60, env=env)

    assert result.returncode == 2
    assert "SECRET_KEY must be set to a random value of at least 32 characters in production" in result.stderr
    assert "Traceback" not in result.stderr


def test_serving_production_with_a_short_secret_key_exits_2(monkeypatch, capsys):
    monkeypatch.setenv("STREETSHARE_MODE", "production")
    monkeypatch.setenv("SECRET_KEY", "too-short")
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@127.0.0.1:1/app")

    with pytest.raises(SystemExit) as done:
        cli.main(["serve"])

    assert done.value.code == 2
    assert "SECRET_KEY" in capsys.readouterr().err


def test_serving_production_without_a_database_url_exits_2(monkeypatch, capsys):
    monkeypatch.setenv("STREETSHARE_MODE", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    monkeypatch.delenv("DATABASE_URL", raising=False)

    with pytest.raises(SystemExit) as done:
        cli.main(["serve"])

    assert done.value.code == 2
    assert "DATABASE_URL must be set in production" in capsys.readouterr().err


def test_the_secret_is_never_echoed_in_the_refusal(monkeypatch, capsys):
    monkeypatch.setenv("STREETSHARE_MODE", "production")
    monkeypatch.setenv("SECRET_KEY", "my-short-secret")

    with pytest.raises(SystemExit):
        cli.main(["serve"])

    assert "my-short-secret" not in capsys.readouterr().err
