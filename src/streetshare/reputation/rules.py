"""Reputation rules, pure: what a thanks note may say, who may leave one, who sees a profile, and who
sees the private reliability hint.

Kind and simple: no stars, no scores. Only completed exchanges count. The hint is private: shown to
a provider choosing between requesters and to the coordinators of the resident's street, never on
the public profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from streetshare.errors import Conflict, IllegalTransition

THANKS_MAX = 280
# "Recent", for the private hint: the last six months.
HINT_WINDOW = timedelta(days=183)
HINT_WINDOW_MONTHS = 6
# How many thanks notes a profile lists (the count covers them all).
PROFILE_THANKS = 30


@dataclass(frozen=True, slots=True)
class Reputation:
    """The public figures. Only completed exchanges count."""

    provided: int  # completed as the provider (lent, gave, helped)
    received: int  # completed as the recipient (borrowed, received, was helped)
    thanks: int  # thanks notes received (hidden ones left out)
    on_time_returns: int  # completed loans, as the borrower, returned on or before the due day
    loans_returned: int  # completed loans, as the borrower


@dataclass(frozen=True, slots=True)
class ReliabilityHint:
    """Private: for a provider choosing between requesters, and for the street's coordinators.

    `completed` counts every completed exchange on either side; the rest cover the last six months.
    """

    completed: int = 0
    cancelled_after_accepting: int = 0  # cancelled by them once accepted (or handed over)
    late_returns: int = 0  # loans they borrowed that came back after the due day, or are still out past it
    unanswered_requests: int = 0  # requests to them that expired without an answer

    @property
    def has_concerns(self) -> bool:
        return bool(self.cancelled_after_accepting or self.late_returns or self.unanswered_requests)


def thanks_text_error(text: str) -> str | None:
    text = (text or "").strip()
    if not text:
        return "Write a few words of thanks."
    if len(text) > THANKS_MAX:
        return f"Please keep it under {THANKS_MAX} characters (it has {len(text)})."
    return None


def check_may_thank(*, state: str, already_thanked: bool) -> None:
    """A party may thank the other once, after the exchange is complete. Raises otherwise.
    (Someone who isn't a party never gets this far: for them the exchange doesn't exist.)"""
    if state != "completed":
        raise IllegalTransition("You can say thanks once the exchange is complete.")
    if already_thanked:
        raise Conflict("You've already said thanks for this exchange.")


def may_thank(*, state: str, already_thanked: bool) -> bool:
    return state == "completed" and not already_thanked


def may_see_profile(*, viewer_id: int, resident_id: int, active: bool, blocked: bool, street_id: int | None,
                    viewer_streets: list[int], coordinates_their_street: bool, shared_exchange: bool) -> bool:
    """A profile is for the resident themself and for neighbours who share a street scope with them:
    their home street is one the viewer sees (home, or a neighbouring street they look at). Also for
    that street's coordinators, and for someone they have exchanged with (a name on an exchange page
    always leads somewhere). Never across a block, never for a removed or deleted account."""
    if viewer_id == resident_id:
        return True
    if not active or blocked:
        return False
    if street_id is not None and (street_id in viewer_streets or coordinates_their_street):
        return True
    return shared_exchange


def may_see_reliability(*, viewer_id: int, resident_id: int, coordinates_their_street: bool) -> bool:
    """On a profile, the private hint is for the coordinators of the resident's street (not for the
    resident themself: their profile shows them what neighbours see)."""
    return coordinates_their_street and viewer_id != resident_id


def may_report_thanks(*, viewer_id: int, author_id: int) -> bool:
    return viewer_id != author_id
