"""Notification rules, pure: kinds and their default email choice, the daily digest's time,
and signed one-click unsubscribe tokens."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from streetshare.notifications import rules

SECRET = "test-secret-key-that-is-long-enough-0123456789"

ISSUE_KINDS = {"request_received", "accepted", "declined", "message", "handed_over", "due_tomorrow", "overdue",
               "returned", "completed", "thanks_received", "match_found", "ask_expiring",
               # street coordinators (issue 7): moderation of one's items, being appointed, reports to handle
               "moderation", "coordinator", "report_received",
               # hearing about new things (issue 18): a new ask for what I offer, the daily street round-up
               "ask_matches_offer", "street_news"}


def test_every_kind_the_product_needs_exists_with_a_label_and_a_default():
    assert set(rules.KIND_NAMES) == ISSUE_KINDS
    for kind in rules.KINDS:
        assert kind.label and kind.default in rules.DELIVERIES


def test_requests_answers_and_overdue_loans_are_emailed_straight_away_by_default():
    for name in ("request_received", "accepted", "overdue"):
        assert rules.delivery_for(name, {}) == rules.IMMEDIATE


def test_messages_and_matches_wait_for_the_daily_digest_by_default():
    for name in ("message", "match_found"):
        assert rules.delivery_for(name, {}) == rules.DAILY


def test_a_saved_choice_beats_the_default_and_all_email_off_beats_both():
    assert rules.delivery_for("message", {"message": "immediate"}) == rules.IMMEDIATE
    assert rules.delivery_for("message", {"message": "immediate"}, all_email_off=True) == rules.OFF
    assert rules.delivery_for("message", {"message": "weekly"}) == rules.DAILY, "an unknown value falls back"


def test_clean_choices_refuses_unknown_kinds_and_values():
    choices, errors = rules.clean_choices({"message": "off", "accepted": "hourly", "gossip": "daily"})

    assert choices == {"message": "off"}
    assert set(errors) == {"accepted", "gossip"}


def test_unsubscribing_from_the_digest_turns_off_only_the_daily_kinds():
    choices, all_off = rules.after_unsubscribe(rules.DIGEST, {"overdue": "daily"})

    assert not all_off
    assert choices["message"] == rules.OFF and choices["overdue"] == rules.OFF
    assert choices["request_received"] == rules.IMMEDIATE


def test_unsubscribing_from_one_kind_keeps_the_others():
    choices, all_off = rules.after_unsubscribe("accepted", {})

    assert not all_off and choices["accepted"] == rules.OFF and choices["request_received"] == rules.IMMEDIATE


def test_notifications_link_only_to_our_own_pages():
    assert rules.own_path_error("") is None
    assert rules.own_path_error("/exchanges/3?tab=messages") is None
    for bad in ("https://evil.example/", "//evil.example/x", "exchanges/3", "/\\evil", "/a b", "javascript:alert(1)"):
        assert rules.own_path_error(bad), bad


@pytest.mark.parametrize(
    ("now", "digest_at"),
    [
        (datetime(2026, 11, 23, 9, 0, tzinfo=UTC), datetime(2026, 11, 23, 18, 0, tzinfo=UTC)),  # GMT
        (datetime(2026, 11, 23, 18, 0, tzinfo=UTC), datetime(2026, 11, 24, 18, 0, tzinfo=UTC)),  # just gone
        (datetime(2026, 7, 1, 9, 0, tzinfo=UTC), datetime(2026, 7, 1, 17, 0, tzinfo=UTC)),  # 18:00 BST
        (datetime(2026, 7, 1, 23, 30, tzinfo=UTC), datetime(2026, 7, 2, 17, 0, tzinfo=UTC)),  # 00:30 BST next day
    ],
)
def test_the_daily_digest_goes_out_at_six_in_the_evening_london_time(now, digest_at):
    assert rules.next_digest_at(now) == digest_at


def test_one_digest_key_per_resident_per_day():
    morning = rules.next_digest_at(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    afternoon = rules.next_digest_at(datetime(2026, 11, 23, 15, 0, tzinfo=UTC))

    assert rules.digest_key(12, morning) == rules.digest_key(12, afternoon) == "digest:12:2026-11-23"
    assert rules.digest_key(13, morning) != rules.digest_key(12, morning)


def test_unsubscribe_token_names_the_resident_and_what_to_stop():
    token = rules.unsubscribe_token(SECRET, 12, "message")

    assert rules.read_unsubscribe_token(SECRET, token) == (12, "message")
    assert rules.read_unsubscribe_token(SECRET, rules.unsubscribe_token(SECRET, 12, rules.DIGEST)) == (12, "digest")


def test_tampered_unsubscribe_tokens_are_refused():
    token = rules.unsubscribe_token(SECRET, 12, "message")
    resident, scope, signature = token.split(".")

    assert rules.read_unsubscribe_token(SECRET, f"13.{scope}.{signature}") is None
    assert rules.read_unsubscribe_token(SECRET, f"{resident}.all.{signature}") is None
    assert rules.read_unsubscribe_token(SECRET, f"{resident}.{scope}.{signature[:-2]}AA") is None
    assert rules.read_unsubscribe_token("another-secret-entirely-of-some-length", token) is None
    assert rules.read_unsubscribe_token(SECRET, f"{resident}.party.{signature}") is None
    for junk in ("", ".", "12.message", "12.message." + "x" * 43 + "/", "a" * 500):
        assert rules.read_unsubscribe_token(SECRET, junk) is None


def test_unsubscribe_token_for_an_unknown_scope_cannot_be_made():
    with pytest.raises(ValueError):
        rules.unsubscribe_token(SECRET, 12, "party")


def test_a_new_ask_for_what_i_offer_is_emailed_straight_away_and_the_street_roundup_is_opt_in():
    assert rules.delivery_for("ask_matches_offer", {}) == rules.IMMEDIATE
    assert rules.delivery_for("street_news", {}) == rules.OFF
    assert rules.delivery_for("street_news", {"street_news": "daily"}) == rules.DAILY
    assert rules.delivery_for("street_news", {"street_news": "immediate"}) == rules.OFF  # never one email per post


@pytest.mark.parametrize(
    ("now", "end", "day"),
    [
        (datetime(2026, 11, 23, 17, 44, tzinfo=UTC), datetime(2026, 11, 22, 17, 45, tzinfo=UTC), date(2026, 11, 22)),
        (datetime(2026, 11, 23, 17, 45, tzinfo=UTC), datetime(2026, 11, 23, 17, 45, tzinfo=UTC), date(2026, 11, 23)),
        (datetime(2026, 11, 24, 1, 0, tzinfo=UTC), datetime(2026, 11, 23, 17, 45, tzinfo=UTC), date(2026, 11, 23)),
        # British Summer Time: 17:45 in London is 16:45 UTC
        (datetime(2026, 7, 1, 17, 0, tzinfo=UTC), datetime(2026, 7, 1, 16, 45, tzinfo=UTC), date(2026, 7, 1)),
    ],
)
def test_the_street_roundup_covers_the_day_up_to_a_quarter_before_the_digest(now, end, day):
    window = rules.roundup_window(now)
    assert (window.end, window.day) == (end, day)
    assert window.end < rules.next_digest_at(window.end)  # written before that evening's digest goes out


def test_a_roundup_starts_where_the_last_one_ended_but_looks_back_a_week_at_most():
    window = rules.roundup_window(datetime(2026, 11, 23, 18, 0, tzinfo=UTC))
    assert window.start(None) == datetime(2026, 11, 22, 17, 45, tzinfo=UTC)
    assert window.start(datetime(2026, 11, 21, 17, 45, tzinfo=UTC)) == datetime(2026, 11, 21, 17, 45, tzinfo=UTC)
    assert window.start(datetime(2026, 10, 1, tzinfo=UTC)) == datetime(2026, 11, 16, 17, 45, tzinfo=UTC)


def test_roundup_text_counts_each_kind_of_post_and_knows_notices():
    posts = [{"type": "offer", "title": "Ladder", "url": "/offers/1"},
             {"type": "ask", "title": "Drill", "url": "/asks/2"}, {"type": "ask", "title": "Lift", "url": "/asks/3"}]
    assert rules.roundup_text(posts) == "New on your street: 1 offer and 2 asks"
    assert rules.roundup_text([{"type": "notice", "title": "Bin day moved", "url": "/notices/4"}]) == (
        "New on your street: 1 notice")


def test_roundup_posts_link_only_to_our_own_pages():
    with pytest.raises(ValueError):
        rules.clean_posts([{"type": "offer", "title": "Ladder", "url": "https://evil.example/"}])
    assert rules.clean_posts([{"type": "offer", "title": "  Step\n ladder ", "url": "/offers/1"}]) == [
        {"type": "offer", "title": "Step ladder", "url": "/offers/1"}]
