"""Pure rules for accounts: what a valid email, display name and password are."""

from __future__ import annotations

import re
import unicodedata

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 200
EMAIL_MAX = 254
DISPLAY_NAME_MAX = 60


# Bidirectional overrides and isolates: they can make a name read as something else.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def has_control_characters(text: str) -> bool:
    """Control characters (NUL, newlines, escapes...) or bidi overrides: PostgreSQL cannot store NUL,
    newlines break email headers, and overrides disguise text."""
    return any(unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS for ch in text)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_error(email: str) -> str | None:
    email = normalise_email(email)
    if not email:
        return "Please enter your email address."
    if len(email) > EMAIL_MAX or not EMAIL_RE.match(email) or has_control_characters(email):
        return "That doesn't look like an email address (it should be like name@example.com)."
    return None


def display_name_error(name: str) -> str | None:
    name = name.strip()
    if not name:
        return "Please tell your neighbours what to call you."
    if len(name) > DISPLAY_NAME_MAX:
        return f"Please keep your name to {DISPLAY_NAME_MAX} characters or fewer."
    if has_control_characters(name):
        return "Please use just letters, numbers, spaces and punctuation in your name."
    if any(ch in name for ch in "<>@") or "://" in name:
        return "Please use just a name, without email addresses or links."
    return None


def password_error(password: str, *, email: str = "") -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"Please choose a password of at least {MIN_PASSWORD} characters."
    if len(password) > MAX_PASSWORD:
        return f"Please keep your password under {MAX_PASSWORD} characters."
    if email and password.strip().lower() == normalise_email(email):
        return "Please don't use your email address as your password."
    return None
