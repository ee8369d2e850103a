"""exchange.street, the copy the coordinator's dashboard reads, always says the street of the
exchange's offer (or of its ask, when there is no offer), whoever writes the rows."""

from __future__ import annotations

from support.cast import (ELM_STREET, OAK_ROAD, history_exchange, insert_ask, insert_offer, make_street,
                          place_resident)

from streetshare import db
from streetshare.places import service as places


async def street_of(exchange_id: int) -> int:
    return await db.fetchval("SELECT street FROM exchange WHERE id = $1", exchange_id)


async def test_an_exchange_takes_its_offers_street_or_else_its_asks(alice, bob):
    elm, oak = await make_street("Elm Street"), await make_street("Oak Road", OAK_ROAD)
    await place_resident(alice, elm)
    await place_resident(bob, oak)
    offer = await insert_offer(alice, elm)
    ask = await insert_ask(bob, oak)
    assert await street_of(await history_exchange(provider=alice, recipient=bob, offer=offer)) == elm.id
    assert await street_of(await history_exchange(provider=alice, recipient=bob, offer=offer, ask=ask,
                                                  state="declined")) == elm.id
    assert await street_of(await history_exchange(provider=alice, recipient=bob, ask=ask, kind="skill")) == oak.id


async def test_exchanges_move_with_their_offer_or_ask_when_its_owner_moves(alice, bob):
    elm, oak = await make_street("Elm Street"), await make_street("Oak Road", OAK_ROAD)
    ash = await make_street("Ash Grove", (ELM_STREET[0] + 0.003, ELM_STREET[1]))  # near enough to join
    await place_resident(alice, elm)
    await place_resident(bob, oak)
    offer = await insert_offer(alice, elm)
    ask = await insert_ask(bob, oak)
    on_offer = await history_exchange(provider=alice, recipient=bob, offer=offer, state="completed")
    on_both = await history_exchange(provider=alice, recipient=bob, offer=offer, ask=ask, state="declined")
    on_ask = await history_exchange(provider=alice, recipient=bob, ask=ask, kind="skill", state="cancelled")

    await places.join_street(acting=alice.id, street_id=ash.id)  # bringing her open offers
    assert await db.fetchval("SELECT street FROM offer WHERE id = $1", offer) == ash.id
    assert [await street_of(e) for e in (on_offer, on_both, on_ask)] == [ash.id, ash.id, oak.id]

    await db.execute("UPDATE ask SET street = $2 WHERE id = $1", ask, elm.id)
    assert [await street_of(e) for e in (on_offer, on_both, on_ask)] == [ash.id, ash.id, elm.id]
    mismatched = await db.fetchval(
        """SELECT count(*) FROM exchange e
           WHERE e.street <> coalesce((SELECT street FROM offer WHERE id = e.offer), (SELECT street FROM ask WHERE id = e.ask))"""
    )
    assert mismatched == 0
