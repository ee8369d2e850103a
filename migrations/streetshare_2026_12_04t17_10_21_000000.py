"""Failed password checks, one row each, for the sign-in throttle (accounts/throttle.py).

The fixed-window counter (rate_limit_hit) counted every sign-in, right or wrong, per email, and
blocked the email for 15 minutes from every address after ten: anyone could lock a resident out.
The throttle instead reads each account's and each client's recent failures (successes are never
kept), so that it can slow guessing down per account with growing delays, and let the owner's own
devices through.
"""

from streetshare.migration_sql import sql_migration

ID = "2026-12-04T17:10:21:000000"
VERSION = "1.38.0"
DESCRIPTION = "sign_in_failure: one row per wrong password, for the sign-in throttle"

SQL = """
CREATE TABLE sign_in_failure (
    id serial PRIMARY KEY,
    account varchar(120) NOT NULL,
    client varchar(200) NOT NULL,
    device boolean NOT NULL DEFAULT false,
    at timestamptz NOT NULL
);
CREATE INDEX sign_in_failure_account ON sign_in_failure (account, at);
CREATE INDEX sign_in_failure_client ON sign_in_failure (client, at);
"""

BACKWARDS_SQL = """
DROP TABLE sign_in_failure;
"""


async def forwards():
    return sql_migration(ID, DESCRIPTION, SQL, BACKWARDS_SQL)
