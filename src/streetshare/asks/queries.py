"""Reads about asks: one ask for a viewer (scope-checked), a resident's own asks, asks due a reminder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from streetshare import clock, db
from streetshare.asks import rules
from streetshare.feed.queries import in_scope_sql, scope_of
from streetshare.offers.rules import CATEGORIES
from streetshare.photos.queries import PhotoView, photos_of
from streetshare.photos.storage import media_url
from streetshare.places.privacy import approx_distance_m, describe_distance

_COLUMNS = """a.id, a.owner, a.street, a.title, a.description, a.category, a.help_kind, a.help_kind_stated, a.needed_by,
    a.expires_at, a.status, a.neighbours_may_see, a.hidden_at, a.hidden_reason, a.created_at, a.updated_at"""

ASK_FOR_VIEWER_SQL = f"""
SELECT {_COLUMNS}, ow.display_name AS owner_name, s.name AS street_name,
       earth_distance(ll_to_earth(me.home_lat, me.home_lng), ll_to_earth(ow.home_lat, ow.home_lng)) AS distance
FROM ask a
JOIN resident ow ON ow.id = a.owner
JOIN street s ON s.id = a.street
LEFT JOIN resident me ON me.id = $2
WHERE a.id = $1
  AND (a.owner = $2 OR a.status = ANY($5::text[]))
  AND {in_scope_sql("a", viewer="$2", home="$3::int", neighbours="$4::int[]")}
"""


@dataclass(frozen=True)
class AskView:
    id: int
    owner_id: int
    owner_name: str
    street_id: int
    street_name: str
    title: str
    description: str
    category: str
    help_kind: str
    help_kind_stated: bool
    needed_by: date | None
    expires_at: datetime
    status: str
    neighbours_may_see: bool
    hidden: bool
    hidden_reason: str | None
    created_at: datetime
    updated_at: datetime
    distance_m: int | None
    photos: list[PhotoView]
    viewer_id: int

    @property
    def is_owner(self) -> bool:
        return self.viewer_id == self.owner_id

    @property
    def distance_text(self) -> str:
        """'about 300 m away' (from the viewer's home to the owner's, rounded), or '' when unknown."""
        return describe_distance(self.distance_m) if self.distance_m is not None else ""

    @property
    def help_kind_label(self) -> str:
        return rules.HELP_KINDS[self.help_kind]

    @property
    def category_label(self) -> str:
        return CATEGORIES[self.category]

    @property
    def status_label(self) -> str:
        return rules.STATUS_LABELS[self.status]

    @property
    def can_edit(self) -> bool:
        return rules.can_edit(self.status, is_owner=self.is_owner)

    @property
    def can_help(self) -> bool:
        """A neighbour may offer to help: the ask is still open."""
        return not self.is_owner and self.status == rules.Status.OPEN and not self.hidden

    @property
    def actions(self) -> list[str]:
        """The owner's buttons; renewing an open ask is offered by the nudge once it closes soon."""
        return [a for a in rules.owner_actions(self.status, is_owner=self.is_owner)
                if a != rules.Action.RENEW or self.status == rules.Status.EXPIRED]

    @property
    def expiring_soon(self) -> bool:
        return self.is_owner and rules.expiring_soon(self.status, self.expires_at, clock.now())

    @property
    def can_add_photo(self) -> bool:
        from streetshare.photos.rules import can_add_photo

        return self.can_edit and can_add_photo(len(self.photos))

    def fields(self) -> rules.AskFields:
        return rules.AskFields(title=self.title, description=self.description, category=self.category,
                               help_kind=self.help_kind, neighbours_may_see=self.neighbours_may_see,
                               needed_by=self.needed_by, help_kind_stated=self.help_kind_stated)


