"""Exchanges, their append-only event log and their message threads (schema: the 00:40 migration).

The invariants (one live loan per lend offer, a give completed once, time-offer slots, one open
request per person) are partial unique indexes and a trigger in the migration, not columns here.
"""

from piccolo.columns import Date, ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from streetshare.accounts.tables import Resident
from streetshare.asks.tables import Ask
from streetshare.offers.tables import Offer
from streetshare.places.tables import Street


class Exchange(Table, tablename="exchange"):
    offer = ForeignKey(references=Offer, on_delete=OnDelete.no_action, null=True)
    ask = ForeignKey(references=Ask, on_delete=OnDelete.no_action, null=True)
    offer_kind = Varchar(length=10)
    provider = ForeignKey(references=Resident, on_delete=OnDelete.no_action, null=False)
    recipient = ForeignKey(references=Resident, on_delete=OnDelete.no_action, null=False)
    started_by = Varchar(length=10)
    state = Varchar(length=12, default="requested")
    message = Text(default="")
    wanted_from = Date(null=True, default=None)
    due_back = Date(null=True, default=None)
    requested_at = Timestamptz()
    updated_at = Timestamptz()
    accepted_at = Timestamptz(null=True, default=None)
    handed_over_at = Timestamptz(null=True, default=None)
    returned_at = Timestamptz(null=True, default=None)
    completed_at = Timestamptz(null=True, default=None)
    ended_at = Timestamptz(null=True, default=None)
    pickup_address = Varchar(length=200, null=True, default=None)
    pickup_shared_at = Timestamptz(null=True, default=None)
    extension_requested_until = Date(null=True, default=None)
    extension_requested_at = Timestamptz(null=True, default=None)
    # The street of its offer (or of its ask, when there is no offer): kept by database triggers
    # (migrations/streetshare_2026_11_22t04_00_00_000000.py), never written by the app.
    street = ForeignKey(references=Street, on_delete=OnDelete.no_action, null=False)


class ExchangeEvent(Table, tablename="exchange_event"):
    exchange = ForeignKey(references=Exchange, on_delete=OnDelete.no_action, null=False)
    action = Varchar(length=30)
    actor = ForeignKey(references=Resident, on_delete=OnDelete.no_action, null=True)
    from_state = Varchar(length=12, null=True, default=None)
    to_state = Varchar(length=12)
    note = Varchar(length=500, default="")
    at = Timestamptz()


class ExchangeMessage(Table, tablename="exchange_message"):
    exchange = ForeignKey(references=Exchange, on_delete=OnDelete.no_action, null=False)
    author = ForeignKey(references=Resident, on_delete=OnDelete.no_action, null=False)
    text = Varchar(length=2000)
    at = Timestamptz()
