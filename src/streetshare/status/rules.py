"""Street status rules (pure): the topics, how long an incident waits, when it is over, the gas
advice, and where to report officially (British defaults, overridable per area by a TOML file).

A *home* is counted, not a person: residents whose private home points round to the same place
(5 decimal places, about a metre) are one home. That key is computed in SQL and never leaves the
server (queries.HOME_KEY); the rules below see only counts.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol, Sequence, TypeVar

from streetshare.places.privacy import haversine_m

AFFECTED = "affected"
FINE = "fine"
CLEAR = "clear"
REPORTED = "reported"
BACK = "back"  # ended_reason: most affected homes said it's back
TIMEOUT = "timeout"  # ended_reason: no affected report for the topic's timeout

# Answers per resident in RATE_WINDOW_S (reports and withdrawals together).
RATE_LIMIT = 20
RATE_WINDOW_S = 600


@dataclass(frozen=True)
class Topic:
    name: str
    label: str
    question: str
    timeout: timedelta
    records: bool = True  # gas records nothing: it answers with the emergency advice at once


TOPICS: tuple[Topic, ...] = (
    Topic("power", "Power cut", "Is your power off?", timedelta(hours=12)),
    Topic("water", "No water or low pressure", "Is your water off or low?", timedelta(hours=24)),
    Topic("broadband", "No broadband or mobile signal", "Is your broadband or mobile signal down?",
          timedelta(hours=48)),
    Topic("bins", "Bins not collected", "Were your bins missed?", timedelta(days=3)),
    Topic("street_lights", "Street lights out", "Are the street lights out by you?", timedelta(days=7)),
    Topic("gas", "Gas smell", "Can you smell gas?", timedelta(0), records=False),
    Topic("other", "Something else", "Is something else off?", timedelta(hours=24)),
)
BY_NAME: dict[str, Topic] = {t.name: t for t in TOPICS}
RECORDED: tuple[Topic, ...] = tuple(t for t in TOPICS if t.records)


def topic(name: str) -> Topic | None:
    return BY_NAME.get(name)


# ---------------------------------------------------------------- gas
@dataclass(frozen=True)
class EmergencyAdvice:
    name: str
    phone: str
    tel: str  # for a tel: link
    summary: str
    steps: tuple[str, ...]


GAS_ADVICE = EmergencyAdvice(
    name="National Gas Emergency Service",
    phone="0800 111 999",
    tel="+448001119999",
    summary="If you smell gas, call the National Gas Emergency Service now on 0800 111 999 (free, day and night). "
            "Don't wait to see if neighbours smell it too.",
    steps=(
        "Get everyone out of the building if the smell is strong.",
        "Call 0800 111 999 from outside, or from a neighbour's phone.",
        "Open doors and windows to let the gas out.",
        "Turn the gas off at the meter, unless the meter is in a cellar or basement.",
        "Don't smoke, light matches or use anything with a naked flame.",
        "Don't switch anything electrical on or off, including lights and doorbells.",
        "If you feel unwell, get medical help straight away.",
    ),
)


# ---------------------------------------------------------------- when an incident ends
def is_back(*, ever_homes: int, back_homes: int, said_back: bool) -> bool:
    """The incident ends 'back' when, among the homes that ever said affected, more than half now say
    fine, and at least one resident who said affected has said it's back."""
    return said_back and ever_homes > 0 and back_homes * 2 > ever_homes


class _Counted(Protocol):
    homes: int


N = TypeVar("N", bound=_Counted)

# A neighbouring street is named beside its count only from this many homes: fewer are "a home nearby".
NAMED_FROM = 2


def named_nearby(nearby: Sequence[N]) -> tuple[list[N], int]:
    """The neighbouring streets' counts that may be shown with the street's name, and how many homes
    the others add together (shown unnamed). `nearby`: anything with `.homes`."""
    named = [n for n in nearby if n.homes >= NAMED_FROM]
    return named, sum(n.homes for n in nearby if n.homes < NAMED_FROM)


def state_of(*, open_incident: bool, homes_here: int) -> str:
    return REPORTED if open_incident and homes_here > 0 else CLEAR


# ---------------------------------------------------------------- official contacts
@dataclass(frozen=True)
class Contact:
    name: str
    phone: str | None = None
    url: str | None = None


COUNCIL = "council"  # a contacts key standing for bins, street_lights and other
COUNCIL_TOPICS = ("bins", "street_lights", "other")

DEFAULT_CONTACTS: dict[str, Contact] = {
    "power": Contact("Power cut helpline", "105", "https://www.powercut105.com"),
    "water": Contact("Your water supplier", None, "https://www.water.org.uk/customers/find-your-supplier"),
    "broadband": Contact("Your broadband or mobile provider"),
    "bins": Contact("Your council", None, "https://www.gov.uk/report-missed-bin-collection"),
    "street_lights": Contact("Your council", None, "https://www.gov.uk/report-faulty-street-light"),
    "other": Contact("Your council", None, "https://www.gov.uk/find-local-council"),
    "gas": Contact(GAS_ADVICE.name, GAS_ADVICE.phone, None),
}


@dataclass(frozen=True)
class Area:
    name: str
    lat: float
    lng: float
    radius_km: float
    contacts: dict[str, Contact] = field(default_factory=dict)

    def contains(self, lat: float, lng: float) -> bool:
        return haversine_m(self.lat, self.lng, lat, lng) <= self.radius_km * 1000


