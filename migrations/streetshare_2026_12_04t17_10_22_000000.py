"""street.archived_at: a street nobody lives on any more is archived, not deleted.

A street's only member (often its founder and only coordinator) could not close their account:
"appoint a neighbour first", with no neighbour to appoint. Now the last member leaving (closing
their account, or moving away) archives the street: it keeps its history (offers, asks and
exchanges point at it), but it no longer shows in nearby lists, cannot be joined, and its name is
free for a new street there.
"""

from streetshare.migration_sql import sql_migration

ID = "2026-12-04T17:10:22:000000"
VERSION = "1.38.0"
DESCRIPTION = "street.archived_at: set when its last member leaves"

SQL = """
ALTER TABLE street ADD COLUMN archived_at timestamptz NULL;
"""

BACKWARDS_SQL = """
ALTER TABLE street DROP COLUMN archived_at;
"""


async def forwards():
    return sql_migration(ID, DESCRIPTION, SQL, BACKWARDS_SQL)
