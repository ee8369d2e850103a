"""The job table (see jobs/queue.py for how it is claimed)."""

from piccolo.columns import JSONB, BigSerial, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class Job(Table, tablename="job"):
    id = BigSerial(primary_key=True)
    kind = Varchar(length=60)
    payload = JSONB()
    run_at = Timestamptz()
    attempts = Integer(default=0)
    max_attempts = Integer(default=10)
    locked_until = Timestamptz(null=True, default=None)
    last_error = Text(null=True, default=None)
    created_at = Timestamptz()
    done_at = Timestamptz(null=True, default=None)
    failed_at = Timestamptz(null=True, default=None)
    idempotency_key = Varchar(length=200, unique=True, null=True, default=None)
