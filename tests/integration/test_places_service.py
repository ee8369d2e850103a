"""Places verbs on the real database: homes, streets, joining, moving, invites."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from support.cast import ELM_STREET, LEEDS, OAK_ROAD, make_resident, make_street, place_resident

from streetshare import clock, db
from streetshare.errors import Invalid, NotAllowed, NotFound
from streetshare.places import queries, service
from streetshare.places.cache import PostgresGeocodeCache
from streetshare.places.geocoding import FAKE_PLACES, CachedGeocoder, FakeGeocoder
from streetshare.places.privacy import haversine_m
from streetshare.places.service import AddressProblem, AmbiguousAddress, InviteUnusable

SECRET = "test-secret-key-that-is-long-enough-0123456789"


async def make_offer(owner, street, *, status="active", title="Ladder") -> int:
    return await db.fetchval(
        "INSERT INTO offer (owner, street, kind, title, category, status) VALUES ($1, $2, 'lend', $3, 'tools', $4) "
        "RETURNING id",
        owner.id, street.id, title, status,
    )


async def make_ask(owner, street, *, status="open", title="A drill") -> int:
    return await db.fetchval(
        "INSERT INTO ask (owner, street, title, category, help_kind, expires_at, status) "
        "VALUES ($1, $2, $3, 'tools', 'borrow', $4, $5) RETURNING id",
        owner.id, street.id, title, clock.now() + timedelta(days=14), status,
    )


async def make_invite(street, *, code="elm-invite", expires_at=None, max_uses=None, uses=0, revoked=False) -> str:
    await db.execute(
        "INSERT INTO street_invite (street, code, created_at, expires_at, max_uses, uses, revoked_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        street.id, code, clock.now(), expires_at, max_uses, uses, clock.now() if revoked else None,
    )
    return code


# ---------------------------------------------------------------- where residents live


async def test_resident_sets_home_from_a_point(alice):
    await service.set_home(acting=alice.id, lat=53.6459, lng=-1.7851)
    home = await queries.own_home(alice.id)
    assert (home.lat, home.lng, home.address) == (53.6459, -1.7851, None)
    assert await queries.has_home(alice.id)


async def test_home_needs_both_coordinates(alice):
    with pytest.raises(Invalid) as caught:
        await service.set_home(acting=alice.id, lat=53.6459, lng=None)
    assert "postcode" in caught.value.errors["location"]
    assert not await queries.has_home(alice.id)


async def test_resident_sets_home_from_a_postcode(alice):
    place = await service.set_home_from_address(acting=alice.id, geocoder=FakeGeocoder(), address="hd1 5aa")
    home = await queries.own_home(alice.id)
    assert place == FAKE_PLACES["hd1_5aa"]
    assert (home.lat, home.lng, home.address) == (place.lat, place.lng, place.label)


async def test_ambiguous_address_asks_the_resident_to_choose(alice):
    with pytest.raises(AmbiguousAddress) as caught:
        await service.set_home_from_address(acting=alice.id, geocoder=FakeGeocoder(), address="High Street")
    labels = [p.label for p in caught.value.places]
    assert len(labels) == 3 and any("Huddersfield" in label for label in labels)
    assert not await queries.has_home(alice.id)


async def test_resident_picks_one_of_several_places(alice):
    with pytest.raises(AmbiguousAddress) as caught:
        await service.set_home_from_address(acting=alice.id, geocoder=FakeGeocoder(), address="High Street")
    pick = next(i for i, p in enumerate(caught.value.places) if "Huddersfield" in p.label)
    await service.set_home_from_address(acting=alice.id, geocoder=FakeGeocoder(), address="High Street", choice=pick)
    assert (await queries.own_home(alice.id)).address == FAKE_PLACES["high_street_huddersfield"].label


async def test_a_choice_out_of_range_still_asks_to_choose(alice):
    with pytest.raises(AmbiguousAddress):
        await service.set_home_from_address(acting=alice.id, geocoder=FakeGeocoder(), address="High Street", choice=7)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("timeout HD1", "timed_out"),
        ("offline HD1", "unavailable"),
        ("ratelimit HD1", "rate_limited"),
        ("Nowhere Lane ZZ9", "no_result"),
        ("Tour Eiffel Paris", "outside_country"),
    ],
)
async def test_every_geocoding_failure_is_a_kind_address_problem(alice, address, kind):
    with pytest.raises(AddressProblem) as caught:
        await service.set_home_from_address(acting=alice.id, geocoder=FakeGeocoder(), address=address)
    assert caught.value.kind == kind
    assert caught.value.errors["address"] and caught.value.hint
    assert not await queries.has_home(alice.id)


async def test_blank_address_is_invalid_before_any_lookup(alice):
    geocoder = FakeGeocoder()
    with pytest.raises(Invalid) as caught:
        await service.set_home_from_address(acting=alice.id, geocoder=geocoder, address="   ")
    assert "postcode" in caught.value.errors["address"]
    assert geocoder.queries == []


async def test_address_lookups_are_cached_in_the_database(alice, bob):
    fake = FakeGeocoder()
    geocoder = CachedGeocoder(fake, PostgresGeocodeCache())
    await service.set_home_from_address(acting=alice.id, geocoder=geocoder, address="HD1 5AA")
    await service.set_home_from_address(acting=bob.id, geocoder=geocoder, address="hd15aa")
    assert len(fake.queries) == 1
    assert await db.fetchval("SELECT count(*) FROM geocode_cache") == 1


async def test_resident_chooses_how_far_they_look(alice):
    await service.set_looks_at(acting=alice.id, looks_at="street")
    assert (await queries.own_home(alice.id)).looks_at == "street"
    with pytest.raises(Invalid):
        await service.set_looks_at(acting=alice.id, looks_at="everywhere")


# ---------------------------------------------------------------- starting a street


async def test_creator_becomes_the_first_coordinator_and_a_member(alice):
    await service.set_home(acting=alice.id, lat=ELM_STREET[0], lng=ELM_STREET[1])
    street_id = await service.create_street(acting=alice.id, name="  Elm   Street ", secret=SECRET)
    summary = await queries.street_summary(street_id)
    assert summary.name == "Elm Street" and summary.radius_m == 800 and summary.members == 1
    assert [c.display_name for c in summary.coordinators] == ["Alice"]
    assert await queries.is_coordinator(alice.id, street_id)
    assert (await queries.home_street(alice.id)).id == street_id


async def test_default_centre_is_near_the_creators_home_but_never_on_it(alice):
    home = (53.645912, -1.785123)
    await service.set_home(acting=alice.id, lat=home[0], lng=home[1])
    street_id = await service.create_street(acting=alice.id, name="Elm Street", secret=SECRET)
    centre = await db.fetchrow("SELECT centre_lat, centre_lng FROM street WHERE id = $1", street_id)
    assert 200 <= haversine_m(*home, centre["centre_lat"], centre["centre_lng"]) <= 400


async def test_street_can_be_centred_on_a_chosen_point(alice):
    await service.set_home(acting=alice.id, lat=ELM_STREET[0], lng=ELM_STREET[1])
    street_id = await service.create_street(acting=alice.id, name="Oak Road", centre=OAK_ROAD, secret=SECRET)
    centre = await db.fetchrow("SELECT centre_lat, centre_lng FROM street WHERE id = $1", street_id)
    assert (centre["centre_lat"], centre["centre_lng"]) == OAK_ROAD


async def test_cannot_start_a_street_without_a_home_or_a_centre(alice):
    with pytest.raises(Invalid) as caught:
        await service.create_street(acting=alice.id, name="Elm Street", secret=SECRET)
    assert "centre" in caught.value.errors
    assert await db.fetchval("SELECT count(*) FROM street") == 0


@pytest.mark.parametrize("radius", [200, 800, 2000])
async def test_street_radius_from_200_m_to_2_km_is_allowed(alice, radius):
    street_id = await service.create_street(acting=alice.id, name="Elm Street", centre=ELM_STREET, radius_m=radius,
                                            secret=SECRET)
    assert (await queries.street_summary(street_id)).radius_m == radius


@pytest.mark.parametrize("radius", [199, 2001, 0, -5, None])
async def test_street_radius_outside_200_m_to_2_km_is_refused(alice, radius):
    with pytest.raises(Invalid) as caught:
        await service.create_street(acting=alice.id, name="Elm Street", centre=ELM_STREET, radius_m=radius,
                                    secret=SECRET)
    assert caught.value.errors["radius_m"] == "Choose a radius between 200 m and 2 km (2000 m)."
    assert await db.fetchval("SELECT count(*) FROM street") == 0


@pytest.mark.parametrize("name", ["", " ", "E", "x" * 81])
async def test_street_needs_a_sensible_name(alice, name):
    with pytest.raises(Invalid) as caught:
        await service.create_street(acting=alice.id, name=name, centre=ELM_STREET, secret=SECRET)
    assert "name" in caught.value.errors


async def test_cannot_start_a_second_street_with_the_same_name_nearby(alice, bob):
    await make_street("Elm Street", ELM_STREET)
    with pytest.raises(Invalid) as caught:
        await service.create_street(acting=bob.id, name="elm street", centre=OAK_ROAD, secret=SECRET)
    assert "join it instead" in caught.value.errors["name"]


async def test_same_street_name_far_away_is_fine(alice):
    await make_street("Elm Street", ELM_STREET)
    street_id = await service.create_street(acting=alice.id, name="Elm Street", centre=LEEDS, secret=SECRET)
    assert street_id


# ---------------------------------------------------------------- joining and moving


async def test_resident_joins_a_street_near_their_home(alice):
    elm = await make_street("Elm Street", ELM_STREET)
    await service.set_home(acting=alice.id, lat=ELM_STREET[0] + 0.002, lng=ELM_STREET[1])
    assert await service.join_street(acting=alice.id, street_id=elm.id) is True
    assert (await queries.home_street(alice.id)).id == elm.id
    assert (await queries.street_summary(elm.id)).members == 1


async def test_joining_your_own_street_again_changes_nothing(alice):
    elm = await make_street("Elm Street", ELM_STREET)
    await place_resident(alice, elm)
    joined_at = await db.fetchval("SELECT street_joined_at FROM resident WHERE id = $1", alice.id)
    assert await service.join_street(acting=alice.id, street_id=elm.id) is False
    assert await db.fetchval("SELECT street_joined_at FROM resident WHERE id = $1", alice.id) == joined_at


async def test_cannot_join_a_street_far_from_home_without_an_invite(dave):
    elm = await make_street("Elm Street", ELM_STREET)
    await service.set_home(acting=dave.id, lat=LEEDS[0], lng=LEEDS[1])
    with pytest.raises(NotAllowed) as caught:
        await service.join_street(acting=dave.id, street_id=elm.id)
    assert "invite" in caught.value.message
    assert await queries.home_street(dave.id) is None


async def test_cannot_join_a_street_directly_before_saying_where_you_live(alice):
    elm = await make_street("Elm Street", ELM_STREET)
    with pytest.raises(NotAllowed):
        await service.join_street(acting=alice.id, street_id=elm.id)


async def test_cannot_join_a_street_that_does_not_exist(alice):
    with pytest.raises(NotFound):
        await service.join_street(acting=alice.id, street_id=999)


async def test_moving_street_brings_open_offers_and_asks_and_leaves_history(alice):
    elm = await make_street("Elm Street", ELM_STREET)
    oak = await make_street("Oak Road", OAK_ROAD)
    await place_resident(alice, elm)
    active, paused = await make_offer(alice, elm), await make_offer(alice, elm, status="paused")
    gone = await make_offer(alice, elm, status="gone")
    open_ask, fulfilled = await make_ask(alice, elm), await make_ask(alice, elm, status="fulfilled")

    await service.join_street(acting=alice.id, street_id=oak.id, items="bring")

    offers = {r["id"]: (r["street"], r["status"]) for r in await db.fetch("SELECT id, street, status FROM offer")}
    asks = {r["id"]: (r["street"], r["status"]) for r in await db.fetch("SELECT id, street, status FROM ask")}
    assert offers == {active: (oak.id, "active"), paused: (oak.id, "paused"), gone: (elm.id, "gone")}
    assert asks == {open_ask: (oak.id, "open"), fulfilled: (elm.id, "fulfilled")}


async def test_moving_street_can_close_open_offers_and_asks_instead(alice):
    elm = await make_street("Elm Street", ELM_STREET)
    oak = await make_street("Oak Road", OAK_ROAD)
    await place_resident(alice, elm)
    offer, ask = await make_offer(alice, elm), await make_ask(alice, elm)

    await service.join_street(acting=alice.id, street_id=oak.id, items="close")

    assert await db.fetchrow("SELECT street, status FROM offer WHERE id = $1", offer) == (elm.id, "withdrawn")
    assert await db.fetchrow("SELECT street, status FROM ask WHERE id = $1", ask) == (elm.id, "withdrawn")
    assert (await queries.home_street(alice.id)).id == oak.id


async def test_moving_leaves_other_residents_items_alone(alice, bob):
    elm = await make_street("Elm Street", ELM_STREET)
    oak = await make_street("Oak Road", OAK_ROAD)
    await place_resident(alice, elm)
    await place_resident(bob, elm)
    bobs = await make_offer(bob, elm)
    await service.join_street(acting=alice.id, street_id=oak.id, items="close")
    assert await db.fetchrow("SELECT street, status FROM offer WHERE id = $1", bobs) == (elm.id, "active")


async def test_move_choice_must_be_bring_or_close(alice):
    elm = await make_street("Elm Street", ELM_STREET)
    await place_resident(alice, elm)
    with pytest.raises(Invalid):
        await service.join_street(acting=alice.id, street_id=elm.id, items="delete")


async def test_starting_a_street_moves_the_creator_with_their_open_items(alice):
    elm = await make_street("Elm Street", ELM_STREET)
    await place_resident(alice, elm)
    offer = await make_offer(alice, elm)
    street_id = await service.create_street(acting=alice.id, name="Oak Road", centre=OAK_ROAD, secret=SECRET)
    assert await db.fetchval("SELECT street FROM offer WHERE id = $1", offer) == street_id


# ---------------------------------------------------------------- invite links


async def test_invite_lets_anyone_join_however_far_away(dave):
    elm = await make_street("Elm Street", ELM_STREET)
    code = await make_invite(elm)
    assert await service.join_by_invite(acting=dave.id, code=code) == elm.id
    assert (await queries.home_street(dave.id)).id == elm.id
    assert await db.fetchval("SELECT uses FROM street_invite WHERE code = $1", code) == 1


async def test_invite_is_not_used_up_by_someone_already_on_the_street(alice):
    elm = await make_street("Elm Street", ELM_STREET)
    await place_resident(alice, elm)
    code = await make_invite(elm, max_uses=1)
    assert await service.join_by_invite(acting=alice.id, code=code) == elm.id
    assert await db.fetchval("SELECT uses FROM street_invite WHERE code = $1", code) == 0


async def test_expired_invite_gives_a_kind_message(alice):
    elm = await make_street("Elm Street", ELM_STREET)
    code = await make_invite(elm, expires_at=clock.now() - timedelta(minutes=1))
    with pytest.raises(InviteUnusable) as caught:
        await service.join_by_invite(acting=alice.id, code=code)
    assert "expired" in caught.value.message and "new one" in caught.value.message
    assert await queries.home_street(alice.id) is None


async def test_revoked_invite_gives_a_kind_message(alice):
    elm = await make_street("Elm Street", ELM_STREET)
    code = await make_invite(elm, revoked=True)
    with pytest.raises(InviteUnusable) as caught:
        await service.join_by_invite(acting=alice.id, code=code)
    assert "switched off" in caught.value.message


async def test_used_up_invite_gives_a_kind_message(alice):
    elm = await make_street("Elm Street", ELM_STREET)
    code = await make_invite(elm, max_uses=2, uses=2)
    with pytest.raises(InviteUnusable) as caught:
        await service.join_by_invite(acting=alice.id, code=code)
    assert "used as many times" in caught.value.message
    assert await db.fetchval("SELECT uses FROM street_invite WHERE code = $1", code) == 2


async def test_unknown_invite_is_not_found(alice):
    with pytest.raises(NotFound) as caught:
        await service.join_by_invite(acting=alice.id, code="no-such-code")
    assert "invite link" in caught.value.message


async def test_invite_with_one_use_left_admits_exactly_one_of_two_people_at_once(alice, bob):
    elm = await make_street("Elm Street", ELM_STREET)
    code = await make_invite(elm, max_uses=1)
    results = await asyncio.gather(
        service.join_by_invite(acting=alice.id, code=code),
        service.join_by_invite(acting=bob.id, code=code),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["InviteUnusable", "int"]
    assert await db.fetchval("SELECT uses FROM street_invite WHERE code = $1", code) == 1
    assert (await queries.street_summary(elm.id)).members == 1


async def test_many_people_racing_never_exceed_an_invites_uses():
    elm = await make_street("Elm Street", ELM_STREET)
    code = await make_invite(elm, max_uses=3)
    people = [await make_resident(f"Neighbour{i}") for i in range(8)]
    results = await asyncio.gather(
        *(service.join_by_invite(acting=p.id, code=code) for p in people), return_exceptions=True
    )
    assert sum(isinstance(r, int) for r in results) == 3
    assert all(isinstance(r, (int, InviteUnusable)) for r in results)
    assert await db.fetchval("SELECT uses FROM street_invite WHERE code = $1", code) == 3
