"""Geocoding: turn a postcode or address a resident typed into places they can pick from.

One small interface of ours, `Geocoder.lookup(query) -> list[Place]`, with:
- `GeopyGeocoder`: any geopy geocoder (Nominatim by default), run in a thread, spaced to
  at most one request a second per service, with geopy's errors mapped to ours;
- `CachedGeocoder`: the same interface in front of a `GeocodeCache` (the database one
  lives elsewhere; `InMemoryCache` is for tests);
- `FakeGeocoder`: offline UK test data, with queries that trigger each failure;
- `FallbackGeocoder` and `SkipWhileDown`: the demo's chain, the real geocoder when it answers
  and the demo area offline when it does not (see `make_geocoder`).

Ambiguity is not an error: several places come back and the resident picks one
(`needs_choice`). Every failure is a `GeocodingError` with a message for the resident and
a way forward. The query is a home address: it is never logged, only the kind of failure.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
import re
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import geopy.exc
from geopy.geocoders import get_geocoder_for_service

from streetshare.errors import DomainError
from streetshare.settings import SettingsError

if TYPE_CHECKING:
    from streetshare.settings import Settings

log = logging.getLogger(__name__)

MAX_RESULTS = 5
# Nominatim's usage policy: at most one request a second. We apply it to every service.
MIN_INTERVAL_S = 1.0
# geopy enforces the timeout on the socket; this much longer and we stop waiting anyway
# (it also covers DNS resolution and a busy thread pool).
HARD_TIMEOUT_GRACE_S = 1.0


@dataclass(frozen=True, slots=True)
class Place:
    label: str
    lat: float
    lng: float
    # ISO 3166-1 alpha-2, lower case ("gb"); None when the service did not say.
    country_code: str | None = None


class Geocoder(Protocol):
    async def lookup(self, query: str) -> list[Place]:
        """One or more places for the query, best first; raises a GeocodingError otherwise."""
        ...


def needs_choice(places: Sequence[Place]) -> bool:
    """More than one place came back: let the resident pick theirs."""
    return len(places) > 1


# --- errors ----------------------------------------------------------------------------


class GeocodingError(DomainError):
    """The address could not be turned into a place. `hint` is the way forward."""

    kind = "failed"
    default_message = "We couldn't look up that address."
    default_hint = "Try again, or use your location instead."

    def __init__(self, message: str | None = None, *, hint: str | None = None) -> None:
        super().__init__(message or self.default_message)
        self.hint = hint or self.default_hint


class GeocoderUnavailable(GeocodingError):
    kind = "unavailable"
    default_message = "We can't look up addresses right now."
    default_hint = "Use your location instead, or try again in a few minutes."


class GeocoderTimedOut(GeocodingError):
    kind = "timed_out"
    default_message = "Looking up that address took too long."
    default_hint = "Try again, or use your location instead."


class GeocoderRateLimited(GeocodingError):
    kind = "rate_limited"
    default_message = "Too many address lookups are happening right now."
    default_hint = "Wait a minute and try again, or use your location instead."

    def __init__(
        self, message: str | None = None, *, hint: str | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class NoResult(GeocodingError):
    kind = "no_result"
    default_message = "We couldn't find that address."
    default_hint = "Check the spelling, or try just your postcode (for example HD1 2QA)."


class OutsideCountry(GeocodingError):
    kind = "outside_country"
    default_message = "That address is outside the area this Streetshare covers."
    default_hint = "Check the postcode, or add your town to the address."


# --- query normalisation and result filtering -------------------------------------------

_UK_POSTCODE = re.compile(r"\b([a-z]{1,2}\d[a-z\d]?) ?(\d[a-z]{2})\b")


def normalise_query(query: str) -> str:
    """The cache key for a query: case-folded, spaces collapsed, UK postcodes as 'HD1 2QA'."""
    text = " ".join(query.casefold().split())
    text = re.sub(r"\s*,\s*", ", ", text).strip(" ,")
    return _UK_POSTCODE.sub(lambda m: f"{m[1]} {m[2]}".upper(), text)


def parse_country_codes(raw: str) -> tuple[str, ...]:
    """'gb, IE' -> ('gb', 'ie'). 'uk' is accepted for the United Kingdom (ISO says 'gb')."""
    codes = (code.strip().lower() for code in raw.replace(";", ",").split(","))
    return tuple("gb" if code == "uk" else code for code in codes if code)


def _finish(places: Sequence[Place], country_codes: Sequence[str], limit: int) -> list[Place]:
    """Drop duplicates and places outside the allowed countries; raise when nothing is left.

    A place whose country is unknown is kept: the service was asked to restrict itself
    where it can, and we cannot tell.
    """
    unique: list[Place] = []
    for place in places:
        if all(place.label != other.label for other in unique):
            unique.append(place)
    if country_codes:
        allowed = set(country_codes)
        kept = [p for p in unique if p.country_code is None or p.country_code in allowed]
        if unique and not kept:
            raise OutsideCountry()
        unique = kept
    if not unique:
        raise NoResult()
    return unique[:limit]


# --- spacing requests --------------------------------------------------------------------


class Throttle:
    """At most one request per `min_interval_s`, across tasks, threads and event loops.

    Each caller reserves the next free slot under a thread lock (held only for the
    arithmetic) and then sleeps until it comes, so waiting callers go in order. A caller
    whose slot is further away than `max_wait_s` is refused at once (GeocoderRateLimited)
    rather than left staring at a spinner.
    """

    def __init__(
        self,
        min_interval_s: float = MIN_INTERVAL_S,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.min_interval_s = min_interval_s
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_free = float("-inf")

    async def wait(self, *, max_wait_s: float = math.inf) -> None:
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_free)
            if slot - now > max_wait_s:
                raise GeocoderRateLimited(retry_after=math.ceil(slot - now))
            self._next_free = slot + self.min_interval_s
        if slot > now:
            await self._sleep(slot - now)

    def back_off(self, seconds: float) -> None:
        """The service asked us to stop for a while (Retry-After): no slot before then."""
        with self._lock:
            self._next_free = max(self._next_free, self._clock() + seconds)


_shared_throttles: dict[str, Throttle] = {}
_shared_throttles_lock = threading.Lock()


def shared_throttle(key: str) -> Throttle:
    """The process-wide throttle for one service (e.g. 'nominatim@nominatim.openstreetmap.org')."""
    with _shared_throttles_lock:
        return _shared_throttles.setdefault(key, Throttle())


# --- geopy ---------------------------------------------------------------------------------


def _accepts(func: Callable[..., Any], name: str) -> bool:
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def _country_of(raw: object) -> str | None:
    """The country code in a geopy Location's raw answer (Nominatim, Photon and similar)."""
    if not isinstance(raw, dict):
        return None
    for container in (raw.get("address"), raw.get("properties"), raw):
        if isinstance(container, dict):
            for key in ("country_code", "countrycode", "countryCode"):
                value = container.get(key)
                if isinstance(value, str) and value:
                    return value.strip().lower()
    return None


