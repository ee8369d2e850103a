"""The job queue (PostgreSQL row locks, no Redis), in-app notifications and email preferences."""

from streetshare.migration_sql import sql_migration

ID = "2026-11-22T00:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "job queue, notifications and notification settings"

SQL = """
-- Background jobs. A worker claims the oldest ready job with FOR UPDATE SKIP LOCKED and holds it
-- for a lease (locked_until); a worker that dies simply lets its lease run out.
-- States: pending (done_at and failed_at NULL), done (done_at), failed for good (failed_at).
CREATE TABLE job (
    id bigserial PRIMARY KEY,
    kind varchar(60) NOT NULL,
    payload jsonb NOT NULL DEFAULT '{}'::jsonb,
    run_at timestamptz NOT NULL,
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts integer NOT NULL DEFAULT 10 CHECK (max_attempts > 0),
    locked_until timestamptz,
    last_error text,
    created_at timestamptz NOT NULL,
    done_at timestamptz,
    failed_at timestamptz,
    -- "digest:12:2026-11-22": enqueueing the same key twice makes one job.
    idempotency_key varchar(200) UNIQUE,
    CHECK (done_at IS NULL OR failed_at IS NULL)
);
-- What claim() scans: only unfinished jobs, oldest first.
CREATE INDEX job_ready ON job (run_at, id) WHERE done_at IS NULL AND failed_at IS NULL;
CREATE INDEX job_finished ON job (done_at) WHERE done_at IS NOT NULL;

-- In-app notifications; email_via says how this one is emailed: 'immediate' (email_job),
-- 'digest' (the next daily digest), or NULL (not emailed). emailed_at is set in the same
-- transaction that sends it, and checked first, so an email is never sent twice.
CREATE TABLE notification (
    id bigserial PRIMARY KEY,
    resident integer NOT NULL REFERENCES resident(id) ON DELETE CASCADE,
    kind varchar(30) NOT NULL,
    actor integer REFERENCES resident(id) ON DELETE SET NULL,
    -- A plain id, no foreign key: exchanges have their own lifecycle and are never deleted.
    exchange integer,
    text varchar(500) NOT NULL DEFAULT '',
    url varchar(300) NOT NULL DEFAULT '' CHECK (url = '' OR (url LIKE '/%' AND url NOT LIKE '//%')),
    created_at timestamptz NOT NULL,
    read_at timestamptz,
    email_via varchar(10) CHECK (email_via IN ('immediate', 'digest')),
    emailed_at timestamptz,
    -- The job that emails it (no foreign key: finished jobs are purged).
    email_job bigint,
    -- Reminders pass a key ("due_tomorrow:7:2026-11-23") so running them twice notifies once.
    once_key varchar(200) UNIQUE
);
CREATE INDEX notification_recent ON notification (resident, created_at DESC, id DESC);
-- The unread badge on every page counts through this.
CREATE INDEX notification_unread ON notification (resident) WHERE read_at IS NULL;
-- What the next daily digest will carry.
CREATE INDEX notification_digest_pending ON notification (resident)
    WHERE email_via = 'digest' AND emailed_at IS NULL AND read_at IS NULL;

-- Email choices per resident: kind -> 'immediate' | 'daily' | 'off' (missing kinds use the defaults
-- in notifications/rules.py), and one switch that stops all email.
CREATE TABLE notification_settings (
    id serial PRIMARY KEY,
    resident integer NOT NULL UNIQUE REFERENCES resident(id) ON DELETE CASCADE,
    choices jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(choices) = 'object'),
    all_email_off boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL
);
"""


async def forwards():
    return sql_migration(
        ID,
        DESCRIPTION,
        SQL,
        "DROP TABLE notification_settings, notification, job;",
    )
