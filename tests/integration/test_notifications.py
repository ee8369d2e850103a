"""Notifications: written with their email job in one transaction, emailed as each resident chooses
(straight away, in one daily digest, or not at all), never twice, with one-click unsubscribe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from streetshare import clock, db, jobs
from streetshare.errors import Invalid, NotFound
from streetshare.jobs import queue
from streetshare.notifications import notify, queries, rules, service
from streetshare.notifications.service import SEND_DIGEST, SEND_EMAIL
from support.smtp import free_port, smtp_ctx

# The cast, quickly (quick_resident hashes the password once per run; these tests are not about sign-up).
MORNING = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 09:00 in London (GMT in November)
EVENING = datetime(2026, 11, 23, 18, 0, 5, tzinfo=UTC)


def closed_port_ctx(settings) -> jobs.JobContext:
    return jobs.JobContext.of(settings.with_(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_starttls=False))


async def request_from(bob, alice, **kwargs):
    return await notify(alice.id, "request_received", actor_id=bob.id, exchange_id=7,
                        text="Bob asked to borrow your ladder", url="/exchanges/7", **kwargs)


async def choose(person, **choices):
    await service.save_email_choices(acting=person.id, choices=choices, all_email_off=False)


async def notification(notification_id: int):
    return await db.fetchrow("SELECT * FROM notification WHERE id = $1", notification_id)


# ---------------------------------------------------------------- writing


async def test_notify_writes_the_notification_and_its_email_job_together(alice, bob):
    notification_id = await request_from(bob, alice)

    row = await notification(notification_id)
    assert row["resident"] == alice.id and row["kind"] == "request_received" and row["actor"] == bob.id
    assert row["exchange"] == 7 and row["url"] == "/exchanges/7" and row["read_at"] is None
    [job] = await queue.pending(SEND_EMAIL)
    assert job.payload == {"notification": notification_id} and row["email_job"] == job.id


async def test_notification_and_its_email_job_roll_back_together(alice, bob):
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await request_from(bob, alice)
            raise RuntimeError("the exchange could not be written")

    assert await db.fetchval("SELECT count(*) FROM notification") == 0
    assert await db.fetchval("SELECT count(*) FROM job") == 0


async def test_nobody_is_notified_about_their_own_action(alice):
    assert await notify(alice.id, "message", actor_id=alice.id, text="You wrote") is None
    assert await db.fetchval("SELECT count(*) FROM notification") == 0


async def test_notification_with_a_once_key_is_written_once(alice):
    first = await notify(alice.id, "due_tomorrow", text="The ladder is due back tomorrow", once_key="due:7:2026-11-24")
    again = await notify(alice.id, "due_tomorrow", text="The ladder is due back tomorrow", once_key="due:7:2026-11-24")

    assert first is not None and again is None
    assert await db.fetchval("SELECT count(*) FROM notification") == 1
    assert len(await queue.pending(SEND_EMAIL)) == 1


async def test_notification_cannot_link_outside_the_site_or_be_of_an_unknown_kind(alice):
    for url in ("https://evil.example/x", "//evil.example", "exchanges/7", "/a b"):
        with pytest.raises(ValueError):
            await notify(alice.id, "message", url=url)
    with pytest.raises(ValueError):
        await notify(alice.id, "party_invitation")
    assert await db.fetchval("SELECT count(*) FROM notification") == 0


# ---------------------------------------------------------------- email choices


async def test_default_choices_email_requests_straight_away_and_messages_in_the_digest(alice):
    choices = await queries.email_choices(alice.id)

    assert choices.delivery("request_received") == rules.IMMEDIATE
    assert choices.delivery("accepted") == rules.IMMEDIATE
    assert choices.delivery("overdue") == rules.IMMEDIATE
    assert choices.delivery("message") == rules.DAILY
    assert choices.delivery("match_found") == rules.DAILY


async def test_kind_turned_off_is_shown_in_the_app_but_never_emailed(alice, bob, settings, smtp_server):
    await choose(alice, request_received="off")

    notification_id = await request_from(bob, alice)
    with clock.frozen_at(datetime.now(UTC) + timedelta(days=2)):
        await service.schedule_daily_digests()
        await jobs.run_ready(smtp_ctx(settings, smtp_server))

    assert (await notification(notification_id))["email_via"] is None
    assert await db.fetchval("SELECT count(*) FROM job") == 0
    assert smtp_server.messages == []
    assert [i.id for i in (await queries.notifications_for(alice.id)).items] == [notification_id]


async def test_all_email_off_stops_every_kind(alice, bob, settings, smtp_server):
    await service.save_email_choices(acting=alice.id, choices={}, all_email_off=True)

    await request_from(bob, alice)
    await notify(alice.id, "message", actor_id=bob.id, text="Bob: is Saturday OK?")
    await jobs.run_ready(smtp_ctx(settings, smtp_server))

    assert await db.fetchval("SELECT count(*) FROM job") == 0
    assert smtp_server.messages == []


async def test_immediate_kind_sends_one_email(alice, bob, settings, smtp_server):
    await request_from(bob, alice)

    assert await jobs.run_ready(smtp_ctx(settings, smtp_server)) == 1
    assert await jobs.run_ready(smtp_ctx(settings, smtp_server)) == 0

    [message] = await smtp_server.wait_for(1)
    assert message["To"] == "alice@example.org"
    assert message["Subject"] == "Bob asked to borrow your ladder"


async def test_daily_kinds_wait_for_one_digest_in_the_evening(alice, bob, settings, smtp_server):
    ctx = smtp_ctx(settings, smtp_server)
    with clock.frozen_at(MORNING):
        await notify(alice.id, "message", actor_id=bob.id, text="Bob: is Saturday OK?", url="/exchanges/7")
    with clock.frozen_at(MORNING + timedelta(hours=2)):
        await notify(alice.id, "message", actor_id=bob.id, text="Bob: or Sunday?", url="/exchanges/7")
        await notify(alice.id, "thanks_received", actor_id=bob.id, text="Bob says thanks for the ladder")
        assert await jobs.run_ready(ctx) == 0, "nothing is emailed before the evening"

    [digest_job] = await queue.pending(SEND_DIGEST)
    assert digest_job.idempotency_key == f"digest:{alice.id}:2026-11-23"
    assert digest_job.run_at == datetime(2026, 11, 23, 18, 0, tzinfo=UTC)

    with clock.frozen_at(EVENING):
        assert await jobs.run_ready(ctx) == 1
    with clock.frozen_at(EVENING + timedelta(hours=3)):
        await service.schedule_daily_digests()
        await jobs.run_ready(ctx)

    [message] = await smtp_server.wait_for(1)
    assert message["Subject"] == "Your day on Streetshare: 3 updates"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Bob: is Saturday OK?" in text and "Bob: or Sunday?" in text and "Bob says thanks" in text
    assert "http://testserver.local/exchanges/7" in text
    assert await db.fetchval("SELECT count(*) FROM notification WHERE emailed_at IS NULL") == 0


async def test_next_days_notifications_go_in_the_next_days_digest(alice, bob, settings, smtp_server):
    ctx = smtp_ctx(settings, smtp_server)
    with clock.frozen_at(MORNING):
        await notify(alice.id, "message", actor_id=bob.id, text="Bob: Saturday?")
    with clock.frozen_at(EVENING):
        await jobs.run_ready(ctx)
        await notify(alice.id, "message", actor_id=bob.id, text="Bob: see you then")  # after today's digest
        assert await jobs.run_ready(ctx) == 0
    with clock.frozen_at(EVENING + timedelta(days=1)):
        assert await jobs.run_ready(ctx) == 1

    first, second = await smtp_server.wait_for(2)
    assert "Saturday?" in first.get_body(preferencelist=("plain",)).get_content()
    second_text = second.get_body(preferencelist=("plain",)).get_content()
    assert "see you then" in second_text and "Saturday?" not in second_text


async def test_digest_leaves_out_what_was_read_in_the_app_and_kinds_turned_off_since(alice, bob, settings, smtp_server):
    with clock.frozen_at(MORNING):
        read_one = await notify(alice.id, "message", actor_id=bob.id, text="Bob: already seen")
        await notify(alice.id, "thanks_received", actor_id=bob.id, text="Bob says thanks")
        await notify(alice.id, "match_found", text="A new offer matches your ask")
        await service.mark_read([read_one], acting=alice.id)
        await choose(alice, thanks_received="off")
    with clock.frozen_at(EVENING):
        await jobs.run_ready(smtp_ctx(settings, smtp_server))

    [message] = await smtp_server.wait_for(1)
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "A new offer matches your ask" in text
    assert "already seen" not in text and "thanks" not in text
    assert message["Subject"] == "Your day on Streetshare: 1 update"


async def test_digest_with_nothing_left_to_say_sends_nothing(alice, bob, settings, smtp_server):
    with clock.frozen_at(MORNING):
        await notify(alice.id, "message", actor_id=bob.id, text="Bob: hello")
        await service.mark_all_read(acting=alice.id)
    with clock.frozen_at(EVENING):
        assert await jobs.run_ready(smtp_ctx(settings, smtp_server)) == 1

    assert smtp_server.messages == []
    assert (await queue.pending()) == []


async def test_deactivated_resident_is_not_emailed(alice, bob, settings, smtp_server):
    await request_from(bob, alice)
    await db.execute("UPDATE resident SET is_active = false WHERE id = $1", alice.id)
    await request_from(bob, alice)  # written for the record, but no job

    await jobs.run_ready(smtp_ctx(settings, smtp_server))

    assert smtp_server.messages == []


# ---------------------------------------------------------------- the emails themselves


async def test_email_arrives_with_text_and_html_parts_and_one_click_unsubscribe(alice, bob, settings, smtp_server):
    await request_from(bob, alice)
    await jobs.run_ready(smtp_ctx(settings, smtp_server))

    [message] = await smtp_server.wait_for(1)
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Bob asked to borrow your ladder" in text and "Bob asked to borrow your ladder" in html
    assert "http://testserver.local/exchanges/7" in text and 'href="http://testserver.local/exchanges/7"' in html

    unsubscribe = message["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://testserver.local/unsubscribe/") and unsubscribe.endswith(">")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = unsubscribe[1:-1]
    assert url in text and f'href="{url}"' in html
    token = url.rsplit("/", 1)[1]
    assert rules.read_unsubscribe_token(settings.secret_key, token) == (alice.id, "request_received")


async def test_email_never_shows_the_other_residents_email_address(alice, bob, settings, smtp_server):
    await request_from(bob, alice)
    await notify(bob.id, "accepted", actor_id=alice.id, text="Alice accepted your request", url="/exchanges/7")
    await jobs.run_ready(smtp_ctx(settings, smtp_server))

    to_alice, to_bob = sorted(await smtp_server.wait_for(2), key=lambda m: str(m["To"]))
    assert to_alice["To"] == alice.email and to_bob["To"] == bob.email
    assert bob.email not in to_alice.as_string() and alice.email not in to_bob.as_string()
    assert sorted(e.rcpt_tos[0] for e in smtp_server.envelopes) == [alice.email, bob.email]
    assert "Bob" in to_alice.get_body(preferencelist=("plain",)).get_content()


# ---------------------------------------------------------------- never twice, never lost


async def test_email_is_retried_with_backoff_when_the_mail_server_is_down(alice, bob, settings, smtp_server):
    with clock.frozen_at(MORNING):
        notification_id = await request_from(bob, alice)
        assert await jobs.run_ready(closed_port_ctx(settings)) == 1
    [job] = await queue.pending(SEND_EMAIL)
    assert job.attempts == 1 and "Could not send email" in job.last_error
    assert timedelta(seconds=30) <= job.run_at - MORNING <= timedelta(seconds=33)
    with clock.frozen_at(job.run_at):
        assert await jobs.run_ready(closed_port_ctx(settings)) == 1
    [job] = await queue.pending(SEND_EMAIL)
    assert job.attempts == 2
    assert timedelta(seconds=60) <= job.run_at - MORNING - timedelta(seconds=30) <= timedelta(seconds=70)
    assert (await notification(notification_id))["emailed_at"] is None

    with clock.frozen_at(job.run_at):
        assert await jobs.run_ready(smtp_ctx(settings, smtp_server)) == 1

    await smtp_server.wait_for(1)
    assert len(smtp_server.messages) == 1
    assert (await queue.get(job.id)).state == "done"
    assert (await notification(notification_id))["emailed_at"] is not None


async def test_email_of_a_worker_killed_mid_run_is_sent_exactly_once_by_another(alice, bob, settings, smtp_server):
    ctx = smtp_ctx(settings, smtp_server)
    with clock.frozen_at(MORNING):
        await request_from(bob, alice)
        abandoned = await jobs.claim()  # the worker dies before it does anything
    assert abandoned is not None

    with clock.frozen_at(MORNING + timedelta(seconds=30)):
        assert await jobs.run_ready(ctx) == 0
    with clock.frozen_at(MORNING + queue.LEASE + timedelta(seconds=1)):
        assert await jobs.run_ready(ctx) == 1
    with clock.frozen_at(MORNING + timedelta(days=1)):
        assert await jobs.run_ready(ctx) == 0

    await smtp_server.wait_for(1)
    assert len(smtp_server.messages) == 1


async def test_slow_worker_whose_lease_ran_out_does_not_send_the_email_again(alice, bob, settings, smtp_server):
    ctx = smtp_ctx(settings, smtp_server)
    with clock.frozen_at(MORNING):
        await request_from(bob, alice)
        slow = await jobs.claim()
    with clock.frozen_at(MORNING + queue.LEASE + timedelta(seconds=1)):
        fast = await jobs.claim()
        assert fast is not None and fast.id == slow.id
        assert await jobs.execute(fast, ctx)
        assert await jobs.execute(slow, ctx)  # the slow one finally gets round to it

    await smtp_server.wait_for(1)
    assert len(smtp_server.messages) == 1


async def test_email_turned_off_after_it_was_queued_is_not_sent(alice, bob, settings, smtp_server):
    await request_from(bob, alice)
    await choose(alice, request_received="off")

    await jobs.run_ready(smtp_ctx(settings, smtp_server))

    assert smtp_server.messages == []
    assert await queue.pending() == []


# ---------------------------------------------------------------- unsubscribe


async def test_one_click_unsubscribe_turns_that_kind_off(alice, bob, settings, smtp_server):
    token = rules.unsubscribe_token(settings.secret_key, alice.id, "request_received")

    assert await service.unsubscribe(token=token, secret_key=settings.secret_key) == (alice.id, "request_received")
    await request_from(bob, alice)
    await jobs.run_ready(smtp_ctx(settings, smtp_server))

    choices = await queries.email_choices(alice.id)
    assert choices.delivery("request_received") == rules.OFF
    assert choices.delivery("accepted") == rules.IMMEDIATE
    assert smtp_server.messages == []


async def test_unsubscribe_from_the_digest_turns_off_every_daily_kind(alice, settings):
    token = rules.unsubscribe_token(settings.secret_key, alice.id, rules.DIGEST)

    await service.unsubscribe(token=token, secret_key=settings.secret_key)

    choices = await queries.email_choices(alice.id)
    assert choices.delivery("message") == rules.OFF and choices.delivery("match_found") == rules.OFF
    assert choices.delivery("request_received") == rules.IMMEDIATE


async def test_unsubscribe_from_everything_stops_all_email(alice, settings):
    token = rules.unsubscribe_token(settings.secret_key, alice.id, "message")

    await service.unsubscribe(token=token, secret_key=settings.secret_key, everything=True)

    choices = await queries.email_choices(alice.id)
    assert choices.all_email_off and choices.delivery("overdue") == rules.OFF


async def test_tampered_unsubscribe_token_is_refused(alice, bob, settings):
    token = rules.unsubscribe_token(settings.secret_key, alice.id, "message")
    someone_else = token.replace(f"{alice.id}.", f"{bob.id}.", 1)
    other_scope = token.replace(".message.", ".all.", 1)
    other_secret = rules.unsubscribe_token("another-secret-key-of-enough-length-000", alice.id, "message")

    for bad in (someone_else, other_scope, other_secret, token[:-1] + ("A" if token[-1] != "A" else "B"), "", "x"):
        with pytest.raises(NotFound):
            await service.unsubscribe(token=bad, secret_key=settings.secret_key)
    assert (await queries.email_choices(alice.id)).delivery("message") == rules.DAILY
    assert (await queries.email_choices(bob.id)).delivery("message") == rules.DAILY


async def test_saving_an_unknown_choice_is_refused(alice):
    with pytest.raises(Invalid) as error:
        await service.save_email_choices(acting=alice.id, choices={"message": "hourly", "gossip": "off"},
                                         all_email_off=False)
    assert set(error.value.errors) == {"message", "gossip"}


# ---------------------------------------------------------------- reading


async def test_notifications_are_listed_newest_first_a_page_at_a_time(alice, bob):
    for n in range(5):
        with clock.frozen_at(MORNING + timedelta(minutes=n)):
            await notify(alice.id, "message", actor_id=bob.id, text=f"message {n}")
    await notify(bob.id, "message", actor_id=alice.id, text="for bob")

    first = await queries.notifications_for(alice.id, limit=3)
    second = await queries.notifications_for(alice.id, cursor=first.next, limit=3)

    assert [i.text for i in first.items] == ["message 4", "message 3", "message 2"]
    assert [i.text for i in second.items] == ["message 1", "message 0"] and second.next is None
    assert first.items[0].actor_name == "Bob"


async def test_marking_all_read_touches_only_my_notifications(alice, bob):
    await notify(alice.id, "message", actor_id=bob.id, text="for alice")
    await notify(bob.id, "message", actor_id=alice.id, text="for bob")

    assert await service.mark_all_read(acting=alice.id) == 1
    assert await service.mark_all_read(acting=alice.id) == 0

    assert await queries.unread_count(alice.id) == 0
    assert await queries.unread_count(bob.id) == 1


async def test_marking_someone_elses_notification_read_does_nothing(alice, bob):
    bobs = await notify(bob.id, "message", actor_id=alice.id, text="for bob")

    assert await service.mark_read([bobs], acting=alice.id) == 0
    assert await queries.unread_count(bob.id) == 1
