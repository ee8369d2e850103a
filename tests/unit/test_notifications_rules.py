"""Notification rules, pure: kinds and their default email choice, the daily digest's time,
and signed one-click unsubscribe tokens."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from streetshare.notifications import rules

SECRET = "test-secret-key-that-is-long-enough-0123456789"

ISSUE_KINDS = {"request_received", "accepted", "declined", "message", "handed_over", "due_tomorrow", "overdue",
               "returned", "completed", "thanks_received", "match_found", "ask_expiring",
               # street coordinators (issue 7): moderation of one's items, being appointed, reports to handle
               "moderation", "coordinator", "report_received",
               # hearing about new things (issue 18): a new ask for what I offer, the daily street round-up
               "ask_matches_offer", "street_news",
               # street status (issue 14): "power off on Elm Street? is yours off too?", opt-in
               "status_prompt"}


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


# ---------------------------------------------------------------- street status prompts (issue 14)


def test_status_prompts_are_opt_in_and_may_stay_in_the_app():
    assert rules.delivery_for("status_prompt", {}) == rules.OFF  # off: no prompt at all, in the app either
    assert rules.delivery_for("status_prompt", {"status_prompt": "app"}) == rules.APP
    assert rules.delivery_for("status_prompt", {"status_prompt": "immediate"}) == rules.IMMEDIATE
    assert rules.delivery_for("status_prompt", {"status_prompt": "daily"}) == rules.OFF  # a prompt can't wait a day
    assert rules.email_via(rules.APP) is None
    assert rules.prompts(rules.APP) and rules.prompts(rules.IMMEDIATE) and not rules.prompts(rules.OFF)


def test_in_the_app_only_is_offered_for_status_prompts_alone():
    choices, errors = rules.clean_choices({"status_prompt": "app", "message": "app", "street_news": "immediate"})

    assert choices == {"status_prompt": "app"}
    assert set(errors) == {"message", "street_news"}
    _, errors = rules.clean_choices({"status_prompt": "daily"})
    assert "in the app only" in errors["status_prompt"].lower()


def test_unsubscribing_from_status_prompt_emails_keeps_the_prompts_in_the_app():
    choices, all_off = rules.after_unsubscribe("status_prompt", {"status_prompt": "immediate"})

    assert not all_off and choices["status_prompt"] == rules.APP
    choices, _ = rules.after_unsubscribe(rules.DIGEST, {"status_prompt": "immediate"})
    assert choices["status_prompt"] == rules.IMMEDIATE  # not a digest kind


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [
        (_utc(2026, 11, 23, 21, 59), False),  # GMT: 21:59 in London
        (_utc(2026, 11, 23, 22, 0), True),
        (_utc(2026, 11, 24, 3, 0), True),
        (_utc(2026, 11, 24, 6, 59), True),
        (_utc(2026, 11, 24, 7, 0), False),
        (_utc(2026, 7, 1, 21, 30), True),  # 22:30 BST
        (_utc(2026, 7, 1, 6, 30), False),  # 07:30 BST
    ],
)
def test_quiet_hours_are_ten_at_night_to_seven_in_the_morning_london_time_by_default(moment, quiet):
    assert rules.DEFAULT_QUIET.contains(moment) is quiet


@pytest.mark.parametrize(
    ("moment", "ends"),
    [
        (_utc(2026, 11, 23, 23, 30), _utc(2026, 11, 24, 7, 0)),  # before midnight: the next morning
        (_utc(2026, 11, 24, 2, 0), _utc(2026, 11, 24, 7, 0)),  # after midnight: this morning
        (_utc(2026, 7, 1, 22, 0), _utc(2026, 7, 2, 6, 0)),  # 07:00 BST
        (_utc(2026, 11, 24, 12, 0), _utc(2026, 11, 24, 12, 0)),  # not quiet: now
    ],
)
def test_quiet_hours_end_the_next_morning_at_seven(moment, ends):
    assert rules.DEFAULT_QUIET.ends_after(moment) == ends


def test_quiet_hours_within_one_day_and_none_at_all():
    afternoon = rules.QuietHours(time(13, 0), time(15, 0))
    assert afternoon.contains(_utc(2026, 11, 23, 14, 0)) and not afternoon.contains(_utc(2026, 11, 23, 15, 0))
    assert afternoon.ends_after(_utc(2026, 11, 23, 14, 0)) == _utc(2026, 11, 23, 15, 0)
    never = rules.QuietHours(time(7, 0), time(7, 0))
    assert never.none and not never.contains(_utc(2026, 11, 23, 3, 0))


def test_quiet_hours_from_a_form():
    assert rules.clean_quiet_hours("23:00", "06:30") == (rules.QuietHours(time(23, 0), time(6, 30)), {})
    quiet, errors = rules.clean_quiet_hours("25:00", "7")
    assert quiet is None and set(errors) == {"quiet_start", "quiet_end"}
    assert rules.quiet_hours(None, None) == rules.DEFAULT_QUIET == rules.QuietHours(time(22, 0), time(7, 0))
