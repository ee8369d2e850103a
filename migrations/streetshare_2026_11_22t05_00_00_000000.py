"""A version number per street for what its feed shows, so a page already worked out can be reused.

The feed's page query merges two index walks per street in scope (about 0.8 ms of PostgreSQL at
20 streets) and gave every viewer of the same streets the same rows. feed/cache.py now keeps the
newest rows of a scope in the app, and checks them against these numbers: a street's number goes
up whenever anything its feed cards show changes, whatever wrote it:
- an offer or ask on the street is inserted, changed, moved (both streets) or deleted;
- one of their photos is added, reordered or removed;
- their owner is renamed, suspended or reinstated, or moves home (the distance shown);
- the street is renamed.
Blocks, the viewer's own home and the passing of time (an ask that expires) are applied per
viewer on every request, so they need no number.

The numbers are bumped by deferred constraint triggers, at commit: the row lock on a street's
number is the last lock a transaction takes and is held only while it commits, so it cannot
close a deadlock with the row locks an exchange or an edit takes first (an immediate trigger
would hold it from the first write to the commit). Within one row the lower street comes first.
A number starts at a random multiple of 2^32, so after tables are emptied or a backup is
restored, new numbers do not repeat old ones a running app may have seen.
"""

from streetshare.migration_sql import sql_migration

ID = "2026-11-22T05:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "feed_version: a change number per street for the feed cache"

SQL = """
CREATE TABLE feed_version (
    street integer PRIMARY KEY,
    version bigint NOT NULL
);

CREATE FUNCTION feed_version_start() RETURNS bigint LANGUAGE sql VOLATILE AS $$
    SELECT (floor(random() * 1073741824)::bigint << 32) + 1
$$;

CREATE FUNCTION feed_bump(streets integer[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO feed_version AS v (street, version)
    SELECT s, feed_version_start() FROM unnest(streets) AS s WHERE s IS NOT NULL GROUP BY s ORDER BY s
    ON CONFLICT (street) DO UPDATE SET version = v.version + 1;
$$;

CREATE FUNCTION feed_item_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM feed_bump(ARRAY[NEW.street]);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM feed_bump(ARRAY[OLD.street]);
    ELSE
        PERFORM feed_bump(ARRAY[OLD.street, NEW.street]);
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER offer_feed_version AFTER INSERT OR DELETE ON offer
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION feed_item_changed();
CREATE CONSTRAINT TRIGGER offer_feed_version_on_update AFTER UPDATE ON offer
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
    EXECUTE FUNCTION feed_item_changed();
CREATE CONSTRAINT TRIGGER ask_feed_version AFTER INSERT OR DELETE ON ask
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION feed_item_changed();
CREATE CONSTRAINT TRIGGER ask_feed_version_on_update AFTER UPDATE ON ask
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
    EXECUTE FUNCTION feed_item_changed();

-- A photo's street is its offer's or ask's (gone with it when that was deleted: its own trigger bumps).
CREATE FUNCTION feed_photo_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    items integer[] := CASE TG_OP WHEN 'INSERT' THEN ARRAY[NEW.offer] WHEN 'DELETE' THEN ARRAY[OLD.offer]
                               ELSE ARRAY[OLD.offer, NEW.offer] END;
    asks integer[] := CASE TG_OP WHEN 'INSERT' THEN ARRAY[NEW.ask] WHEN 'DELETE' THEN ARRAY[OLD.ask]
                              ELSE ARRAY[OLD.ask, NEW.ask] END;
BEGIN
    PERFORM feed_bump(ARRAY(SELECT o.street FROM offer o WHERE o.id = ANY(items)
                            UNION SELECT a.street FROM ask a WHERE a.id = ANY(asks)));
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER photo_feed_version AFTER INSERT OR DELETE ON photo
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION feed_photo_changed();
CREATE CONSTRAINT TRIGGER photo_feed_version_on_update AFTER UPDATE ON photo
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
    EXECUTE FUNCTION feed_photo_changed();

-- What a card shows of its owner: the name, whether they are active, how far away they live.
CREATE FUNCTION feed_owner_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM feed_bump(ARRAY(SELECT o.street FROM offer o WHERE o.owner = NEW.id
                            UNION SELECT a.street FROM ask a WHERE a.owner = NEW.id));
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER resident_feed_version AFTER UPDATE ON resident
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name OR OLD.is_active IS DISTINCT FROM NEW.is_active
          OR OLD.home_lat IS DISTINCT FROM NEW.home_lat OR OLD.home_lng IS DISTINCT FROM NEW.home_lng)
    EXECUTE FUNCTION feed_owner_changed();

CREATE FUNCTION feed_street_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM feed_bump(ARRAY[NEW.id]);
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER street_feed_version AFTER UPDATE ON street
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION feed_street_renamed();

-- A fresh number for every street (after a bulk load that skipped triggers, such as the benchmark's).
CREATE FUNCTION feed_version_rebuild() RETURNS void LANGUAGE sql AS $$
    INSERT INTO feed_version AS v (street, version)
    SELECT id, feed_version_start() FROM street ORDER BY id
    ON CONFLICT (street) DO UPDATE SET version = feed_version_start();
$$;
SELECT feed_version_rebuild();
"""

BACKWARDS_SQL = """
DROP FUNCTION feed_version_rebuild();
DROP TRIGGER street_feed_version ON street;
DROP FUNCTION feed_street_renamed();
DROP TRIGGER resident_feed_version ON resident;
DROP FUNCTION feed_owner_changed();
DROP TRIGGER photo_feed_version_on_update ON photo;
DROP TRIGGER photo_feed_version ON photo;
DROP FUNCTION feed_photo_changed();
DROP TRIGGER ask_feed_version_on_update ON ask;
DROP TRIGGER ask_feed_version ON ask;
DROP TRIGGER offer_feed_version_on_update ON offer;
DROP TRIGGER offer_feed_version ON offer;
DROP FUNCTION feed_item_changed();
DROP FUNCTION feed_bump(integer[]);
DROP FUNCTION feed_version_start();
DROP TABLE feed_version;
"""


async def forwards():
    return sql_migration(ID, DESCRIPTION, SQL, BACKWARDS_SQL)
