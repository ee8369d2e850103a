"""Places reads: nearest streets on the GiST index, neighbours, the scoping query, summaries."""

from __future__ import annotations

import json

from support.cast import ELM_STREET, LEEDS, OAK_ROAD, make_street, place_resident

from streetshare import db
from streetshare.places import queries
from streetshare.places.queries import NEARBY_SQL, StreetScope
from streetshare.places.rules import NEIGHBOUR_DISTANCE_M

# 1.7 km due north of Elm Street's centre: in town, but not a neighbour (more than a mile).
FAR_NORTH = (ELM_STREET[0] + 0.0153, ELM_STREET[1])


# Streets whose centre lies within $2 metres of street $1's centre (not $1 itself), nearest first,
# worked out from the centres: what the stored pairs in street_neighbour must agree with (migration
# 03:30's street_neighbour_link makes them the same way, on the same GiST index).
NEIGHBOURS_SQL = """
SELECT n.id
FROM street s
JOIN street n
  ON earth_box(ll_to_earth(s.centre_lat, s.centre_lng), $2) @> ll_to_earth(n.centre_lat, n.centre_lng)
 AND earth_distance(ll_to_earth(s.centre_lat, s.centre_lng), ll_to_earth(n.centre_lat, n.centre_lng)) <= $2
WHERE s.id = $1 AND n.id <> s.id
ORDER BY earth_distance(ll_to_earth(s.centre_lat, s.centre_lng), ll_to_earth(n.centre_lat, n.centre_lng)), n.id
"""


async def test_nearby_streets_come_nearest_first_with_rounded_distances_and_members(alice, bob, carol):
    elm = await make_street("Elm Street", ELM_STREET)
    oak = await make_street("Oak Road", OAK_ROAD)
    await make_street("Park Row", LEEDS)
    await place_resident(alice, elm)
    await place_resident(bob, elm)
    await place_resident(carol, oak)

    found = await queries.nearby_streets(ELM_STREET[0] + 0.0027, ELM_STREET[1])  # 300 m north of Elm's centre

    assert [(s.name, s.distance_m, s.members) for s in found] == [("Elm Street", 300, 2), ("Oak Road", 700, 1)]
    assert all(s.distance_m % 100 == 0 for s in found)


async def test_nearby_streets_leave_out_streets_too_far_away():
    await make_street("Park Row", LEEDS)
    assert await queries.nearby_streets(*ELM_STREET) == []


async def test_nearby_streets_are_limited():
    for i in range(5):
        await make_street(f"Street {i}", (ELM_STREET[0] + i * 0.001, ELM_STREET[1]))
    found = await queries.nearby_streets(*ELM_STREET, limit=3)
    assert [s.name for s in found] == ["Street 0", "Street 1", "Street 2"]


async def test_streets_close_to_home_can_be_joined_and_far_ones_cannot():
    await make_street("Elm Street", ELM_STREET)
    await make_street("Far North", (ELM_STREET[0] + 0.03, ELM_STREET[1]))  # 3.3 km: beyond 800 m + 1 km
    found = {s.name: s.can_join for s in await queries.nearby_streets(*ELM_STREET)}
    assert found == {"Elm Street": True, "Far North": False}


async def test_streets_near_home_need_a_home(alice):
    await make_street("Elm Street", ELM_STREET)
    assert await queries.streets_near_home(alice.id) is None
    await db.execute("UPDATE resident SET home_lat = $2, home_lng = $3 WHERE id = $1", alice.id, *ELM_STREET)
    assert [s.name for s in await queries.streets_near_home(alice.id)] == ["Elm Street"]


async def test_neighbouring_streets_are_those_within_a_mile():
    elm = await make_street("Elm Street", ELM_STREET)
    oak = await make_street("Oak Road", OAK_ROAD)
    far_north = await make_street("Far North", FAR_NORTH)
    await make_street("Park Row", LEEDS)
    assert await queries.neighbouring_street_ids(elm.id) == [oak.id]
    # Oak Road sits between them: both are its neighbours, nearest first.
    assert await queries.neighbouring_street_ids(oak.id) == [far_north.id, elm.id]


async def test_a_street_is_not_its_own_neighbour():
    elm = await make_street("Elm Street", ELM_STREET)
    assert await queries.neighbouring_street_ids(elm.id) == []


async def test_resident_looking_nearby_sees_home_street_first_then_neighbours(alice):
    elm = await make_street("Elm Street", ELM_STREET)
    oak = await make_street("Oak Road", OAK_ROAD)
    await make_street("Park Row", LEEDS)
    await place_resident(alice, elm, looks_at="nearby")
    assert await queries.visible_street_ids(alice.id) == [elm.id, oak.id]
    assert await queries.street_scope(alice.id) == StreetScope(elm.id, [oak.id])


