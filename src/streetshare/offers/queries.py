"""Reads about offers: one offer for a viewer (scope-checked), a resident's own offers.

Every read for someone other than the owner goes through feed.queries.in_scope_sql, so an offer
outside the viewer's scope is simply not found (404), whatever the path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from streetshare import clock, db
from streetshare.feed.queries import in_scope_sql, scope_of
from streetshare.offers import rules
from streetshare.photos.queries import PhotoView, photos_of
from streetshare.places.privacy import approx_distance_m, describe_distance

_COLUMNS = """o.id, o.owner, o.street, o.kind, o.title, o.description, o.category, o.status,
    o.neighbours_may_see, o.loan_days, o.slots, o.starts_at, o.ends_at, o.hidden_at, o.hidden_reason,
    o.created_at, o.updated_at"""

OFFER_FOR_VIEWER_SQL = f"""
SELECT {_COLUMNS}, ow.display_name AS owner_name, s.name AS street_name,
       earth_distance(ll_to_earth(me.home_lat, me.home_lng), ll_to_earth(ow.home_lat, ow.home_lng)) AS distance
FROM offer o
JOIN resident ow ON ow.id = o.owner
JOIN street s ON s.id = o.street
LEFT JOIN resident me ON me.id = $2
WHERE o.id = $1
  AND (o.owner = $2 OR o.status = ANY($5::text[]))
  AND {in_scope_sql("o", viewer="$2", home="$3::int", neighbours="$4::int[]")}
"""


@dataclass(frozen=True)
class OfferView:
    id: int
    owner_id: int
    owner_name: str
    street_id: int
    street_name: str
    kind: str
    title: str
    description: str
    category: str
    status: str
    neighbours_may_see: bool
    loan_days: int | None
    slots: int | None
    starts_at: datetime | None
    ends_at: datetime | None
    hidden: bool
    hidden_reason: str | None
    created_at: datetime
    updated_at: datetime
    distance_m: int | None  # rounded to 100 m
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
    def kind_label(self) -> str:
        return rules.KINDS[self.kind]

    @property
    def category_label(self) -> str:
        return rules.CATEGORIES[self.category]

    @property
    def status_label(self) -> str:
        return rules.STATUS_LABELS[self.status]

    @property
    def window(self) -> str:
        return rules.describe_window(self.starts_at, self.ends_at)

    @property
    def has_passed(self) -> bool:
        return not rules.is_current(self.kind, self.starts_at, self.ends_at, clock.now())

    @property
    def can_edit(self) -> bool:
        return rules.can_edit(self.status, is_owner=self.is_owner)

    @property
    def can_request(self) -> bool:
        """A neighbour may ask for it: it is available and, for a favour, not yet past."""
        return not self.is_owner and self.status == rules.Status.ACTIVE and not self.hidden and not self.has_passed

    @property
    def actions(self) -> list[str]:
        return rules.owner_actions(self.status, is_owner=self.is_owner)

    @property
    def can_add_photo(self) -> bool:
        from streetshare.photos.rules import can_add_photo

        return self.can_edit and can_add_photo(len(self.photos))

    def fields(self) -> rules.OfferFields:
        return rules.OfferFields(kind=self.kind, title=self.title, description=self.description,
                                 category=self.category, neighbours_may_see=self.neighbours_may_see,
                                 loan_days=self.loan_days, slots=self.slots, starts_at=self.starts_at,
                                 ends_at=self.ends_at)


async def offer_for_viewer(offer_id: int, viewer_id: int) -> OfferView | None:
    """The offer as `viewer_id` may see it, or None (missing, or outside their scope)."""
    scope = await scope_of(viewer_id)
    row = await db.fetchrow(OFFER_FOR_VIEWER_SQL, offer_id, viewer_id, scope.home_street_id,
                            scope.neighbour_ids, sorted(rules.SEEN_BY_OTHERS))
    if row is None:
        return None
    return OfferView(
        id=row["id"],
        owner_id=row["owner"],
        owner_name=row["owner_name"],
        street_id=row["street"],
        street_name=row["street_name"],
        kind=row["kind"],
        title=row["title"],
        description=row["description"],
        category=row["category"],
        status=row["status"],
        neighbours_may_see=row["neighbours_may_see"],
        loan_days=row["loan_days"],
        slots=row["slots"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        hidden=row["hidden_at"] is not None,
        hidden_reason=row["hidden_reason"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        distance_m=None if row["distance"] is None else approx_distance_m(row["distance"]),
        photos=await photos_of("offer", offer_id),
        viewer_id=viewer_id,
    )


async def offer_visible_to(offer_id: int, viewer_id: int) -> bool:
    """Can this resident open this offer at all? (For telling 'not yours' from 'not found'.)"""
    scope = await scope_of(viewer_id)
    return bool(await db.fetchval(
        f"""SELECT 1 FROM offer o WHERE o.id = $1 AND (o.owner = $2 OR o.status = ANY($5::text[]))
            AND {in_scope_sql("o", viewer="$2", home="$3::int", neighbours="$4::int[]")}""",
        offer_id, viewer_id, scope.home_street_id, scope.neighbour_ids, sorted(rules.SEEN_BY_OTHERS),
    ))


@dataclass(frozen=True)
class OwnOffer:
    id: int
    kind: str
    title: str
    category: str
    status: str
    created_at: datetime
    hidden: bool
    thumb_url: str | None

    @property
    def url(self) -> str:
        return f"/offers/{self.id}"

    @property
    def kind_label(self) -> str:
        return rules.KINDS[self.kind]

    @property
    def category_label(self) -> str:
        return rules.CATEGORIES[self.category]

    @property
    def status_label(self) -> str:
        return rules.STATUS_LABELS[self.status]

    @property
    def actions(self) -> list[str]:
        return rules.owner_actions(self.status, is_owner=True)


async def offers_of(owner_id: int, *, limit: int = 200) -> list[OwnOffer]:
    """A resident's own offers, live ones first, newest first (their "My offers and asks" page)."""
    from streetshare.photos.storage import media_url

    rows = await db.fetch(
        """
        SELECT o.id, o.kind, o.title, o.category, o.status, o.created_at, o.hidden_at,
               f.id AS photo_id, f.sha256 AS photo_sha
        FROM offer o
        LEFT JOIN LATERAL (SELECT id, sha256 FROM photo WHERE photo.offer = o.id ORDER BY position LIMIT 1) f ON true
        WHERE o.owner = $1
        ORDER BY (o.status IN ('active', 'paused')) DESC, o.created_at DESC, o.id DESC
        LIMIT $2
        """,
        owner_id,
        limit,
    )
    return [
        OwnOffer(id=r["id"], kind=r["kind"], title=r["title"], category=r["category"], status=r["status"],
                 created_at=r["created_at"], hidden=r["hidden_at"] is not None,
                 thumb_url=media_url(r["photo_id"], r["photo_sha"], "thumb") if r["photo_id"] else None)
        for r in rows
    ]
