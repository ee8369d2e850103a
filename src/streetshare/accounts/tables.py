"""Accounts: residents, their sign-in tokens, password resets, rate-limit counters and failed sign-ins."""

from piccolo.columns import Boolean, DoublePrecision, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table


class Resident(Table, tablename="resident"):
    # Stored lower-cased: addresses are case-insensitive and unique.
    email = Varchar(length=254, unique=True)
    display_name = Varchar(length=60)
    password_hash = Text()
    created_at = Timestamptz()
    last_seen_at = Timestamptz(null=True, default=None)
    is_active = Boolean(default=True)
    # Private: the exact home point and address never leave the server (see places/).
    home_lat = DoublePrecision(null=True, default=None)
    home_lng = DoublePrecision(null=True, default=None)
    home_address = Varchar(length=200, null=True, default=None)
    # The home street (a plain id: streets live in places/, which depends on accounts).
    street = Integer(null=True, default=None)
    street_joined_at = Timestamptz(null=True, default=None)
    # "street": my street only; "nearby": my street and neighbouring streets.
    looks_at = Varchar(length=10, default="nearby")


class AuthToken(Table, tablename="auth_token"):
    """A web session (kind "session") or an API bearer token (kind "api"). Only the hash is stored."""

    resident = ForeignKey(references=Resident, on_delete=OnDelete.cascade, index=True, null=False)
    kind = Varchar(length=10)
    token_hash = Varchar(length=64, unique=True)
    label = Varchar(length=100, default="")
    created_at = Timestamptz()
    last_used_at = Timestamptz()
    expires_at = Timestamptz(null=True, default=None)


class PasswordReset(Table, tablename="password_reset"):
    resident = ForeignKey(references=Resident, on_delete=OnDelete.cascade, index=True, null=False)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class RateLimitHit(Table, tablename="rate_limit_hit"):
    """Fixed-window counters shared by every app process (unique on bucket + window_start)."""

    bucket = Varchar(length=200)
    window_start = Timestamptz()
    hits = Integer(default=0)


class SignInFailure(Table, tablename="sign_in_failure"):
    """One wrong password (sign-in, API token, closing the account), read by accounts/throttle.py.
    `account` is the email tried (whether or not it has an account), `client` the address or the
    trusted device it came from (`device`); successes are never kept."""

    account = Varchar(length=120)
    client = Varchar(length=200)
    device = Boolean(default=False)
    at = Timestamptz()
