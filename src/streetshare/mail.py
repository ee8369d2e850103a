"""Outgoing email: render it from templates, then send it by SMTP or drop it in the outbox.

Without SMTP_HOST (and always in the demo) mail is written as .eml files to the outbox folder,
so a self-hoster can try everything, password resets included, before configuring a mail server.

Message bodies carry secrets (password reset links), so they are never logged: only the
recipient's domain and the subject are.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.utils import format_datetime, make_msgid, parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import aiosmtplib
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape

from streetshare import clock
from streetshare.paths import TEMPLATES_DIR
from streetshare.settings import Settings

log = logging.getLogger(__name__)

SMTP_TIMEOUT_S = 30.0
# Port 465 speaks TLS from the first byte ("SMTPS"); every other port starts in plain text
# and upgrades with STARTTLS when settings.smtp_starttls is on.
IMPLICIT_TLS_PORT = 465

# Headers build_message sets itself; extra headers may not replace them.
_RESERVED_HEADERS = frozenset(
    {"from", "to", "cc", "bcc", "subject", "date", "message-id", "mime-version", "content-type",
     "content-transfer-encoding"}
)
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # RFC 5322 field name: printable ASCII except ':'


_ADDRESS = re.compile(r"[^\s<>@\"']+@([^\s<>@\"']+)")


class MailError(RuntimeError):
    """An email could not be sent. The message is safe to show to an operator."""


class OutboxItemNotFound(LookupError):
    """No outbox message has that id (or the id is not a well-formed outbox id)."""


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


class Mailer(Protocol):
    async def send(self, email: Email) -> None: ...


# --- rendering ----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_email(
    template: str,
    *,
    to: str,
    subject: str,
    context: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> Email:
    """Render templates/emails/{template}.txt (required) and .html (optional) into an Email.

    The templates also receive `subject`, so the HTML layout can use it as its title.
    """
    env = _environment()
    values = {"subject": subject, **context}
    text = env.get_template(f"emails/{template}.txt").render(values)
    try:
        html_template = env.get_template(f"emails/{template}.html")
    except TemplateNotFound:
        html = None
    else:
        html = html_template.render(values)
    return Email(to=to, subject=subject, text=text, html=html, headers=dict(headers or {}))


# --- the MIME message ---------------------------------------------------------------------


def _domain(address: str) -> str:
    """The domain part of an address ("Ann <ann@example.org>" -> "example.org"), for logs."""
    return parseaddr(address)[1].rpartition("@")[2] or "?"


def build_message(email: Email, *, mail_from: str) -> EmailMessage:
    """The MIME message for `email`: plain text, plus an HTML alternative when there is one."""
    message = EmailMessage(policy=policy.default)  # aiosmtplib writes CRLF on the wire
    message["From"] = mail_from
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = format_datetime(clock.now())
    # Pass the domain: without it make_msgid asks DNS for this machine's name, which can hang.
    message["Message-ID"] = make_msgid(domain=_domain(mail_from) if "@" in mail_from else "streetshare.local")
    for name, value in email.headers.items():
        if not _HEADER_NAME.match(name) or name.lower() in _RESERVED_HEADERS:
            raise ValueError(f"{name!r} cannot be set as an extra email header")
        message[name] = value
    message.set_content(email.text)
    if email.html is not None:
        message.add_alternative(email.html, subtype="html")
    return message


# --- SMTP ---------------------------------------------------------------------------------


class SmtpMailer:
    """Sends through the SMTP server in settings (SMTP_HOST, SMTP_PORT, ...)."""

    def __init__(self, settings: Settings, *, timeout: float = SMTP_TIMEOUT_S) -> None:
        self._host = settings.smtp_host
        self._port = settings.smtp_port
        self._username = settings.smtp_username
        self._password = settings.smtp_password
        self._starttls = settings.smtp_starttls
        self._mail_from = settings.mail_from
        self._timeout = timeout

    def __repr__(self) -> str:  # never show the password
        return f"SmtpMailer({self._host}:{self._port}, username={self._username!r})"

    async def send(self, email: Email) -> None:
        message = build_message(email, mail_from=self._mail_from)
        implicit_tls = self._port == IMPLICIT_TLS_PORT
        credentials: dict[str, str] = {}
        if self._username:
            credentials = {"username": self._username, "password": self._password}
        try:
            await aiosmtplib.send(
                message,
                hostname=self._host,
                port=self._port,
                use_tls=implicit_tls,
                start_tls=self._starttls and not implicit_tls,
                timeout=self._timeout,
                **credentials,
            )
        except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as exc:
            reason = str(exc) or type(exc).__name__
            if self._password:
                reason = reason.replace(self._password, "***")
            # A refusing server often echoes the recipient's address: never log it.
            reason = _ADDRESS.sub(lambda m: "…@" + m.group(1), reason)
            log.warning(
                "mail to @%s failed via %s:%s (subject %r): %s",
                _domain(email.to), self._host, self._port, email.subject, reason,
            )
            raise MailError(
                f"Could not send email to a recipient at {_domain(email.to)} "
                f"through {self._host}:{self._port}: {reason}"
            ) from None  # the original exception may carry the SMTP conversation
        log.info("mail sent to @%s via SMTP: %r", _domain(email.to), email.subject)


# --- the outbox ---------------------------------------------------------------------------

_OUTBOX_ID = re.compile(r"^\d{8}T\d{12}Z-[0-9a-f]{8}$")
_STAMP_FORMAT = "%Y%m%dT%H%M%S%fZ"


@dataclass(frozen=True)
class OutboxItem:
    id: str
    to: str
    subject: str
    sent_at: datetime
    text: str | None = None
    html: str | None = None


class OutboxMailer:
    """Writes each email as an .eml file in the outbox folder instead of sending it."""

    def __init__(self, outbox_dir: Path, *, mail_from: str = Settings.mail_from) -> None:
        self.outbox_dir = Path(outbox_dir)
        self._mail_from = mail_from

    def __repr__(self) -> str:
        return f"OutboxMailer({str(self.outbox_dir)!r})"

    async def send(self, email: Email) -> None:
        message = build_message(email, mail_from=self._mail_from)
        item_id = await asyncio.to_thread(self._write, message.as_bytes())
        log.info("mail to @%s written to the outbox as %s: %r", _domain(email.to), item_id, email.subject)

    def _write(self, data: bytes) -> str:
        # The outbox holds live password reset links: keep it private to this user.
        self.outbox_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        item_id = f"{clock.now().astimezone(UTC).strftime(_STAMP_FORMAT)}-{secrets.token_hex(4)}"
        # Write then rename, so a reader never sees half a message. mkstemp makes the file 0600;
        # the leading dot keeps it out of list_outbox until it is complete.
        fd, tmp = tempfile.mkstemp(dir=self.outbox_dir, prefix=f".{item_id}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.outbox_dir / f"{item_id}.eml")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return item_id


def _sent_at(item_id: str) -> datetime:
    return datetime.strptime(item_id.partition("-")[0], _STAMP_FORMAT).replace(tzinfo=UTC)


def list_outbox(outbox_dir: Path, limit: int = 50) -> list[OutboxItem]:
    """The most recent outbox messages, newest first, without their bodies."""
    outbox_dir = Path(outbox_dir)
    if not outbox_dir.is_dir():
        return []
    ids = [p.stem for p in outbox_dir.glob("*.eml") if _OUTBOX_ID.match(p.stem)]
    ids.sort(key=lambda i: (i.partition("-")[0], (outbox_dir / f"{i}.eml").stat().st_mtime_ns), reverse=True)
    items = []
    parser = BytesHeaderParser(policy=policy.default)
    for item_id in ids[: max(limit, 0)]:
        try:
            with open(outbox_dir / f"{item_id}.eml", "rb") as f:
                headers = parser.parse(f)
        except FileNotFoundError:  # removed since we listed the folder
            continue
        items.append(
            OutboxItem(id=item_id, to=str(headers["To"] or ""), subject=str(headers["Subject"] or ""),
                       sent_at=_sent_at(item_id))
        )
    return items


def read_outbox(outbox_dir: Path, item_id: str) -> OutboxItem:
    """One outbox message with its text and HTML bodies. Raises OutboxItemNotFound."""
    # Only ids of the exact shape OutboxMailer makes: no separators, dots or other surprises.
    if not isinstance(item_id, str) or not _OUTBOX_ID.fullmatch(item_id):
        raise OutboxItemNotFound(f"{item_id!r} is not an outbox message id")
    try:
        with open(Path(outbox_dir) / f"{item_id}.eml", "rb") as f:
            message = BytesParser(policy=policy.default).parse(f)
    except FileNotFoundError:
        raise OutboxItemNotFound(f"no outbox message {item_id}") from None
    assert isinstance(message, EmailMessage)
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    return OutboxItem(
        id=item_id,
        to=str(message["To"] or ""),
        subject=str(message["Subject"] or ""),
        sent_at=_sent_at(item_id),
        text=text_part.get_content() if text_part is not None else None,
        html=html_part.get_content() if html_part is not None else None,
    )


# --- choosing -----------------------------------------------------------------------------


def make_mailer(settings: Settings) -> Mailer:
    """SMTP when SMTP_HOST is set, otherwise the outbox.

    The demo always uses the outbox: its residents have made-up addresses that must never
    receive real mail, even if the environment happens to configure a server.
    """
    if settings.smtp_host and not settings.demo:
        return SmtpMailer(settings)
    return OutboxMailer(settings.outbox_dir, mail_from=settings.mail_from)
