"""Streets and places: streets with a centre and radius, residents' private home points,
coordinators, invites, blocks, and the geocoding cache."""

from streetshare.migration_sql import sql_migration

ID = "2026-11-22T00:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "streets and places"

SQL = """
CREATE TABLE street (
    id serial PRIMARY KEY,
    name varchar(80) NOT NULL,
    centre_lat double precision NOT NULL CHECK (centre_lat BETWEEN -90 AND 90),
    centre_lng double precision NOT NULL CHECK (centre_lng BETWEEN -180 AND 180),
    radius_m integer NOT NULL DEFAULT 800 CHECK (radius_m BETWEEN 200 AND 2000),
    created_by integer REFERENCES resident(id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
-- "Which streets are near this point": a GiST index on the centre as an earth point (KNN and earth_box).
CREATE INDEX street_centre_earth ON street USING gist (ll_to_earth(centre_lat, centre_lng));

-- A resident's home: private. Never selected by a query that renders for someone else.
ALTER TABLE resident
    ADD COLUMN home_lat double precision CHECK (home_lat BETWEEN -90 AND 90),
    ADD COLUMN home_lng double precision CHECK (home_lng BETWEEN -180 AND 180),
    ADD COLUMN home_address varchar(200),
    ADD COLUMN street integer REFERENCES street(id) ON DELETE SET NULL,
    ADD COLUMN street_joined_at timestamptz,
    ADD COLUMN looks_at varchar(10) NOT NULL DEFAULT 'nearby' CHECK (looks_at IN ('street', 'nearby'));
CREATE INDEX resident_street ON resident (street, street_joined_at);

CREATE TABLE street_coordinator (
    id serial PRIMARY KEY,
    street integer NOT NULL REFERENCES street(id) ON DELETE CASCADE,
    resident integer NOT NULL REFERENCES resident(id) ON DELETE CASCADE,
    appointed_by integer REFERENCES resident(id) ON DELETE SET NULL,
    appointed_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (street, resident)
);
CREATE INDEX street_coordinator_resident ON street_coordinator (resident);

CREATE TABLE street_invite (
    id serial PRIMARY KEY,
    street integer NOT NULL REFERENCES street(id) ON DELETE CASCADE,
    code varchar(16) NOT NULL UNIQUE,
    created_by integer REFERENCES resident(id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    max_uses integer CHECK (max_uses IS NULL OR max_uses > 0),
    uses integer NOT NULL DEFAULT 0,
    revoked_at timestamptz
);
CREATE INDEX street_invite_street ON street_invite (street);

-- Either side of a block never sees the other's items (feeds are written with this in mind).
CREATE TABLE resident_block (
    id serial PRIMARY KEY,
    blocker integer NOT NULL REFERENCES resident(id) ON DELETE CASCADE,
    blocked integer NOT NULL REFERENCES resident(id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (blocker, blocked),
    CHECK (blocker <> blocked)
);
CREATE INDEX resident_block_blocked ON resident_block (blocked);

CREATE TABLE geocode_cache (
    id serial PRIMARY KEY,
    query_key varchar(300) NOT NULL UNIQUE,
    results jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
"""


async def forwards():
    return sql_migration(
        ID,
        DESCRIPTION,
        SQL,
        """
        DROP TABLE geocode_cache, resident_block, street_invite, street_coordinator;
        ALTER TABLE resident DROP COLUMN home_lat, DROP COLUMN home_lng, DROP COLUMN home_address,
            DROP COLUMN street, DROP COLUMN street_joined_at, DROP COLUMN looks_at;
        DROP TABLE street;
        """,
    )
