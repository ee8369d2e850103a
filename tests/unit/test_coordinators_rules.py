"""Pure coordinator rules: standing, periods, invite codes, figures' words, share texts, the chart, the QR."""

import io
from datetime import UTC, date, datetime, timedelta

import pytest
import zxingcpp
from PIL import Image

from streetshare.coordinators import charts, export, flyer, rules

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_only_coordinators_may_coordinate():
    assert rules.may_coordinate(rules.Standing(is_coordinator=True, is_member=True))
    assert not rules.may_coordinate(rules.Standing(is_coordinator=False, is_member=True))
    assert not rules.may_coordinate(rules.Standing(is_coordinator=False, is_member=False))


def test_members_are_told_while_strangers_learn_nothing():
    assert rules.refusal(rules.Standing(is_coordinator=False, is_member=True)) == "member"
    assert rules.refusal(rules.Standing(is_coordinator=False, is_member=False)) == "stranger"


def test_a_street_keeps_at_least_one_coordinator():
    assert not rules.may_step_down(1)
    assert rules.may_step_down(2)


@pytest.mark.parametrize(("raw", "period"), [("30d", "30d"), ("12w", "12w"), ("all", "all"), (None, "30d"), ("x", "30d")])
def test_unknown_periods_fall_back_to_thirty_days(raw, period):
    assert rules.parse_period(raw) == period


def test_period_start():
    created = NOW - timedelta(days=500)
    assert rules.period_start("30d", NOW, created) == NOW - timedelta(days=30)
    assert rules.period_start("12w", NOW, created) == NOW - timedelta(weeks=12)
    assert rules.period_start("all", NOW, created) == created


def test_long_periods_are_charted_by_month():
    assert rules.chart_bucket(NOW - timedelta(weeks=12), NOW) == "week"
    assert rules.chart_bucket(NOW - timedelta(weeks=40), NOW) == "month"


def test_completion_rate_is_of_finished_exchanges():
    assert rules.completion_rate(3, 4) == 75
    assert rules.completion_rate(0, 0) is None


@pytest.mark.parametrize(("seconds", "words"), [
    (None, "not enough data yet"), (30, "about 1 minute"), (600, "about 10 minutes"), (3 * 3600, "about 3 hours"),
    (3 * 86400, "about 3 days"),
])
def test_durations_in_words(seconds, words):
    assert rules.describe_duration(seconds) == words


@pytest.mark.parametrize(("days", "words"), [(1, "1 day"), (8, "8 days"), (21, "3 weeks"), (100, "3 months")])
def test_how_long_an_ask_has_waited(days, words):
    assert rules.waited(NOW - timedelta(days=days), NOW) == words


def test_invite_codes_are_short_and_unambiguous():
    codes = {rules.new_invite_code() for _ in range(300)}
    assert len(codes) == 300
    for code in codes:
        assert len(code) == 8 and not set(code) & set("0O1IL")


def test_typed_codes_are_normalised():
    assert rules.normalise_code(" k7mq-3xpt ") == "K7MQ3XPT"


def test_invite_limits():
    assert rules.invite_days_error("0") and rules.invite_days_error("366") and rules.invite_days_error("x")
    assert rules.invite_days_error(30) is None
    assert rules.max_uses_error("") is None and rules.parse_max_uses("") is None
    assert rules.max_uses_error("0") and rules.max_uses_error("many")
    assert rules.parse_max_uses("12") == 12


def test_an_invite_is_usable_until_expired_used_up_or_switched_off():
    usable = dict(expires_at=NOW + timedelta(days=1), max_uses=2, uses=1, revoked_at=None, now=NOW)
    assert rules.invite_usable(**usable)
    assert not rules.invite_usable(**{**usable, "expires_at": NOW})
    assert not rules.invite_usable(**{**usable, "uses": 2})
    assert not rules.invite_usable(**{**usable, "revoked_at": NOW})


def test_unmet_asks_share_text_lists_first_names_and_waits_without_addresses():
    asks = [rules.UnmetAsk(i, f"Ask {i}", "tools", "Bob", NOW - timedelta(days=8 + i), date(2026, 12, 1) if i == 0 else None)
            for i in range(12)]
    text = rules.unmet_asks_share_text("Elm Street", asks, NOW, "https://streetshare.example/")
    assert text.startswith("Can anyone on Elm Street help?")
    assert "- Ask 0 (Bob, waiting 8 days, needed by 1 Dec)" in text
    assert "…and 2 more." in text and text.endswith("https://streetshare.example/")
    assert rules.unmet_asks_share_text("Elm Street", [], NOW, "x") == ""


def test_invite_share_text_has_the_link_and_the_code():
    text = rules.invite_share_text("Elm Street", "https://s.example/join/ABCD2345", "ABCD2345")
    assert "https://s.example/join/ABCD2345" in text and "ABCD2345" in text and "Elm Street" in text


def test_chart_is_an_accessible_scalable_svg():
    series = [charts.Series("Started", "#1f6f5c", [0, 3, 7]), charts.Series("Completed", "#c2581b", [0, 1, 2])]
    svg = str(charts.bar_chart("c1", "Exchanges <each> week", "Last 30 days: 10 started.", ["1 Nov", "8 Nov", "15 Nov"],
                               series))
    assert svg.startswith('<svg class="chart" id="c1" viewBox=')
    assert 'role="img"' in svg and 'aria-labelledby="c1-title c1-desc"' in svg
    assert "Exchanges &lt;each&gt; week" in svg  # escaped
    assert "style=" not in svg  # the CSP forbids inline styles
    assert svg.count("<rect") == 2 + 4  # legend swatches + non-zero bars
    assert ">10<" in svg  # the y axis tops out at a round number


def test_chart_of_nothing_still_draws_axes():
    svg = str(charts.bar_chart("c2", "t", "d", ["a"], [charts.Series("S", "#000", [0])]))
    assert "<line" in svg and svg.endswith("</svg>")


@pytest.mark.parametrize(("value", "top"), [(0, 1), (1, 1), (3, 5), (7, 10), (11, 20), (230, 500)])
def test_nice_axis_tops(value, top):
    assert charts.nice_max(value) == top


def test_qr_code_png_decodes_to_the_invite_link():
    url = "https://streetshare.example/join/K7MQ3XPT"
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(flyer.qr_png(url))))
    assert found.text == url


def test_qr_svg_is_a_scalable_image():
    svg = flyer.qr_svg("https://streetshare.example/join/K7MQ3XPT")
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ')
    assert flyer.qr_data_url("x").startswith("data:image/svg+xml;base64,")


def test_csv_rows_and_filename():
    text = export.to_csv([("offer", date(2026, 11, 1), "lend", "tools", "active", None)])
    assert text == "record,created_on,kind,category,state,finished_on\r\noffer,2026-11-01,lend,tools,active,\r\n"
    assert export.filename("Elm Street & Ash Grove", "2026-11-20") == "streetshare-elm-street-ash-grove-activity-2026-11-20.csv"
