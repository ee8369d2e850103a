"""The privacy geometry: approximate distances and blurred points."""

from __future__ import annotations

import math

import pytest

from streetshare.places.privacy import (
    EARTH_RADIUS_M,
    approx_distance_m,
    blur_point,
    describe_distance,
    haversine_m,
)

HUDDERSFIELD_STATION = (53.6486, -1.7848)
SECRET = "test-secret-that-is-long-enough-for-hmac"


def test_haversine_of_a_point_to_itself_is_zero() -> None:
    assert haversine_m(*HUDDERSFIELD_STATION, *HUDDERSFIELD_STATION) == 0


def test_haversine_one_degree_along_the_equator() -> None:
    assert haversine_m(0, 0, 0, 1) == pytest.approx(2 * math.pi * EARTH_RADIUS_M / 360)


def test_haversine_is_symmetric() -> None:
    leeds = (53.7953, -1.5479)
    there = haversine_m(*HUDDERSFIELD_STATION, *leeds)
    assert there == pytest.approx(haversine_m(*leeds, *HUDDERSFIELD_STATION))
    assert 22_000 < there < 24_000  # Huddersfield to Leeds, as the crow flies


@pytest.mark.parametrize(
    ("meters", "shown"),
    [(149, 100), (151, 200), (250, 300), (349.9, 300), (350, 400), (1249, 1200), (12_345, 12_300)],
)
def test_distance_is_rounded_to_100_m(meters: float, shown: int) -> None:
    assert approx_distance_m(meters) == shown


@pytest.mark.parametrize("meters", [0, 1, 49, 99, -5])
def test_distance_is_never_shown_as_less_than_100_m(meters: float) -> None:
    assert approx_distance_m(meters) == 100


@pytest.mark.parametrize(
    ("meters", "text"),
    [
        (0, "about 100 m away"),
        (310, "about 300 m away"),
        (949, "about 900 m away"),
        (999, "about 1.0 km away"),
        (1234, "about 1.2 km away"),
        (15_080, "about 15.1 km away"),
    ],
)
def test_distance_is_described_in_m_below_1_km_and_in_km_with_one_decimal_above(meters: float, text: str) -> None:
    assert describe_distance(meters) == text


def test_blurred_point_is_at_least_200_m_away() -> None:
    for subject_id in range(2000):
        blurred = blur_point(*HUDDERSFIELD_STATION, secret=SECRET, subject_id=subject_id)
        assert haversine_m(*HUDDERSFIELD_STATION, *blurred) >= 200 - 1e-6


def test_blurred_point_is_at_most_400_m_away() -> None:
    for subject_id in range(2000):
        blurred = blur_point(*HUDDERSFIELD_STATION, secret=SECRET, subject_id=f"resident-{subject_id}")
        assert haversine_m(*HUDDERSFIELD_STATION, *blurred) <= 400 + 1e-6


def test_blurred_point_respects_a_wider_range() -> None:
    for subject_id in range(200):
        blurred = blur_point(*HUDDERSFIELD_STATION, secret=SECRET, subject_id=subject_id, min_m=500, max_m=600)
        assert 500 - 1e-6 <= haversine_m(*HUDDERSFIELD_STATION, *blurred) <= 600 + 1e-6


def test_blurred_point_is_stable_across_calls() -> None:
    first = blur_point(*HUDDERSFIELD_STATION, secret=SECRET, subject_id=42)
    assert all(blur_point(*HUDDERSFIELD_STATION, secret=SECRET, subject_id=42) == first for _ in range(20))


def test_blurred_point_is_the_same_for_an_int_id_and_its_string() -> None:
    assert blur_point(1, 2, secret=SECRET, subject_id=7) == blur_point(1, 2, secret=SECRET, subject_id="7")


def test_blurred_point_differs_with_a_different_secret() -> None:
    assert blur_point(*HUDDERSFIELD_STATION, secret=SECRET, subject_id=42) != blur_point(
        *HUDDERSFIELD_STATION, secret="another-secret", subject_id=42
    )


def test_blurred_point_differs_between_residents() -> None:
    points = {blur_point(*HUDDERSFIELD_STATION, secret=SECRET, subject_id=i) for i in range(100)}
    assert len(points) == 100


def test_blurred_points_go_in_every_direction() -> None:
    lat0, lng0 = HUDDERSFIELD_STATION
    quadrants = set()
    for subject_id in range(200):
        lat, lng = blur_point(lat0, lng0, secret=SECRET, subject_id=subject_id)
        quadrants.add((lat > lat0, lng > lng0))
    assert len(quadrants) == 4


def test_blurring_works_across_the_antimeridian() -> None:
    lat, lng = blur_point(0.0, 179.999, secret=SECRET, subject_id=3)
    assert -180 <= lng < 180
    assert 200 - 1e-6 <= haversine_m(0.0, 179.999, lat, lng) <= 400 + 1e-6


@pytest.mark.parametrize(("min_m", "max_m"), [(0, 400), (-1, 400), (400, 200)])
def test_blur_refuses_a_range_that_could_reveal_the_point(min_m: float, max_m: float) -> None:
    with pytest.raises(ValueError):
        blur_point(*HUDDERSFIELD_STATION, secret=SECRET, subject_id=1, min_m=min_m, max_m=max_m)
