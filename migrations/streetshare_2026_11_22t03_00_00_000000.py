"""The street feed and search at city scale (issue 8): covering feed indexes, so choosing a page
reads indexes only; per-street full-text indexes, so a search costs what it finds in scope, not
what the city holds; and a partial index of suspended accounts, so checking an owner is cheap."""

from streetshare.migration_sql import sql_migration

ID = "2026-11-22T03:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "feed and search indexes for a whole city"

SQL = """
-- btree_gin lets one GIN index hold a street id beside the words (in PostgreSQL's contrib, as pg_trgm).
CREATE EXTENSION IF NOT EXISTS btree_gin;

-- The feed walks each street in scope newest first; with what the filters and the scope check need
-- in the index, the walk never visits the table (index-only), and only the ~20 chosen rows are read.
DROP INDEX offer_feed;
CREATE INDEX offer_feed ON offer (street, created_at DESC, id DESC)
    INCLUDE (owner, neighbours_may_see, kind, category, starts_at, ends_at)
    WHERE status = 'active' AND hidden_at IS NULL;
DROP INDEX ask_feed;
CREATE INDEX ask_feed ON ask (street, created_at DESC, id DESC)
    INCLUDE (owner, neighbours_may_see, help_kind, category, expires_at)
    WHERE status = 'open' AND hidden_at IS NULL;

-- A search finds one street's matching items straight from the words (street = X AND search @@ q).
CREATE INDEX offer_street_search ON offer USING gin (street, search) WHERE status = 'active' AND hidden_at IS NULL;
CREATE INDEX ask_street_search ON ask USING gin (street, search) WHERE status = 'open' AND hidden_at IS NULL;

-- Suspended accounts (is_active = false) are few: their items leave every feed by this small index.
CREATE INDEX resident_inactive ON resident (id) WHERE NOT is_active;
"""

DOWN_SQL = """
DROP INDEX resident_inactive;
DROP INDEX ask_street_search;
DROP INDEX offer_street_search;
DROP INDEX ask_feed;
CREATE INDEX ask_feed ON ask (street, created_at DESC, id DESC) WHERE status = 'open' AND hidden_at IS NULL;
DROP INDEX offer_feed;
CREATE INDEX offer_feed ON offer (street, created_at DESC, id DESC) WHERE status = 'active' AND hidden_at IS NULL;
"""


async def forwards():
    return sql_migration(ID, DESCRIPTION, SQL, DOWN_SQL)
