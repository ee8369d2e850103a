"""Offer rules, pure: the status machine (every pair), and what a valid offer is."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from streetshare.errors import IllegalTransition, NotAllowed
from streetshare.offers import rules
from streetshare.offers.rules import Action, Status

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def valid(**overrides):
    return {"kind": "lend", "title": "Ladder to lend", "category": "tools", **overrides}


# ---------------------------------------------------------------- the status machine

EXPECTED = {
    (Status.ACTIVE, Action.PAUSE): Status.PAUSED,
    (Status.ACTIVE, Action.WITHDRAW): Status.WITHDRAWN,
    (Status.ACTIVE, Action.GIVE_AWAY): Status.GONE,
    (Status.PAUSED, Action.RESUME): Status.ACTIVE,
    (Status.PAUSED, Action.WITHDRAW): Status.WITHDRAWN,
    (Status.PAUSED, Action.GIVE_AWAY): Status.GONE,
}


@pytest.mark.parametrize("status, action", list(itertools.product(Status, Action)))
def test_every_status_and_action_pair_is_either_a_transition_or_refused(status, action):
    role = rules.WHO_MAY[action]
    if (status, action) in EXPECTED:
        assert rules.next_status(status, action, role=role, kind="give") is EXPECTED[(status, action)]
    else:
        with pytest.raises(IllegalTransition):
            rules.next_status(status, action, role=role, kind="give")


def test_the_table_is_exactly_the_product_lifecycle():
    assert rules.TRANSITIONS == EXPECTED


@pytest.mark.parametrize("action", [Action.PAUSE, Action.RESUME, Action.WITHDRAW])
def test_only_the_owner_pauses_resumes_and_withdraws(action):
    with pytest.raises(NotAllowed):
        rules.next_status("active", action, role=rules.SYSTEM)


def test_only_the_system_marks_an_offer_gone():
    with pytest.raises(NotAllowed):
        rules.next_status("active", Action.GIVE_AWAY, role=rules.OWNER, kind="give")


@pytest.mark.parametrize("kind", ["lend", "skill", "time"])
def test_only_a_give_away_can_be_gone(kind):
    with pytest.raises(IllegalTransition):
        rules.next_status("active", Action.GIVE_AWAY, role=rules.SYSTEM, kind=kind)


def test_owner_sees_the_buttons_their_offer_allows_and_others_see_none():
    assert rules.owner_actions("active", is_owner=True) == ["pause", "withdraw"]
    assert rules.owner_actions("paused", is_owner=True) == ["resume", "withdraw"]
    assert rules.owner_actions("gone", is_owner=True) == []
    assert rules.owner_actions("active", is_owner=False) == []
    assert rules.can_edit("paused", is_owner=True) and not rules.can_edit("withdrawn", is_owner=True)
    assert not rules.can_edit("active", is_owner=False)


# ---------------------------------------------------------------- validation


def test_a_lend_offer_gets_seven_days_by_default_and_nothing_a_time_offer_has():
    offer, errors = rules.check_offer(valid(slots="3", starts_at="2026-12-05T10:00"), now=NOW)
    assert errors == {}
    assert (offer.loan_days, offer.slots, offer.starts_at) == (7, None, None)
    assert offer.neighbours_may_see is True


def test_title_is_required_trimmed_and_at_most_100_characters():
    assert rules.check_offer(valid(title="   "), now=NOW)[1] == {"title": "Please give it a short title."}
    assert "at least 3" in rules.check_offer(valid(title="ab"), now=NOW)[1]["title"]
    assert "100 characters" in rules.check_offer(valid(title="x" * 101), now=NOW)[1]["title"]
    offer, _ = rules.check_offer(valid(title="  Ladder   to\tlend "), now=NOW)
    assert offer.title == "Ladder to lend"


def test_description_is_at_most_2000_characters_and_keeps_its_lines():
    assert "2000" in rules.check_offer(valid(description="x" * 2001), now=NOW)[1]["description"]
    offer, _ = rules.check_offer(valid(description="Line one\r\nLine two"), now=NOW)
    assert offer.description == "Line one\nLine two"


def test_kind_and_category_come_from_the_fixed_lists():
    errors = rules.check_offer(valid(kind="rent", category="weapons"), now=NOW)[1]
    assert set(errors) == {"kind", "category"}


def test_categories_have_human_labels():
    assert rules.CATEGORIES["books_media"] == "Books & media"
    assert rules.CATEGORIES["diy_help"] == "DIY help"
    assert len(rules.CATEGORIES) == 13


@pytest.mark.parametrize("days, ok", [("0", False), ("1", True), ("90", True), ("91", False), ("seven", False)])
def test_loan_length_is_1_to_90_days(days, ok):
    errors = rules.check_offer(valid(loan_days=days), now=NOW)[1]
    assert ("loan_days" not in errors) is ok


def test_time_offer_needs_a_start_in_the_future():
    errors = rules.check_offer(valid(kind="time"), now=NOW)[1]
    assert errors == {"starts_at": "Please say when: the date and time it starts."}
    past = rules.check_offer(valid(kind="time", starts_at=NOW - timedelta(minutes=1)), now=NOW)[1]
    assert past == {"starts_at": "Please choose a time in the future."}
    far = rules.check_offer(valid(kind="time", starts_at=NOW + timedelta(days=400)), now=NOW)[1]
    assert "within the next year" in far["starts_at"]
    garbled = rules.check_offer(valid(kind="time", starts_at="next saturday"), now=NOW)[1]
    assert "date and time" in garbled["starts_at"]


@pytest.mark.parametrize("slots, ok", [("0", False), ("1", True), ("50", True), ("51", False), ("-3", False), ("2.5", False)])
def test_slots_are_1_to_50(slots, ok):
    errors = rules.check_offer(valid(kind="time", starts_at=NOW + timedelta(days=1), slots=slots), now=NOW)[1]
    assert ("slots" not in errors) is ok


def test_time_offer_window_ends_after_it_starts_and_lasts_at_most_a_month():
    start = NOW + timedelta(days=1)
    assert "after the start" in rules.check_offer(valid(kind="time", starts_at=start, ends_at=start), now=NOW)[1]["ends_at"]
    long = rules.check_offer(valid(kind="time", starts_at=start, ends_at=start + timedelta(days=32)), now=NOW)[1]
    assert "month" in long["ends_at"]
    offer, errors = rules.check_offer(valid(kind="time", starts_at=start, ends_at=start + timedelta(days=6), slots=""),
                                      now=NOW)
    assert errors == {} and offer.slots == 1


def test_form_times_are_wall_clock_times_on_the_street():
    offer, _ = rules.check_offer(valid(kind="time", starts_at="2026-12-05T10:00"), now=NOW)
    assert offer.starts_at == datetime(2026, 12, 5, 10, 0, tzinfo=UTC)  # London is on GMT in December
    summer, _ = rules.check_offer(valid(kind="time", starts_at="2027-06-05T10:00"), now=NOW)
    assert summer.starts_at == datetime(2027, 6, 5, 9, 0, tzinfo=UTC)  # and BST in June
    assert rules.local_input(summer.starts_at) == "2027-06-05T10:00"
    assert rules.describe_window(summer.starts_at, summer.starts_at + timedelta(hours=2)) == "Sat 5 Jun, 10:00 to 12:00"


def test_an_edit_may_keep_a_start_time_that_has_since_passed():
    start = NOW + timedelta(days=1)
    before, _ = rules.check_offer(valid(kind="time", starts_at=start), now=NOW)
    later = start + timedelta(hours=1)
    offer, errors = rules.check_offer({"title": "Tip run, one bag left"}, now=later, previous=before)
    assert errors == {} and offer.starts_at == start
    moved = rules.check_offer({"starts_at": later - timedelta(minutes=5)}, now=later, previous=before)[1]
    assert moved == {"starts_at": "Please choose a time in the future."}


def test_every_problem_is_reported_at_once():
    errors = rules.check_offer({"kind": "time", "title": "", "category": "", "slots": "99"}, now=NOW)[1]
    assert set(errors) == {"title", "category", "slots", "starts_at"}


def test_a_time_offer_leaves_the_feed_after_its_window():
    start = NOW + timedelta(days=1)
    assert rules.is_current("time", start, None, NOW)
    assert not rules.is_current("time", start, None, start + timedelta(days=1, seconds=1))
    assert not rules.is_current("time", start, start + timedelta(hours=2), start + timedelta(hours=3))
    assert rules.is_current("lend", None, None, NOW)


def test_a_start_given_to_the_second_survives_an_edit_from_a_form_that_shows_minutes():
    start = NOW + timedelta(hours=2, seconds=42)
    before, _ = rules.check_offer(valid(kind="time", starts_at=start), now=NOW)
    later = start + timedelta(hours=1)
    offer, errors = rules.check_offer({"starts_at": rules.local_input(start)}, now=later, previous=before)
    assert errors == {} and offer.starts_at == start
