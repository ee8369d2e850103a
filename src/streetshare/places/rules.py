"""Pure rules about streets and homes: what is a valid street, who may join or see one.

No I/O. The numbers here are the product's (see the product brief, "Geography").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

# A street's radius: the area it covers around its centre.
RADIUS_DEFAULT_M = 800
RADIUS_MIN_M = 200
RADIUS_MAX_M = 2000
# Neighbouring streets: centres within about a mile of each other (Streetbank's one mile).
NEIGHBOUR_DISTANCE_M = 1600
# "Streets near me" lists at most this many streets, none further away than this.
NEARBY_LIMIT = 10
NEARBY_MAX_M = 5000
# A resident may join a street without an invite when their home is inside its area,
# or this close to its edge.
JOIN_MARGIN_M = 1000

STREET_NAME_MIN = 2
STREET_NAME_MAX = 80
ADDRESS_MAX = 200

LOOKS_AT = ("street", "nearby")

# What happens to a resident's open offers and asks when they move street.
BRING = "bring"
CLOSE = "close"
MOVE_CHOICES = (BRING, CLOSE)


def street_name_error(name: str) -> str | None:
    text = " ".join((name or "").split())
    if len(text) < STREET_NAME_MIN:
        return "Give the street a name (for example Elm Street, or Elm Street and Ash Grove)."
    if len(text) > STREET_NAME_MAX:
        return f"Keep the name under {STREET_NAME_MAX} characters."
    return None


def clean_street_name(name: str) -> str:
    return " ".join((name or "").split())


def radius_error(radius_m: int | None) -> str | None:
    if radius_m is None or not RADIUS_MIN_M <= radius_m <= RADIUS_MAX_M:
        return f"Choose a radius between {RADIUS_MIN_M} m and 2 km ({RADIUS_MAX_M} m)."
    return None


def parse_radius(raw: str | int | None) -> int | None:
    """The radius a form field or JSON value asks for; blank means the default; None when unreadable."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return RADIUS_DEFAULT_M
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    try:
        return int(str(raw).strip().removesuffix("m").strip())
    except ValueError:
        return None


def parse_coordinate(raw: str | float | None, *, limit: float) -> float | None:
    """A latitude (limit 90) or longitude (limit 180) from a form or JSON; None when unusable."""
    if raw is None or isinstance(raw, bool):
        return None
    try:
        value = float(raw.strip()) if isinstance(raw, str) else float(raw)
    except ValueError:
        return None
    if not math.isfinite(value) or not -limit <= value <= limit:
        return None
    return value


def point_error(lat: float | None, lng: float | None) -> str | None:
    if lat is None or lng is None:
        return "We didn't get a usable location from your phone. Type your postcode or address instead."
    return None


def address_error(address: str) -> str | None:
    text = (address or "").strip()
    if not text:
        return "Type your postcode or address (for example HD1 2QA)."
    if len(text) > ADDRESS_MAX:
        return f"Keep it under {ADDRESS_MAX} characters: your postcode is usually enough."
    return None


def looks_at_error(looks_at: str) -> str | None:
    if looks_at not in LOOKS_AT:
        return "Choose “my street only” or “my street and neighbouring streets”."
    return None


def move_choice_error(choice: str) -> str | None:
    if choice not in MOVE_CHOICES:
        return "Choose whether to bring your offers and asks or to close them."
    return None


def may_join_directly(distance_m: float, radius_m: int) -> bool:
    """Without an invite, a resident joins a street whose area their home is in or close to."""
    return distance_m <= radius_m + JOIN_MARGIN_M


def may_see_street(*, is_member: bool, visible_street_ids: list[int] | tuple[int, ...], street_id: int) -> bool:
    """Street pages: for members, and for residents whose visible streets include it."""
    return is_member or street_id in visible_street_ids


@dataclass(frozen=True, slots=True)
class InviteState:
    expires_at: datetime | None
    max_uses: int | None
    uses: int
    revoked_at: datetime | None


def invite_problem(invite: InviteState | None, now: datetime) -> str | None:
    """Why an invite link cannot be used (a kind message), or None when it can."""
    if invite is None:
        return "We don't recognise that invite link. Check it was copied in full, or ask your neighbour for a new one."
    if invite.revoked_at is not None:
        return "This invite link has been switched off. Ask your neighbour for a new one."
    if invite.expires_at is not None and invite.expires_at <= now:
        return "This invite link has expired. Ask your neighbour for a new one."
    if invite.max_uses is not None and invite.uses >= invite.max_uses:
        return "This invite link has been used as many times as it allows. Ask your neighbour for a new one."
    return None
