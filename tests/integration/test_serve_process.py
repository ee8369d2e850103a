"""`streetshare migrate` and `streetshare serve` (granian) as real processes with an embedded
PostgreSQL in their own data directory: what they say, whom they trust, what they leave behind."""

from __future__ import annotations

import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.processes import (
    SCRIPT,
    Running,
    ask_for_password_resets,
    env_without_settings,
    free_port,
    fresh_data_dir,
    postgres_processes,
    wait_until_answers,
)
from streetshare.accounts.routes import RESET_IP_LIMIT
from streetshare.paths import MIGRATIONS_DIR

MIGRATIONS = len(list(MIGRATIONS_DIR.glob("streetshare_*.py")))


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    with fresh_data_dir("serve") as data_dir:
        yield data_dir


def migrate(data_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), "migrate"], capture_output=True, text=True, timeout=120,
                          env=env_without_settings(STREETSHARE_DATA_DIR=str(data_dir)))


@pytest.fixture(scope="module")
def first_migration(data_dir) -> subprocess.CompletedProcess:
    """`streetshare migrate` on the empty data directory (initdb, then every migration)."""
    return migrate(data_dir)


def test_migrating_an_empty_database_says_how_many_migrations_ran_and_nothing_contrary(first_migration):
    result = first_migration

    assert result.returncode == 0, result.stderr
    assert f"Ran {MIGRATIONS} migrations: the database schema is up to date" in result.stderr
    assert "already complete" not in result.stderr
    assert "not yet run" not in result.stderr


def test_migrating_again_says_the_schema_is_up_to_date(data_dir, first_migration):
    result = migrate(data_dir)

    assert result.returncode == 0, result.stderr
    assert f"The database schema is up to date ({MIGRATIONS} migrations)" in result.stderr
    assert "Ran " not in result.stderr


def test_migrating_leaves_no_postgres_running_and_no_xdg_runtime_dir_warning(data_dir):
    result = migrate(data_dir)

    assert "XDG_RUNTIME_DIR" not in result.stdout + result.stderr
    assert postgres_processes(data_dir / "postgres") == []


def serve(data_dir: Path, **settings: str) -> tuple[Running, str]:
    port = free_port()
    env = env_without_settings(STREETSHARE_DATA_DIR=str(data_dir), **settings)
    process = Running(["serve", "--migrate", "--port", str(port), "--workers", "1"], env, terminal=False)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(f"{base_url}/healthz", timeout=90)  # a first start runs initdb and the migrations
    except AssertionError:
        process.kill()
        raise AssertionError(process.output[-3000:]) from None
    return process, base_url


def test_serve_does_not_trust_x_forwarded_for_by_default_and_stops_its_postgres_on_sigterm(data_dir):
    process, base_url = serve(data_dir)
    try:
        limit = RESET_IP_LIMIT["limit"]

        statuses = ask_for_password_resets(base_url, limit + 1, forwarded_for=[f"203.0.113.{i}" for i in range(limit + 1)])

        assert statuses == [200] * limit + [429], process.output[-3000:]  # one client, whatever address it claims
        process.stop(signal.SIGTERM, timeout=30)
        assert postgres_processes(data_dir / "postgres") == []
    finally:
        process.kill()


def test_serve_trusts_x_forwarded_for_when_told(data_dir):
    process, base_url = serve(data_dir, STREETSHARE_TRUST_PROXY="true")
    try:
        limit = RESET_IP_LIMIT["limit"]

        statuses = ask_for_password_resets(base_url, limit + 1,
                                           forwarded_for=[f"198.51.100.7, 192.0.2.{i}" for i in range(limit + 1)])

        assert statuses == [200] * (limit + 1), process.output[-3000:]  # each from another client, as the proxy says
    finally:
        process.stop(signal.SIGTERM, timeout=30)
        process.kill()


def test_the_worker_stops_its_postgres_on_sigterm(data_dir, first_migration):
    process = Running(["worker"], env_without_settings(STREETSHARE_DATA_DIR=str(data_dir)), terminal=False)
    try:
        process.wait_for("worker started", timeout=60)
        assert postgres_processes(data_dir / "postgres")

        assert process.stop(signal.SIGTERM, timeout=30) == 0
        assert "worker stopped" in process.output
        assert postgres_processes(data_dir / "postgres") == []
    finally:
        process.kill()
