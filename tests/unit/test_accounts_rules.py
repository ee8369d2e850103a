"""What a valid email, display name and password are (pure rules, no database)."""

from __future__ import annotations

import pytest

from streetshare.accounts.rules import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    display_name_error,
    email_error,
    normalise_email,
    password_error,
)

# ---------------------------------------------------------------- email


@pytest.mark.parametrize("email", ["alice@example.org", "Alice.Smith+street@Example.CO.UK", "  bob@example.org  "])
def test_ordinary_email_addresses_are_accepted(email):
    assert email_error(email) is None


def test_emails_are_compared_lower_cased_and_trimmed():
    assert normalise_email("  Alice@Example.ORG ") == "alice@example.org"


@pytest.mark.parametrize("email", ["", "   "])
def test_missing_email_asks_for_one(email):
    assert email_error(email) == "Please enter your email address."


@pytest.mark.parametrize(
    "email",
    ["alice", "alice@", "@example.org", "alice@example", "alice@example.o", "alice @example.org",
     "alice@exa mple.org", "alice@@example.org", "a@b@example.org"],
)
def test_malformed_email_is_refused_with_an_example_of_the_right_shape(email):
    assert "name@example.com" in (email_error(email) or "")


def test_email_longer_than_the_standard_allows_is_refused():
    assert email_error("a" * 60 + "@" + "b" * 190 + ".org") is not None


def test_local_part_longer_than_64_characters_is_refused():
    assert email_error("a" * 65 + "@example.org") is not None


# ---------------------------------------------------------------- display name


@pytest.mark.parametrize("name", ["Alice", "Mrs O'Brien", "Zoë", "Jean-Luc 2", "a" * 60])
def test_ordinary_names_are_accepted(name):
    assert display_name_error(name) is None


@pytest.mark.parametrize("name", ["", "   ", "\t"])
def test_missing_name_asks_what_neighbours_should_call_you(name):
    assert display_name_error(name) == "Please tell your neighbours what to call you."


def test_name_longer_than_60_characters_is_refused():
    assert "60" in (display_name_error("a" * 61) or "")


@pytest.mark.parametrize("name", ["alice@example.org", "<b>Alice</b>", "https://spam.example", "Alice <script>"])
def test_names_that_carry_emails_links_or_markup_are_refused(name):
    assert display_name_error(name) is not None


# ---------------------------------------------------------------- password


def test_password_of_the_minimum_length_is_accepted():
    assert password_error("x" * MIN_PASSWORD, email="alice@example.org") is None


def test_short_password_is_refused_saying_how_long_it_must_be():
    message = password_error("x" * (MIN_PASSWORD - 1))
    assert message is not None and str(MIN_PASSWORD) in message


def test_empty_password_is_refused():
    assert password_error("") is not None


def test_overly_long_password_is_refused():
    assert password_error("x" * (MAX_PASSWORD + 1)) is not None


@pytest.mark.parametrize("password", ["alice@example.org", "Alice@Example.org", " alice@example.org "])
def test_password_equal_to_the_email_is_refused_whatever_its_case(password):
    assert password_error(password, email="Alice@example.org") == "Please don't use your email address as your password."


def test_password_that_merely_contains_the_email_is_accepted():
    assert password_error("alice@example.org and more", email="alice@example.org") is None


@pytest.mark.parametrize("email", ["a\x00b@example.org", "alice@exam\x00ple.org", "al\x07ice@example.org",
                                   "alice@example.org\x00"])
def test_email_with_control_characters_is_refused(email):
    assert email_error(email) is not None


@pytest.mark.parametrize("name", ["Ali\x00ce", "Alice\nBob", "Alice\tSmith", "Alice\x1b[31m", "Al\u202eice",
                                  "\u2066Alice\u2069"])
def test_names_with_control_or_direction_override_characters_are_refused(name):
    """They cannot be stored (NUL), break email headers (newlines), or disguise a name (bidi overrides)."""
    assert display_name_error(name) == "Please use just letters, numbers, spaces and punctuation in your name."


@pytest.mark.parametrize("name", ["Zoë 🌻", "👩‍👩‍👧 The Patels", "محمد", "李雷"])
def test_names_in_any_script_and_with_emoji_are_accepted(name):
    assert display_name_error(name) is None
