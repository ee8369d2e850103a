"""Accounts: residents, sign-in tokens, password resets, rate-limit windows."""

from streetshare.migration_sql import sql_migration

ID = "2026-11-22T00:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "accounts"

SQL = """
CREATE EXTENSION IF NOT EXISTS cube;
CREATE EXTENSION IF NOT EXISTS earthdistance;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE resident (
    id serial PRIMARY KEY,
    email varchar(254) NOT NULL UNIQUE CHECK (email = lower(email)),
    display_name varchar(60) NOT NULL,
    password_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz,
    is_active boolean NOT NULL DEFAULT true
);

CREATE TABLE auth_token (
    id serial PRIMARY KEY,
    resident integer NOT NULL REFERENCES resident(id) ON DELETE CASCADE,
    kind varchar(10) NOT NULL CHECK (kind IN ('session', 'api')),
    token_hash varchar(64) NOT NULL UNIQUE,
    label varchar(100) NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz
);
CREATE INDEX auth_token_resident ON auth_token (resident);

CREATE TABLE password_reset (
    id serial PRIMARY KEY,
    resident integer NOT NULL REFERENCES resident(id) ON DELETE CASCADE,
    token_hash varchar(64) NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
CREATE INDEX password_reset_resident ON password_reset (resident);

CREATE TABLE rate_limit_hit (
    id serial PRIMARY KEY,
    bucket varchar(200) NOT NULL,
    window_start timestamptz NOT NULL,
    hits integer NOT NULL DEFAULT 0,
    UNIQUE (bucket, window_start)
);
CREATE INDEX rate_limit_hit_window ON rate_limit_hit (window_start);
"""


async def forwards():
    return sql_migration(ID, DESCRIPTION, SQL, "DROP TABLE rate_limit_hit, password_reset, auth_token, resident;")
