"""Offers, asks and their photos, with the indexes the street feed and search run on."""

from streetshare.migration_sql import sql_migration

ID = "2026-11-22T00:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "offers and asks"

CATEGORIES = (
    "tools", "garden", "kitchen", "children", "books_media", "sport_outdoors",
    "diy_help", "lifts_errands", "tech_help", "home", "clothes", "pets", "other",
)
_CATEGORY_CHECK = ", ".join(f"'{c}'" for c in CATEGORIES)

SQL = f"""
CREATE TABLE offer (
    id serial PRIMARY KEY,
    owner integer NOT NULL REFERENCES resident(id) ON DELETE CASCADE,
    street integer NOT NULL REFERENCES street(id),
    kind varchar(10) NOT NULL CHECK (kind IN ('lend', 'give', 'skill', 'time')),
    title varchar(100) NOT NULL CHECK (length(btrim(title)) > 0),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    category varchar(20) NOT NULL CHECK (category IN ({_CATEGORY_CHECK})),
    status varchar(10) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'gone', 'withdrawn')),
    neighbours_may_see boolean NOT NULL DEFAULT true,
    loan_days integer CHECK (loan_days IS NULL OR loan_days BETWEEN 1 AND 90),
    slots integer CHECK (slots IS NULL OR slots BETWEEN 1 AND 50),
    starts_at timestamptz,
    ends_at timestamptz,
    hidden_at timestamptz,
    hidden_reason varchar(300),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(description, '')), 'B')
    ) STORED,
    CHECK (kind = 'time' OR slots IS NULL),
    CHECK (ends_at IS NULL OR starts_at IS NULL OR ends_at >= starts_at)
);
-- The feed: a street's visible offers, newest first (keyset on created_at, id).
CREATE INDEX offer_feed ON offer (street, created_at DESC, id DESC) WHERE status = 'active' AND hidden_at IS NULL;
CREATE INDEX offer_owner ON offer (owner, created_at DESC);
CREATE INDEX offer_search ON offer USING gin (search);
CREATE INDEX offer_title_trgm ON offer USING gin (title gin_trgm_ops);

CREATE TABLE ask (
    id serial PRIMARY KEY,
    owner integer NOT NULL REFERENCES resident(id) ON DELETE CASCADE,
    street integer NOT NULL REFERENCES street(id),
    title varchar(100) NOT NULL CHECK (length(btrim(title)) > 0),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    category varchar(20) NOT NULL CHECK (category IN ({_CATEGORY_CHECK})),
    help_kind varchar(10) NOT NULL CHECK (help_kind IN ('borrow', 'receive', 'skill', 'time')),
    needed_by date,
    expires_at timestamptz NOT NULL,
    status varchar(10) NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'fulfilled', 'withdrawn', 'expired')),
    neighbours_may_see boolean NOT NULL DEFAULT true,
    reminded_at timestamptz,
    hidden_at timestamptz,
    hidden_reason varchar(300),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(description, '')), 'B')
    ) STORED
);
CREATE INDEX ask_feed ON ask (street, created_at DESC, id DESC) WHERE status = 'open' AND hidden_at IS NULL;
CREATE INDEX ask_owner ON ask (owner, created_at DESC);
CREATE INDEX ask_expiry ON ask (expires_at) WHERE status = 'open';
CREATE INDEX ask_search ON ask USING gin (search);
CREATE INDEX ask_title_trgm ON ask USING gin (title gin_trgm_ops);

-- Photos are stored by content hash (re-encoded, metadata stripped); a row ties one to an offer or ask.
CREATE TABLE photo (
    id serial PRIMARY KEY,
    owner integer NOT NULL REFERENCES resident(id) ON DELETE CASCADE,
    offer integer REFERENCES offer(id) ON DELETE CASCADE,
    ask integer REFERENCES ask(id) ON DELETE CASCADE,
    position smallint NOT NULL DEFAULT 0 CHECK (position BETWEEN 0 AND 3),
    sha256 varchar(64) NOT NULL,
    width integer NOT NULL,
    height integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((offer IS NULL) <> (ask IS NULL))
);
CREATE UNIQUE INDEX photo_offer_position ON photo (offer, position) WHERE offer IS NOT NULL;
CREATE UNIQUE INDEX photo_ask_position ON photo (ask, position) WHERE ask IS NOT NULL;
CREATE INDEX photo_sha ON photo (sha256);
"""


async def forwards():
    return sql_migration(ID, DESCRIPTION, SQL, "DROP TABLE photo, ask, offer;")
