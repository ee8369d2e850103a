"""The street's activity as CSV, for a council or funder report: what happened and when, by kind,
category and state. No names, no contact details, no ids of people, no titles or messages
(a title can name a person: "lift for Mrs Jones").

And its street status history (issue 14), evidence for a council or a utility: one row per incident,
its topic, when it started and ended (UTC), why it ended, how long and how many homes. No residents,
no places.

Every cell that a spreadsheet would read as a formula (=, +, -, @, tab, carriage return first) is
written as text, with a leading apostrophe."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from datetime import UTC

from streetshare import db
from streetshare.status import queries as status

COLUMNS = ("record", "created_on", "kind", "category", "state", "finished_on")
INCIDENT_COLUMNS = ("topic", "started_at", "ended_at", "ended_reason", "duration_minutes", "homes")

EXPORT_SQL = """
SELECT 'offer' AS record, o.created_at::date AS created_on, o.kind, o.category, o.status AS state,
       NULL::date AS finished_on, o.created_at AS sort_at, o.id
FROM offer o WHERE o.street = $1
UNION ALL
SELECT 'ask', a.created_at::date, a.help_kind, a.category, a.status, NULL::date, a.created_at, a.id
FROM ask a WHERE a.street = $1
UNION ALL
SELECT 'exchange', e.requested_at::date, e.offer_kind, coalesce(o.category, a.category), e.state,
       coalesce(e.completed_at, e.ended_at)::date, e.requested_at, e.id
FROM exchange e LEFT JOIN offer o ON o.id = e.offer LEFT JOIN ask a ON a.id = e.ask
WHERE (o.street = $1) OR (e.offer IS NULL AND a.street = $1)
ORDER BY sort_at, record, id
"""


async def activity_rows(street_id: int) -> list[tuple]:
    rows = await db.fetch(EXPORT_SQL, street_id)
    return [tuple(r[c] for c in COLUMNS) for r in rows]


async def incident_rows(street_id: int) -> list[tuple]:
    """Every incident of the street, oldest first."""
    rows = await status.incident_history(street_id)
    out = []
    for r in reversed(rows):
        minutes = round(r.duration.total_seconds() / 60) if r.duration is not None else None
        out.append((r.topic, r.started_at.astimezone(UTC), r.ended_at.astimezone(UTC) if r.ended_at else None,
                    r.ended_reason, minutes, r.homes))
    return out


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> object:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(rows: Iterable[tuple], columns: tuple[str, ...] = COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def filename(street_name: str, on: str, what: str = "activity") -> str:
    safe = "".join(ch if ch.isalnum() else "-" for ch in street_name.lower()).strip("-") or "street"
    while "--" in safe:
        safe = safe.replace("--", "-")
    return f"streetshare-{safe}-{what}-{on}.csv"
