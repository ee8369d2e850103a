"""The coordinator's dashboard costs what the street and the period shown hold, not the city nor the
street's whole history (issue 8).

The dashboard reaches a street's exchanges through the ids of the street's offers and asks. The
indexes on that path now carry what the figures read, so the whole walk is index-only (no visit to
the offer or exchange tables per row; only the period's exchanges are kept), and the overdue list
finds a street's loans out from its offers rather than from every overdue loan in the city. The
rebuilt indexes keep their names and key columns, so every other query reads them as before.
"""

from streetshare.migration_sql import sql_migration

ID = "2026-11-22T03:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index-only paths for the coordinator's dashboard"

SQL = """
-- A street's offer and ask ids, by creation date.
DROP INDEX offer_street_created;
CREATE INDEX offer_street_created ON offer (street, created_at) INCLUDE (id);
DROP INDEX ask_street_created;
CREATE INDEX ask_street_created ON ask (street, created_at) INCLUDE (id);

-- An offer's (an ask's) exchanges, with the columns the dashboard's figures read.
DROP INDEX exchange_offer;
CREATE INDEX exchange_offer ON exchange (offer, state) INCLUDE (requested_at, completed_at, due_back, provider);
DROP INDEX exchange_ask;
CREATE INDEX exchange_ask ON exchange (ask) INCLUDE (offer, state, requested_at, completed_at, due_back, provider)
    WHERE ask IS NOT NULL;

-- Loans out, by offer: a street's overdue loans, from the street's offers.
CREATE INDEX exchange_on_loan_offer ON exchange (offer) INCLUDE (due_back) WHERE state = 'handed_over';
"""

BACKWARDS_SQL = """
DROP INDEX exchange_on_loan_offer;
DROP INDEX exchange_ask;
CREATE INDEX exchange_ask ON exchange (ask) WHERE ask IS NOT NULL;
DROP INDEX exchange_offer;
CREATE INDEX exchange_offer ON exchange (offer, state);
DROP INDEX ask_street_created;
CREATE INDEX ask_street_created ON ask (street, created_at);
DROP INDEX offer_street_created;
CREATE INDEX offer_street_created ON offer (street, created_at);
"""


async def forwards():
    return sql_migration(ID, DESCRIPTION, SQL, BACKWARDS_SQL)
