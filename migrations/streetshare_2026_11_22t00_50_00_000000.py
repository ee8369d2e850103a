"""Matches: a suggested pairing of an ask with an offer, with its score and the reasons shown to people.

The pair is unique, so re-matching updates a row in place and keeps what people did with it
(dismissed by either side, when they were told about it).
"""

from streetshare.migration_sql import sql_migration

ID = "2026-11-22T00:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "matches between asks and offers"

SQL = """
CREATE TABLE match (
    id serial PRIMARY KEY,
    ask integer NOT NULL REFERENCES ask(id) ON DELETE CASCADE,
    offer integer NOT NULL REFERENCES offer(id) ON DELETE CASCADE,
    score double precision NOT NULL CHECK (score >= 0),
    -- [{"kind": "words" | "synonym" | "category" | "distance" | "record" | "kind", "text": "both mention ladder"}]
    reasons jsonb NOT NULL DEFAULT '[]'::jsonb,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    dismissed_by_asker_at timestamptz,
    dismissed_by_offerer_at timestamptz,
    notified_at timestamptz,
    UNIQUE (ask, offer)
);
-- "Neighbours who could help" reads (ask, ...) through the unique index; "Neighbours who need this" reads this one.
CREATE INDEX match_offer ON match (offer, score DESC);
"""


async def forwards():
    return sql_migration(ID, DESCRIPTION, SQL, "DROP TABLE match;")
