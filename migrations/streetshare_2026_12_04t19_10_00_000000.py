"""Street status ("is it just me?"): incidents and residents' answers (streetshare/status/).

status_incident is one spell of "off" on a street for one topic, from the first affected answer
to "it's back" (or a per-topic timeout). At most one is open per street and topic: the partial
unique index is what makes two first reports at the same moment open one incident (the service
inserts ON CONFLICT DO NOTHING on it, then reads the winner). status_report holds one answer
per resident per incident, which a new answer replaces. Both go with their street, incident or
resident.
"""

from streetshare.migration_sql import sql_migration

ID = "2026-12-04T19:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "status_incident and status_report: a street's live status, counted in homes"

SQL = """
CREATE TABLE status_incident (
    id serial PRIMARY KEY,
    street integer NOT NULL REFERENCES street (id) ON DELETE CASCADE,
    topic varchar(20) NOT NULL,
    started_at timestamptz NOT NULL,
    ended_at timestamptz NULL,
    ended_reason varchar(10) NULL CHECK (ended_reason IN ('back', 'timeout')),
    homes integer NOT NULL DEFAULT 0,
    last_report_at timestamptz NOT NULL,
    CHECK ((ended_at IS NULL) = (ended_reason IS NULL))
);
CREATE UNIQUE INDEX status_incident_one_open ON status_incident (street, topic) WHERE ended_at IS NULL;
CREATE INDEX status_incident_street ON status_incident (street, started_at DESC);

CREATE TABLE status_report (
    id serial PRIMARY KEY,
    incident integer NOT NULL REFERENCES status_incident (id) ON DELETE CASCADE,
    resident integer NOT NULL REFERENCES resident (id) ON DELETE CASCADE,
    affected boolean NOT NULL,
    ever_affected boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    UNIQUE (incident, resident)
);
CREATE INDEX status_report_resident ON status_report (resident);
"""

BACKWARDS_SQL = """
DROP TABLE status_report;
DROP TABLE status_incident;
"""


async def forwards():
    return sql_migration(ID, DESCRIPTION, SQL, BACKWARDS_SQL)
