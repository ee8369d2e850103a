"""Everyday British English, matched through PostgreSQL's stemmer as the app does it: the
synonym groups (matching/synonyms.py) and their common misspellings, ask by ask.

alice asks and bob offers, on Elm Street.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from support.cast import ELM_STREET, make_street, place_resident

from streetshare import clock, db
from streetshare.asks import service as asks
from streetshare.matching import queries

# (what alice asks, its category, what bob offers, its kind): each pair must match.
EVERYDAY = [
    ("Anyone able to look over my CV?", "other", "Help with job applications", "skill"),
    ("Résumé help", "other", "CV checking", "skill"),
    ("cover letter for a job", "other", "Help with CVs", "skill"),
    ("Help with a job application?", "other", "Help writing a CV", "skill"),
    ("Anyone going to the dump?", "lifts_errands", "Tip run on Saturday", "time"),
    ("Trip to the recycling centre", "lifts_errands", "Going to the tip", "time"),
    ("Tip run?", "lifts_errands", "Dump run Saturday morning", "time"),
    ("Strimmer", "garden", "Grass trimmer", "lend"),
    ("trimmer for the lawn edges", "garden", "Strimmer", "lend"),
    ("Hoover", "home", "Vacuum cleaner", "lend"),
    ("vacuum", "home", "Henry hoover", "lend"),
    ("Lift to the station", "lifts_errands", "Ride to the station on Monday", "time"),
    ("Ride to the station", "lifts_errands", "Lifts to the station", "time"),
    # common misspellings
    ("strimer", "garden", "Strimmer", "lend"),
    ("vacum cleaner", "home", "Hoover", "lend"),
    ("vaccum", "home", "Vacuum cleaner", "lend"),
    ("anyone got a lawnmover", "garden", "Lawn mower", "lend"),
    ("nappys size 4", "children", "Nappies size 4", "give"),
    ("wellys size 6", "clothes", "Wellies size 6", "give"),
    ("babysiter friday", "children", "Babysitting", "time"),
    ("dehumidifer", "home", "Dehumidifier", "lend"),
    ("drll", "tools", "Cordless drill", "lend"),
]

# Near words that are other things: never a match.
NOT_THE_SAME = [
    ("Strimmer", "garden", "Hedge trimmer", "lend"),
    ("Window cleaner", "home", "Carpet cleaner", "lend"),
    ("Drill", "tools", "Drill bits", "give"),
    ("Baby bath", "children", "Baby clothes", "give"),
    ("Bike lock", "sport_outdoors", "Exercise bike", "lend"),
]


async def pair(alice, bob, ask_title, category, offer_title, kind) -> tuple[int, int]:
    street = await make_street("Elm Street", ELM_STREET)
    await place_resident(alice, street, home=(street.lat + 0.0009, street.lng))
    await place_resident(bob, street, home=(street.lat + 0.0018, street.lng))
    offer_id = await db.fetchval(
        "INSERT INTO offer (owner, street, kind, title, description, category, starts_at, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, '', $5, $6, $7, $7) RETURNING id",
        bob.id, street.id, kind, offer_title, category,
        clock.now() + timedelta(days=2) if kind == "time" else None, clock.now(),
    )
    ask_id = await asks.create_ask(acting=alice.id, fields={"title": ask_title, "category": category})
    return ask_id, offer_id


@pytest.mark.parametrize(("ask_title", "category", "offer_title", "kind"), EVERYDAY)
async def test_everyday_words_and_misspellings_match(alice, bob, ask_title, category, offer_title, kind):
    ask_id, offer_id = await pair(alice, bob, ask_title, category, offer_title, kind)
    assert [r.offer for r in (await queries.rank_offers_for_ask(ask_id)).top] == [offer_id]
    assert [r.ask for r in (await queries.rank_asks_for_offer(offer_id)).top] == [ask_id]


@pytest.mark.parametrize(("ask_title", "category", "offer_title", "kind"), NOT_THE_SAME)
async def test_a_word_inside_another_things_name_is_not_a_match(alice, bob, ask_title, category, offer_title, kind):
    ask_id, _ = await pair(alice, bob, ask_title, category, offer_title, kind)
    assert (await queries.rank_offers_for_ask(ask_id)).top == []
