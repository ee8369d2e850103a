"""The pure places rules (no database needed; they live here with the other places tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from streetshare.places import rules
from streetshare.places.rules import InviteState, invite_problem

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("raw", "expected"), [("", 800), (None, 800), ("  ", 800), ("600", 600), (" 1200 m", 1200),
                                               (1500, 1500), ("lots", None), ("12.5", None), (True, None)])
def test_radius_from_a_form_or_json(raw, expected):
    assert rules.parse_radius(raw) == expected


@pytest.mark.parametrize(("raw", "limit", "expected"), [("53.6459", 90, 53.6459), (" -1.7851 ", 180, -1.7851),
                                                        (90, 90, 90.0), ("90.1", 90, None), ("-180.5", 180, None),
                                                        ("nan", 90, None), ("inf", 180, None), ("", 90, None),
                                                        (None, 90, None), ("north", 90, None), (False, 90, None)])
def test_coordinates_from_a_form_or_json(raw, limit, expected):
    assert rules.parse_coordinate(raw, limit=limit) == expected


def test_a_street_can_be_joined_from_inside_its_area_or_within_a_kilometre_of_its_edge():
    assert rules.may_join_directly(0, 800)
    assert rules.may_join_directly(1800, 800)
    assert not rules.may_join_directly(1801, 800)
    assert rules.may_join_directly(2900, 2000)


def test_street_pages_are_for_members_and_residents_who_see_the_street():
    assert rules.may_see_street(is_member=True, visible_street_ids=[], street_id=1)
    assert rules.may_see_street(is_member=False, visible_street_ids=[2, 1], street_id=1)
    assert not rules.may_see_street(is_member=False, visible_street_ids=[2], street_id=1)


def test_a_fresh_invite_can_be_used():
    assert invite_problem(InviteState(NOW + timedelta(days=1), 5, 4, None), NOW) is None
    assert invite_problem(InviteState(None, None, 1000, None), NOW) is None


def test_an_invite_expiring_now_has_expired():
    assert "expired" in invite_problem(InviteState(NOW, None, 0, None), NOW)


def test_a_switched_off_invite_says_so_even_when_also_expired():
    assert "switched off" in invite_problem(InviteState(NOW - timedelta(days=1), 1, 1, NOW), NOW)


def test_a_used_up_invite_says_so():
    assert "used as many times" in invite_problem(InviteState(None, 3, 3, None), NOW)


def test_an_unknown_invite_says_so():
    assert "don't recognise" in invite_problem(None, NOW)


@pytest.mark.parametrize("choice", ["bring", "close"])
def test_moving_brings_or_closes_open_items(choice):
    assert rules.move_choice_error(choice) is None


@pytest.mark.parametrize("choice", ["", "delete", "BRING"])
def test_no_other_choice_when_moving(choice):
    assert rules.move_choice_error(choice)
