"""Form helpers: redirect-after-login only to our own paths; re-rendered forms keep only what they should."""

from __future__ import annotations

import pytest

from streetshare.web.forms import keep, safe_next


@pytest.mark.parametrize(
    "target",
    ["/", "/offers/3", "/offers?kind=lend&page=2", "/account#devices", "/streets/elm-street/join"],
)
def test_our_own_paths_are_kept(target):
    assert safe_next(target) == target


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",  # protocol-relative: another host
        "///evil.example",
        "https://evil.example",
        "http://evil.example/path",
        "HTTPS://evil.example",
        "/\\evil.example",  # browsers read a backslash as a slash
        "\\\\evil.example",
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "%2F%2Fevil.example",  # still encoded: not a path of ours
        "evil.example",
        "offers/3",  # relative: resolved against wherever the form was
        "/\t/evil.example",  # browsers drop tabs and newlines, leaving //evil.example
        "/\n/evil.example",
        "/\r\n/evil.example",
        " //evil.example",
    ],
)
def test_other_sites_and_tricks_fall_back_to_the_start_page(target):
    assert safe_next(target) == "/"


@pytest.mark.parametrize("target", [None, ""])
def test_no_target_gives_the_default(target):
    assert safe_next(target) == "/"
    assert safe_next(target, "") == ""


def test_a_refused_target_gives_the_callers_default():
    assert safe_next("//evil.example", "/account") == "/account"


def test_keep_returns_only_the_named_fields_so_passwords_are_never_put_back():
    data = {"email": "alice@example.org", "password": "correct horse battery", "display_name": "Alice"}

    assert keep(data, "email", "display_name") == {"email": "alice@example.org", "display_name": "Alice"}


def test_keep_gives_an_empty_value_for_a_field_that_was_not_sent():
    assert keep({}, "email") == {"email": ""}
