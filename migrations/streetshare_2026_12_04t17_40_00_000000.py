"""The street round-up: a daily digest of new offers and asks on the resident's street.

notification.details: the items a round-up lists ([{"type": "offer", "title": ..., "url": ...}]),
shown under it in the app and in the digest email. notification_settings.street_news_through:
the end of the last round-up window composed for the resident (even an empty one), so the
upkeep task looks at each subscriber once a day and a worker that was down catches up.
"""

from streetshare.migration_sql import sql_migration

ID = "2026-12-04T17:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "notification.details and notification_settings.street_news_through: the daily street round-up"

SQL = """
ALTER TABLE notification ADD COLUMN details jsonb NULL;
ALTER TABLE notification_settings ADD COLUMN street_news_through timestamptz NULL;
"""

BACKWARDS_SQL = """
ALTER TABLE notification_settings DROP COLUMN street_news_through;
ALTER TABLE notification DROP COLUMN details;
"""


async def forwards():
    return sql_migration(ID, DESCRIPTION, SQL, BACKWARDS_SQL)