class GeopyGeocoder:
    """Any synchronous geopy geocoder behind our interface.

    geopy's sync geocoders block, so each request runs in a worker thread; the throttle
    spaces requests; geopy's exceptions become ours.
    """

    def __init__(
        self,
        geocoder: Any,
        *,
        timeout_s: float = 5,
        country_codes: Sequence[str] = (),
        throttle: Throttle | None = None,
        limit: int = MAX_RESULTS,
    ) -> None:
        self.service = geocoder
        self._timeout_s = timeout_s
        self._country_codes = tuple(country_codes)
        self.throttle = throttle or Throttle()
        self._limit = limit
        self._kwargs = self._geocode_kwargs()

    def _geocode_kwargs(self) -> dict[str, Any]:
        geocode = self.service.geocode
        kwargs: dict[str, Any] = {"exactly_one": False, "timeout": self._timeout_s}
        if _accepts(geocode, "limit"):
            kwargs["limit"] = self._limit
        if _accepts(geocode, "addressdetails"):  # Nominatim: needed for the country code
            kwargs["addressdetails"] = True
        if self._country_codes and _accepts(geocode, "country_codes"):
            kwargs["country_codes"] = list(self._country_codes)
        return kwargs

    async def lookup(self, query: str) -> list[Place]:
        query = query.strip()
        if not query:
            raise NoResult()
        try:
            await self.throttle.wait(max_wait_s=self._timeout_s)
        except GeocoderRateLimited as exc:
            raise _failed(exc) from None
        try:
            found = await asyncio.wait_for(
                asyncio.to_thread(self.service.geocode, query, **self._kwargs),
                timeout=self._timeout_s + HARD_TIMEOUT_GRACE_S,
            )
        except (geopy.exc.GeocoderTimedOut, TimeoutError):
            raise _failed(GeocoderTimedOut()) from None
        except geopy.exc.GeocoderQuotaExceeded as exc:  # includes GeocoderRateLimited
            retry_after = getattr(exc, "retry_after", None)
            self.throttle.back_off(retry_after or 60)
            raise _failed(GeocoderRateLimited(retry_after=retry_after)) from None
        except geopy.exc.GeocoderQueryError:
            raise _failed(NoResult()) from None
        except (geopy.exc.GeocoderAuthenticationFailure, geopy.exc.GeocoderInsufficientPrivileges):
            log.warning("geocoding failed: the service refused our credentials (check the geocoder settings)")
            raise GeocoderUnavailable() from None
        except (geopy.exc.GeopyError, OSError):  # service errors, parse errors, no network
            raise _failed(GeocoderUnavailable()) from None

        if found is None:
            locations = []
        elif isinstance(found, list):
            locations = found
        else:
            locations = [found]
        places = [
            Place(
                label=location.address,
                lat=float(location.latitude),
                lng=float(location.longitude),
                country_code=_country_of(location.raw),
            )
            for location in locations
        ]
        try:
            return _finish(places, self._country_codes, self._limit)
        except GeocodingError as exc:
            raise _failed(exc) from None


