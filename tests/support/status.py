"""The street status tests' world: homes about 20 m apart on a street (each its own home), and Elm
Street with Alice and Bob at homes 1 and 2 (Carol coordinates it) beside Oak Road, its neighbour.

Import the fixtures into a test module to use them: `from support.status import elm, oak`."""

from __future__ import annotations

import pytest
from support.cast import ELM_STREET, OAK_ROAD, make_street, place_resident, quick_resident


def home(street, n: int) -> tuple[float, float]:
    """The n-th home on the street: about 20 m apart, so each is its own home."""
    return (street.lat + 0.0002 * n, street.lng + 0.0003)


async def resident_at(name: str, street, n: int):
    person = await quick_resident(name)
    await place_resident(person, street, home=home(street, n))
    return person


@pytest.fixture
async def elm(carol, alice, bob):
    street = await make_street("Elm Street", ELM_STREET, coordinator=carol)
    await place_resident(alice, street, home=home(street, 1))
    await place_resident(bob, street, home=home(street, 2))
    return street


@pytest.fixture
async def oak():
    return await make_street("Oak Road", OAK_ROAD)