@dataclass(frozen=True)
class ContactsTable:
    """Contacts for everywhere (the British defaults, then the file's own [contacts]) and per area."""

    everywhere: dict[str, Contact] = field(default_factory=dict)
    areas: tuple[Area, ...] = ()


BRITISH = ContactsTable()


def official_contact(topic_name: str, table: ContactsTable, lat: float | None, lng: float | None) -> Contact | None:
    """Where to report `topic` officially for a street whose centre is (lat, lng): the first area
    containing it, then the file's contacts for everywhere, then the British defaults. A `council`
    entry stands for bins, street lights and other, unless the topic has its own entry."""
    layers: list[dict[str, Contact]] = []
    if lat is not None and lng is not None:
        area = next((a for a in table.areas if a.contains(lat, lng)), None)
        if area is not None:
            layers.append(area.contacts)
    layers += [table.everywhere, DEFAULT_CONTACTS]
    for contacts in layers:
        if topic_name in contacts:
            return contacts[topic_name]
        if topic_name in COUNCIL_TOPICS and COUNCIL in contacts:
            return contacts[COUNCIL]
    return None


class ContactsError(ValueError):
    """The official contacts file is missing or says something we cannot use."""


_CONTACT_KEYS = {*BY_NAME, COUNCIL}


def parse_contacts(data: dict[str, Any], *, source: str = "contacts") -> ContactsTable:
    """A ContactsTable from the TOML's data; ContactsError names the first problem found.

        [contacts]                       # optional: for everywhere, over the British defaults
        council = { name = "Kirklees Council", phone = "01484 414700", url = "https://www.kirklees.gov.uk" }

        [[areas]]                        # the first area containing a street's centre wins
        name = "Leeds"
        centre = [53.7997, -1.5492]      # latitude, longitude
        radius_km = 12
        [areas.contacts]
        water = { name = "Yorkshire Water", phone = "0345 124 2424" }
    """
    unknown = set(data) - {"contacts", "areas"}
    if unknown:
        raise ContactsError(f"{source}: unknown section(s) {sorted(unknown)}; expected [contacts] and [[areas]]")
    everywhere = _contacts(data.get("contacts", {}), f"{source} [contacts]")
    areas_data = data.get("areas", [])
    if not isinstance(areas_data, list):
        raise ContactsError(f"{source}: areas must be a list of [[areas]] tables")
    areas = []
    for index, raw in enumerate(areas_data, 1):
        where = f"{source} area {index}"
        if not isinstance(raw, dict):
            raise ContactsError(f"{where}: must be a table")
        extra = set(raw) - {"name", "centre", "radius_km", "contacts"}
        if extra:
            raise ContactsError(f"{where}: unknown field(s) {sorted(extra)}")
        name = raw.get("name", f"area {index}")
        if not isinstance(name, str):
            raise ContactsError(f"{where}: name must be text")
        centre = raw.get("centre")
        if (not isinstance(centre, list) or len(centre) != 2
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in centre)):
            raise ContactsError(f"{where} ({name}): centre must be [latitude, longitude]")
        lat, lng = float(centre[0]), float(centre[1])
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise ContactsError(f"{where} ({name}): centre {centre} is not a place on Earth")
        radius = raw.get("radius_km")
        if not isinstance(radius, int | float) or isinstance(radius, bool) or radius <= 0:
            raise ContactsError(f"{where} ({name}): radius_km must be a positive number")
        areas.append(Area(name, lat, lng, float(radius), _contacts(raw.get("contacts", {}), f"{where} ({name})")))
    return ContactsTable(everywhere, tuple(areas))


def _contacts(raw: Any, where: str) -> dict[str, Contact]:
    if not isinstance(raw, dict):
        raise ContactsError(f"{where}: contacts must be a table")
    out = {}
    for key, value in raw.items():
        if key not in _CONTACT_KEYS:
            raise ContactsError(f"{where}: {key!r} is not a topic (use one of {sorted(_CONTACT_KEYS)})")
        if not isinstance(value, dict):
            raise ContactsError(f"{where}: {key} must be a table like {{ name = ..., phone = ..., url = ... }}")
        extra = set(value) - {"name", "phone", "url"}
        if extra:
            raise ContactsError(f"{where}: {key} has unknown field(s) {sorted(extra)}")
        name, phone, url = value.get("name"), value.get("phone"), value.get("url")
        if not isinstance(name, str) or not name.strip():
            raise ContactsError(f"{where}: {key} needs a name")
        for label, text in (("phone", phone), ("url", url)):
            if text is not None and (not isinstance(text, str) or not text.strip()):
                raise ContactsError(f"{where}: {key}.{label} must be text")
        if url is not None and not url.startswith(("https://", "http://")):
            raise ContactsError(f"{where}: {key}.url must start with https:// or http://")
        out[key] = Contact(name.strip(), phone.strip() if phone else None, url.strip() if url else None)
    return out


def load_contacts(path: Path | str | None) -> ContactsTable:
    """The contacts table from a TOML file (validated), or the British defaults when no file is set."""
    if not path:
        return BRITISH
    return _load_cached(str(Path(path).resolve()))


@functools.lru_cache(maxsize=8)
def _load_cached(path: str) -> ContactsTable:
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError as exc:
        raise ContactsError(f"official contacts file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ContactsError(f"official contacts file {path} is not valid TOML: {exc}") from exc
    return parse_contacts(data, source=path)
