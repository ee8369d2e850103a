"""The street round-up's subscribers, found by an index: upkeep looks for who is due a round-up
every minute, and only the residents who opted in (and are not done for the day) are read."""

from streetshare.migration_sql import sql_migration

ID = "2026-12-04T17:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "notification_settings_street_news: a partial index of the street round-up's subscribers"

SQL = """
CREATE INDEX notification_settings_street_news ON notification_settings (street_news_through)
    WHERE choices ->> 'street_news' = 'daily';
"""

BACKWARDS_SQL = """
DROP INDEX notification_settings_street_news;
"""


async def forwards():
    return sql_migration(ID, DESCRIPTION, SQL, BACKWARDS_SQL)
