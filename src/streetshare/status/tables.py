"""Street status: incidents (one spell of "off" on a street for one topic) and residents' answers.

The migration (migrations/streetshare_2026_12_04t19_10_00_000000.py) adds what Piccolo cannot
say: one open incident per street and topic (a partial unique index), and one answer per
resident per incident.
"""

from piccolo.columns import Boolean, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from streetshare.accounts.tables import Resident
from streetshare.places.tables import Street


class StatusIncident(Table, tablename="status_incident"):
    street = ForeignKey(references=Street, on_delete=OnDelete.cascade, null=False)
    topic = Varchar(length=20)
    started_at = Timestamptz()
    ended_at = Timestamptz(null=True, default=None)
    ended_reason = Varchar(length=10, null=True, default=None)  # 'back' or 'timeout'
    # Distinct homes that ever said affected; kept up to date while open, frozen when it ends.
    homes = Integer(default=0)
    last_report_at = Timestamptz()  # the last "affected" answer: the timeout counts from here
    # Whose answer opened it (never prompted about it); null once that account is deleted.
    opened_by = ForeignKey(references=Resident, on_delete=OnDelete.set_null, null=True)


class StatusReport(Table, tablename="status_report"):
    incident = ForeignKey(references=StatusIncident, on_delete=OnDelete.cascade, null=False)
    resident = ForeignKey(references=Resident, on_delete=OnDelete.cascade, index=True, null=False)
    affected = Boolean()  # the answer now: affected, or fine / it's back
    ever_affected = Boolean(default=False)  # said affected at some point in this incident
    created_at = Timestamptz()
    updated_at = Timestamptz()
