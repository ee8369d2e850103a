"""The geocoding cache in PostgreSQL (table geocode_cache), and the app's geocoder.

Keys are normalised queries (geocoding.normalise_query); values are the places found, as
JSON. Entries older than MAX_AGE are ignored and replaced, so a moved postcode heals itself.
"""

from __future__ import annotations

import json
from datetime import timedelta

from streetshare import clock, db
from streetshare.places.geocoding import Geocoder, Place, make_geocoder
from streetshare.settings import Settings

MAX_AGE = timedelta(days=90)
KEY_MAX = 300


class PostgresGeocodeCache:
    """A GeocodeCache (see geocoding.py) backed by the geocode_cache table."""

    def __init__(self, max_age: timedelta = MAX_AGE) -> None:
        self.max_age = max_age

    async def get(self, key: str) -> list[Place] | None:
        if len(key) > KEY_MAX:
            return None
        raw = await db.fetchval(
            "SELECT results FROM geocode_cache WHERE query_key = $1 AND created_at > $2",
            key,
            clock.now() - self.max_age,
        )
        if raw is None:
            return None
        return [
            Place(label=item["label"], lat=item["lat"], lng=item["lng"], country_code=item.get("country_code"))
            for item in json.loads(raw)
        ]

    async def put(self, key: str, places: list[Place]) -> None:
        if len(key) > KEY_MAX:
            return
        results = json.dumps(
            [{"label": p.label, "lat": p.lat, "lng": p.lng, "country_code": p.country_code} for p in places]
        )
        await db.execute(
            """
            INSERT INTO geocode_cache (query_key, results, created_at) VALUES ($1, $2::jsonb, $3)
            ON CONFLICT (query_key) DO UPDATE SET results = EXCLUDED.results, created_at = EXCLUDED.created_at
            """,
            key,
            results,
            clock.now(),
        )


def app_geocoder(settings: Settings) -> Geocoder:
    """The geocoder the settings choose, in front of the database cache."""
    return make_geocoder(settings, cache=PostgresGeocodeCache())
