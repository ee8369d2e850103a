"""The benchmark's city generator (bench/generate.py): the same seed builds the same city, and the
city it builds is one the database accepts, invariants included."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from streetshare import db
from streetshare.accounts.passwords import verify_password

from bench.generate import COLUMNS, PASSWORD, SIZES, city_rows, load_city, plan_city

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def digest(seed: int) -> str:
    h = hashlib.sha256()
    for table, rows in city_rows(plan_city(SIZES["tiny"], seed, NOW), set(COLUMNS)):
        h.update(table.encode())
        for row in rows:
            h.update(repr(row).encode())
    return h.hexdigest()


def test_the_same_seed_builds_the_same_city_row_for_row():
    assert digest(7) == digest(7)


def test_another_seed_builds_another_city():
    assert digest(7) != digest(8)


async def test_generated_city_loads_into_the_migrated_schema_with_every_invariant_held(database):
    city = plan_city(SIZES["tiny"], 7, NOW)
    result = await load_city(database, city, concurrent=False, analyze=False, progress=lambda _: None)

    assert result.counts["offer"] == SIZES["tiny"].offers
    assert await db.fetchval("SELECT count(*) FROM resident") == SIZES["tiny"].residents
    # Unique indexes in place while loading: no lend offer in two live exchanges, no give given twice.
    assert await db.fetchval("SELECT count(*) FROM exchange") == len(city.exchanges)
    # Every street has its creator as a coordinator, and every resident lives inside their street.
    assert await db.fetchval("SELECT count(*) FROM street WHERE created_by IS NULL") == 0
    outside = await db.fetchval(
        """SELECT count(*) FROM resident r JOIN street s ON s.id = r.street
           WHERE earth_distance(ll_to_earth(r.home_lat, r.home_lng), ll_to_earth(s.centre_lat, s.centre_lng)) > s.radius_m"""
    )
    assert outside == 0
    # A given-away offer is gone; sequences continue after the generated ids.
    assert await db.fetchval(
        "SELECT count(*) FROM exchange e JOIN offer o ON o.id = e.offer "
        "WHERE e.offer_kind = 'give' AND e.state = 'completed' AND o.status <> 'gone'"
    ) == 0
    assert await db.fetchval("SELECT nextval(pg_get_serial_sequence('offer', 'id'))") == SIZES["tiny"].offers + 1
    # Every bench resident signs in with the one known password.
    assert verify_password(await db.fetchval("SELECT password_hash FROM resident LIMIT 1"), PASSWORD)