async def test_resident_looking_at_their_street_only_sees_just_it(alice):
    elm = await make_street("Elm Street", ELM_STREET)
    await make_street("Oak Road", OAK_ROAD)
    await place_resident(alice, elm, looks_at="street")
    assert await queries.visible_street_ids(alice.id) == [elm.id]
    home_street_id, neighbour_ids = await queries.street_scope(alice.id)
    assert (home_street_id, neighbour_ids) == (elm.id, [])


async def test_resident_without_a_street_sees_no_streets(alice):
    await make_street("Elm Street", ELM_STREET)
    assert await queries.visible_street_ids(alice.id) == []
    assert await queries.street_scope(alice.id) == (None, [])


async def test_coordinator_is_known_per_street(carol, alice):
    elm = await make_street("Elm Street", ELM_STREET, coordinator=carol)
    oak = await make_street("Oak Road", OAK_ROAD)
    await place_resident(alice, elm)
    assert await queries.is_coordinator(carol.id, elm.id)
    assert not await queries.is_coordinator(carol.id, oak.id)
    assert not await queries.is_coordinator(alice.id, elm.id)


async def test_street_summary_counts_active_members_and_names_coordinators(carol, alice, bob):
    elm = await make_street("Elm Street", ELM_STREET, coordinator=carol)
    await place_resident(alice, elm)
    await place_resident(bob, elm)
    await db.execute("UPDATE resident SET is_active = false WHERE id = $1", bob.id)
    summary = await queries.street_summary(elm.id)
    assert (summary.name, summary.members, summary.radius_m) == ("Elm Street", 2, 800)
    assert [(c.id, c.display_name) for c in summary.coordinators] == [(carol.id, "Carol")]


async def test_street_summary_of_a_missing_street_is_none():
    assert await queries.street_summary(12345) is None


async def test_distance_between_residents_is_rounded_to_100_m(alice, bob):
    elm = await make_street("Elm Street", ELM_STREET)
    await place_resident(alice, elm, home=(53.645912, -1.785123))
    await place_resident(bob, elm, home=(53.645912 + 0.0030, -1.785123))  # about 334 m north
    assert await queries.distance_between_residents(alice.id, bob.id) == 300
    assert await queries.distance_between_residents(bob.id, alice.id) == 300


async def test_neighbours_next_door_are_never_closer_than_100_m(alice, bob):
    elm = await make_street("Elm Street", ELM_STREET)
    await place_resident(alice, elm, home=(53.645912, -1.785123))
    await place_resident(bob, elm, home=(53.645913, -1.785124))
    assert await queries.distance_between_residents(alice.id, bob.id) == 100


async def test_distance_to_a_resident_without_a_home_is_unknown(alice, bob):
    elm = await make_street("Elm Street", ELM_STREET)
    await place_resident(alice, elm)
    assert await queries.distance_between_residents(alice.id, bob.id) is None


async def test_own_home_is_the_residents_own_private_point(alice):
    elm = await make_street("Elm Street", ELM_STREET)
    await place_resident(alice, elm, home=(53.645912, -1.785123), looks_at="street")
    home = await queries.own_home(alice.id)
    assert (home.lat, home.lng, home.street_id, home.street_name, home.looks_at) == (
        53.645912, -1.785123, elm.id, "Elm Street", "street")


# ---------------------------------------------------------------- speed: the GiST index


async def _many_streets(count: int) -> None:
    """`count` streets on a grid over Great Britain (about 50 km x 60 km cells at 20k)."""
    await db.execute(
        """
        INSERT INTO street (name, centre_lat, centre_lng, radius_m, created_at)
        SELECT 'Street ' || g, 50.0 + (g % 150) * 0.05, -5.0 + (g / 150) * 0.045, 800, now()
        FROM generate_series(1, $1) AS g
        """,
        count,
    )
    await db.execute("ANALYZE street")


def _plan_nodes(plan: dict) -> list[dict]:
    nodes = [plan]
    for child in plan.get("Plans", []):
        nodes.extend(_plan_nodes(child))
    return nodes


async def test_nearest_streets_run_on_the_gist_index_with_knn():
    await _many_streets(20_000)
    rows = await db.fetch("EXPLAIN (FORMAT JSON) " + NEARBY_SQL, *ELM_STREET, 10, 5000.0)
    plan = json.loads(rows[0][0])[0]["Plan"]
    nodes = _plan_nodes(plan)
    index_scans = [n for n in nodes if n.get("Index Name") == "street_centre_earth"]
    assert index_scans, json.dumps(plan, indent=1)
    assert "Order By" in index_scans[0], "the index must deliver rows nearest first (KNN), not filter then sort"
    assert not any(n["Node Type"] == "Seq Scan" and n.get("Relation Name") == "street" for n in nodes)


