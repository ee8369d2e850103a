"""Geocoding: our interface, the offline fake, the cache, and geopy behind it. No network."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from typing import Any

import geopy.exc
import pytest
from geopy.geocoders import Nominatim, Photon
from geopy.location import Location

from streetshare.errors import DomainError
from streetshare.places import geocoding
from streetshare.places.geocoding import (
    FAKE_PLACES,
    CachedGeocoder,
    FakeGeocoder,
    GeocoderRateLimited,
    GeocoderTimedOut,
    GeocoderUnavailable,
    GeocodingError,
    GeopyGeocoder,
    InMemoryCache,
    NoResult,
    OutsideCountry,
    Place,
    Throttle,
    make_geocoder,
    needs_choice,
    normalise_query,
    parse_country_codes,
)
from streetshare.places.privacy import haversine_m
from streetshare.settings import Settings, SettingsError

# --- helpers ---------------------------------------------------------------------------------


class FakeClock:
    """A monotonic clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def nominatim_location(label: str, lat: float, lng: float, country_code: str | None = "gb") -> Location:
    raw: dict[str, Any] = {"display_name": label, "lat": str(lat), "lon": str(lng)}
    if country_code is not None:
        raw["address"] = {"country_code": country_code}
    return Location(label, (lat, lng), raw)


class StubGeopy:
    """A stand-in for a geopy geocoder (Nominatim's geocode signature), never on the network."""

    def __init__(self, result: Any = None, error: BaseException | None = None, clock: FakeClock | None = None) -> None:
        self.result = result
        self.error = error
        self.clock = clock
        self.calls: list[dict[str, Any]] = []

    def geocode(
        self,
        query: str,
        *,
        exactly_one: bool = True,
        timeout: float | None = None,
        limit: int | None = None,
        addressdetails: bool = False,
        country_codes: list[str] | None = None,
    ) -> Any:
        self.calls.append(
            {
                "query": query,
                "exactly_one": exactly_one,
                "timeout": timeout,
                "limit": limit,
                "addressdetails": addressdetails,
                "country_codes": country_codes,
                "at": self.clock() if self.clock else None,
            }
        )
        if self.error is not None:
            raise self.error
        return self.result


class MinimalStubGeopy:
    """A geopy geocoder with only the common options (like ArcGIS): no limit, no country filter."""

    def __init__(self, result: Any) -> None:
        self.result = result
        self.kwargs: dict[str, Any] = {}

    def geocode(self, query: str, *, exactly_one: bool = True, timeout: float | None = None) -> Any:
        self.kwargs = {"exactly_one": exactly_one, "timeout": timeout}
        return self.result


def geopy_geocoder(stub: Any, *, country_codes: tuple[str, ...] = ("gb",), clock: FakeClock | None = None) -> GeopyGeocoder:
    clock = clock or FakeClock()
    return GeopyGeocoder(
        stub, timeout_s=3, country_codes=country_codes, throttle=Throttle(1.0, clock=clock, sleep=clock.sleep)
    )


class CountingGeocoder:
    """Wraps the fake and counts what reaches it."""

    def __init__(self) -> None:
        self.fake = FakeGeocoder()

    @property
    def queries(self) -> list[str]:
        return self.fake.queries

    async def lookup(self, query: str) -> list[Place]:
        return await self.fake.lookup(query)


class BrokenCache:
    async def get(self, key: str) -> list[Place] | None:
        raise ConnectionError("database went away")

    async def put(self, key: str, places: list[Place]) -> None:
        raise ConnectionError("database went away")


# --- our interface ---------------------------------------------------------------------------


def test_place_is_immutable() -> None:
    place = Place("Somewhere", 53.6, -1.78, "gb")
    with pytest.raises(dataclasses.FrozenInstanceError):
        place.lat = 0.0  # type: ignore[misc]


@pytest.mark.parametrize("error", [GeocoderUnavailable, GeocoderTimedOut, GeocoderRateLimited, NoResult, OutsideCountry])
def test_every_geocoding_error_tells_the_resident_a_way_forward(error: type[GeocodingError]) -> None:
    exc = error()
    assert isinstance(exc, GeocodingError)
    assert isinstance(exc, DomainError)
    assert exc.message and exc.hint
    assert exc.kind != GeocodingError.kind


