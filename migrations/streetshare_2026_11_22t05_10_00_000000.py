"""A street's feed change number goes up once per transaction, however many of its rows it writes.

05:00 raised it once per row written. A transaction that wrote thousands of a street's rows (a
bulk import, a resident with many offers moving street, the reputation speed test's 3,000 offers
in one INSERT) then updated the same feed_version row thousands of times, and each update of a
row already updated in the same transaction costs more than the last: that test's set-up took
134 s. One raise is enough (any change of the number tells the feed cache its pages are old), so
a row this transaction already raised (its xmin is this transaction) is left alone. A raise made
inside a savepoint has the savepoint's own xid and may be raised once more: that is harmless.
"""

from streetshare.migration_sql import sql_migration

ID = "2026-11-22T05:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "feed_version: one raise per street per transaction"

SQL = """
CREATE OR REPLACE FUNCTION feed_bump(streets integer[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO feed_version AS v (street, version)
    SELECT s, feed_version_start() FROM unnest(streets) AS s WHERE s IS NOT NULL GROUP BY s ORDER BY s
    ON CONFLICT (street) DO UPDATE SET version = v.version + 1
    WHERE v.xmin <> pg_current_xact_id()::xid;
$$;
"""

BACKWARDS_SQL = """
CREATE OR REPLACE FUNCTION feed_bump(streets integer[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO feed_version AS v (street, version)
    SELECT s, feed_version_start() FROM unnest(streets) AS s WHERE s IS NOT NULL GROUP BY s ORDER BY s
    ON CONFLICT (street) DO UPDATE SET version = v.version + 1;
$$;
"""


async def forwards():
    return sql_migration(ID, DESCRIPTION, SQL, BACKWARDS_SQL)
