"""Each exchange knows its street, so the coordinator's dashboard reads a street's exchanges of the
period by index instead of looking up every offer the street ever had.

An exchange belongs to the street of its offer (or, for help offered on an ask without an offer,
the street of its ask): that stays the rule (coordinators/queries.py). exchange.street is a copy
of it kept by triggers, whatever writes the rows: set when the exchange is created, and moved with
its offer (or ask) when that moves street with its owner. The dashboard's figures then cost what
the street did in the period: at a million offers they looked up each of a street's ~500 offers
in the exchange index (2.2 ms for 250 rows, twice the small city's cost for the same rows).
"""

from streetshare.migration_sql import sql_migration

ID = "2026-11-22T04:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "exchange.street for the dashboard"

SQL = """
ALTER TABLE exchange ADD COLUMN street integer REFERENCES street(id);
UPDATE exchange e SET street = coalesce(
    (SELECT o.street FROM offer o WHERE o.id = e.offer),
    (SELECT a.street FROM ask a WHERE a.id = e.ask));
ALTER TABLE exchange ALTER COLUMN street SET NOT NULL;

CREATE FUNCTION exchange_street_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.street := coalesce((SELECT o.street FROM offer o WHERE o.id = NEW.offer),
                           (SELECT a.street FROM ask a WHERE a.id = NEW.ask));
    RETURN NEW;
END
$$;
CREATE TRIGGER exchange_street BEFORE INSERT OR UPDATE OF offer, ask ON exchange
    FOR EACH ROW EXECUTE FUNCTION exchange_street_on_insert();

CREATE FUNCTION exchange_street_follows_offer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE exchange SET street = NEW.street WHERE offer = NEW.id AND street <> NEW.street;
    RETURN NULL;
END
$$;
CREATE TRIGGER exchange_street_follows_offer AFTER UPDATE OF street ON offer
    FOR EACH ROW WHEN (OLD.street IS DISTINCT FROM NEW.street) EXECUTE FUNCTION exchange_street_follows_offer();

CREATE FUNCTION exchange_street_follows_ask() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE exchange SET street = NEW.street WHERE ask = NEW.id AND offer IS NULL AND street <> NEW.street;
    RETURN NULL;
END
$$;
CREATE TRIGGER exchange_street_follows_ask AFTER UPDATE OF street ON ask
    FOR EACH ROW WHEN (OLD.street IS DISTINCT FROM NEW.street) EXECUTE FUNCTION exchange_street_follows_ask();

-- The period's exchanges of a street, by when they were asked for and when they were completed,
-- and its loans out; each with what the figures read, so the reads are index-only.
CREATE INDEX exchange_street_requested ON exchange (street, requested_at)
    INCLUDE (state, provider, due_back, completed_at);
CREATE INDEX exchange_street_completed ON exchange (street, completed_at)
    INCLUDE (state, provider, due_back, requested_at) WHERE completed_at IS NOT NULL;
CREATE INDEX exchange_street_on_loan ON exchange (street, due_back)
    INCLUDE (state, provider, requested_at, completed_at) WHERE state = 'handed_over';
"""

BACKWARDS_SQL = """
DROP TRIGGER exchange_street_follows_ask ON ask;
DROP FUNCTION exchange_street_follows_ask();
DROP TRIGGER exchange_street_follows_offer ON offer;
DROP FUNCTION exchange_street_follows_offer();
DROP TRIGGER exchange_street ON exchange;
DROP FUNCTION exchange_street_on_insert();
ALTER TABLE exchange DROP COLUMN street;
"""


async def forwards():
    return sql_migration(ID, DESCRIPTION, SQL, BACKWARDS_SQL)
