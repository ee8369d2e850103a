"""Exchanges: one tracked deal between a provider and a recipient, its append-only event log and
its message thread. The invariants of product.md are held by the database itself:

- a lend offer is in at most one live exchange (partial unique index);
- a give offer is given to one person at a time and completed at most once (partial unique indexes);
- a time offer with N slots never has more than N live exchanges (a trigger that locks the offer row
  and counts, so it holds whatever the concurrency and whatever code path writes);
- one open exchange per person per offer, and per helper per ask (partial unique indexes);
- the event log refuses UPDATE and DELETE (a trigger): history is never rewritten.
"""

from streetshare.migration_sql import sql_migration

ID = "2026-11-22T00:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "exchanges"

STATES = ("requested", "accepted", "handed_over", "returned", "completed", "declined", "cancelled", "expired")
EVENT_ACTIONS = (
    "request", "offer_help", "accept", "decline", "cancel", "withdraw", "hand_over", "mark_returned",
    "confirm_return", "complete", "expire", "request_more_time", "agree_new_date", "share_pickup_address",
)


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


LIVE = "('accepted', 'handed_over', 'returned')"
OPEN = "('requested', 'accepted', 'handed_over', 'returned')"

SQL = f"""
CREATE TABLE exchange (
    id serial PRIMARY KEY,
    offer integer REFERENCES offer(id),
    ask integer REFERENCES ask(id),
    offer_kind varchar(10) NOT NULL CHECK (offer_kind IN ('lend', 'give', 'skill', 'time')),
    provider integer NOT NULL REFERENCES resident(id),
    recipient integer NOT NULL REFERENCES resident(id),
    started_by varchar(10) NOT NULL CHECK (started_by IN ('provider', 'recipient')),
    state varchar(12) NOT NULL DEFAULT 'requested' CHECK (state IN ({_in(STATES)})),
    message text NOT NULL DEFAULT '' CHECK (length(message) <= 1000),
    wanted_from date,
    due_back date,
    requested_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    accepted_at timestamptz,
    handed_over_at timestamptz,
    returned_at timestamptz,
    completed_at timestamptz,
    ended_at timestamptz,
    pickup_address varchar(200),
    pickup_shared_at timestamptz,
    extension_requested_until date,
    extension_requested_at timestamptz,
    CHECK (provider <> recipient),
    CHECK (offer IS NOT NULL OR ask IS NOT NULL),
    CHECK (offer_kind = 'lend' OR state NOT IN ('handed_over', 'returned')),
    -- the pickup address exists only while the exchange is live
    CHECK (pickup_address IS NULL OR state IN {LIVE}),
    CHECK (pickup_shared_at IS NULL OR state IN {LIVE})
);

-- A lend offer is in at most one live exchange at a time.
CREATE UNIQUE INDEX exchange_lend_one_live ON exchange (offer)
    WHERE offer_kind = 'lend' AND state IN {LIVE};
-- A give offer goes to one person at a time (the giver's choice) ...
CREATE UNIQUE INDEX exchange_give_one_chosen ON exchange (offer)
    WHERE offer_kind = 'give' AND state IN ('accepted', 'completed');
-- ... and is completed at most once.
CREATE UNIQUE INDEX exchange_give_completed_once ON exchange (offer)
    WHERE offer_kind = 'give' AND state = 'completed';
-- One open request per person per offer, and one open offer of help per helper per ask.
CREATE UNIQUE INDEX exchange_one_open_per_recipient ON exchange (offer, recipient)
    WHERE offer IS NOT NULL AND state IN {OPEN};
CREATE UNIQUE INDEX exchange_one_open_per_helper ON exchange (ask, provider)
    WHERE ask IS NOT NULL AND state IN {OPEN};

CREATE INDEX exchange_provider ON exchange (provider, id DESC);
CREATE INDEX exchange_recipient ON exchange (recipient, id DESC);
CREATE INDEX exchange_offer ON exchange (offer, state);
CREATE INDEX exchange_ask ON exchange (ask) WHERE ask IS NOT NULL;
CREATE INDEX exchange_unanswered ON exchange (requested_at) WHERE state = 'requested';
CREATE INDEX exchange_on_loan ON exchange (due_back) WHERE state = 'handed_over';

-- A time offer with N slots (one when not given) never has more than N live exchanges.
-- Locking the offer row serialises every writer that makes an exchange of that offer live;
-- the count then runs on a fresh snapshot (READ COMMITTED), so it sees every committed booking.
CREATE FUNCTION exchange_time_slots_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    capacity integer;
    taken integer;
BEGIN
    SELECT coalesce(slots, 1) INTO capacity FROM offer WHERE id = NEW.offer FOR UPDATE;
    SELECT count(*) INTO taken FROM exchange
        WHERE offer = NEW.offer AND id <> NEW.id AND state IN {LIVE};
    IF taken >= capacity THEN
        RAISE EXCEPTION 'time offer % has no free slot', NEW.offer
            USING ERRCODE = 'check_violation', CONSTRAINT = 'exchange_time_slots';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER exchange_time_slots
    BEFORE INSERT OR UPDATE OF state ON exchange
    FOR EACH ROW
    WHEN (NEW.offer_kind = 'time' AND NEW.offer IS NOT NULL AND NEW.state IN {LIVE})
    EXECUTE FUNCTION exchange_time_slots_check();

-- Every transition, written in the same transaction as the state change. Append-only.
CREATE TABLE exchange_event (
    id serial PRIMARY KEY,
    exchange integer NOT NULL REFERENCES exchange(id),
    action varchar(30) NOT NULL CHECK (action IN ({_in(EVENT_ACTIONS)})),
    actor integer REFERENCES resident(id),
    from_state varchar(12) CHECK (from_state IN ({_in(STATES)})),
    to_state varchar(12) NOT NULL CHECK (to_state IN ({_in(STATES)})),
    note varchar(500) NOT NULL DEFAULT '',
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX exchange_event_exchange ON exchange_event (exchange, id);
CREATE INDEX exchange_event_actor ON exchange_event (actor, action) WHERE actor IS NOT NULL;

CREATE FUNCTION exchange_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'exchange_event is append-only: history is never changed or deleted'
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER exchange_event_append_only
    BEFORE UPDATE OR DELETE ON exchange_event
    FOR EACH ROW EXECUTE FUNCTION exchange_event_append_only();

-- The thread between the two parties.
CREATE TABLE exchange_message (
    id serial PRIMARY KEY,
    exchange integer NOT NULL REFERENCES exchange(id),
    author integer NOT NULL REFERENCES resident(id),
    text varchar(2000) NOT NULL CHECK (length(btrim(text)) > 0),
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX exchange_message_exchange ON exchange_message (exchange, id);
"""

BACKWARDS = """
DROP TABLE exchange_message;
DROP TRIGGER exchange_event_append_only ON exchange_event;
DROP TABLE exchange_event;
DROP FUNCTION exchange_event_append_only();
DROP TABLE exchange;
DROP FUNCTION exchange_time_slots_check();
"""


async def forwards():
    return sql_migration(ID, DESCRIPTION, SQL, BACKWARDS)
