"""Reputation rules, pure: thanks notes, who sees a profile and its private hint, and the kind words
the hint is shown in."""

from __future__ import annotations

import pytest

from streetshare.errors import Conflict, IllegalTransition
from streetshare.reputation import rules
from streetshare.reputation.rules import ReliabilityHint, Reputation
from streetshare.web.templating import make_environment

ME, THEM = 1, 2


def profile(**overrides) -> bool:
    facts = dict(viewer_id=ME, resident_id=THEM, active=True, blocked=False, street_id=10, viewer_streets=[10, 11],
                 coordinates_their_street=False, shared_exchange=False)
    return rules.may_see_profile(**{**facts, **overrides})


# ---------------------------------------------------------------- thanks


def test_a_few_words_of_thanks_are_fine():
    assert rules.thanks_text_error("Thank you, the ladder was perfect!") is None
    assert rules.thanks_text_error("x" * rules.THANKS_MAX) is None


@pytest.mark.parametrize("text", ["", "   ", None])
def test_an_empty_thanks_is_refused(text):
    assert rules.thanks_text_error(text) == "Write a few words of thanks."


def test_a_thanks_longer_than_280_characters_is_refused():
    assert "under 280" in rules.thanks_text_error("x" * 281)


def test_thanks_only_after_completion_and_only_once():
    rules.check_may_thank(state="completed", already_thanked=False)
    assert rules.may_thank(state="completed", already_thanked=False)
    with pytest.raises(Conflict, match="already said thanks"):
        rules.check_may_thank(state="completed", already_thanked=True)
    for state in ("requested", "accepted", "handed_over", "returned", "declined", "cancelled", "expired"):
        with pytest.raises(IllegalTransition):
            rules.check_may_thank(state=state, already_thanked=False)
        assert not rules.may_thank(state=state, already_thanked=False)


def test_nobody_may_report_their_own_thanks_note():
    assert rules.may_report_thanks(viewer_id=ME, author_id=THEM)
    assert not rules.may_report_thanks(viewer_id=ME, author_id=ME)


# ---------------------------------------------------------------- who sees a profile


def test_a_resident_always_sees_their_own_profile():
    assert profile(resident_id=ME, street_id=None, viewer_streets=[], active=False)


def test_a_neighbour_whose_street_is_in_view_sees_the_profile():
    assert profile()
    assert profile(street_id=11)


def test_a_resident_of_a_street_out_of_view_is_not_seen():
    assert not profile(street_id=99)
    assert not profile(street_id=None)


def test_the_coordinator_of_their_street_sees_the_profile_from_anywhere():
    assert profile(street_id=99, coordinates_their_street=True)


def test_an_exchange_partner_sees_the_profile_from_anywhere():
    assert profile(street_id=99, shared_exchange=True)


def test_a_block_or_a_removed_account_hides_the_profile_from_everyone_else():
    assert not profile(blocked=True)
    assert not profile(blocked=True, coordinates_their_street=True, shared_exchange=True)
    assert not profile(active=False)


def test_the_private_hint_is_for_the_coordinators_of_their_street_only():
    assert rules.may_see_reliability(viewer_id=ME, resident_id=THEM, coordinates_their_street=True)
    assert not rules.may_see_reliability(viewer_id=ME, resident_id=THEM, coordinates_their_street=False)
    assert not rules.may_see_reliability(viewer_id=ME, resident_id=ME, coordinates_their_street=True)


# ---------------------------------------------------------------- the words


@pytest.fixture(scope="module")
def macros():
    return make_environment().get_template("reputation/_hint.html").module


@pytest.mark.parametrize(("hint", "words"), [
    (ReliabilityHint(), "New to exchanging on Streetshare"),
    (ReliabilityHint(completed=1), "1 completed exchange on Streetshare"),
    (ReliabilityHint(completed=5, late_returns=2),
     "5 completed exchanges on Streetshare · 2 late returns in the last 6 months"),
    (ReliabilityHint(completed=3, late_returns=1, cancelled_after_accepting=1, unanswered_requests=2),
     "3 completed exchanges on Streetshare · 1 late return, 1 cancelled after saying yes, "
     "2 requests left unanswered in the last 6 months"),
    (ReliabilityHint(unanswered_requests=1), "New to exchanging on Streetshare · 1 request left unanswered in the last 6 months"),
])
def test_the_hint_is_said_kindly_in_plain_words(macros, hint, words):
    assert str(macros.reliability(hint)).strip() == words


def test_loans_returned_on_time_read_as_x_of_y(macros):
    assert str(macros.on_time(Reputation(0, 12, 3, 11, 12))).strip() == "returned on time 11 of 12"
    assert str(macros.on_time(Reputation(4, 0, 0, 0, 0))).strip() == ""


def test_the_exchange_pages_use_the_same_kind_words(macros):
    exchanges = make_environment().get_template("exchanges/_actions.html").module
    hint = ReliabilityHint(completed=2, late_returns=1)
    assert str(exchanges.reliability(hint)).strip() == str(macros.reliability(hint)).strip()
