"""Hearing about new things: an opt-in daily round-up of new offers and asks on my street (in the app
and in the evening digest email, one email a day at most, one-click unsubscribe), and an immediate
alert when a new ask matches something I offer.

alice reads the round-up; bob and dave post on Elm Street; carol lives on Oak Road.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support.cast import ELM_STREET, OAK_ROAD, app_client, block, make_street, place_resident
from support.smtp import smtp_ctx

from streetshare import clock, db, jobs
from streetshare.errors import Invalid
from streetshare.feed import digest
from streetshare.matching import service as matching  # noqa: F401 (registers the match_ask job)
from streetshare.notifications import notify, queries, rules, service
from streetshare.notifications.service import SEND_EMAIL

MORNING = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 09:00 in London (GMT in November)
BEFORE_THE_DIGEST = datetime(2026, 11, 23, 17, 50, tzinfo=UTC)  # after the round-up cutoff (17:45)
EVENING = datetime(2026, 11, 23, 18, 0, 5, tzinfo=UTC)  # the digest goes out at 18:00


async def opt_in(person, **more) -> None:
    await service.save_email_choices(acting=person.id, choices={"street_news": "daily", **more}, all_email_off=False)


async def post(kind: str, owner, street, title: str, *, hidden: bool = False) -> int:
    """An offer or ask row, written directly at the current (frozen) time."""
    if kind == "offer":
        sql = ("INSERT INTO offer (owner, street, kind, title, category, status, hidden_at, created_at, updated_at) "
               "VALUES ($1, $2, 'lend', $3, 'tools', 'active', $4, $5, $5) RETURNING id")
        return await db.fetchval(sql, owner.id, street.id, title, clock.now() if hidden else None, clock.now())
    sql = ("INSERT INTO ask (owner, street, title, category, help_kind, expires_at, status, hidden_at, created_at, "
           "updated_at) VALUES ($1, $2, $3, 'tools', 'borrow', $4, 'open', $5, $6, $6) RETURNING id")
    return await db.fetchval(sql, owner.id, street.id, title, clock.now() + timedelta(days=30),
                             clock.now() if hidden else None, clock.now())


async def elm(*people):
    street = await make_street("Elm Street", ELM_STREET)
    for i, person in enumerate(people):
        await place_resident(person, street, home=(street.lat + 0.0009 * (i + 1), street.lng))
    return street


def plain(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


async def roundups(person) -> list:
    return [i for i in (await queries.notifications_for(person.id)).items if i.kind == "street_news"]


# ---------------------------------------------------------------- the round-up


async def test_daily_digest_lists_new_offers_and_asks_on_my_street_once(alice, bob, settings, smtp_server):
    street = await elm(alice, bob)
    await opt_in(alice)
    with clock.frozen_at(MORNING):
        ladder = await post("offer", bob, street, "Step ladder")
        drill = await post("ask", bob, street, "Anyone got a drill?")
    with clock.frozen_at(BEFORE_THE_DIGEST):
        assert await digest.compose_street_roundups() == 1
        assert await digest.compose_street_roundups() == 0, "one round-up a day, however often upkeep runs"
    with clock.frozen_at(EVENING):
        assert await jobs.run_ready(smtp_ctx(settings, smtp_server)) == 1

    [message] = await smtp_server.wait_for(1)
    text, html = plain(message), message.get_body(preferencelist=("html",)).get_content()
    assert "New on your street: 1 offer and 1 ask" in text
    assert f"Step ladder (offer): http://testserver.local/offers/{ladder}" in text
    assert f"Anyone got a drill? (ask): http://testserver.local/asks/{drill}" in text
    assert f'href="http://testserver.local/offers/{ladder}"' in html and "Step ladder" in html
    [in_app] = await roundups(alice)
    assert sorted(d["title"] for d in in_app.details) == ["Anyone got a drill?", "Step ladder"]
    assert in_app.url == "/"

    with clock.frozen_at(BEFORE_THE_DIGEST + timedelta(days=1)):  # nothing new the next day
        assert await digest.compose_street_roundups() == 0
    with clock.frozen_at(EVENING + timedelta(days=1)):
        await service.schedule_daily_digests()
        assert await jobs.run_ready(smtp_ctx(settings, smtp_server)) == 0
    assert len(smtp_server.messages) == 1 and len(await roundups(alice)) == 1, "the same posts are never listed twice"


async def test_next_days_roundup_lists_only_what_is_new_since_the_last_one(alice, bob, settings, smtp_server):
    street = await elm(alice, bob)
    await opt_in(alice)
    with clock.frozen_at(MORNING):
        await post("offer", bob, street, "Step ladder")
    with clock.frozen_at(BEFORE_THE_DIGEST):
        await digest.compose_street_roundups()
        await post("offer", bob, street, "Hedge trimmer")  # after the cutoff: tomorrow's round-up
    with clock.frozen_at(BEFORE_THE_DIGEST + timedelta(days=1)):
        assert await digest.compose_street_roundups() == 1

    newest, first = await roundups(alice)
    assert [d["title"] for d in first.details] == ["Step ladder"]
    assert [d["title"] for d in newest.details] == ["Hedge trimmer"]


async def test_digest_never_includes_my_own_posts_or_other_streets(alice, bob, carol, dave, settings, smtp_server):
    street = await elm(alice, bob, dave)
    oak = await make_street("Oak Road", OAK_ROAD)
    await place_resident(carol, oak)
    await opt_in(alice)
    await block(alice, dave)
    with clock.frozen_at(MORNING):
        await post("offer", alice, street, "My own lawnmower")
        await post("offer", carol, oak, "Oak Road wheelbarrow")
        await post("ask", dave, street, "Blocked neighbour's ask")
        await post("offer", bob, street, "Hidden by a coordinator", hidden=True)
        await post("offer", bob, street, "Bob's step ladder")
    with clock.frozen_at(BEFORE_THE_DIGEST):
        await digest.compose_street_roundups()
    with clock.frozen_at(EVENING):
        await jobs.run_ready(smtp_ctx(settings, smtp_server))

    [message] = await smtp_server.wait_for(1)
    text = plain(message)
    assert "Bob's step ladder" in text and "New on your street: 1 offer" in text
    for left_out in ("lawnmower", "wheelbarrow", "Blocked", "Hidden"):
        assert left_out not in text
    assert [d["title"] for d in (await roundups(alice))[0].details] == ["Bob's step ladder"]


async def test_roundup_leaves_out_what_the_feed_no_longer_shows(alice, bob):
    """An ask that closed and a time offer whose day has passed are off the feed: off the round-up too."""
    street = await elm(alice, bob)
    await opt_in(alice)
    with clock.frozen_at(MORNING):
        closed = await post("ask", bob, street, "Closed ask for a drill")
        await db.execute("UPDATE ask SET expires_at = $2 WHERE id = $1", closed, MORNING + timedelta(hours=1))
        past = await post("offer", bob, street, "Lift to town this morning")
        await db.execute("UPDATE offer SET kind = 'time', starts_at = $2, ends_at = $3 WHERE id = $1",
                         past, MORNING, MORNING + timedelta(hours=2))
        await post("offer", bob, street, "Bob's step ladder")
    with clock.frozen_at(BEFORE_THE_DIGEST):
        await digest.compose_street_roundups()

    assert [d["title"] for d in (await roundups(alice))[0].details] == ["Bob's step ladder"]


async def test_street_roundup_is_opt_in(alice, bob, settings, smtp_server):
    street = await elm(alice, bob)
    with clock.frozen_at(MORNING):
        await post("offer", bob, street, "Step ladder")
    with clock.frozen_at(EVENING):
        assert await digest.compose_street_roundups() == 0
        await jobs.run_ready(smtp_ctx(settings, smtp_server))

    assert (await queries.email_choices(alice.id)).delivery("street_news") == rules.OFF
    assert await roundups(alice) == [] and smtp_server.messages == []


async def test_street_roundup_is_daily_or_off_never_an_email_per_post(alice):
    with pytest.raises(Invalid) as raised:
        await service.save_email_choices(acting=alice.id, choices={"street_news": "immediate"}, all_email_off=False)
    assert "street_news" in raised.value.errors


async def test_roundup_with_all_email_off_stays_in_the_app(alice, bob, settings, smtp_server):
    street = await elm(alice, bob)
    await service.save_email_choices(acting=alice.id, choices={"street_news": "daily"}, all_email_off=True)
    with clock.frozen_at(MORNING):
        await post("ask", bob, street, "Anyone got a drill?")
    with clock.frozen_at(BEFORE_THE_DIGEST):
        assert await digest.compose_street_roundups() == 1
    with clock.frozen_at(EVENING):
        await service.schedule_daily_digests()
        await jobs.run_ready(smtp_ctx(settings, smtp_server))

    assert smtp_server.messages == [] and len(await roundups(alice)) == 1


async def test_finding_who_is_due_a_roundup_reads_only_the_subscribers_index(alice, bob):
    await opt_in(alice)
    await service.save_email_choices(acting=bob.id, choices={"message": "daily"}, all_email_off=False)
    async with db.transaction():
        await db.execute("SET LOCAL enable_seqscan = off")  # a tiny table: make the planner show what it can use
        plan = "\n".join(r[0] for r in await db.fetch(
            "EXPLAIN " + queries.STREET_NEWS_DUE_SQL.replace("$1", "now()").replace("$2", "500")))
    assert "notification_settings_street_news" in plan, plan


# ---------------------------------------------------------------- one email a day


async def test_no_more_than_one_digest_email_a_day(alice, bob, settings, smtp_server):
    street = await elm(alice, bob)
    await opt_in(alice)
    ctx = smtp_ctx(settings, smtp_server)
    with clock.frozen_at(MORNING):
        await post("offer", bob, street, "Step ladder")
        await notify(alice.id, "message", actor_id=bob.id, text="Bob: is Saturday OK?", url="/exchanges/7")
    with clock.frozen_at(BEFORE_THE_DIGEST):
        await digest.compose_street_roundups()
    with clock.frozen_at(EVENING):
        assert await jobs.run_ready(ctx) == 1
    for hours in (1, 3, 5):  # more news the same evening, upkeep running all along
        with clock.frozen_at(EVENING + timedelta(hours=hours)):
            await notify(alice.id, "message", actor_id=bob.id, text=f"Bob: message at +{hours}h", url="/exchanges/7")
            await post("ask", bob, street, f"Ask at +{hours}h")
            await digest.compose_street_roundups()
            await service.schedule_daily_digests()
            await jobs.run_ready(ctx)

    [first] = await smtp_server.wait_for(1)
    assert "Step ladder" in plain(first) and "Bob: is Saturday OK?" in plain(first), "both in the one email"
    assert len(smtp_server.messages) == 1, "one digest email a day"

    with clock.frozen_at(EVENING + timedelta(days=1)):
        await digest.compose_street_roundups()
        await jobs.run_ready(ctx)
    first, second = await smtp_server.wait_for(2)
    assert "Bob: message at +5h" in plain(second) and "Ask at +5h" in plain(second)


async def test_digest_email_has_a_one_click_unsubscribe_that_works(alice, bob, settings, smtp_server):
    street = await elm(alice, bob)
    await opt_in(alice)
    with clock.frozen_at(MORNING):
        await post("offer", bob, street, "Step ladder")
    with clock.frozen_at(BEFORE_THE_DIGEST):
        await digest.compose_street_roundups()
    with clock.frozen_at(EVENING):
        await jobs.run_ready(smtp_ctx(settings, smtp_server))
    [message] = await smtp_server.wait_for(1)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = message["List-Unsubscribe"][1:-1]
    assert url in plain(message)

    async with app_client(settings) as client:  # what a mail app does: POST, no cookie, no CSRF token
        response = await client.post(url.removeprefix("http://testserver.local"),
                                     content="List-Unsubscribe=One-Click",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200

    assert (await queries.email_choices(alice.id)).delivery("street_news") == rules.OFF
    with clock.frozen_at(MORNING + timedelta(days=1)):
        await post("offer", bob, street, "Hedge trimmer")
    with clock.frozen_at(BEFORE_THE_DIGEST + timedelta(days=1)):
        assert await digest.compose_street_roundups() == 0
    with clock.frozen_at(EVENING + timedelta(days=1)):
        await jobs.run_ready(smtp_ctx(settings, smtp_server))
    assert len(smtp_server.messages) == 1


# ---------------------------------------------------------------- a new ask for something I offer


async def test_a_new_ask_matching_something_i_offered_before_alerts_me_at_once(alice, bob, settings, smtp_server):
    street = await elm(alice, bob)
    ctx = smtp_ctx(settings, smtp_server)
    with clock.frozen_at(MORNING - timedelta(days=3)):
        await post("offer", bob, street, "Step ladder")
    with clock.frozen_at(MORNING):
        ask_id = await post("ask", alice, street, "Can anyone lend me a ladder?")
        await matching.request_matching("ask", ask_id)
        await jobs.run_ready(ctx)  # the match job, then the email it asked for: no waiting for the evening

    [message] = await smtp_server.wait_for(1)
    assert message["To"] == bob.email
    assert "Step ladder" in message["Subject"] and "A neighbour needs" in message["Subject"]
    [alert] = (await queries.notifications_for(bob.id)).items
    assert alert.kind == "ask_matches_offer" and alert.url.endswith("/matches")
    token = message["List-Unsubscribe"][1:-1].rsplit("/", 1)[1]
    assert rules.read_unsubscribe_token(settings.secret_key, token) == (bob.id, "ask_matches_offer")


async def test_a_new_offer_meeting_old_asks_is_not_that_alert(alice, bob, settings, smtp_server):
    street = await elm(alice, bob)
    with clock.frozen_at(MORNING - timedelta(days=3)):
        await post("ask", alice, street, "Can anyone lend me a ladder?")
    with clock.frozen_at(MORNING):
        offer_id = await post("offer", bob, street, "Step ladder")
        await matching.request_matching("offer", offer_id)
        await jobs.run_ready(smtp_ctx(settings, smtp_server))

    assert [i.kind for i in (await queries.notifications_for(bob.id)).items] == ["match_found"]
    assert await db.fetchval("SELECT count(*) FROM job WHERE kind = $1", SEND_EMAIL) == 0
