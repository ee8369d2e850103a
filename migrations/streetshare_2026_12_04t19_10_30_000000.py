"""status_incident.opened_by: who opened the incident, so the prompts it sends ("Power off on
Elm Street? Is yours off too?") never go to the resident who raised it, even after they take
their answer back. Kept when they close their account only as long as the row lives (SET NULL).
"""

from streetshare.migration_sql import sql_migration

ID = "2026-12-04T19:10:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "status_incident.opened_by: the resident whose answer opened it"

SQL = """
ALTER TABLE status_incident ADD COLUMN opened_by integer NULL REFERENCES resident (id) ON DELETE SET NULL;
"""

BACKWARDS_SQL = """
ALTER TABLE status_incident DROP COLUMN opened_by;
"""


async def forwards():
    return sql_migration(ID, DESCRIPTION, SQL, BACKWARDS_SQL)
