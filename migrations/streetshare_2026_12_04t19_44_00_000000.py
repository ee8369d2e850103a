"""Quiet hours: each resident's time of night when no street status prompt is emailed
(notifications/rules.py QuietHours). NULL means the default, 22:00 to 07:00 London time."""

from streetshare.migration_sql import sql_migration

ID = "2026-12-04T19:44:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "notification_settings.quiet_start and quiet_end: a resident's quiet hours"

SQL = """
ALTER TABLE notification_settings
    ADD COLUMN quiet_start time NULL,
    ADD COLUMN quiet_end time NULL,
    ADD CONSTRAINT notification_settings_quiet_both CHECK ((quiet_start IS NULL) = (quiet_end IS NULL));
"""

BACKWARDS_SQL = """
ALTER TABLE notification_settings DROP COLUMN quiet_start, DROP COLUMN quiet_end;
"""


async def forwards():
    return sql_migration(ID, DESCRIPTION, SQL, BACKWARDS_SQL)
