"""Near spellings at city scale: the words of every title, for "did you mean".

A search whose words match nothing in scope is taken for a typo ("laddder"). Testing every title
in scope for a near spelling (title %> q) cost ~90 ms at a million offers, and grew with the city.
Now the near spellings are looked up in the titles' vocabulary (a few thousand words in a city,
trigram-indexed), and the search runs again with those words through the per-street word index,
like any search. Written by triggers whatever inserts or retitles an offer or ask, never removed
(a word with nothing live behind it finds nothing).

The (street, search) GIN indexes of 03:00 go: both searches now use street_words (03:20).
"""

from streetshare.migration_sql import sql_migration

ID = "2026-11-22T03:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "title vocabulary for near spellings"

SQL = """
CREATE TABLE search_word (
    word text PRIMARY KEY
);
CREATE INDEX search_word_trgm ON search_word USING gin (word gin_trgm_ops);

-- The words of a title worth correcting towards: letters only, lower case, 3 to 30 long.
CREATE FUNCTION title_words(title text) RETURNS SETOF text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT DISTINCT w FROM regexp_split_to_table(lower(title), '[^[:alpha:]]+') AS w WHERE length(w) BETWEEN 3 AND 30
$$;

CREATE FUNCTION search_word_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_word (word)
    SELECT DISTINCT w FROM new_rows, title_words(new_rows.title) AS w
    ON CONFLICT (word) DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER offer_search_words AFTER INSERT ON offer
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_word_on_insert();
CREATE TRIGGER ask_search_words AFTER INSERT ON ask
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_word_on_insert();

CREATE FUNCTION search_word_on_retitle() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_word (word) SELECT w FROM title_words(NEW.title) AS w ON CONFLICT (word) DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER offer_search_words_on_retitle AFTER UPDATE OF title ON offer
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title) EXECUTE FUNCTION search_word_on_retitle();
CREATE TRIGGER ask_search_words_on_retitle AFTER UPDATE OF title ON ask
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title) EXECUTE FUNCTION search_word_on_retitle();

-- Every title's words again (after a bulk load that skipped triggers, such as the benchmark's).
CREATE FUNCTION search_word_rebuild() RETURNS void LANGUAGE sql AS $$
    INSERT INTO search_word (word)
    SELECT w FROM offer, title_words(offer.title) AS w
    UNION
    SELECT w FROM ask, title_words(ask.title) AS w
    ON CONFLICT (word) DO NOTHING;
$$;
SELECT search_word_rebuild();

DROP INDEX offer_street_search;
DROP INDEX ask_street_search;
"""

BACKWARDS_SQL = """
CREATE INDEX offer_street_search ON offer USING gin (street, search) WHERE status = 'active' AND hidden_at IS NULL;
CREATE INDEX ask_street_search ON ask USING gin (street, search) WHERE status = 'open' AND hidden_at IS NULL;
DROP FUNCTION search_word_rebuild();
DROP TRIGGER ask_search_words_on_retitle ON ask;
DROP TRIGGER offer_search_words_on_retitle ON offer;
DROP FUNCTION search_word_on_retitle();
DROP TRIGGER ask_search_words ON ask;
DROP TRIGGER offer_search_words ON offer;
DROP FUNCTION search_word_on_insert();
DROP FUNCTION title_words(text);
DROP TABLE search_word;
"""


async def forwards():
    return sql_migration(ID, DESCRIPTION, SQL, BACKWARDS_SQL)
