"""Closing an account and exporting one's data (product.md: "export their data, and delete their
account (their history stays for the other party, anonymised)").

alice lends her ladder on Elm Street, bob borrows it, carol is another neighbour.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from support.cast import ELM_STREET, PASSWORD, insert_ask, insert_offer, make_street, place_resident, quick_resident

from streetshare import clock, db
from streetshare.accounts import queries as accounts
from streetshare.accounts import service
from streetshare.accounts.queries import resident_for_token
from streetshare.coordinators.service import OnlyCoordinator
from streetshare.errors import Conflict, Invalid, NotFound
from streetshare.exchanges import service as exchanges
from streetshare.reputation import service as reputation


@pytest.fixture
async def elm(alice, bob, carol):
    street = await make_street("Elm Street", ELM_STREET)
    for person in (alice, bob, carol):
        await place_resident(person, street)
    await db.execute("UPDATE resident SET home_address = '12 Elm Street, HD1 5AA' WHERE id = $1", alice.id)
    return street


@pytest.fixture
async def ladder(alice, elm) -> int:
    return await insert_offer(alice, elm, kind="lend", title="Ladder", loan_days=5)


async def completed_loan(ladder, alice, bob, *, message: str | None = None) -> int:
    ex = (await exchanges.request_offer(ladder, acting=bob.id)).id
    await exchanges.accept(ex, acting=alice.id)
    if message:
        await exchanges.post_message(ex, acting=bob.id, text=message)
    await exchanges.hand_over(ex, acting=alice.id)
    await exchanges.mark_returned(ex, acting=bob.id)
    await exchanges.confirm_return(ex, acting=alice.id)
    return ex


async def state(exchange_id: int) -> str:
    return await db.fetchval("SELECT state FROM exchange WHERE id = $1", exchange_id)


async def test_resident_closes_account_and_only_an_anonymous_history_stays(alice, bob, carol, elm, ladder):
    done = await completed_loan(ladder, alice, bob)
    await reputation.say_thanks(done, "Thanks for the ladder!", acting=bob.id)
    await reputation.say_thanks(done, "Thanks for bringing it back", acting=alice.id)
    drill = await insert_offer(alice, elm, kind="lend", title="Drill")
    asked = (await exchanges.request_offer(drill, acting=carol.id)).id
    ask = await insert_ask(alice, elm, title="A wheelbarrow")
    token = await service.start_session(alice.id)

    await service.close_account(acting=alice.id, password=PASSWORD)

    row = await db.fetchrow("SELECT * FROM resident WHERE id = $1", alice.id)
    assert (row["display_name"], row["is_active"], row["street"]) == ("Former neighbour", False, None)
    assert (row["home_lat"], row["home_lng"], row["home_address"]) == (None, None, None)
    assert row["email"] == f"closed-{alice.id}@closed.invalid"
    with pytest.raises(Invalid):
        await service.authenticate(email=alice.email, password=PASSWORD)
    assert await resident_for_token(token, "session") is None
    # Open things are ended through their own verbs; the history stays for the other side.
    assert await db.fetchval("SELECT status FROM offer WHERE id = $1", drill) == "withdrawn"
    assert await db.fetchval("SELECT status FROM ask WHERE id = $1", ask) == "withdrawn"
    assert await state(asked) == "cancelled"
    assert await db.fetchrow("SELECT actor, action, note FROM exchange_event WHERE exchange = $1 ORDER BY id DESC LIMIT 1",
                             asked) == (alice.id, "cancel", "Closed their account")
    assert await state(done) == "completed"
    assert await db.fetchval("SELECT count(*) FROM thanks WHERE exchange = $1", done) == 2
    # What carol is told, and what bob was told earlier, name nobody.
    texts = [r["text"] for r in await db.fetch("SELECT text FROM notification WHERE actor = $1", alice.id)]
    assert texts and not any("Alice" in t for t in texts)
    assert any("Former neighbour" in t for t in texts)
    assert await db.fetchval("SELECT count(*) FROM notification WHERE resident = $1", alice.id) == 0
    assert await db.fetchval("SELECT count(*) FROM auth_token WHERE resident = $1", alice.id) == 0


async def test_wrong_password_closes_nothing(alice, elm, ladder):
    with pytest.raises(Invalid) as caught:
        await service.close_account(acting=alice.id, password="not my password")
    assert caught.value.errors == {"password": "That isn't your password."}
    assert await db.fetchval("SELECT is_active FROM resident WHERE id = $1", alice.id) is True
    assert await db.fetchval("SELECT status FROM offer WHERE id = $1", ladder) == "active"


@pytest.mark.parametrize("who", ["lender", "borrower"])
async def test_cannot_close_while_something_is_lent_or_borrowed(alice, bob, elm, ladder, who):
    ex = (await exchanges.request_offer(ladder, acting=bob.id)).id
    await exchanges.accept(ex, acting=alice.id)
    await exchanges.hand_over(ex, acting=alice.id)
    closing = alice if who == "lender" else bob

    with pytest.raises(Conflict) as caught:
        await service.close_account(acting=closing.id, password=PASSWORD)

    assert "“Ladder” is still lent or borrowed" in caught.value.message
    assert await state(ex) == "handed_over"
    assert await db.fetchval("SELECT is_active FROM resident WHERE id = $1", closing.id) is True


async def test_only_coordinator_cannot_close_until_someone_else_can_look_after_the_street(alice, bob, elm):
    await db.execute("INSERT INTO street_coordinator (street, resident, appointed_at) VALUES ($1, $2, $3)",
                     elm.id, alice.id, clock.now())
    with pytest.raises(OnlyCoordinator) as caught:
        await service.close_account(acting=alice.id, password=PASSWORD)
    assert caught.value.message.endswith("then you can close your account.")
    assert await db.fetchval("SELECT is_active FROM resident WHERE id = $1", alice.id) is True

    await db.execute("INSERT INTO street_coordinator (street, resident, appointed_at) VALUES ($1, $2, $3)",
                     elm.id, bob.id, clock.now())
    await service.close_account(acting=alice.id, password=PASSWORD)
    assert [r["resident"] for r in await db.fetch("SELECT resident FROM street_coordinator")] == [bob.id]
    assert await db.fetchval("SELECT reason FROM moderation_log WHERE actor = $1", alice.id) == "Closed their account"


async def test_closing_twice_at_once_closes_once(alice, elm, ladder):
    results = await asyncio.gather(
        service.close_account(acting=alice.id, password=PASSWORD),
        service.close_account(acting=alice.id, password=PASSWORD),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["NoneType", "NotFound"]
    with pytest.raises(NotFound):
        await service.close_account(acting=alice.id, password=PASSWORD)


async def test_export_holds_the_residents_own_data_and_nobody_elses_contact_or_home(alice, bob, elm, ladder):
    done = await completed_loan(ladder, alice, bob, message="On my way")
    await reputation.say_thanks(done, "Thanks for the ladder!", acting=bob.id)

    data = await accounts.personal_data(alice.id)

    assert data["account"]["email"] == alice.email and data["account"]["street"] == "Elm Street"
    assert data["account"]["home"]["set"] is True and data["account"]["home"]["address"] == "12 Elm Street, HD1 5AA"
    assert [o["title"] for o in data["offers"]] == ["Ladder"]
    [ex] = data["exchanges"]
    assert (ex["about"], ex["you_were"], ex["with_whom"], ex["state"]) == ("Ladder", "provider", "Bob", "completed")
    assert [e["action"] for e in ex["events"]] == ["request", "accept", "hand_over", "mark_returned", "confirm_return"]
    assert ex["messages"] == [{"by": "them", "text": "On my way", "at": ex["messages"][0]["at"]}]
    assert [t["text"] for t in data["thanks_received"]] == ["Thanks for the ladder!"]
    text = json.dumps(data)
    assert bob.email not in text
    lat, lng = await db.fetchrow("SELECT home_lat, home_lng FROM resident WHERE id = $1", alice.id)
    assert f"{lat:.4f}" not in text and f"{lng:.4f}" not in text  # not even her own point leaves the server


async def test_a_closed_account_has_nothing_to_export(alice, elm):
    await service.close_account(acting=alice.id, password=PASSWORD)
    assert await accounts.personal_data(alice.id) is None


async def test_notifications_others_keep_name_the_closed_account_by_whole_words_only(bob, elm):
    al = await quick_resident("Al", email="al@example.org")
    await place_resident(al, elm)
    clock_offer = await insert_offer(al, elm, kind="lend", title="Alarm clock")
    ex = (await exchanges.request_offer(clock_offer, acting=bob.id)).id
    await exchanges.accept(ex, acting=al.id)
    [before] = [r["text"] for r in await db.fetch("SELECT text FROM notification WHERE actor = $1", al.id)]
    assert "Al " in before and "Alarm clock" in before

    await service.close_account(acting=al.id, password=PASSWORD)

    texts = [r["text"] for r in await db.fetch("SELECT text FROM notification WHERE resident = $1 ORDER BY id", bob.id)]
    assert texts[0] == before.replace("Al ", "Former neighbour ", 1)
    assert all("Alarm clock" in t for t in texts) and not any("Former neighbourarm" in t for t in texts)