def test_geocoding_error_message_and_hint_can_be_overridden() -> None:
    exc = NoResult("Nothing at that postcode.", hint="Try your street name.")
    assert (exc.message, exc.hint) == ("Nothing at that postcode.", "Try your street name.")


def test_needs_choice_only_when_several_places_come_back() -> None:
    one = [FAKE_PLACES["station"]]
    assert not needs_choice(one)
    assert needs_choice([*one, FAKE_PLACES["town_hall"]])


@pytest.mark.parametrize("query", ["hd12qa", "HD1 2QA", "  hd1   2qa ", "Hd1 2Qa"])
def test_uk_postcode_is_normalised_with_one_space(query: str) -> None:
    assert normalise_query(query) == "HD1 2QA"


def test_query_is_case_folded_with_spaces_collapsed() -> None:
    assert normalise_query("  12   High  Street ,Huddersfield,  hd12qa ") == "12 high street, huddersfield, HD1 2QA"


def test_partial_postcode_is_left_alone() -> None:
    assert normalise_query("HD3  3") == "hd3 3"


@pytest.mark.parametrize(("raw", "codes"), [("gb", ("gb",)), (" GB, ie ", ("gb", "ie")), ("uk", ("gb",)), ("", ())])
def test_country_codes_are_parsed(raw: str, codes: tuple[str, ...]) -> None:
    assert parse_country_codes(raw) == codes


# --- the offline fake -------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["HD1 2QA", "hd12qa", "  Hd1  2qA  "])
async def test_fake_finds_a_postcode_whatever_the_case_and_spacing(query: str) -> None:
    assert await FakeGeocoder().lookup(query) == [FAKE_PLACES["town_centre"]]


async def test_fake_finds_part_of_an_address() -> None:
    places = await FakeGeocoder().lookup("LINDLEY")
    assert places == [FAKE_PLACES["lindley"], FAKE_PLACES["lindley_acre_street"]]


async def test_fake_finds_a_partial_postcode() -> None:
    places = await FakeGeocoder().lookup("HD3 3")
    assert places and all("HD3 3" in place.label for place in places)


async def test_fake_finds_a_street_with_its_town() -> None:
    assert await FakeGeocoder().lookup("st georges square huddersfield") == [FAKE_PLACES["station"]]


async def test_high_street_is_ambiguous_and_the_resident_chooses() -> None:
    places = await FakeGeocoder().lookup("High Street")
    assert len(places) == 3
    assert needs_choice(places)
    towns = {place.label.split(", ")[1].split()[0] for place in places}
    assert towns == {"Huddersfield", "Oxford", "Edinburgh"}


async def test_fake_returns_at_most_five_places() -> None:
    assert len(await FakeGeocoder().lookup("huddersfield")) == 5


async def test_timeout_gives_clear_message() -> None:
    with pytest.raises(GeocoderTimedOut) as caught:
        await FakeGeocoder().lookup("timeout street")
    assert "too long" in caught.value.message
    assert "use your location" in caught.value.hint


async def test_offline_gives_unavailable_with_a_way_forward() -> None:
    with pytest.raises(GeocoderUnavailable) as caught:
        await FakeGeocoder().lookup("Offline Road")
    assert "use your location" in caught.value.hint.lower()


async def test_ratelimit_gives_rate_limited_and_says_to_wait() -> None:
    with pytest.raises(GeocoderRateLimited) as caught:
        await FakeGeocoder().lookup("ratelimit")
    assert "wait" in caught.value.hint.lower()


async def test_place_in_france_is_outside_the_country() -> None:
    with pytest.raises(OutsideCountry) as caught:
        await FakeGeocoder().lookup("Paris")
    assert "outside the area" in caught.value.message


async def test_place_in_france_is_found_when_no_country_is_set() -> None:
    assert await FakeGeocoder(country_codes=()).lookup("paris") == [FAKE_PLACES["paris"]]


@pytest.mark.parametrize("query", ["Nowhere Lane", "ZZ9 9ZZ", "", "   ", ",,"])
async def test_unknown_address_has_no_result(query: str) -> None:
    with pytest.raises(NoResult) as caught:
        await FakeGeocoder().lookup(query)
    assert "postcode" in caught.value.hint