async def ask_for_viewer(ask_id: int, viewer_id: int) -> AskView | None:
    """The ask as `viewer_id` may see it, or None (missing, or outside their scope)."""
    scope = await scope_of(viewer_id)
    row = await db.fetchrow(ASK_FOR_VIEWER_SQL, ask_id, viewer_id, scope.home_street_id, scope.neighbour_ids,
                            sorted(rules.SEEN_BY_OTHERS))
    if row is None:
        return None
    return AskView(
        id=row["id"],
        owner_id=row["owner"],
        owner_name=row["owner_name"],
        street_id=row["street"],
        street_name=row["street_name"],
        title=row["title"],
        description=row["description"],
        category=row["category"],
        help_kind=row["help_kind"],
        help_kind_stated=row["help_kind_stated"],
        needed_by=row["needed_by"],
        expires_at=row["expires_at"],
        status=row["status"],
        neighbours_may_see=row["neighbours_may_see"],
        hidden=row["hidden_at"] is not None,
        hidden_reason=row["hidden_reason"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        distance_m=None if row["distance"] is None else approx_distance_m(row["distance"]),
        photos=await photos_of("ask", ask_id),
        viewer_id=viewer_id,
    )


async def ask_visible_to(ask_id: int, viewer_id: int) -> bool:
    scope = await scope_of(viewer_id)
    return bool(await db.fetchval(
        f"""SELECT 1 FROM ask a WHERE a.id = $1 AND (a.owner = $2 OR a.status = ANY($5::text[]))
            AND {in_scope_sql("a", viewer="$2", home="$3::int", neighbours="$4::int[]")}""",
        ask_id, viewer_id, scope.home_street_id, scope.neighbour_ids, sorted(rules.SEEN_BY_OTHERS),
    ))


@dataclass(frozen=True)
class OwnAsk:
    id: int
    title: str
    category: str
    help_kind: str
    status: str
    needed_by: date | None
    expires_at: datetime
    created_at: datetime
    hidden: bool
    thumb_url: str | None

    @property
    def url(self) -> str:
        return f"/asks/{self.id}"

    @property
    def help_kind_label(self) -> str:
        return rules.HELP_KINDS[self.help_kind]

    @property
    def category_label(self) -> str:
        return CATEGORIES[self.category]

    @property
    def status_label(self) -> str:
        return rules.STATUS_LABELS[self.status]

    @property
    def actions(self) -> list[str]:
        return rules.owner_actions(self.status, is_owner=True)

    @property
    def expiring_soon(self) -> bool:
        return rules.expiring_soon(self.status, self.expires_at, clock.now())


async def asks_of(owner_id: int, *, limit: int = 200) -> list[OwnAsk]:
    """A resident's own asks, open and expired ones first, newest first."""
    rows = await db.fetch(
        """
        SELECT a.id, a.title, a.category, a.help_kind, a.status, a.needed_by, a.expires_at, a.created_at,
               a.hidden_at, f.id AS photo_id, f.sha256 AS photo_sha
        FROM ask a
        LEFT JOIN LATERAL (SELECT id, sha256 FROM photo WHERE photo.ask = a.id ORDER BY position LIMIT 1) f ON true
        WHERE a.owner = $1
        ORDER BY (a.status IN ('open', 'expired')) DESC, a.created_at DESC, a.id DESC
        LIMIT $2
        """,
        owner_id,
        limit,
    )
    return [
        OwnAsk(id=r["id"], title=r["title"], category=r["category"], help_kind=r["help_kind"], status=r["status"],
               needed_by=r["needed_by"], expires_at=r["expires_at"], created_at=r["created_at"],
               hidden=r["hidden_at"] is not None,
               thumb_url=media_url(r["photo_id"], r["photo_sha"], "thumb") if r["photo_id"] else None)
        for r in rows
    ]


@dataclass(frozen=True)
class DueReminder:
    ask_id: int
    owner_id: int
    title: str
    expires_at: datetime


async def asks_due_for_reminder(now: datetime) -> list[DueReminder]:
    """Open asks that expire within REMIND_BEFORE, not yet reminded, and that lived long enough to need it."""
    rows = await db.fetch(
        """
        SELECT a.id, a.owner, a.title, a.expires_at
        FROM ask a
        WHERE a.status = 'open' AND a.reminded_at IS NULL
          AND a.expires_at > $1 AND a.expires_at <= $1 + $2::interval
          AND a.expires_at - a.created_at >= $3::interval
        ORDER BY a.expires_at, a.id
        LIMIT 500
        """,
        now,
        rules.REMIND_BEFORE,
        rules.REMIND_ONLY_IF_LIVES,
    )
    return [DueReminder(r["id"], r["owner"], r["title"], r["expires_at"]) for r in rows]
