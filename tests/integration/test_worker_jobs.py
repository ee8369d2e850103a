"""The worker as it really runs: inside the web app (the demo), and as `streetshare worker`, killed
with SIGKILL in the middle of sending an email and started again: the email arrives exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from streetshare import db, worker
from streetshare.app import create_app
from streetshare.jobs import queue
from streetshare.notifications import notify
from support.smtp import CollectingHandler, SmtpServer, free_port

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


def smtp_settings(settings, server):
    return settings.with_(smtp_host="127.0.0.1", smtp_port=server.port, smtp_starttls=False)


async def request_from(bob, alice) -> int:
    return await notify(alice.id, "request_received", actor_id=bob.id, text="Bob asked to borrow your ladder",
                        url="/exchanges/7")


async def test_worker_loop_sends_queued_email_and_stops_when_asked(alice, bob, settings, smtp_server):
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run_forever(stop, settings=smtp_settings(settings, smtp_server), poll_s=0.05,
                                                     every_s=3600))
    try:
        await request_from(bob, alice)
        [message] = await smtp_server.wait_for(1)
    finally:
        stop.set()
        await asyncio.wait_for(running, timeout=10)

    assert message["Subject"] == "Bob asked to borrow your ladder"


async def test_demo_web_process_runs_the_worker_inside(alice, bob, settings, smtp_server):
    app = create_app(smtp_settings(settings, smtp_server).with_(embedded_worker=True), manage_pool=False)
    async with app.lifespan():  # what uvicorn does around serving requests, in this event loop
        await request_from(bob, alice)
        await smtp_server.wait_for(1, timeout=10)


# ---------------------------------------------------------------- a real process, killed mid-send


class StallingHandler(CollectingHandler):
    """An SMTP server that stalls on the first recipient it is given, until released, so that a
    worker can be killed while it is in the middle of sending."""

    def __init__(self) -> None:
        super().__init__()
        self.stalled = threading.Event()
        self.release = threading.Event()
        self.calls = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.calls += 1
        if self.calls == 1:
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def stalling_smtp():
    handler = StallingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), ready_timeout=5)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", controller.port, handler), handler
    finally:
        handler.release.set()
        controller.stop()


def start_worker(database_url: str, smtp_port: int, data_dir: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "BASE_URL": "http://testserver.local",
        "STREETSHARE_MODE": "development",
        "STREETSHARE_DATA_DIR": str(data_dir),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_STARTTLS": "false",
        "LOG_LEVEL": "WARNING",
    }
    command = Path(sys.executable).parent / "streetshare"  # what `uv run streetshare` runs
    return subprocess.Popen(
        [str(command), "worker", "--every", "3600", "--lease", "2", "--concurrency", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


async def wait_until(check, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := await check():
            return result
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def test_worker_killed_mid_send_loses_nothing_and_sends_once_after_a_restart(alice, bob, database_url,
                                                                                   stalling_smtp, tmp_path):
    server, handler = stalling_smtp
    notification_id = await request_from(bob, alice)
    [job] = await queue.pending()

    first = start_worker(database_url, server.port, tmp_path)
    second = None
    try:
        assert await asyncio.to_thread(handler.stalled.wait, 30), "the worker never started sending"
        claimed = await queue.get(job.id)
        assert claimed.attempts == 1 and claimed.locked_until is not None

        first.send_signal(signal.SIGKILL)  # in the middle of the SMTP conversation
        await asyncio.to_thread(first.wait, 10)
        handler.release.set()

        second = start_worker(database_url, server.port, tmp_path)
        done = await wait_until(lambda: _done(job.id))
        await asyncio.sleep(0.5)  # anything else on its way would have arrived by now
    finally:
        for process in (first, second):
            if process and process.poll() is None:
                process.terminate()
                await asyncio.to_thread(process.wait, 10)

    assert done.attempts == 2, "taken again once the killed worker's lease ran out"
    assert len(server.messages) == 1 and server.messages[0]["Subject"] == "Bob asked to borrow your ladder"
    assert await db.fetchval("SELECT emailed_at IS NOT NULL FROM notification WHERE id = $1", notification_id)
    assert second.returncode == 0, second.stderr.read().decode() if second.stderr else ""


async def _done(job_id: int):
    job = await queue.get(job_id)
    return job if job and job.state == "done" else None
