"""Each street's neighbouring streets, kept in a table instead of found by distance on every page.

Every feed, search and detail page asks "which streets does this resident see?"; with the streets
within a mile worked out from the centres each time, that was a geometric search per request (0.4 ms
of PostgreSQL per feed page in the benchmark, a quarter of the page's database time). Street centres
never move and streets are created rarely, so the pairs are stored when a street is created (a
trigger, whatever inserts the street) and read back from an index.

The distance, 1600 m, is places.rules.NEIGHBOUR_DISTANCE_M (tests/integration/test_places_queries.py
checks that the table and the geometric search agree).
"""

from streetshare.migration_sql import sql_migration

ID = "2026-11-22T03:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "stored neighbouring streets"

SQL = """
CREATE TABLE street_neighbour (
    id serial PRIMARY KEY,
    street integer NOT NULL REFERENCES street(id) ON DELETE CASCADE,
    neighbour integer NOT NULL REFERENCES street(id) ON DELETE CASCADE,
    distance_m double precision NOT NULL,
    UNIQUE (street, neighbour)
);
-- A street's neighbours, nearest first, from the index alone.
CREATE INDEX street_neighbour_nearest ON street_neighbour (street, distance_m, neighbour);
CREATE INDEX street_neighbour_neighbour ON street_neighbour (neighbour);

-- The pairs (both ways) between the given streets and every street within 1600 m of them.
CREATE FUNCTION street_neighbour_link(street_ids integer[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO street_neighbour (street, neighbour, distance_m)
    SELECT pair.street, pair.neighbour, pair.distance_m
    FROM (
        SELECT s.id AS a, n.id AS b,
               earth_distance(ll_to_earth(s.centre_lat, s.centre_lng), ll_to_earth(n.centre_lat, n.centre_lng)) AS d
        FROM street s
        JOIN street n ON earth_box(ll_to_earth(s.centre_lat, s.centre_lng), 1600) @> ll_to_earth(n.centre_lat, n.centre_lng)
        WHERE s.id = ANY(street_ids) AND n.id <> s.id
    ) near
    CROSS JOIN LATERAL (VALUES (near.a, near.b, near.d), (near.b, near.a, near.d)) AS pair(street, neighbour, distance_m)
    WHERE near.d <= 1600
    ON CONFLICT (street, neighbour) DO NOTHING;
$$;

-- All pairs again (after a bulk load that skipped triggers, such as the benchmark's generator).
CREATE FUNCTION street_neighbour_rebuild() RETURNS void LANGUAGE sql AS $$
    DELETE FROM street_neighbour;
    SELECT street_neighbour_link(ARRAY(SELECT id FROM street));
$$;

-- One link per statement, however many streets it inserts or moves (transition tables).
CREATE FUNCTION street_neighbour_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM street_neighbour_link(ARRAY(SELECT id FROM new_streets));
    RETURN NULL;
END
$$;
CREATE TRIGGER street_neighbour_on_insert AFTER INSERT ON street
    REFERENCING NEW TABLE AS new_streets FOR EACH STATEMENT EXECUTE FUNCTION street_neighbour_on_insert();

CREATE FUNCTION street_neighbour_on_move() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    moved integer[] := ARRAY(
        SELECT n.id FROM new_streets n JOIN old_streets o ON o.id = n.id
        WHERE (o.centre_lat, o.centre_lng) IS DISTINCT FROM (n.centre_lat, n.centre_lng));
BEGIN
    IF cardinality(moved) > 0 THEN
        DELETE FROM street_neighbour WHERE street = ANY(moved) OR neighbour = ANY(moved);
        PERFORM street_neighbour_link(moved);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER street_neighbour_on_move AFTER UPDATE ON street
    REFERENCING OLD TABLE AS old_streets NEW TABLE AS new_streets FOR EACH STATEMENT
    EXECUTE FUNCTION street_neighbour_on_move();

SELECT street_neighbour_rebuild();
"""

BACKWARDS_SQL = """
DROP TRIGGER street_neighbour_on_move ON street;
DROP TRIGGER street_neighbour_on_insert ON street;
DROP FUNCTION street_neighbour_on_move();
DROP FUNCTION street_neighbour_on_insert();
DROP FUNCTION street_neighbour_rebuild();
DROP FUNCTION street_neighbour_link(integer[]);
DROP TABLE street_neighbour;
"""


async def forwards():
    return sql_migration(ID, DESCRIPTION, SQL, BACKWARDS_SQL)