def test_fake_table_is_mostly_huddersfield_with_some_far_away() -> None:
    places = list(FAKE_PLACES.values())
    centre = FAKE_PLACES["town_centre"]
    away = [haversine_m(centre.lat, centre.lng, p.lat, p.lng) for p in places]
    assert 20 <= len(places) <= 30
    assert sum(1 for p in places if "Huddersfield" in p.label) >= 10
    assert sum(1 for d in away if d <= 800) >= 5  # enough neighbours for one street
    assert sum(1 for d in away if d > 30_000) >= 4  # and people across the country
    assert [p for p in places if p.country_code != "gb"] == [FAKE_PLACES["paris"]]


def test_fake_table_labels_are_unique() -> None:
    labels = [p.label for p in FAKE_PLACES.values()]
    assert len(labels) == len(set(labels))


# --- the cache --------------------------------------------------------------------------------


async def test_second_lookup_is_served_from_the_cache() -> None:
    inner, cache = CountingGeocoder(), InMemoryCache()
    geocoder = CachedGeocoder(inner, cache)
    first = await geocoder.lookup("HD1 2QA")
    second = await geocoder.lookup("HD1 2QA")
    assert first == second == [FAKE_PLACES["town_centre"]]
    assert inner.queries == ["HD1 2QA"]


async def test_queries_differing_in_case_and_spacing_share_a_cache_entry() -> None:
    inner, cache = CountingGeocoder(), InMemoryCache()
    geocoder = CachedGeocoder(inner, cache)
    await geocoder.lookup("hd12qa")
    await geocoder.lookup("  HD1   2QA ")
    assert list(cache.entries) == ["HD1 2QA"]
    assert inner.queries == ["HD1 2QA"]


async def test_no_result_is_cached() -> None:
    inner, cache = CountingGeocoder(), InMemoryCache()
    geocoder = CachedGeocoder(inner, cache)
    for _ in range(2):
        with pytest.raises(NoResult):
            await geocoder.lookup("Nowhere Lane")
    assert cache.entries == {"nowhere lane": ()}
    assert inner.queries == ["nowhere lane"]


@pytest.mark.parametrize(
    ("query", "error"),
    [("timeout", GeocoderTimedOut), ("offline", GeocoderUnavailable), ("ratelimit", GeocoderRateLimited), ("paris", OutsideCountry)],
)
async def test_failures_are_not_cached(query: str, error: type[GeocodingError]) -> None:
    inner, cache = CountingGeocoder(), InMemoryCache()
    geocoder = CachedGeocoder(inner, cache)
    for _ in range(2):
        with pytest.raises(error):
            await geocoder.lookup(query)
    assert cache.entries == {}
    assert len(inner.queries) == 2


async def test_broken_cache_does_not_stop_a_lookup(caplog: pytest.LogCaptureFixture) -> None:
    geocoder = CachedGeocoder(FakeGeocoder(), BrokenCache())
    with caplog.at_level(logging.DEBUG):
        assert await geocoder.lookup("lidget street lindley") == [FAKE_PLACES["lindley"]]
    assert "ConnectionError" in caplog.text
    assert "lidget" not in caplog.text.lower()


# --- geopy behind our interface --------------------------------------------------------------


async def test_geopy_results_become_places() -> None:
    stub = StubGeopy(
        [
            nominatim_location("Huddersfield, Kirklees, England, HD1 2QA, United Kingdom", 53.6458, -1.785),
            nominatim_location("HD1 2QA, Kirklees, England, United Kingdom", 53.646, -1.786),
        ]
    )
    places = await geopy_geocoder(stub).lookup("HD1 2QA")
    assert places == [
        Place("Huddersfield, Kirklees, England, HD1 2QA, United Kingdom", 53.6458, -1.785, "gb"),
        Place("HD1 2QA, Kirklees, England, United Kingdom", 53.646, -1.786, "gb"),
    ]


