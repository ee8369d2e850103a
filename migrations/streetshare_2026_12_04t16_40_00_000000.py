"""match.fit: how well the offer meets the ask's need, apart from where, how fresh and who.

A match's `score` orders matches: it blends this fit with distance, freshness and the provider's
record. Whether a pair is shown at all also depends on the ask's best fit: an offer that fits much
less well than the best one for the same ask is not shown with it ("Drill bits" under a drill),
whatever its distance (matching.rules.RELATIVE_FIT). Rows made before have no fit: their score
stands in for it.
"""

from streetshare.migration_sql import sql_migration

ID = "2026-12-04T16:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "match.fit: how well the offer meets the need"

SQL = """
ALTER TABLE match ADD COLUMN fit double precision;
"""

BACKWARDS_SQL = """
ALTER TABLE match DROP COLUMN fit;
"""


async def forwards():
    return sql_migration(ID, DESCRIPTION, SQL, BACKWARDS_SQL)
