"""Outgoing email: rendering, SMTP delivery to a real local server, and the outbox."""

from __future__ import annotations

import logging
import stat
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from streetshare import clock
from streetshare.mail import (
    Email,
    MailError,
    OutboxItemNotFound,
    OutboxMailer,
    SmtpMailer,
    build_message,
    list_outbox,
    make_mailer,
    read_outbox,
    render_email,
)
from streetshare.settings import Settings

RESET_URL = "http://127.0.0.1:8000/password-reset/s3cret-token"


def reset_email(to: str = "alice@example.org", **headers: str) -> Email:
    return render_email(
        "password_reset",
        to=to,
        subject="Reset your Streetshare password",
        context={"display_name": "Alice", "reset_url": RESET_URL, "valid_minutes": 60},
        headers=headers or None,
    )


def smtp_settings(server, **changes) -> Settings:
    return Settings(smtp_host=server.host, smtp_port=server.port, smtp_starttls=False,
                    mail_from="Elm Street <no-reply@elm.example>").with_(**changes)


# --- rendering ---------------------------------------------------------------------------


def test_password_reset_email_has_the_link_and_how_long_it_works_in_both_parts():
    email = reset_email()

    assert email.subject == "Reset your Streetshare password"
    assert "Hi Alice," in email.text
    assert RESET_URL in email.text and "60 minutes" in email.text
    assert email.html is not None
    assert f'href="{RESET_URL}"' in email.html and "60 minutes" in email.html
    assert "<title>Reset your Streetshare password</title>" in email.html


def test_render_email_escapes_html_but_leaves_text_as_written():
    email = render_email(
        "password_reset",
        to="bob@example.org",
        subject="Reset",
        context={"display_name": "<b>Bob</b> & Co", "reset_url": RESET_URL, "valid_minutes": 30},
    )

    assert email.html is not None
    assert "&lt;b&gt;Bob&lt;/b&gt; &amp; Co" in email.html
    assert "<b>Bob</b>" not in email.html
    assert "Hi <b>Bob</b> & Co," in email.text


def test_render_email_refuses_a_missing_context_value():
    with pytest.raises(Exception, match="reset_url"):
        render_email("password_reset", to="a@example.org", subject="Reset",
                     context={"display_name": "Alice", "valid_minutes": 60})


def test_extra_headers_cannot_replace_the_sender_or_recipient():
    with pytest.raises(ValueError, match="From"):
        build_message(reset_email(From="someone@else.example"), mail_from="no-reply@elm.example")


def test_header_values_cannot_smuggle_extra_headers():
    with pytest.raises(ValueError):
        build_message(reset_email(**{"X-Note": "hi\r\nBcc: eve@example.org"}), mail_from="no-reply@elm.example")


# --- SMTP ----------------------------------------------------------------------------------


async def test_smtp_mailer_delivers_text_and_html_alternatives(smtp_server):
    await SmtpMailer(smtp_settings(smtp_server)).send(reset_email())

    [message] = await smtp_server.wait_for(1)
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and RESET_URL in text.get_content()
    assert html is not None and f'href="{RESET_URL}"' in html.get_content()


async def test_smtp_mailer_sends_from_the_configured_sender_with_subject_and_extra_headers(smtp_server):
    unsubscribe = "<http://127.0.0.1:8000/unsubscribe/abc>"
    email = reset_email(**{"List-Unsubscribe": unsubscribe, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})

    await SmtpMailer(smtp_settings(smtp_server)).send(email)

    [message] = await smtp_server.wait_for(1)
    assert message["From"] == "Elm Street <no-reply@elm.example>"
    assert message["To"] == "alice@example.org"
    assert message["Subject"] == "Reset your Streetshare password"
    assert message["List-Unsubscribe"] == unsubscribe
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"].endswith("@elm.example>")
    assert message["Date"] is not None
    [envelope] = smtp_server.envelopes
    assert envelope.mail_from == "no-reply@elm.example"
    assert envelope.rcpt_tos == ["alice@example.org"]


async def test_smtp_mailer_sends_text_only_email_as_a_single_part(smtp_server):
    await SmtpMailer(smtp_settings(smtp_server)).send(Email(to="bob@example.org", subject="Hi", text="Plain.\n", html=None, headers={}))

    [message] = await smtp_server.wait_for(1)
    assert message.get_content_type() == "text/plain"
    assert message.get_content() == "Plain.\n"


async def test_unreachable_smtp_server_raises_mail_error_without_the_password(smtp_server):
    settings = smtp_settings(smtp_server, smtp_port=smtp_server.port + 1 if smtp_server.port < 65535 else 1,
                             smtp_username="mailer", smtp_password="hunter2-very-secret")
    mailer = SmtpMailer(settings, timeout=2)

    with pytest.raises(MailError) as caught:
        await mailer.send(reset_email())

    assert "example.org" in str(caught.value)
    assert "hunter2-very-secret" not in str(caught.value)
    assert "hunter2-very-secret" not in repr(mailer)
    assert RESET_URL not in str(caught.value)


# --- the outbox -----------------------------------------------------------------------------


