"""Notifications and each resident's email choices."""

from piccolo.columns import JSONB, BigInt, BigSerial, Boolean, ForeignKey, Integer, Time, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from streetshare.accounts.tables import Resident


class Notification(Table, tablename="notification"):
    id = BigSerial(primary_key=True)
    resident = ForeignKey(references=Resident, on_delete=OnDelete.cascade, null=False)
    kind = Varchar(length=30)
    actor = ForeignKey(references=Resident, on_delete=OnDelete.set_null, null=True)
    # A plain id: the exchanges domain owns that table.
    exchange = Integer(null=True, default=None)
    text = Varchar(length=500, default="")
    url = Varchar(length=300, default="")
    created_at = Timestamptz()
    read_at = Timestamptz(null=True, default=None)
    email_via = Varchar(length=10, null=True, default=None)
    emailed_at = Timestamptz(null=True, default=None)
    email_job = BigInt(null=True, default=None)
    once_key = Varchar(length=200, unique=True, null=True, default=None)
    # What a round-up lists: [{"type": "offer", "title": "Step ladder", "url": "/offers/3"}].
    details = JSONB(null=True, default=None)


class NotificationSettings(Table, tablename="notification_settings"):
    resident = ForeignKey(references=Resident, on_delete=OnDelete.cascade, unique=True, null=False)
    choices = JSONB(default={})
    all_email_off = Boolean(default=False)
    # The end of the last street round-up window composed for this resident.
    street_news_through = Timestamptz(null=True, default=None)
    # Quiet hours (London time), both NULL for the default 22:00-07:00: rules.QuietHours.
    quiet_start = Time(null=True, default=None)
    quiet_end = Time(null=True, default=None)
    updated_at = Timestamptz()
