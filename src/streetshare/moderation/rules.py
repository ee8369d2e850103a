"""Pure moderation rules: what can be reported or hidden, and the lengths of reasons. No I/O."""

from __future__ import annotations

TARGET_KINDS = ("offer", "ask", "thanks", "resident", "exchange")
HIDEABLE = ("offer", "ask", "thanks")
STATUSES = ("open", "acted_on", "dismissed")
STATUS_LABELS = {"open": "Open", "acted_on": "Acted on", "dismissed": "Dismissed"}

REASON_MIN = 3
REASON_MAX = 500
REPORT_REASON_MAX = 1000

# "A neighbour reported <an offer>."
KIND_WORDS = {
    "offer": "an offer",
    "ask": "an ask",
    "thanks": "a thanks note",
    "resident": "a resident",
    "exchange": "a problem with an exchange",
}
KIND_NAMES = {"offer": "offer", "ask": "ask", "thanks": "thanks note", "resident": "account", "exchange": "exchange"}

ACTION_LABELS = {
    "hide": "hid",
    "show_again": "showed again",
    "remove_resident": "removed from the street",
    "appoint": "appointed as coordinator",
    "step_down": "stepped down as coordinator",
    "met_in_person": "marked as met in person",
    "unmark_met": "removed the met-in-person badge of",
    "dismiss_report": "dismissed",
    "act_on_report": "acted on",
    "create_invite": "created",
    "revoke_invite": "switched off",
}

NOT_YOUR_OWN = "You can't report your own."
ALREADY_HANDLED = "Another coordinator has already handled this report."


def target_kind_error(kind: str) -> str | None:
    if kind not in TARGET_KINDS:
        return "Choose what you're reporting: an offer, an ask, a thanks note, a resident or an exchange."
    return None


def reason_error(reason: str) -> str | None:
    text = (reason or "").strip()
    if len(text) < REASON_MIN:
        return "Tell your coordinators what's wrong, in a few words."
    if len(text) > REPORT_REASON_MAX:
        return f"Keep it under {REPORT_REASON_MAX} characters."
    return None


def hide_reason_error(reason: str) -> str | None:
    """The owner is told the reason, and the log keeps it: it can't be blank."""
    text = (reason or "").strip()
    if len(text) < REASON_MIN:
        return "Give a short reason: the person is told it."
    if len(text) > REASON_MAX:
        return f"Keep it under {REASON_MAX} characters."
    return None


def note_required_error(note: str) -> str | None:
    text = (note or "").strip()
    if len(text) < REASON_MIN:
        return "Say what you did, for the other coordinators."
    if len(text) > REASON_MAX:
        return f"Keep it under {REASON_MAX} characters."
    return None


def parse_status(raw: str | None) -> str:
    return raw if raw in STATUSES else "open"
