"""The privacy geometry: what others may learn about where a resident lives.

Rules (see the product brief, "Privacy and safety rules"):
- nobody else ever sees an exact home location, only an approximate distance,
  rounded to 100 m and never less than 100 m;
- any point drawn on a page is moved by at least 200 m, deterministically, so that
  looking at it many times (or reloading) cannot average the offset away.

Pure functions, no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import math

# Mean Earth radius (IUGG), in metres.
EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def approx_distance_m(meters: float) -> int:
    """A distance safe to show: rounded to the nearest 100 m, and never below 100 m.

    "0 m away" would tell a neighbour they are standing at someone's door.
    Halves round up (250 -> 300), unlike Python's round().
    """
    rounded = math.floor(max(meters, 0.0) / 100 + 0.5) * 100
    return max(100, int(rounded))


def describe_distance(meters: float) -> str:
    """'about 300 m away', or 'about 1.2 km away' from 1000 m on."""
    shown = approx_distance_m(meters)
    if shown < 1000:
        return f"about {shown} m away"
    return f"about {shown / 1000:.1f} km away"


def blur_point(
    lat: float,
    lng: float,
    *,
    secret: str,
    subject_id: str | int,
    min_m: float = 200.0,
    max_m: float = 400.0,
) -> tuple[float, float]:
    """The point to draw instead of (lat, lng): between min_m and max_m away from it.

    The bearing and distance come from HMAC-SHA256(secret, subject_id), so the same
    subject always gets the same offset (it cannot be averaged out over many views)
    and nobody without the secret can undo it.

    Use one subject_id per true point, i.e. the resident whose home it is, never one
    per offer or ask: several different offsets around the same home would draw rings
    whose intersection gives the home away.
    """
    if not 0 < min_m <= max_m:
        raise ValueError("blur distances must satisfy 0 < min_m <= max_m")
    digest = hmac.new(
        secret.encode(), f"streetshare.blur_point:{subject_id}".encode(), hashlib.sha256
    ).digest()
    bearing = 2 * math.pi * (int.from_bytes(digest[:8], "big") / 2**64)
    distance = min_m + (max_m - min_m) * (int.from_bytes(digest[8:16], "big") / 2**64)
    return _destination(lat, lng, bearing, distance)


def _destination(lat: float, lng: float, bearing: float, distance_m: float) -> tuple[float, float]:
    """The point distance_m from (lat, lng) along the great circle at `bearing` (radians)."""
    delta = distance_m / EARTH_RADIUS_M
    phi1, lambda1 = math.radians(lat), math.radians(lng)
    sin_phi2 = math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(bearing)
    phi2 = math.asin(max(-1.0, min(1.0, sin_phi2)))
    lambda2 = lambda1 + math.atan2(
        math.sin(bearing) * math.sin(delta) * math.cos(phi1),
        math.cos(delta) - math.sin(phi1) * sin_phi2,
    )
    lng2 = (math.degrees(lambda2) + 540.0) % 360.0 - 180.0
    return math.degrees(phi2), lng2