async def test_nearest_streets_stay_fast_with_20000_streets():
    await _many_streets(20_000)
    rows = await db.fetch("EXPLAIN (ANALYZE, FORMAT JSON) " + NEARBY_SQL, *ELM_STREET, 10, 5000.0)
    assert json.loads(rows[0][0])[0]["Execution Time"] < 50  # milliseconds; typically well under 1


async def test_neighbouring_streets_run_on_the_gist_index():
    await _many_streets(20_000)
    street_id = await db.fetchval("SELECT id FROM street ORDER BY id LIMIT 1 OFFSET 5000")
    rows = await db.fetch("EXPLAIN (FORMAT JSON) " + NEIGHBOURS_SQL, street_id, 1600.0)
    plan = json.loads(rows[0][0])[0]["Plan"]
    assert any(n.get("Index Name") == "street_centre_earth" for n in _plan_nodes(plan)), json.dumps(plan, indent=1)


async def _computed_neighbours(street_id: int) -> list[int]:
    return [r["id"] for r in await db.fetch(NEIGHBOURS_SQL, street_id, float(NEIGHBOUR_DISTANCE_M))]


async def test_stored_neighbours_agree_with_the_distances_for_streets_inserted_together():
    # 400 streets ~300-700 m apart in a jittered grid, inserted by one statement (one trigger run).
    await db.execute(
        """
        INSERT INTO street (name, centre_lat, centre_lng, radius_m, created_at)
        SELECT 'Street ' || g, 53.6 + (g / 20) * 0.004 + (g % 7) * 0.0004, -1.8 + (g % 20) * 0.007 - (g % 5) * 0.0006,
               800, now()
        FROM generate_series(1, 400) AS g
        """
    )
    ids = [r["id"] for r in await db.fetch("SELECT id FROM street ORDER BY id")]
    for street_id in ids[::7]:
        stored = await queries.neighbouring_street_ids(street_id)
        assert stored == await _computed_neighbours(street_id)
        assert 8 <= len(stored) < len(ids)  # a real neighbourhood, not the whole city


async def test_a_new_street_becomes_its_neighbours_neighbour_and_a_moved_one_is_relinked():
    elm = await make_street("Elm Street", ELM_STREET)
    oak = await make_street("Oak Road", OAK_ROAD)
    park = await make_street("Park Row", LEEDS)
    assert await queries.neighbouring_street_ids(elm.id) == [oak.id]
    await db.execute("UPDATE street SET centre_lat = $2, centre_lng = $3 WHERE id = $1", park.id,
                     ELM_STREET[0] + 0.001, ELM_STREET[1])  # about 110 m from Elm Street
    for street in (elm, oak, park):
        assert await queries.neighbouring_street_ids(street.id) == await _computed_neighbours(street.id)
    assert await queries.neighbouring_street_ids(elm.id) == [park.id, oak.id]
    await db.execute("UPDATE street SET name = 'Park Row West' WHERE id = $1", park.id)  # not a move
    assert await queries.neighbouring_street_ids(elm.id) == [park.id, oak.id]


async def test_the_benchmark_can_rebuild_every_pair_after_a_bulk_load():
    elm = await make_street("Elm Street", ELM_STREET)
    oak = await make_street("Oak Road", OAK_ROAD)
    await db.execute("DELETE FROM street_neighbour")
    await db.execute("SELECT street_neighbour_rebuild()")
    assert await queries.neighbouring_street_ids(elm.id) == [oak.id]
    assert await queries.neighbouring_street_ids(oak.id) == [elm.id]


async def test_a_streets_members_are_counted_from_the_index_alone():
    elm = await make_street("Elm Street", ELM_STREET)
    await db.execute(
        """
        INSERT INTO resident (email, display_name, password_hash, created_at, street, street_joined_at, is_active)
        SELECT 'm' || g || '@example.org', 'Member ' || g, 'x', now(), $1, now(), g % 10 <> 0
        FROM generate_series(1, 300) AS g
        """,
        elm.id,
    )
    await db.execute("VACUUM (ANALYZE) resident")
    async with db.transaction():
        await db.execute("SET LOCAL enable_seqscan = off")
        await db.execute("SET LOCAL enable_bitmapscan = off")
        rows = await db.fetch("EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*) FROM resident WHERE street = $1 AND is_active",
                              elm.id)
    nodes = _plan_nodes(json.loads(rows[0][0])[0]["Plan"])
    scan = next(n for n in nodes if n.get("Relation Name") == "resident")
    assert scan["Node Type"] == "Index Only Scan" and scan["Index Name"] == "resident_street", scan
    assert scan["Heap Fetches"] == 0 and scan["Actual Rows"] == 270
