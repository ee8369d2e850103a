"""Ask rules, pure: the status machine (every pair), expiry and renewal, and what a valid ask is."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from streetshare.asks import rules
from streetshare.asks.rules import Action, Status
from streetshare.errors import IllegalTransition, NotAllowed

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

EXPECTED = {
    (Status.OPEN, Action.RENEW): Status.OPEN,
    (Status.OPEN, Action.FULFIL): Status.FULFILLED,
    (Status.OPEN, Action.WITHDRAW): Status.WITHDRAWN,
    (Status.OPEN, Action.EXPIRE): Status.EXPIRED,
    (Status.EXPIRED, Action.RENEW): Status.OPEN,
    (Status.EXPIRED, Action.FULFIL): Status.FULFILLED,
    (Status.EXPIRED, Action.WITHDRAW): Status.WITHDRAWN,
}


def valid(**overrides):
    return {"title": "Someone to cut back my hedge", "category": "garden", "help_kind": "skill", **overrides}


@pytest.mark.parametrize("status, action", list(itertools.product(Status, Action)))
def test_every_status_and_action_pair_is_either_a_transition_or_refused(status, action):
    role = next(iter(sorted(rules.WHO_MAY[action])))
    if (status, action) in EXPECTED:
        assert rules.next_status(status, action, role=role) is EXPECTED[(status, action)]
    else:
        with pytest.raises(IllegalTransition):
            rules.next_status(status, action, role=role)


def test_the_table_is_exactly_the_lifecycle():
    assert rules.TRANSITIONS == EXPECTED


def test_only_the_system_expires_an_ask_and_only_the_owner_renews_or_withdraws():
    with pytest.raises(NotAllowed):
        rules.next_status("open", Action.EXPIRE, role=rules.OWNER)
    with pytest.raises(NotAllowed):
        rules.next_status("expired", Action.RENEW, role=rules.SYSTEM)
    with pytest.raises(NotAllowed):
        rules.next_status("open", Action.WITHDRAW, role=rules.SYSTEM)
    assert rules.next_status("open", Action.FULFIL, role=rules.SYSTEM) is Status.FULFILLED


def test_owner_buttons():
    assert rules.owner_actions("open", is_owner=True) == ["renew", "fulfil", "withdraw"]
    assert rules.owner_actions("expired", is_owner=True) == ["renew", "fulfil", "withdraw"]
    assert rules.owner_actions("fulfilled", is_owner=True) == []
    assert rules.owner_actions("open", is_owner=False) == []


def test_an_ask_without_a_date_expires_after_30_days():
    assert rules.expires_at(now=NOW, needed_by=None) == NOW + timedelta(days=30)


def test_an_ask_with_a_date_expires_when_that_day_ends_on_the_street():
    assert rules.expires_at(now=NOW, needed_by=date(2026, 12, 5)) == datetime(2026, 12, 6, 0, 0, tzinfo=UTC)
    assert rules.expires_at(now=NOW, needed_by=date(2027, 6, 5)) == datetime(2027, 6, 5, 23, 0, tzinfo=UTC)


def test_renewing_gives_30_more_days_and_drops_a_date_that_has_passed():
    assert rules.renewal(now=NOW, needed_by=date(2026, 11, 20)) == (NOW + timedelta(days=30), None)
    assert rules.renewal(now=NOW, needed_by=date(2026, 12, 20)) == (NOW + timedelta(days=30), date(2026, 12, 20))


def test_a_renew_nudge_shows_in_the_last_three_days_of_an_open_ask():
    assert rules.expiring_soon("open", NOW + timedelta(days=2), NOW)
    assert not rules.expiring_soon("open", NOW + timedelta(days=4), NOW)
    assert not rules.expiring_soon("fulfilled", NOW + timedelta(days=1), NOW)


def test_a_valid_ask():
    ask, errors = rules.check_ask(valid(needed_by="2026-12-05", description="It's over the path"), now=NOW)
    assert errors == {}
    assert ask.needed_by == date(2026, 12, 5) and ask.help_kind == "skill" and ask.neighbours_may_see


def test_help_kind_left_out_is_guessed_from_the_words_and_marked_as_a_guess():
    hedge, _ = rules.check_ask(valid(help_kind=None), now=NOW)
    assert hedge.help_kind == "skill" and not hedge.help_kind_stated
    ladder, _ = rules.check_ask(valid(help_kind="", title="Ladder for an afternoon", category="tools"), now=NOW)
    assert ladder.help_kind == "borrow" and not ladder.help_kind_stated


def test_help_kind_given_is_kept_as_stated_and_must_be_one_of_four():
    ask, _ = rules.check_ask(valid(help_kind="borrow"), now=NOW)
    assert ask.help_kind == "borrow" and ask.help_kind_stated
    assert set(rules.check_ask(valid(help_kind="buy"), now=NOW)[1]) == {"help_kind"}


def test_editing_the_words_of_a_guessed_ask_guesses_again_but_a_stated_kind_stays():
    guessed, _ = rules.check_ask(valid(help_kind=None, title="Ladder please"), now=NOW)
    edited, _ = rules.check_ask({"title": "Could someone mow my lawn?"}, now=NOW, previous=guessed)
    assert edited.help_kind in ("skill", "time") and not edited.help_kind_stated
    stated, _ = rules.check_ask(valid(help_kind="borrow", title="Ladder please"), now=NOW)
    edited, _ = rules.check_ask({"title": "Could someone mow my lawn?"}, now=NOW, previous=stated)
    assert edited.help_kind == "borrow" and edited.help_kind_stated


@pytest.mark.parametrize("title, description, kind", [
    ("Could someone mow my lawn while I'm away?", "", "time"),
    ("Anyone going to the tip on Saturday?", "", "time"),
    ("Help with a job application?", "", "skill"),
    ("CV help", "", "skill"),
    ("can some1 fix my bike brakes", "", "skill"),
    ("Lift to the hospital Tuesday", "", "time"),
    ("Could anyone walk my dog at lunchtime?", "", "time"),
    ("Drill?", "", "borrow"),
    ("Can anyone lend me a drill?", "Need to put up a couple of shelves.", "borrow"),
    ("Does anyone have a ladder I could borrow?", "", "borrow"),
    ("Ladder needed to clear gutters", "Two-storey house.", "borrow"),
    ("Spare cot for a new baby?", "", "receive"),
    ("Nappies size 3", "", "receive"),
])
def test_the_kind_of_help_is_guessed_from_how_people_write(title, description, kind):
    assert rules.infer_help_kind(title, description) == kind


def test_needed_by_is_today_or_later_and_within_a_year():
    assert rules.check_ask(valid(needed_by="2026-12-01"), now=NOW)[1] == {}
    assert rules.check_ask(valid(needed_by="2026-11-30"), now=NOW)[1] == {
        "needed_by": "Please choose today or a day in the future."}
    assert "within the next year" in rules.check_ask(valid(needed_by="2028-01-01"), now=NOW)[1]["needed_by"]
    assert "like 2026-12-05" in rules.check_ask(valid(needed_by="soon"), now=NOW)[1]["needed_by"]


def test_title_and_category_are_required_and_reported_together():
    errors = rules.check_ask({"title": "", "category": ""}, now=NOW)[1]
    assert set(errors) == {"title", "category"}
