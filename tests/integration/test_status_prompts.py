"""Street status prompts: neighbours who opted in are asked once per incident "Power off on Elm
Street? Is yours off too?", in the app and by email as they chose; never the one who opened it,
never once the incident has ended, never twice about one topic within six hours, and never by
email in their quiet hours (the email waits for the morning, and only if it is still off)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from streetshare import clock, db, jobs
from streetshare.notifications import rules as notification_rules
from streetshare.notifications import service as notifications
from streetshare.status import prompts
from streetshare.status import service as status
from support.cast import Person, make_street, place_resident, quick_resident
from support.smtp import smtp_ctx

AFTERNOON = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 14:00 in London (GMT)
LATE_EVENING = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # 23:30 in London: quiet hours
NEXT_MORNING = datetime(2026, 11, 24, 7, 0, 30, tzinfo=UTC)  # just after 07:00
QUESTION = "Power off on Elm Street? Is yours off too?"


@pytest.fixture
async def elm(carol):
    return await make_street("Elm Street", coordinator=carol)


async def neighbour(name: str, street, n: int, *, prompts_by: str | None = None) -> Person:
    """A resident of `street` with a home of their own (n metres apart), opted in to prompts if `prompts_by`."""
    person = await quick_resident(name)
    await place_resident(person, street, home=(street.lat + 0.0001 * n, street.lng))
    if prompts_by:
        await opt_in(person, prompts_by)
    return person


async def opt_in(person: Person, how: str, *, quiet: notification_rules.QuietHours | None = None) -> None:
    await notifications.save_email_choices(acting=person.id, choices={"status_prompt": how}, all_email_off=False,
                                           quiet=quiet)


async def prompts_of(person: Person) -> list[dict]:
    rows = await db.fetch("SELECT text, url, once_key, email_via, emailed_at FROM notification "
                          "WHERE resident = $1 AND kind = 'status_prompt' ORDER BY id", person.id)
    return [dict(r) for r in rows]


async def run_jobs_at(moment: datetime, ctx: jobs.JobContext) -> int:
    with clock.frozen_at(moment):
        return await jobs.run_ready(ctx)


async def report(person: Person, street, topic: str = "power", *, affected: bool = True, at: datetime = AFTERNOON) -> bool:
    with clock.frozen_at(at):
        return await status.report(street.id, topic, acting=person.id, affected=affected)


# ---------------------------------------------------------------- who is asked


async def test_neighbours_who_opted_in_are_asked_once_in_the_app_and_by_email_as_they_chose(elm, settings,
                                                                                          smtp_server):
    by_email = await neighbour("Alice", elm, 1, prompts_by="immediate")
    in_app = await neighbour("Erin", elm, 2, prompts_by="app")
    opener = await neighbour("Bob", elm, 3)
    elsewhere = await quick_resident("Dave")
    await opt_in(elsewhere, "immediate")
    ctx = smtp_ctx(settings, smtp_server)

    assert await report(opener, elm)
    assert await run_jobs_at(AFTERNOON + timedelta(minutes=1), ctx) == 0  # the job waits two minutes
    await run_jobs_at(AFTERNOON + timedelta(minutes=2, seconds=5), ctx)

    [to_alice] = await prompts_of(by_email)
    assert to_alice["text"] == QUESTION
    assert to_alice["url"].startswith(f"/streets/{elm.id}/status")
    [to_erin] = await prompts_of(in_app)
    assert to_erin["email_via"] is None
    assert await prompts_of(elsewhere) == []
    [message] = await smtp_server.wait_for(1)
    assert message["To"] == by_email.email and message["Subject"] == QUESTION


async def test_one_prompt_per_resident_per_incident_even_when_the_job_runs_twice(elm, settings, smtp_server):
    alice = await neighbour("Alice", elm, 1, prompts_by="immediate")
    bob = await neighbour("Bob", elm, 2)
    await report(bob, elm)
    incident = await db.fetchval("SELECT id FROM status_incident")

    with clock.frozen_at(AFTERNOON + timedelta(minutes=3)):
        await jobs.enqueue(prompts.PROMPT_JOB, {"incident": incident}, idempotency_key="a-second-run")
        assert await jobs.run_ready(smtp_ctx(settings, smtp_server)) >= 2
        assert await prompts.prompt_neighbours(incident) == 0

    assert len(await prompts_of(alice)) == 1
    assert len(await smtp_server.wait_for(1)) == 1
    assert await db.fetchval("SELECT count(*) FROM job WHERE kind = 'send_notification_email'") == 1


async def test_nobody_is_prompted_without_opting_in(elm, settings, smtp_server):
    never_chose = await neighbour("Alice", elm, 1)
    said_no = await neighbour("Erin", elm, 2, prompts_by="off")
    said_yes = await neighbour("Frank", elm, 4, prompts_by="app")  # shows the prompts did go out
    opener = await neighbour("Bob", elm, 3)

    await report(opener, elm)
    await run_jobs_at(AFTERNOON + timedelta(minutes=3), smtp_ctx(settings, smtp_server))

    assert len(await prompts_of(said_yes)) == 1
    assert await prompts_of(never_chose) == [] and await prompts_of(said_no) == []
    assert smtp_server.messages == []


async def test_stop_all_email_still_leaves_the_prompt_in_the_app(elm, settings, smtp_server):
    alice = await neighbour("Alice", elm, 1)
    await notifications.save_email_choices(acting=alice.id, choices={"status_prompt": "immediate"}, all_email_off=True)
    await report(await neighbour("Bob", elm, 2), elm)

    await run_jobs_at(AFTERNOON + timedelta(minutes=3), smtp_ctx(settings, smtp_server))

    assert len(await prompts_of(alice)) == 1
    assert smtp_server.messages == []


async def test_the_resident_who_opened_it_is_not_prompted_even_after_withdrawing(elm, settings, smtp_server):
    opener = await neighbour("Bob", elm, 1, prompts_by="app")
    alice = await neighbour("Alice", elm, 2, prompts_by="app")
    erin = await neighbour("Erin", elm, 3, prompts_by="app")
    await report(opener, elm)
    await report(alice, elm)
    with clock.frozen_at(AFTERNOON + timedelta(minutes=1)):
        await status.withdraw(elm.id, "power", acting=opener.id)

    await run_jobs_at(AFTERNOON + timedelta(minutes=3), smtp_ctx(settings, smtp_server))

    assert await prompts_of(opener) == []
    assert await prompts_of(alice) == []  # answered already
    assert len(await prompts_of(erin)) == 1


async def test_an_incident_that_has_ended_prompts_nobody(elm, settings, smtp_server):
    alice = await neighbour("Alice", elm, 1, prompts_by="immediate")
    bob = await neighbour("Bob", elm, 2)
    await report(bob, elm)
    await report(bob, elm, affected=False, at=AFTERNOON + timedelta(minutes=1))  # it's back: the incident ends

    assert await run_jobs_at(AFTERNOON + timedelta(minutes=3), smtp_ctx(settings, smtp_server)) >= 1  # the prompts job ran

    assert await db.fetchval("SELECT ended_reason FROM status_incident") == "back"
    assert await prompts_of(alice) == []
    assert smtp_server.messages == []


async def test_never_a_storm_one_prompt_per_topic_per_six_hours_across_incidents(elm, settings, smtp_server):
    alice = await neighbour("Alice", elm, 1, prompts_by="app")
    bob = await neighbour("Bob", elm, 2)
    ctx = smtp_ctx(settings, smtp_server)

    async def flicker(topic: str, at: datetime) -> None:
        """An incident that opens at `at`, prompts two minutes later, and comes back ten minutes later."""
        assert await report(bob, elm, topic, at=at)
        await run_jobs_at(at + timedelta(minutes=3), ctx)
        await report(bob, elm, topic, affected=False, at=at + timedelta(minutes=10))

    await flicker("power", AFTERNOON)
    await flicker("power", AFTERNOON + timedelta(hours=1))  # the power flickers again: no second prompt
    await flicker("water", AFTERNOON + timedelta(hours=1, minutes=30))  # another topic: asked
    await flicker("power", AFTERNOON + timedelta(hours=5, minutes=55))  # still within six hours of the first
    await flicker("power", AFTERNOON + timedelta(hours=6, minutes=5))  # six hours on: asked again

    texts = [p["text"] for p in await prompts_of(alice)]
    assert texts == [QUESTION, "No water on Elm Street? Is yours off too?", QUESTION]


# ---------------------------------------------------------------- quiet hours


async def test_in_quiet_hours_the_prompt_waits_in_the_app_and_is_emailed_in_the_morning_if_still_off(
        elm, settings, smtp_server):
    alice = await neighbour("Alice", elm, 1, prompts_by="immediate")
    bob = await neighbour("Bob", elm, 2)
    ctx = smtp_ctx(settings, smtp_server)
    await report(bob, elm, at=LATE_EVENING)

    await run_jobs_at(LATE_EVENING + timedelta(minutes=3), ctx)
    [written] = await prompts_of(alice)
    assert written["text"] == QUESTION and written["emailed_at"] is None
    await run_jobs_at(NEXT_MORNING - timedelta(minutes=5), ctx)
    assert smtp_server.messages == []

    await run_jobs_at(NEXT_MORNING, ctx)
    [message] = await smtp_server.wait_for(1)
    assert message["To"] == alice.email and message["Subject"] == QUESTION
    await run_jobs_at(NEXT_MORNING + timedelta(hours=1), ctx)
    assert len(smtp_server.messages) == 1


async def test_in_quiet_hours_no_email_at_all_when_it_came_back_in_the_night(elm, settings, smtp_server):
    alice = await neighbour("Alice", elm, 1, prompts_by="immediate")
    bob = await neighbour("Bob", elm, 2)
    ctx = smtp_ctx(settings, smtp_server)
    await report(bob, elm, at=LATE_EVENING)
    await run_jobs_at(LATE_EVENING + timedelta(minutes=3), ctx)
    assert len(await prompts_of(alice)) == 1  # in the app at once, silently
    assert await db.fetchval("SELECT count(*) FROM job WHERE kind = $1", prompts.PROMPT_EMAIL_JOB) == 1  # held

    await report(bob, elm, affected=False, at=LATE_EVENING + timedelta(hours=3))  # back at 02:30
    await run_jobs_at(NEXT_MORNING, ctx)

    assert smtp_server.messages == []
    assert len(await prompts_of(alice)) == 1  # the question stays in the app, where the page says it's back


async def test_in_quiet_hours_no_email_in_the_morning_to_whoever_answered_in_the_night(elm, settings, smtp_server):
    alice = await neighbour("Alice", elm, 1, prompts_by="immediate")
    bob = await neighbour("Bob", elm, 2)
    erin = await neighbour("Erin", elm, 3)
    ctx = smtp_ctx(settings, smtp_server)
    await report(bob, elm, at=LATE_EVENING)
    await report(erin, elm, at=LATE_EVENING)
    await run_jobs_at(LATE_EVENING + timedelta(minutes=3), ctx)
    assert len(await prompts_of(alice)) == 1  # in the app at once, silently
    assert await db.fetchval("SELECT count(*) FROM job WHERE kind = $1", prompts.PROMPT_EMAIL_JOB) == 1  # held

    await report(alice, elm, at=LATE_EVENING + timedelta(minutes=20))  # saw it in the app: hers is off too
    await run_jobs_at(NEXT_MORNING, ctx)

    assert smtp_server.messages == []


async def test_quiet_hours_are_each_residents_own(elm, settings, smtp_server):
    night_owl = await neighbour("Alice", elm, 1)
    await opt_in(night_owl, "immediate", quiet=notification_rules.QuietHours(time(1, 0), time(6, 0)))
    early_riser = await neighbour("Erin", elm, 2)
    await opt_in(early_riser, "immediate")
    await report(await neighbour("Bob", elm, 3), elm, at=LATE_EVENING)

    await run_jobs_at(LATE_EVENING + timedelta(minutes=3), smtp_ctx(settings, smtp_server))

    [message] = await smtp_server.wait_for(1)  # 23:33 is not quiet for her
    assert message["To"] == night_owl.email
    assert len(await prompts_of(early_riser)) == 1


def test_the_worker_knows_the_prompt_jobs():
    """The worker process runs them: importing the worker registers both handlers (run apart from this
    test module, which imports status.prompts itself)."""
    import subprocess
    import sys

    code = ("import streetshare.worker, streetshare.jobs as j; "
            "print(sorted(k for k in j.HANDLERS if k.startswith('status_prompt')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['status_prompt_email', 'status_prompts']"


async def test_the_prompt_opens_the_street_status_page_at_its_yes_and_no_answers(elm, settings, smtp_server, client):
    from support.cast import sign_in

    alice = await neighbour("Alice", elm, 1, prompts_by="app")
    await report(await neighbour("Bob", elm, 2), elm)
    await run_jobs_at(AFTERNOON + timedelta(minutes=3), smtp_ctx(settings, smtp_server))
    [prompt] = await prompts_of(alice)
    path, anchor = prompt["url"].split("#")

    await sign_in(client, alice)
    page = (await client.get(path)).text

    section = page[page.index(f'id="{anchor}"'):]
    section = section[: section.index("</li>")]
    assert "Mine&#39;s off too" in section or "Mine's off too" in section
    assert "Mine&#39;s fine" in section or "Mine's fine" in section
    assert f'action="/streets/{elm.id}/status/power"' in section
