"""The geocoding cache in PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from streetshare import clock, db
from streetshare.places.cache import PostgresGeocodeCache, app_geocoder
from streetshare.places.geocoding import FAKE_PLACES, CachedGeocoder, FakeGeocoder, NoResult, Place


async def test_cache_gives_back_the_places_it_was_given():
    cache = PostgresGeocodeCache()
    places = [FAKE_PLACES["hd1_5aa"], Place("Somewhere without a country", 53.1, -1.2, None)]
    await cache.put("HD1 5AA", places)
    assert await cache.get("HD1 5AA") == places


async def test_unknown_query_is_not_in_the_cache():
    assert await PostgresGeocodeCache().get("HD1 5AA") is None


async def test_no_result_is_remembered_as_an_empty_list():
    cache = PostgresGeocodeCache()
    await cache.put("nowhere", [])
    assert await cache.get("nowhere") == []


async def test_storing_again_replaces_the_entry():
    cache = PostgresGeocodeCache()
    await cache.put("HD1 5AA", [FAKE_PLACES["hd1_5aa"]])
    await cache.put("HD1 5AA", [FAKE_PLACES["station"]])
    assert await cache.get("HD1 5AA") == [FAKE_PLACES["station"]]
    assert await db.fetchval("SELECT count(*) FROM geocode_cache") == 1


async def test_old_entries_are_ignored_so_they_are_looked_up_again():
    cache = PostgresGeocodeCache(max_age=timedelta(days=90))
    with clock.frozen_at(clock.now() - timedelta(days=91)):
        await cache.put("HD1 5AA", [FAKE_PLACES["hd1_5aa"]])
    assert await cache.get("HD1 5AA") is None


async def test_overlong_keys_are_neither_stored_nor_looked_up():
    cache = PostgresGeocodeCache()
    await cache.put("x" * 301, [FAKE_PLACES["hd1_5aa"]])
    assert await cache.get("x" * 301) is None
    assert await db.fetchval("SELECT count(*) FROM geocode_cache") == 0


async def test_cached_geocoder_asks_the_service_once_per_address():
    fake = FakeGeocoder()
    geocoder = CachedGeocoder(fake, PostgresGeocodeCache())
    assert await geocoder.lookup("HD1 5AA") == [FAKE_PLACES["hd1_5aa"]]
    assert await geocoder.lookup("  hd1 5aa ") == [FAKE_PLACES["hd1_5aa"]]
    with pytest.raises(NoResult):
        await geocoder.lookup("Nowhere Lane ZZ9")
    with pytest.raises(NoResult):
        await geocoder.lookup("nowhere lane zz9")
    assert fake.queries == ["HD1 5AA", "nowhere lane zz9"]


async def test_app_geocoder_uses_the_settings_and_the_database_cache(settings):
    geocoder = app_geocoder(settings)
    assert isinstance(geocoder, CachedGeocoder) and isinstance(geocoder.cache, PostgresGeocodeCache)
    assert isinstance(geocoder.inner, FakeGeocoder)
