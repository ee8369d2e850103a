"""Thanks notes (schema: the 00:55 migration, which also holds the rules: one per party per
exchange, only on a completed exchange, from one party to the other)."""

from piccolo.columns import ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from streetshare.accounts.tables import Resident
from streetshare.exchanges.tables import Exchange


class Thanks(Table, tablename="thanks"):
    exchange = ForeignKey(references=Exchange, on_delete=OnDelete.no_action, null=False)
    author = ForeignKey(references=Resident, on_delete=OnDelete.no_action, index=True, null=False)
    recipient = ForeignKey(references=Resident, on_delete=OnDelete.no_action, null=False)
    text = Varchar(length=280)
    created_at = Timestamptz()
    hidden_at = Timestamptz(null=True, default=None)
    hidden_reason = Varchar(length=500, null=True, default=None)