async def test_outbox_mailer_writes_a_parseable_eml_file(tmp_path: Path):
    await OutboxMailer(tmp_path, mail_from="no-reply@elm.example").send(reset_email(**{"X-Streetshare": "yes"}))

    [path] = list(tmp_path.iterdir())
    assert path.suffix == ".eml"
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(message, EmailMessage)
    assert message["From"] == "no-reply@elm.example"
    assert message["X-Streetshare"] == "yes"
    assert RESET_URL in message.get_body(preferencelist=("plain",)).get_content()


async def test_outbox_files_are_readable_only_by_their_owner(tmp_path: Path):
    outbox = tmp_path / "outbox"
    await OutboxMailer(outbox).send(reset_email())

    [path] = list(outbox.iterdir())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(outbox.stat().st_mode) == 0o700


async def test_outbox_lists_newest_first_and_reads_back_both_bodies(tmp_path: Path):
    mailer = OutboxMailer(tmp_path)
    with clock.frozen_at(datetime(2026, 3, 1, 9, 0, tzinfo=UTC)):
        await mailer.send(reset_email("alice@example.org"))
    with clock.frozen_at(datetime(2026, 3, 1, 10, 30, tzinfo=UTC)):
        await mailer.send(reset_email("bob@example.org"))

    items = list_outbox(tmp_path)

    assert [i.to for i in items] == ["bob@example.org", "alice@example.org"]
    assert items[0].subject == "Reset your Streetshare password"
    assert items[0].sent_at == datetime(2026, 3, 1, 10, 30, tzinfo=UTC)
    assert items[0].text is None and items[0].html is None
    item = read_outbox(tmp_path, items[1].id)
    assert item.to == "alice@example.org"
    assert item.text is not None and RESET_URL in item.text
    assert item.html is not None and f'href="{RESET_URL}"' in item.html
    assert "\r" not in item.text


async def test_list_outbox_stops_at_the_limit(tmp_path: Path):
    mailer = OutboxMailer(tmp_path)
    for n in range(3):
        await mailer.send(Email(to=f"r{n}@example.org", subject=f"#{n}", text="x\n", html=None, headers={}))

    assert len(list_outbox(tmp_path, limit=2)) == 2


def test_list_outbox_of_a_folder_never_written_is_empty(tmp_path: Path):
    assert list_outbox(tmp_path / "outbox") == []


def test_list_outbox_ignores_files_it_did_not_write(tmp_path: Path):
    (tmp_path / "notes.eml").write_text("Subject: not ours\n\nhello\n")
    (tmp_path / ".20260301T090000000000Z-abcdef12.abc.tmp").write_text("half a message")

    assert list_outbox(tmp_path) == []


@pytest.mark.parametrize(
    "item_id",
    ["../x", "..", "../../etc/passwd", "/etc/passwd", "20260301T090000000000Z-abcdef12/../x",
     "20260301T090000000000Z-abcdef12.eml", "20260301T090000000000Z-ABCDEF12", "", "notes"],
)
def test_read_outbox_rejects_ids_it_never_makes(tmp_path: Path, item_id: str):
    (tmp_path / "x.eml").write_text("Subject: secret\n\nsecret\n")

    with pytest.raises(OutboxItemNotFound):
        read_outbox(tmp_path / "outbox", item_id)


def test_read_outbox_of_an_unknown_id_is_not_found(tmp_path: Path):
    with pytest.raises(OutboxItemNotFound):
        read_outbox(tmp_path, "20260301T090000000000Z-abcdef12")


async def test_mail_bodies_never_reach_the_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG, logger="streetshare")

    await OutboxMailer(tmp_path).send(reset_email())

    assert "example.org" in caplog.text
    assert "alice@" not in caplog.text
    assert "s3cret-token" not in caplog.text


# --- choosing a mailer -------------------------------------------------------------------------


def test_mail_goes_over_smtp_when_a_server_is_configured(tmp_path: Path):
    assert isinstance(make_mailer(Settings(smtp_host="mail.example.org", data_dir=tmp_path)), SmtpMailer)


def test_mail_goes_to_the_outbox_without_a_server(tmp_path: Path):
    mailer = make_mailer(Settings(data_dir=tmp_path))

    assert isinstance(mailer, OutboxMailer)
    assert mailer.outbox_dir == tmp_path / "outbox"


def test_the_demo_never_sends_real_mail(tmp_path: Path):
    assert isinstance(make_mailer(Settings(mode="demo", smtp_host="mail.example.org", data_dir=tmp_path)), OutboxMailer)


async def test_a_refused_recipient_address_never_reaches_the_logs_or_the_error(caplog):
    """Servers echo the address they refuse; the error and the log keep only its domain."""
    from aiosmtpd.controller import Controller
    from support.smtp import free_port

    class Refuse:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            return f"550 5.1.1 <{address}>: Recipient address rejected"

    controller = Controller(Refuse(), hostname="127.0.0.1", port=free_port(), ready_timeout=5)
    controller.start()
    try:
        settings = Settings(smtp_host="127.0.0.1", smtp_port=controller.port, smtp_starttls=False)
        email = Email(to="mrs.jones@example.org", subject="Hello", text="Hi")
        with caplog.at_level("DEBUG"), pytest.raises(MailError) as raised:
            await SmtpMailer(settings).send(email)
    finally:
        controller.stop()
    assert "mrs.jones" not in str(raised.value)
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("mail.log")]  # mail.log: the test server
    assert ours and not any("mrs.jones" in line for line in ours)
    assert "example.org" in str(raised.value)
