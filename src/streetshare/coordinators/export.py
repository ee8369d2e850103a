"""The street's activity as CSV, for a council or funder report: what happened and when, by kind,
category and state. No names, no contact details, no ids of people, no titles or messages
(a title can name a person: "lift for Mrs Jones")."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from streetshare import db

COLUMNS = ("record", "created_on", "kind", "category", "state", "finished_on")

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


def to_csv(rows: Iterable[tuple]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(["" if v is None else (v.isoformat() if hasattr(v, "isoformat") else v) for v in row])
    return out.getvalue()


def filename(street_name: str, on: str) -> str:
    safe = "".join(ch if ch.isalnum() else "-" for ch in street_name.lower()).strip("-") or "street"
    while "--" in safe:
        safe = safe.replace("--", "-")
    return f"streetshare-{safe}-activity-{on}.csv"
