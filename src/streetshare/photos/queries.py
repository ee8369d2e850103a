"""Reads about photos: an item's photos, and one photo for a viewer (only if they may see the item)."""

from __future__ import annotations

from dataclasses import dataclass

from streetshare import db
from streetshare.photos.storage import media_url


@dataclass(frozen=True)
class PhotoView:
    id: int
    position: int
    sha256: str
    width: int
    height: int

    @property
    def url(self) -> str:
        return media_url(self.id, self.sha256, "display")

    @property
    def thumb_url(self) -> str:
        return media_url(self.id, self.sha256, "thumb")


async def photos_of(item_type: str, item_id: int) -> list[PhotoView]:
    """An offer's or ask's photos in order. Callers check the viewer may see the item first."""
    column = {"offer": "offer", "ask": "ask"}[item_type]
    rows = await db.fetch(
        f"SELECT id, position, sha256, width, height FROM photo WHERE {column} = $1 ORDER BY position", item_id
    )
    return [PhotoView(r["id"], r["position"], r["sha256"], r["width"], r["height"]) for r in rows]


def _visible_photo_sql() -> str:
    from streetshare.feed.queries import in_scope_sql

    offer_scope = in_scope_sql("o", viewer="$2", home="$3::int", neighbours="$4::int[]")
    ask_scope = in_scope_sql("a", viewer="$2", home="$3::int", neighbours="$4::int[]")
    return f"""
    SELECT f.id, f.sha256
    FROM photo f
    LEFT JOIN offer o ON o.id = f.offer
    LEFT JOIN ask a ON a.id = f.ask
    WHERE f.id = $1
      AND (
        (o.id IS NOT NULL AND (o.owner = $2 OR o.status = ANY($5::text[])) AND {offer_scope})
        OR (a.id IS NOT NULL AND (a.owner = $2 OR a.status = ANY($6::text[])) AND {ask_scope})
      )
    """


async def photo_for_viewer(photo_id: int, viewer_id: int) -> str | None:
    """The photo's content hash if `viewer_id` may see the offer or ask it belongs to, else None."""
    from streetshare.asks.rules import SEEN_BY_OTHERS as ASK_SEEN
    from streetshare.feed.queries import scope_of
    from streetshare.offers.rules import SEEN_BY_OTHERS as OFFER_SEEN

    scope = await scope_of(viewer_id)
    row = await db.fetchrow(_visible_photo_sql(), photo_id, viewer_id, scope.home_street_id, scope.neighbour_ids,
                            sorted(OFFER_SEEN), sorted(ASK_SEEN))
    return row["sha256"] if row else None


async def photo_count(item_type: str, item_id: int) -> int:
    column = {"offer": "offer", "ask": "ask"}[item_type]
    return await db.fetchval(f"SELECT count(*) FROM photo WHERE {column} = $1", item_id)
