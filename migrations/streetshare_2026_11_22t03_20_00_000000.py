"""Matching at city scale (issue 6): find a street's offers (asks) that have one of a set of words
through one index entry per (street, word), so matching costs what the streets in scope hold.

The GIN indexes on (street, search) of 03:00 keep one posting list per word for the whole city: a
scan for one street's "ladder" offers still walks (and decodes) every "ladder" offer of the city,
once per street in scope, so it grows with the city. Here each key is a street id and a word
('1045 ladder'), and its posting list holds only that street's items. matching/queries.py asks for
the keys of the streets in scope and the lexemes of the other side's words; the full-text test
(search @@ query) still decides, on the few rows found.

The keys are compared byte by byte (COLLATE "C"): only equality matters, and with the database's
collation each comparison is a strcoll call, which made a lookup some twenty times slower.

fastupdate is off: a GIN index's pending list (new rows not yet merged, up to 4 MB between vacuums)
is read in full by every scan, and matching scans the index once per street in scope, so 150 new
asks made each scan six times slower. A new item then writes its keys into the index at once."""

from streetshare.migration_sql import sql_migration

ID = "2026-11-22T03:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "per-street word indexes for matching"

SQL = """
-- The lexemes of a search vector, each prefixed by the street id and a space: '1045 ladder'.
-- Only pg_catalog functions, so it is IMMUTABLE and safe under maintenance's restricted search_path.
CREATE FUNCTION street_words(street integer, search tsvector) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT array_agg(street::text || ' ' || lexeme) FROM unnest(tsvector_to_array(search)) AS lexeme $$;

-- A query uses the index when it writes the same expression: street_words(street, search) COLLATE "C".
CREATE INDEX offer_street_words ON offer USING gin ((street_words(street, search) COLLATE "C"))
    WITH (fastupdate = off) WHERE status = 'active' AND hidden_at IS NULL;
CREATE INDEX ask_street_words ON ask USING gin ((street_words(street, search) COLLATE "C"))
    WITH (fastupdate = off) WHERE status = 'open' AND hidden_at IS NULL;
"""

DOWN_SQL = """
DROP INDEX ask_street_words;
DROP INDEX offer_street_words;
DROP FUNCTION street_words(integer, tsvector);
"""


async def forwards():
    return sql_migration(ID, DESCRIPTION, SQL, DOWN_SQL)
