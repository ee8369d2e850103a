"""Notifications: in-app, by email straight away, or in a daily digest, as each resident chooses.

Other domains call, inside their own transaction:

    from streetshare.notifications import notify
    await notify(provider_id, "request_received", actor_id=me, exchange_id=x, text="Bob asked to borrow your ladder",
                 url=f"/exchanges/{x}")

The kinds are in rules.KINDS. Importing this package registers the email jobs (emails.py).
"""

from streetshare.notifications import emails as _emails  # noqa: F401  (registers the job handlers)
from streetshare.notifications.rules import KIND_NAMES
from streetshare.notifications.service import notify

__all__ = ["KIND_NAMES", "notify"]
