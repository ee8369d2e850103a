"""Every table of every domain, for the Piccolo app and the schema-drift test."""

from __future__ import annotations

from piccolo.table import Table


def all_tables() -> list[type[Table]]:
    from streetshare.accounts.tables import AuthToken, PasswordReset, RateLimitHit, Resident

    return [Resident, AuthToken, PasswordReset, RateLimitHit]