async def test_geopy_is_asked_for_up_to_five_places_in_the_allowed_countries() -> None:
    stub = StubGeopy([nominatim_location("A place", 53.6, -1.7)])
    await geopy_geocoder(stub, country_codes=("gb", "ie")).lookup("  12 Some Road  ")
    (call,) = stub.calls
    assert call["query"] == "12 Some Road"
    assert call["exactly_one"] is False
    assert call["limit"] == 5
    assert call["timeout"] == 3
    assert call["addressdetails"] is True
    assert call["country_codes"] == ["gb", "ie"]


async def test_geopy_options_the_service_lacks_are_not_sent() -> None:
    stub = MinimalStubGeopy([Location("Somewhere", (53.6, -1.7), {})])
    places = await geopy_geocoder(stub).lookup("somewhere")
    assert stub.kwargs == {"exactly_one": False, "timeout": 3}
    assert places == [Place("Somewhere", 53.6, -1.7, None)]


async def test_geopy_single_location_answer_is_accepted() -> None:
    stub = MinimalStubGeopy(Location("Somewhere", (53.6, -1.7), {}))
    assert len(await geopy_geocoder(stub).lookup("somewhere")) == 1


async def test_geopy_places_outside_the_country_are_dropped() -> None:
    stub = StubGeopy([nominatim_location("Paris, France", 48.85, 2.35, "fr"), nominatim_location("Paris Road, Leeds", 53.8, -1.5)])
    places = await geopy_geocoder(stub).lookup("paris")
    assert [p.label for p in places] == ["Paris Road, Leeds"]


async def test_geopy_only_places_outside_the_country_is_outside_country() -> None:
    stub = StubGeopy([nominatim_location("Paris, France", 48.85, 2.35, "fr")])
    with pytest.raises(OutsideCountry):
        await geopy_geocoder(stub).lookup("paris")


async def test_geopy_place_of_unknown_country_is_kept() -> None:
    stub = StubGeopy([nominatim_location("Somewhere", 53.6, -1.7, None)])
    assert len(await geopy_geocoder(stub).lookup("somewhere")) == 1


async def test_geopy_photon_country_code_is_read() -> None:
    raw = {"properties": {"countrycode": "GB", "name": "Lindley"}}
    stub = MinimalStubGeopy([Location("Lindley", (53.66, -1.82), raw)])
    places = await geopy_geocoder(stub).lookup("lindley")
    assert places[0].country_code == "gb"


async def test_geopy_duplicate_places_are_shown_once() -> None:
    stub = StubGeopy([nominatim_location("Same", 53.6, -1.7), nominatim_location("Same", 53.6001, -1.7)])
    places = await geopy_geocoder(stub).lookup("same")
    assert places == [Place("Same", 53.6, -1.7, "gb")]
    assert not needs_choice(places)


async def test_geopy_never_returns_more_than_five_places() -> None:
    stub = StubGeopy([nominatim_location(f"Place {i}", 53.6, -1.7) for i in range(8)])
    assert len(await geopy_geocoder(stub).lookup("place")) == 5


@pytest.mark.parametrize("answer", [None, []])
async def test_geopy_nothing_found_is_no_result(answer: Any) -> None:
    with pytest.raises(NoResult):
        await geopy_geocoder(StubGeopy(answer)).lookup("Nowhere Lane")


async def test_geopy_empty_query_is_no_result_without_asking_the_service() -> None:
    stub = StubGeopy([])
    with pytest.raises(NoResult):
        await geopy_geocoder(stub).lookup("   ")
    assert stub.calls == []


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (geopy.exc.GeocoderTimedOut("slow"), GeocoderTimedOut),
        (geopy.exc.GeocoderRateLimited("429"), GeocoderRateLimited),
        (geopy.exc.GeocoderQuotaExceeded("quota"), GeocoderRateLimited),
        (geopy.exc.GeocoderUnavailable("503"), GeocoderUnavailable),
        (geopy.exc.GeocoderServiceError("500"), GeocoderUnavailable),
        (geopy.exc.GeocoderParseError("bad json"), GeocoderUnavailable),
        (geopy.exc.GeocoderAuthenticationFailure("bad key"), GeocoderUnavailable),
        (geopy.exc.GeocoderInsufficientPrivileges("no"), GeocoderUnavailable),
        (geopy.exc.GeocoderQueryError("bad query"), NoResult),
        (ConnectionRefusedError("no network"), GeocoderUnavailable),
        (OSError("name resolution failed"), GeocoderUnavailable),
    ],
)
async def test_geopy_errors_become_ours(raised: BaseException, expected: type[GeocodingError]) -> None:
    with pytest.raises(expected) as caught:
        await geopy_geocoder(StubGeopy(error=raised)).lookup("HD1 2QA")
    assert caught.value.message and caught.value.hint


