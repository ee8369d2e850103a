"""How a street status prompt reaches a resident, in the notifications layer: "in the app only"
is never emailed, a prompt can be written in the app alone and emailed later (after quiet hours),
and each resident's quiet hours are kept with their email choices."""

from __future__ import annotations

from datetime import time

from support.smtp import smtp_ctx

from streetshare import db, jobs
from streetshare.jobs import queue
from streetshare.notifications import notify, queries, rules, service
from streetshare.notifications.service import SEND_EMAIL

PROMPT = "Power off on Elm Street? Is yours off too?"


async def choose(person, *, all_email_off: bool = False, quiet: rules.QuietHours | None = None, **choices):
    await service.save_email_choices(acting=person.id, choices=choices, all_email_off=all_email_off, quiet=quiet)


async def prompt(person, **kwargs) -> int | None:
    return await notify(person.id, "status_prompt", text=PROMPT, url="/streets/1/status", **kwargs)


async def test_a_prompt_in_the_app_only_is_shown_but_never_emailed(alice, settings, smtp_server):
    await choose(alice, status_prompt="app")

    notification_id = await prompt(alice)
    await jobs.run_ready(smtp_ctx(settings, smtp_server))

    assert [i.id for i in (await queries.notifications_for(alice.id)).items] == [notification_id]
    assert await db.fetchval("SELECT email_via FROM notification WHERE id = $1", notification_id) is None
    assert await db.fetchval("SELECT count(*) FROM job") == 0
    assert smtp_server.messages == []


async def test_a_prompt_switched_to_the_app_only_after_its_email_was_queued_is_not_emailed(alice, settings, smtp_server):
    await choose(alice, status_prompt="immediate")
    await prompt(alice)
    await choose(alice, status_prompt="app")

    await jobs.run_ready(smtp_ctx(settings, smtp_server))

    assert smtp_server.messages == []
    assert await queue.pending() == []


async def test_a_prompt_emailed_straight_away_sends_one_email_with_its_question(alice, settings, smtp_server):
    await choose(alice, status_prompt="immediate")
    await prompt(alice)

    await jobs.run_ready(smtp_ctx(settings, smtp_server))

    [message] = await smtp_server.wait_for(1)
    assert message["Subject"] == PROMPT


async def test_written_in_the_app_alone_then_emailed_later_once(alice, settings, smtp_server):
    await choose(alice, status_prompt="immediate")

    notification_id = await prompt(alice, email=False)
    assert await db.fetchval("SELECT count(*) FROM job") == 0
    assert await service.email_later(notification_id) is not None
    assert await service.email_later(notification_id) is None  # a second call queues nothing more
    await jobs.run_ready(smtp_ctx(settings, smtp_server))

    [message] = await smtp_server.wait_for(1)
    assert message["Subject"] == PROMPT
    row = await db.fetchrow("SELECT email_via, emailed_at FROM notification WHERE id = $1", notification_id)
    assert row["email_via"] == "immediate" and row["emailed_at"] is not None


async def test_emailed_later_only_when_they_still_want_it_emailed(alice, bob, settings, smtp_server):
    await choose(alice, status_prompt="immediate")
    await choose(bob, status_prompt="immediate", all_email_off=True)
    for_alice = await prompt(alice, email=False)
    for_bob = await prompt(bob, email=False)
    await choose(alice, status_prompt="app")

    assert await service.email_later(for_alice) is None
    assert await service.email_later(for_bob) is None
    await jobs.run_ready(smtp_ctx(settings, smtp_server))
    assert smtp_server.messages == []


async def test_quiet_hours_default_to_ten_till_seven_and_are_saved_with_the_choices(alice):
    assert (await queries.email_choices(alice.id)).quiet == rules.QuietHours(time(22, 0), time(7, 0))

    await choose(alice, status_prompt="app", quiet=rules.QuietHours(time(23, 0), time(6, 30)))
    await choose(alice, message="off")  # saving choices without quiet hours keeps them

    saved = await queries.email_choices(alice.id)
    assert saved.quiet == rules.QuietHours(time(23, 0), time(6, 30))
    assert saved.delivery("status_prompt") == rules.APP and saved.delivery("message") == rules.OFF


async def test_unsubscribing_keeps_quiet_hours(alice, settings):
    await choose(alice, status_prompt="immediate", quiet=rules.QuietHours(time(21, 0), time(8, 0)))

    await service.unsubscribe(token=rules.unsubscribe_token(settings.secret_key, alice.id, "status_prompt"),
                              secret_key=settings.secret_key)

    saved = await queries.email_choices(alice.id)
    assert saved.quiet == rules.QuietHours(time(21, 0), time(8, 0))
    assert saved.delivery("status_prompt") == rules.APP  # the emails stop; the prompts stay in the app
