"""A real SMTP server on 127.0.0.1 for tests: `smtp_server` collects what it receives.

Registered as a plugin (`pytest_plugins = ["support.smtp"]` in tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class CollectingHandler:
    """aiosmtpd handler that keeps every message it accepts, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or envelope.content
        assert isinstance(data, bytes)
        # SMTP carries CRLF line endings; store messages with "\n" as a mail client would.
        message = BytesParser(policy=policy.default).parsebytes(data.replace(b"\r\n", b"\n"))
        assert isinstance(message, EmailMessage)
        self.envelopes.append(envelope)
        self.messages.append(message)  # list.append is atomic: safe from the server's thread
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, host: str, port: int, handler: CollectingHandler) -> None:
        self.host = host
        self.port = port
        self._handler = handler

    @property
    def messages(self) -> list[EmailMessage]:
        return self._handler.messages

    @property
    def envelopes(self) -> list[Envelope]:
        """SMTP envelopes (mail_from, rcpt_tos) in the same order as `messages`."""
        return self._handler.envelopes

    async def wait_for(self, count: int = 1, timeout: float = 5) -> list[EmailMessage]:
        """Wait until at least `count` messages have arrived; return them all."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.messages) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"expected {count} message(s) within {timeout}s, got {len(self.messages)}")
            await asyncio.sleep(0.01)
        return list(self.messages)

    def wait_for_sync(self, count: int = 1, timeout: float = 5) -> list[EmailMessage]:
        """wait_for for synchronous tests (the server runs in its own thread)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} message(s) within {timeout}s, got {len(self.messages)}")
            time.sleep(0.01)
        return list(self.messages)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    host = "127.0.0.1"
    handler = CollectingHandler()
    # aiosmtpd's Controller checks readiness by connecting to the port it was given, so it
    # needs a real port number rather than 0.
    controller = Controller(handler, hostname=host, port=free_port(host), ready_timeout=5)
    controller.start()
    try:
        yield SmtpServer(host, controller.port, handler)
    finally:
        controller.stop()


def smtp_ctx(settings, server: SmtpServer):
    """A job context whose mail goes to `server` (plain SMTP, no STARTTLS)."""
    from streetshare import jobs

    return jobs.JobContext.of(settings.with_(smtp_host="127.0.0.1", smtp_port=server.port, smtp_starttls=False))