async def test_geopy_timeout_gives_clear_message() -> None:
    with pytest.raises(GeocoderTimedOut) as caught:
        await geopy_geocoder(StubGeopy(error=geopy.exc.GeocoderTimedOut("slow"))).lookup("HD1 2QA")
    assert caught.value.message == GeocoderTimedOut.default_message


async def test_geopy_request_that_hangs_past_the_timeout_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    class HangingStub:
        def geocode(self, query: str, *, exactly_one: bool = True, timeout: float | None = None) -> Any:
            time.sleep(0.3)
            return []

    monkeypatch.setattr(geocoding, "HARD_TIMEOUT_GRACE_S", 0.05)
    geocoder = GeopyGeocoder(HangingStub(), timeout_s=0, throttle=Throttle(0))
    with pytest.raises(GeocoderTimedOut):
        await geocoder.lookup("HD1 2QA")


async def test_geopy_rate_limit_keeps_retry_after_and_backs_off() -> None:
    clock = FakeClock()
    stub = StubGeopy(error=geopy.exc.GeocoderRateLimited("429", retry_after=30), clock=clock)
    geocoder = geopy_geocoder(stub, clock=clock)
    with pytest.raises(GeocoderRateLimited) as caught:
        await geocoder.lookup("HD1 2QA")
    assert caught.value.retry_after == 30
    stub.error, stub.result = None, [nominatim_location("HD1 2QA", 53.6, -1.7)]
    with pytest.raises(GeocoderRateLimited):
        await geocoder.lookup("HD1 2QA")  # too soon: refused without asking the service
    assert len(stub.calls) == 1
    clock.now += 30
    await geocoder.lookup("HD1 2QA")
    assert stub.calls[1]["at"] - stub.calls[0]["at"] >= 30


async def test_geopy_requests_are_at_least_a_second_apart() -> None:
    clock = FakeClock()
    stub = StubGeopy([nominatim_location("A place", 53.6, -1.7)], clock=clock)
    geocoder = geopy_geocoder(stub, clock=clock)
    for _ in range(3):
        await geocoder.lookup("a place")
    assert clock.sleeps == [1.0, 1.0]
    times = [call["at"] for call in stub.calls]
    assert [later - earlier for earlier, later in zip(times, times[1:])] == [1.0, 1.0]


async def test_query_is_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    secret_address = "12 Secret Lane"
    with caplog.at_level(logging.DEBUG):
        for error in (geopy.exc.GeocoderTimedOut("x"), geopy.exc.GeocoderAuthenticationFailure("x"), OSError("x")):
            with pytest.raises(GeocodingError):
                await geopy_geocoder(StubGeopy(error=error)).lookup(secret_address)
        with pytest.raises(NoResult):
            await CachedGeocoder(FakeGeocoder(), InMemoryCache()).lookup(secret_address)
    assert "timed_out" in caplog.text
    assert "secret" not in caplog.text.lower()


# --- the throttle -----------------------------------------------------------------------------


async def test_throttle_lets_the_first_request_through_at_once() -> None:
    clock = FakeClock()
    await Throttle(1.0, clock=clock, sleep=clock.sleep).wait()
    assert clock.sleeps == []


async def test_throttle_spaces_back_to_back_requests_by_a_second() -> None:
    clock = FakeClock()
    throttle = Throttle(1.0, clock=clock, sleep=clock.sleep)
    await throttle.wait()
    clock.now += 0.25
    await throttle.wait()
    assert clock.sleeps == [0.75]


async def test_throttle_does_not_wait_after_a_quiet_spell() -> None:
    clock = FakeClock()
    throttle = Throttle(1.0, clock=clock, sleep=clock.sleep)
    await throttle.wait()
    clock.now += 5
    await throttle.wait()
    assert clock.sleeps == []


