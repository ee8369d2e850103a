"""Asking the neighbours: "Power off on Elm Street? Is yours off too?"

When an incident opens, status.service.report enqueues the job `status_prompts` ({"incident": id})
to run two minutes later (so that the first few neighbours, who are already looking, are not
asked what they have just answered). The job asks, once, each resident of the street who

- opted in to the `status_prompt` notification (default off: off means no prompt at all, in the
  app either; "in the app only" or "in the app and by email straight away"),
- has a home on the street, is active, has not answered this incident and did not open it
  (status.queries.residents_to_prompt),
- and has not been asked about the same topic in the last six hours, on any incident: a power
  supply that flickers off and on all evening asks once (never a storm).

The prompt is an ordinary notification linking to the street's status page, where the Yes / No,
mine's fine forms are. Its once_key `status-prompt:<topic>:<incident>:<resident>` makes a retried or
repeated job write nothing more (and its email job is keyed on the notification).

Quiet hours (each resident's own, default 22:00-07:00 London time, notifications.rules.QuietHours):
no prompt is emailed then. The prompt is written in the app at once, silently, and its email waits
for the end of the quiet hours (job `status_prompt_email`). Then it is sent only if the incident is
still open and the resident has still not answered: a power cut that came back at 3 a.m. emails
nobody in the morning, and whoever answered in the app in the night is not asked again.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from streetshare import clock, jobs
from streetshare.jobs import JobContext, handler
from streetshare.notifications import notify
from streetshare.notifications import queries as notification_queries
from streetshare.notifications import rules as notification_rules
from streetshare.notifications import service as notifications
from streetshare.status import queries
from streetshare.status.service import PROMPT_JOB

log = logging.getLogger(__name__)

KIND = "status_prompt"
PROMPT_EMAIL_JOB = "status_prompt_email"
STORM_GAP = timedelta(hours=6)  # at most one prompt per resident per topic in this long

# The question, per topic: what the neighbours said, then "and yours?". Gas is never asked about.
QUESTIONS = {
    "power": "Power off on {street}? Is yours off too?",
    "water": "No water on {street}? Is yours off too?",
    "broadband": "Broadband or mobile signal down on {street}? Is yours down too?",
    "bins": "Bins not collected on {street}? Were yours missed too?",
    "street_lights": "Street lights out on {street}? Are yours out too?",
    "other": "Something off on {street}? Is it off for you too?",
}


def question(topic: str, street_name: str) -> str:
    return QUESTIONS.get(topic, QUESTIONS["other"]).format(street=street_name)


def status_url(street_id: int, topic: str) -> str:
    """The street's status page, at the topic's answer forms."""
    return f"/streets/{street_id}/status#topic-{topic}"


def once_key_prefix(topic: str) -> str:
    """Every prompt about `topic` has a once_key starting so (the storm gap looks them up by it)."""
    return f"status-prompt:{topic}:"


def once_key(topic: str, incident_id: int, resident_id: int) -> str:
    return f"{once_key_prefix(topic)}{incident_id}:{resident_id}"


async def prompt_neighbours(incident_id: int) -> int:
    """Ask the street's opted-in residents about the incident, if it is still open. How many were
    asked this time (a second run asks nobody)."""
    incident = await queries.open_incident(incident_id)
    if incident is None:
        return 0  # it ended (or was withdrawn) before the neighbours were asked: nothing to ask
    now = clock.now()
    candidates = await queries.residents_to_prompt(incident_id)
    wanting = await notification_queries.opted_in(KIND, candidates)
    asked_lately = await notification_queries.told_since(KIND, list(wanting), now - STORM_GAP,
                                                         once_key_prefix=once_key_prefix(incident.topic))
    text = question(incident.topic, incident.street_name)
    url = status_url(incident.street_id, incident.topic)
    asked = 0
    for resident_id in candidates:
        wants = wanting.get(resident_id)
        if wants is None or resident_id in asked_lately:
            continue
        quiet = wants.quiet.contains(now)
        notification_id = await notify(resident_id, KIND, text=text, url=url,
                                       once_key=once_key(incident.topic, incident_id, resident_id), email=not quiet)
        if notification_id is None:
            continue  # asked already (a repeated job)
        asked += 1
        if quiet and wants.delivery == notification_rules.IMMEDIATE and not wants.all_email_off:
            payload = {"notification": notification_id, "incident": incident_id, "resident": resident_id}
            await jobs.enqueue(PROMPT_EMAIL_JOB, payload, run_at=wants.quiet.ends_after(now),
                               idempotency_key=f"status-prompt-email:{notification_id}")
    log.info("street status prompts", extra={"incident_id": incident_id, "asked": asked})
    return asked


async def email_held_prompt(notification_id: int, incident_id: int, resident_id: int) -> bool:
    """At the end of the resident's quiet hours: email the prompt written in the night, if the
    incident is still open and they have not answered it. Whether an email was queued."""
    if await queries.open_incident(incident_id) is None:
        return False
    if resident_id not in await queries.residents_to_prompt(incident_id):
        return False  # answered in the night (or moved away)
    return await notifications.email_later(notification_id) is not None


@handler(PROMPT_JOB)
async def run_status_prompts(ctx: JobContext, payload: dict[str, Any]) -> None:
    await prompt_neighbours(int(payload["incident"]))


@handler(PROMPT_EMAIL_JOB)
async def run_held_prompt_email(ctx: JobContext, payload: dict[str, Any]) -> None:
    await email_held_prompt(int(payload["notification"]), int(payload["incident"]), int(payload["resident"]))
