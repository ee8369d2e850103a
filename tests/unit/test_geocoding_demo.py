"""The demo's geocoder chain: the real geocoder while it answers, skipped for a while once it does
not, and the demo area found offline. (Over HTTP, with local servers: tests/integration/test_places_geocoder_offline.py.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from streetshare.places import rules
from streetshare.places.geocoding import (
    DEMO_TIMEOUT_S,
    FAKE_PLACES,
    OFFLINE_HINT,
    CachedGeocoder,
    FakeGeocoder,
    FallbackGeocoder,
    GeocoderRateLimited,
    GeocoderTimedOut,
    GeocoderUnavailable,
    GeocodingError,
    GeopyGeocoder,
    NoResult,
    Outage,
    OutsideCountry,
    SkipWhileDown,
    make_geocoder,
)
from streetshare.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}\b")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Scripted:
    """A geocoder that raises the given errors in turn, then finds the town centre."""

    def __init__(self, *errors: GeocodingError) -> None:
        self.errors = list(errors)
        self.queries: list[str] = []

    async def lookup(self, query: str):
        self.queries.append(query)
        if self.errors:
            raise self.errors.pop(0)
        return [FAKE_PLACES["town_centre"]]


def test_outage_skips_the_service_for_a_minute_then_tries_again() -> None:
    clock = Clock()
    outage = Outage(clock=clock)
    assert not outage.ongoing()
    assert outage.failed() == 60
    clock.now += 59
    assert outage.ongoing()
    clock.now += 1
    assert not outage.ongoing()


def test_outage_pause_doubles_with_each_failed_retry_up_to_fifteen_minutes() -> None:
    outage = Outage(clock=Clock())
    assert [outage.failed() for _ in range(6)] == [60, 120, 240, 480, 900, 900]


def test_an_answer_ends_the_outage_and_its_doubling() -> None:
    outage = Outage(clock=Clock())
    outage.failed()
    outage.failed()
    outage.answered()
    assert not outage.ongoing()
    assert outage.failed() == 60


@pytest.mark.parametrize("error", [GeocoderUnavailable(), GeocoderTimedOut()])
async def test_service_that_does_not_answer_is_not_asked_again_during_the_outage(error: GeocodingError) -> None:
    clock = Clock()
    inner = Scripted(error)
    geocoder = SkipWhileDown(inner, Outage(clock=clock))
    with pytest.raises(type(error)):
        await geocoder.lookup("HD1 2QA")
    for _ in range(2):
        with pytest.raises(GeocoderUnavailable):
            await geocoder.lookup("HD1 2QA")
    assert inner.queries == ["HD1 2QA"]
    clock.now += 60
    assert await geocoder.lookup("HD1 2QA") == [FAKE_PLACES["town_centre"]]
    assert len(inner.queries) == 2


@pytest.mark.parametrize("error", [NoResult(), OutsideCountry(), GeocoderRateLimited(retry_after=5)])
async def test_service_that_answers_no_or_not_now_is_not_down(error: GeocodingError) -> None:
    inner = Scripted(error)
    outage = Outage(clock=Clock())
    with pytest.raises(type(error)):
        await SkipWhileDown(inner, outage).lookup("HD1 2QA")
    assert not outage.ongoing()


@pytest.mark.parametrize("error", [GeocoderUnavailable(), GeocoderTimedOut(), GeocoderRateLimited(), NoResult()])
async def test_demo_area_is_found_offline_when_the_real_geocoder_cannot_find_it(error: GeocodingError) -> None:
    geocoder = FallbackGeocoder(Scripted(error), FakeGeocoder(failure_words=False))
    assert await geocoder.lookup("hd1 5aa") == [FAKE_PLACES["hd1_5aa"]]


async def test_real_geocoders_answer_comes_first() -> None:
    offline = FakeGeocoder(failure_words=False)
    geocoder = FallbackGeocoder(Scripted(), offline)
    assert await geocoder.lookup("HD1 5AA") == [FAKE_PLACES["town_centre"]]
    assert offline.queries == []


async def test_real_geocoders_outside_the_country_is_not_second_guessed() -> None:
    geocoder = FallbackGeocoder(Scripted(OutsideCountry()), FakeGeocoder(failure_words=False))
    with pytest.raises(OutsideCountry):
        await geocoder.lookup("HD1 5AA")


async def test_address_outside_the_demo_area_while_offline_says_which_postcode_works() -> None:
    geocoder = FallbackGeocoder(Scripted(GeocoderUnavailable()), FakeGeocoder(failure_words=False))
    with pytest.raises(GeocoderUnavailable) as raised:
        await geocoder.lookup("10 Downing Street, London")
    assert raised.value.hint == OFFLINE_HINT


async def test_address_nobody_knows_while_online_is_no_result() -> None:
    geocoder = FallbackGeocoder(Scripted(NoResult()), FakeGeocoder(failure_words=False))
    with pytest.raises(NoResult):
        await geocoder.lookup("10 Nowhere Lane")


@pytest.mark.parametrize("address", ["Offline Road", "Timeout Close", "Ratelimit Way"])
async def test_demo_gazetteer_treats_the_fakes_trigger_words_as_addresses(address: str) -> None:
    with pytest.raises(NoResult):
        await FakeGeocoder(failure_words=False).lookup(address)


def _postcodes_suggested_anywhere() -> set[str]:
    texts = [path.read_text(encoding="utf-8") for path in (ROOT / "templates").rglob("*.html")]
    texts.append((ROOT / "README.md").read_text(encoding="utf-8"))
    texts += [OFFLINE_HINT, rules.address_error("") or ""]
    texts += [cls.default_hint + cls.default_message for cls in
              (GeocodingError, GeocoderUnavailable, GeocoderTimedOut, GeocoderRateLimited, NoResult, OutsideCountry)]
    return {postcode for text in texts for postcode in UK_POSTCODE.findall(text)}


async def test_every_postcode_a_page_or_the_readme_suggests_is_found_offline() -> None:
    suggested = _postcodes_suggested_anywhere()
    assert "HD1 2QA" in suggested
    for postcode in suggested:
        assert len(await FakeGeocoder(failure_words=False).lookup(postcode)) == 1, postcode


def test_demo_tries_the_real_geocoder_with_a_short_timeout_then_the_demo_area() -> None:
    geocoder = make_geocoder(Settings(mode="demo", geocoder_timeout_s=10))
    assert isinstance(geocoder, FallbackGeocoder)
    assert isinstance(geocoder.offline, FakeGeocoder) and not geocoder.offline.failure_words
    assert isinstance(geocoder.primary, SkipWhileDown)
    real = geocoder.primary.inner
    assert isinstance(real, GeopyGeocoder) and real.service.timeout == DEMO_TIMEOUT_S <= 3


def test_demos_geocoders_share_one_outage_record() -> None:
    first, second = make_geocoder(Settings(mode="demo")), make_geocoder(Settings(mode="demo"))
    assert first.primary.outage is second.primary.outage


def test_demo_keeps_the_cache_in_front_of_the_real_geocoder_only() -> None:
    from streetshare.places.geocoding import InMemoryCache

    geocoder = make_geocoder(Settings(mode="demo"), cache=InMemoryCache())
    assert isinstance(geocoder, FallbackGeocoder) and isinstance(geocoder.primary, CachedGeocoder)


@pytest.mark.parametrize("mode", ["development", "production"])
def test_outside_the_demo_the_configured_geocoder_is_used_alone(mode: str) -> None:
    geocoder = make_geocoder(Settings(mode=mode, geocoder_timeout_s=10))
    assert isinstance(geocoder, GeopyGeocoder) and geocoder.service.timeout == 10


def test_demo_with_the_fake_geocoder_uses_it_alone() -> None:
    assert isinstance(make_geocoder(Settings(mode="demo", geocoder="fake")), FakeGeocoder)


def test_geocoder_domain_may_name_a_plain_http_server() -> None:
    geocoder = make_geocoder(Settings(geocoder_domain="http://localhost:8080/"))
    assert isinstance(geocoder, GeopyGeocoder)
    assert (geocoder.service.scheme, geocoder.service.domain) == ("http", "localhost:8080")
    assert make_geocoder(Settings(geocoder_domain="nominatim.example.org")).service.scheme == "https"