async def test_throttle_queues_simultaneous_requests_a_second_apart() -> None:
    clock = FakeClock()
    starts: list[float] = []

    async def sleep_without_moving_the_clock(seconds: float) -> None:
        await asyncio.sleep(0)
        starts.append(clock.now + seconds)

    throttle = Throttle(1.0, clock=clock, sleep=sleep_without_moving_the_clock)
    await asyncio.gather(*(throttle.wait() for _ in range(4)))
    assert sorted(starts) == [1001.0, 1002.0, 1003.0]  # the first went at 1000


async def test_throttle_backs_off_when_the_service_says_so() -> None:
    clock = FakeClock()
    throttle = Throttle(1.0, clock=clock, sleep=clock.sleep)
    throttle.back_off(30)
    await throttle.wait()
    assert clock.sleeps == [30]


async def test_throttle_refuses_at_once_when_the_wait_would_be_too_long() -> None:
    clock = FakeClock()
    throttle = Throttle(1.0, clock=clock, sleep=clock.sleep)
    throttle.back_off(30)
    with pytest.raises(GeocoderRateLimited) as caught:
        await throttle.wait(max_wait_s=5)
    assert caught.value.retry_after == 30
    assert clock.sleeps == []
    clock.now += 30
    await throttle.wait(max_wait_s=5)  # the refused caller did not take a slot
    assert clock.sleeps == []


async def test_geopy_lookup_is_refused_quickly_while_the_service_is_backing_off() -> None:
    clock = FakeClock()
    stub = StubGeopy([nominatim_location("A place", 53.6, -1.7)], clock=clock)
    geocoder = geopy_geocoder(stub, clock=clock)
    geocoder.throttle.back_off(60)
    with pytest.raises(GeocoderRateLimited):
        await geocoder.lookup("a place")
    assert stub.calls == []
    assert clock.sleeps == []


# --- choosing a geocoder from settings ------------------------------------------------------


def test_fake_geocoder_is_chosen_by_settings() -> None:
    geocoder = make_geocoder(Settings(geocoder="fake", geocoder_country_codes="gb"))
    assert isinstance(geocoder, FakeGeocoder)
    assert geocoder.country_codes == ("gb",)


def test_nominatim_is_the_default_with_our_user_agent_and_timeout() -> None:
    settings = Settings(geocoder_user_agent="streetshare test (ops@example.org)", geocoder_timeout_s=7)
    geocoder = make_geocoder(settings)
    assert isinstance(geocoder, GeopyGeocoder)
    assert isinstance(geocoder.service, Nominatim)
    assert geocoder.service.headers["User-Agent"] == "streetshare test (ops@example.org)"
    assert geocoder.service.timeout == 7
    assert geocoder.throttle.min_interval_s >= 1


def test_own_nominatim_server_is_used_when_configured() -> None:
    geocoder = make_geocoder(Settings(geocoder_domain="nominatim.example.org"))
    assert isinstance(geocoder, GeopyGeocoder)
    assert geocoder.service.domain == "nominatim.example.org"


def test_other_geopy_geocoders_are_chosen_by_name() -> None:
    geocoder = make_geocoder(Settings(geocoder="Photon"))
    assert isinstance(geocoder, GeopyGeocoder)
    assert isinstance(geocoder.service, Photon)


def test_unknown_geocoder_name_is_a_settings_error() -> None:
    with pytest.raises(SettingsError, match="STREETSHARE_GEOCODER"):
        make_geocoder(Settings(geocoder="no-such-geocoder"))


def test_geocoder_is_behind_the_cache_when_one_is_given() -> None:
    cache = InMemoryCache()
    geocoder = make_geocoder(Settings(geocoder="fake"), cache=cache)
    assert isinstance(geocoder, CachedGeocoder)
    assert isinstance(geocoder.inner, FakeGeocoder)
    assert geocoder.cache is cache


def test_geocoders_for_the_same_service_share_one_throttle() -> None:
    first, second = make_geocoder(Settings()), make_geocoder(Settings())
    other = make_geocoder(Settings(geocoder_domain="nominatim.example.org"))
    assert isinstance(first, GeopyGeocoder) and isinstance(second, GeopyGeocoder) and isinstance(other, GeopyGeocoder)
    assert first.throttle is second.throttle
    assert other.throttle is not first.throttle
