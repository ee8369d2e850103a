"""Moderation: residents' reports for their street's coordinators, and the log of every action."""

from piccolo.columns import ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from streetshare.accounts.tables import Resident
from streetshare.places.tables import Street


class Report(Table, tablename="report"):
    reporter = ForeignKey(references=Resident, on_delete=OnDelete.set_null, null=True)
    street = ForeignKey(references=Street, on_delete=OnDelete.cascade, null=False)
    target_kind = Varchar(length=10)  # offer, ask, thanks, resident
    target_id = Integer()
    reason = Text()
    status = Varchar(length=10, default="open")  # open, acted_on, dismissed
    handled_by = ForeignKey(references=Resident, on_delete=OnDelete.set_null, null=True)
    handled_at = Timestamptz(null=True, default=None)
    note = Varchar(length=500, default="")
    created_at = Timestamptz()


class ModerationLog(Table, tablename="moderation_log"):
    """Append-only: who did what to which item, when and why."""

    street = ForeignKey(references=Street, on_delete=OnDelete.cascade, null=False)
    actor = ForeignKey(references=Resident, on_delete=OnDelete.set_null, null=True)
    action = Varchar(length=20)
    target_kind = Varchar(length=10)
    target_id = Integer()
    reason = Varchar(length=500, default="")
    at = Timestamptz()