def _failed(exc: GeocodingError) -> GeocodingError:
    """Log the kind of failure, never the query (it is someone's home address)."""
    log.info("geocoding failed: %s", exc.kind)
    return exc


# --- cache ---------------------------------------------------------------------------------


class GeocodeCache(Protocol):
    async def get(self, key: str) -> list[Place] | None:
        """The places stored for a normalised query (possibly []), or None when unknown."""
        ...

    async def put(self, key: str, places: list[Place]) -> None: ...


class InMemoryCache:
    """A GeocodeCache in a dict, for tests and for trying things out."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[Place, ...]] = {}

    async def get(self, key: str) -> list[Place] | None:
        places = self.entries.get(key)
        return None if places is None else list(places)

    async def put(self, key: str, places: list[Place]) -> None:
        self.entries[key] = tuple(places)


class CachedGeocoder:
    """Answers from the cache when it can; otherwise asks `inner` and remembers the answer.

    The key is `normalise_query(query)`, which is also what `inner` is asked, so the key
    always describes what was looked up. "No such address" is remembered (as []);
    failures (timeouts, outages, rate limits, outside the country) are not.
    A broken cache never stops a lookup.
    """

    def __init__(self, inner: Geocoder, cache: GeocodeCache) -> None:
        self.inner = inner
        self.cache = cache

    async def lookup(self, query: str) -> list[Place]:
        key = normalise_query(query)
        if not key:
            raise NoResult()
        try:
            cached = await self.cache.get(key)
        except Exception as exc:  # noqa: BLE001 - the cache is an optimisation
            log.warning("geocode cache read failed: %s", type(exc).__name__)
            cached = None
        if cached is not None:
            if not cached:
                raise NoResult()
            return list(cached)
        try:
            places = await self.inner.lookup(key)
        except NoResult:
            await self._put(key, [])
            raise
        await self._put(key, places)
        return places

    async def _put(self, key: str, places: list[Place]) -> None:
        try:
            await self.cache.put(key, list(places))
        except Exception as exc:  # noqa: BLE001 - the cache is an optimisation
            log.warning("geocode cache write failed: %s", type(exc).__name__)


# --- offline fake -----------------------------------------------------------------------------

_GB = "gb"

# Real UK places (coordinates approximate, to within a few hundred metres), mostly in
# Huddersfield so that demo residents can share a street; a few far away; plus the three
# High Streets that make "high street" ambiguous and one place in France.
FAKE_PLACES: dict[str, Place] = {
    # Huddersfield town centre: all within about 800 m of "town_centre".
    "town_centre": Place("Huddersfield town centre, Huddersfield HD1 2QA", 53.6458, -1.7850, _GB),
    "station": Place("Huddersfield Railway Station, St George's Square, Huddersfield HD1 1JB", 53.6486, -1.7848, _GB),
    "town_hall": Place("Huddersfield Town Hall, Ramsden Street, Huddersfield HD1 2TA", 53.6455, -1.7826, _GB),
    "university": Place("University of Huddersfield, Queensgate, Huddersfield HD1 3DH", 53.6436, -1.7779, _GB),
    "hd1_5aa": Place("Huddersfield HD1 5AA", 53.6505, -1.7875, _GB),
    "hd1_6ef": Place("Huddersfield HD1 6EF", 53.6530, -1.7760, _GB),
    "high_street_huddersfield": Place("High Street, Huddersfield HD1 2LS", 53.6452, -1.7858, _GB),
    # Around town: one to four kilometres out.
    "greenhead_park": Place("Greenhead Park, Park Drive, Huddersfield HD1 4HS", 53.6478, -1.7951, _GB),
    "stadium": Place("John Smith's Stadium, Stadium Way, Huddersfield HD1 6PG", 53.6543, -1.7683, _GB),
    "marsh": Place("Westbourne Road, Marsh, Huddersfield HD1 4LE", 53.6500, -1.8030, _GB),
    "marsh_gledholt": Place("Gledholt Road, Marsh, Huddersfield HD1 4HR", 53.6470, -1.8000, _GB),
    "paddock": Place("Colne Street, Paddock, Huddersfield HD1 4RX", 53.6410, -1.7950, _GB),
    "lindley": Place("Lidget Street, Lindley, Huddersfield HD3 3JB", 53.6593, -1.8167, _GB),
    "lindley_acre_street": Place("Acre Street, Lindley, Huddersfield HD3 3DZ", 53.6585, -1.8140, _GB),
    "castle_hill": Place("Castle Hill, Almondbury, Huddersfield HD4 6TA", 53.6245, -1.7635, _GB),
    "holmfirth": Place("Victoria Square, Holmfirth HD9 2DN", 53.5707, -1.7868, _GB),
    # Far away.
    "halifax": Place("The Piece Hall, Halifax HX1 1RE", 53.7215, -1.8576, _GB),
    "leeds": Place("Leeds Railway Station, New Station Street, Leeds LS1 4DY", 53.7953, -1.5479, _GB),
    "york": Place("York Minster, Deangate, York YO1 7HH", 53.9623, -1.0819, _GB),
    "manchester": Place("Manchester Piccadilly Station, Manchester M60 7RA", 53.4774, -2.2309, _GB),
    "london": Place("King's Cross Station, Euston Road, London N1 9AL", 51.5320, -0.1233, _GB),
    "high_street_oxford": Place("High Street, Oxford OX1 4BG", 51.7527, -1.2530, _GB),
    "high_street_edinburgh": Place("High Street, Edinburgh EH1 1SR", 55.9500, -3.1880, _GB),
    # Outside the country.
    "paris": Place("Tour Eiffel, Champ de Mars, 75007 Paris, France", 48.8584, 2.2945, "fr"),
}


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", normalise_query(text).casefold().replace("'", "").replace("\u2019", ""))


class FakeGeocoder:
    """Offline geocoder over FAKE_PLACES, for tests, development and the demo.

    A place matches when every word of the query starts a word of its label, so postcodes
    ("hd12qa", "HD1 2QA"), partial postcodes ("HD3 3") and parts of addresses ("lindley")
    all work, whatever the case and spacing. Queries containing "timeout", "offline" or
    "ratelimit" fail that way; "paris" is found and then refused as outside the country;
    "high street" is ambiguous; anything else unknown has no result.
    """

    def __init__(
        self, *, country_codes: Sequence[str] = (_GB,), limit: int = MAX_RESULTS, failure_words: bool = True
    ) -> None:
        self.country_codes = tuple(country_codes)
        self.limit = limit
        # False for the demo's offline gazetteer: a resident's "Offline Road" is just an address.
        self.failure_words = failure_words
        self.queries: list[str] = []

    async def lookup(self, query: str) -> list[Place]:
        self.queries.append(query)
        text = normalise_query(query).casefold()
        if self.failure_words:
            if "timeout" in text:
                raise GeocoderTimedOut()
            if "offline" in text:
                raise GeocoderUnavailable()
            if "ratelimit" in text:
                raise GeocoderRateLimited(retry_after=60)
        words = _tokens(text)
        if not words:
            raise NoResult()
        matches = []
        for place in FAKE_PLACES.values():
            label_words = _tokens(place.label)
            if all(any(lw.startswith(w) for lw in label_words) for w in words):
                matches.append(place)
        return _finish(matches, self.country_codes, self.limit)


# --- the demo: the real geocoder when it answers, the demo area offline when it does not ----------

# The demo waits this long at most for the real geocoder before answering from the demo area.
DEMO_TIMEOUT_S = 2
# After the real geocoder failed to answer, it is left alone this long; each failed retry doubles
# the pause, up to OUTAGE_MAX_S, and the first answer ends it.
OUTAGE_FIRST_S = 60.0
OUTAGE_MAX_S = 15 * 60.0
# A postcode the demo's offline table knows (FAKE_PLACES), named in the hint while offline.
DEMO_POSTCODE = "HD1 2QA"
OFFLINE_HINT = f"For now only the demo's own area can be found, for example {DEMO_POSTCODE}."


class Outage:
    """Remembers, for the whole process, that a service did not answer, so that lookups skip it
    for a while instead of each waiting for its timeout."""

    def __init__(
        self,
        *,
        first_s: float = OUTAGE_FIRST_S,
        max_s: float = OUTAGE_MAX_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.first_s = first_s
        self.max_s = max_s
        self._clock = clock
        self._lock = threading.Lock()
        self._pause = 0.0
        self._until = float("-inf")

    def ongoing(self) -> bool:
        with self._lock:
            return self._clock() < self._until

    def failed(self) -> float:
        """The service did not answer: skip it for the next pause, which is returned."""
        with self._lock:
            self._pause = min(self.max_s, self._pause * 2) if self._pause else self.first_s
            self._until = self._clock() + self._pause
            return self._pause

    def answered(self) -> None:
        with self._lock:
            self._pause = 0.0
            self._until = float("-inf")


_shared_outages: dict[str, Outage] = {}


def shared_outage(key: str) -> Outage:
    """The process-wide outage record for one service (keyed like `shared_throttle`)."""
    with _shared_throttles_lock:
        return _shared_outages.setdefault(key, Outage())


class SkipWhileDown:
    """In front of a remote geocoder: when it does not answer (unavailable, timed out), fail at
    once with GeocoderUnavailable for a while (`Outage`) instead of waiting on it again."""

    def __init__(self, inner: Geocoder, outage: Outage) -> None:
        self.inner = inner
        self.outage = outage

    async def lookup(self, query: str) -> list[Place]:
        if self.outage.ongoing():
            raise GeocoderUnavailable()
        try:
            places = await self.inner.lookup(query)
        except (GeocoderUnavailable, GeocoderTimedOut):
            pause = self.outage.failed()
            log.warning("the geocoder did not answer: not asking it again for %d s", pause)
            raise
        except GeocoderRateLimited:
            raise  # it answered "not now": the throttle keeps its distance
        except GeocodingError:
            self.outage.answered()
            raise
        self.outage.answered()
        return places


class FallbackGeocoder:
    """The real geocoder first; an offline one when the real one cannot answer now (unavailable,
    timed out, rate limited) or finds nothing (the demo's own area may be a made-up corner).

    Offline answers are never cached (the cache sits in `primary`), so once the real geocoder is
    back it is asked. Nothing found offline while the real one is away: GeocoderUnavailable, with
    a hint naming a place that can be found offline.
    """

    def __init__(self, primary: Geocoder, offline: Geocoder) -> None:
        self.primary = primary
        self.offline = offline

    async def lookup(self, query: str) -> list[Place]:
        try:
            return await self.primary.lookup(query)
        except (GeocoderUnavailable, GeocoderTimedOut, GeocoderRateLimited, NoResult) as exc:
            failure = exc
        try:
            return await self.offline.lookup(query)
        except NoResult:
            if isinstance(failure, NoResult):
                raise failure from None
            raise GeocoderUnavailable(hint=OFFLINE_HINT) from None


# --- choosing one -----------------------------------------------------------------------------


def _split_domain(raw: str) -> tuple[str | None, str]:
    """'http://localhost:8080/' -> ('http', 'localhost:8080'); 'nominatim.example.org' -> (None, it)."""
    raw = raw.strip()
    if "://" not in raw:
        return None, raw
    scheme, domain = raw.split("://", 1)
    return scheme.lower(), domain.rstrip("/")


def make_geocoder(settings: Settings, cache: GeocodeCache | None = None) -> Geocoder:
    """The geocoder the settings ask for ("fake", "nominatim", or any geopy service name).

    In the demo, a real service is tried first with a short timeout, skipped for a while once it
    fails to answer, and the demo area (FAKE_PLACES) is found offline: the demo works without
    internet and uses the real geocoder when there is one.
    """
    name = settings.geocoder.strip().lower()
    countries = parse_country_codes(settings.geocoder_country_codes)
    geocoder: Geocoder
    if name == "fake":
        geocoder = FakeGeocoder(country_codes=countries)
        return CachedGeocoder(geocoder, cache) if cache is not None else geocoder
    try:
        cls = get_geocoder_for_service(name)
    except geopy.exc.GeocoderNotFound:
        raise SettingsError(
            f"STREETSHARE_GEOCODER: {name!r} is not a geocoder geopy knows (try nominatim, photon or fake)"
        ) from None
    timeout_s = min(settings.geocoder_timeout_s, DEMO_TIMEOUT_S) if settings.demo else settings.geocoder_timeout_s
    scheme, domain = _split_domain(settings.geocoder_domain)
    options: dict[str, Any] = {"user_agent": settings.geocoder_user_agent, "timeout": timeout_s}
    if domain:
        options["domain"] = domain
    if scheme:
        options["scheme"] = scheme
    options = {key: value for key, value in options.items() if _accepts(cls.__init__, key)}
    try:
        service = cls(**options)
    except geopy.exc.ConfigurationError as exc:
        raise SettingsError(f"STREETSHARE_GEOCODER: {name} cannot be used as configured: {exc}") from None
    key = f"{name}@{getattr(service, 'scheme', '') or ''}://{getattr(service, 'domain', '')}"
    geocoder = GeopyGeocoder(service, timeout_s=timeout_s, country_codes=countries, throttle=shared_throttle(key))
    if settings.demo:
        geocoder = SkipWhileDown(geocoder, shared_outage(key))
    if cache is not None:
        geocoder = CachedGeocoder(geocoder, cache)
    if settings.demo:
        geocoder = FallbackGeocoder(geocoder, FakeGeocoder(country_codes=countries, failure_words=False))
    return geocoder
