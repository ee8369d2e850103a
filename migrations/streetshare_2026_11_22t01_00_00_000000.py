"""Street coordinators: reports and the moderation log, verified neighbours, residents' opt-ins
("check on me", "show me among the top sharers"), and the indexes the coordinator's dashboard runs on."""

from streetshare.migration_sql import sql_migration

ID = "2026-11-22T01:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "coordinators and moderation"

SQL = """
-- A resident's opt-ins that their street's coordinators see (both off by default).
CREATE TABLE care_preference (
    id serial PRIMARY KEY,
    resident integer NOT NULL UNIQUE REFERENCES resident(id) ON DELETE CASCADE,
    check_on_me boolean NOT NULL DEFAULT false,
    check_after_days integer NOT NULL DEFAULT 7 CHECK (check_after_days BETWEEN 2 AND 60),
    show_as_sharer boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- "Met in person": a coordinator vouches that this resident lives on the street (a badge).
CREATE TABLE verified_neighbour (
    id serial PRIMARY KEY,
    street integer NOT NULL REFERENCES street(id) ON DELETE CASCADE,
    resident integer NOT NULL REFERENCES resident(id) ON DELETE CASCADE,
    verified_by integer REFERENCES resident(id) ON DELETE SET NULL,
    verified_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (street, resident)
);
CREATE INDEX verified_neighbour_resident ON verified_neighbour (resident);

-- A resident's report about an offer, ask, thanks note or resident (or a party's report of a problem
-- with an exchange), for that street's coordinators.
CREATE TABLE report (
    id serial PRIMARY KEY,
    reporter integer REFERENCES resident(id) ON DELETE SET NULL,
    street integer NOT NULL REFERENCES street(id) ON DELETE CASCADE,
    target_kind varchar(10) NOT NULL CHECK (target_kind IN ('offer', 'ask', 'thanks', 'resident', 'exchange')),
    target_id integer NOT NULL,
    reason text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 1000),
    status varchar(10) NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acted_on', 'dismissed')),
    handled_by integer REFERENCES resident(id) ON DELETE SET NULL,
    handled_at timestamptz,
    note varchar(500) NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'open') = (handled_at IS NULL))
);
CREATE INDEX report_queue ON report (street, status, created_at DESC, id DESC);
CREATE INDEX report_target ON report (target_kind, target_id);
-- One open report per reporter and target: reporting twice is not a louder report.
CREATE UNIQUE INDEX report_one_open ON report (reporter, target_kind, target_id) WHERE status = 'open';

-- Every moderation action, append-only, for the street's coordinators.
CREATE TABLE moderation_log (
    id serial PRIMARY KEY,
    street integer NOT NULL REFERENCES street(id) ON DELETE CASCADE,
    actor integer REFERENCES resident(id) ON DELETE SET NULL,
    action varchar(20) NOT NULL CHECK (action IN (
        'hide', 'show_again', 'remove_resident', 'appoint', 'step_down', 'met_in_person',
        'unmark_met', 'dismiss_report', 'act_on_report', 'create_invite', 'revoke_invite'
    )),
    target_kind varchar(10) NOT NULL CHECK (target_kind IN ('offer', 'ask', 'thanks', 'resident', 'exchange', 'report', 'invite')),
    target_id integer NOT NULL,
    reason varchar(500) NOT NULL DEFAULT '',
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX moderation_log_street ON moderation_log (street, at DESC, id DESC);

-- The dashboard counts a street's offers and asks by creation date (the feed indexes are partial).
CREATE INDEX offer_street_created ON offer (street, created_at);
CREATE INDEX ask_street_created ON ask (street, created_at);
"""


async def forwards():
    return sql_migration(
        ID,
        DESCRIPTION,
        SQL,
        """
        DROP INDEX ask_street_created, offer_street_created;
        DROP TABLE moderation_log, report, verified_neighbour, care_preference;
        """,
    )
