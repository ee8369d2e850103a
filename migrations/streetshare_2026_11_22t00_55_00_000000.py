"""Reputation: thanks notes, and the indexes that keep a resident's figures fast with thousands of exchanges.

A thanks is one party's short public note to the other after a completed exchange. The database
holds the rules whatever writes the row: one per party per exchange (unique), to the other party
of a completed exchange (a trigger that reads the exchange row).

The figures (completed as provider / as recipient, loans returned on time, the private reliability
hint) are aggregate queries over (provider, state) and (recipient, state); cancellations are read
through exchange_event_actor (actor, action), which the exchanges migration already made.
"""

from streetshare.migration_sql import sql_migration

ID = "2026-11-22T00:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "thanks and reputation indexes"

SQL = """
CREATE TABLE thanks (
    id serial PRIMARY KEY,
    exchange integer NOT NULL REFERENCES exchange(id),
    author integer NOT NULL REFERENCES resident(id),
    recipient integer NOT NULL REFERENCES resident(id),
    text varchar(280) NOT NULL CHECK (length(btrim(text)) > 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    -- a coordinator may hide a note (moderation writes these two)
    hidden_at timestamptz,
    hidden_reason varchar(500),
    CONSTRAINT thanks_once_per_party UNIQUE (exchange, author),
    CHECK (author <> recipient)
);
-- A profile's thanks, newest first, without the hidden ones.
CREATE INDEX thanks_recipient ON thanks (recipient, created_at DESC, id DESC) WHERE hidden_at IS NULL;
CREATE INDEX thanks_author ON thanks (author);

-- Only on a completed exchange, from one party to the other.
CREATE FUNCTION thanks_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ex record;
BEGIN
    SELECT state, provider, recipient INTO ex FROM exchange WHERE id = NEW.exchange;
    IF ex.state IS DISTINCT FROM 'completed' THEN
        RAISE EXCEPTION 'thanks only after a completed exchange (exchange %)', NEW.exchange
            USING ERRCODE = 'check_violation', CONSTRAINT = 'thanks_after_completed';
    END IF;
    IF NOT ((NEW.author = ex.provider AND NEW.recipient = ex.recipient)
            OR (NEW.author = ex.recipient AND NEW.recipient = ex.provider)) THEN
        RAISE EXCEPTION 'thanks go from one party of the exchange to the other (exchange %)', NEW.exchange
            USING ERRCODE = 'check_violation', CONSTRAINT = 'thanks_between_parties';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER thanks_check
    BEFORE INSERT OR UPDATE OF exchange, author, recipient ON thanks
    FOR EACH ROW EXECUTE FUNCTION thanks_check();

-- A resident's figures: counts by side and state stay index scans for a resident with thousands of exchanges.
CREATE INDEX exchange_provider_state ON exchange (provider, state);
CREATE INDEX exchange_recipient_state ON exchange (recipient, state);
"""

BACKWARDS = """
DROP INDEX exchange_recipient_state;
DROP INDEX exchange_provider_state;
DROP TABLE thanks;
DROP FUNCTION thanks_check();
"""


async def forwards():
    return sql_migration(ID, DESCRIPTION, SQL, BACKWARDS)
