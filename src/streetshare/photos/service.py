"""Photo verbs: check and re-encode an upload, attach it to an offer or ask, remove it.

The only writer of the photo table. Files are written before the row (a file without a row is
harmless and content-addressed; a row without a file would be a broken image).
"""

from __future__ import annotations

import asyncio
import logging
import weakref

from streetshare import clock, db
from streetshare.errors import IllegalTransition, Invalid, NotAllowed, NotFound
from streetshare.photos import rules
from streetshare.photos.images import PhotoRejected, ProcessedPhoto, process_upload
from streetshare.photos.storage import PhotoStore

log = logging.getLogger(__name__)

_TABLES = {"offer": "offer", "ask": "ask"}


_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


async def prepare(data: bytes) -> ProcessedPhoto:
    """Check and re-encode an upload (off the event loop). Invalid({'photo': ...}) if it isn't a photo.

    One at a time (images.process_upload allows one decode a process): uploads that arrive together
    wait here, on the event loop, rather than each holding one of the few worker threads.
    """
    gate = _gates.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    try:
        async with gate:
            return await asyncio.to_thread(process_upload, data)
    except PhotoRejected as exc:
        raise Invalid({"photo": exc.message}, message=exc.message) from None


async def _keep_files(store: PhotoStore, photo: ProcessedPhoto) -> None:
    def write() -> None:
        store.put(photo.sha256, "display", photo.display)
        store.put(photo.sha256, "thumb", photo.thumb)

    await asyncio.to_thread(write)


async def _lock_own_item(item_type: str, item_id: int, acting: int) -> None:
    """Lock the offer/ask row; it must be the actor's own and still editable."""
    table = _TABLES[item_type]
    row = await db.fetchrow(f"SELECT owner, status FROM {table} WHERE id = $1 FOR UPDATE", item_id)
    if row is None:
        raise NotFound()
    if row["owner"] != acting:
        await _refuse(item_type, item_id, acting)
    if item_type == "offer":
        from streetshare.offers.rules import EDITABLE
    else:
        from streetshare.asks.rules import EDITABLE
    if row["status"] not in EDITABLE:
        raise IllegalTransition(f"This {item_type} has ended, so its photos can't be changed.")


async def _refuse(item_type: str, item_id: int, acting: int) -> None:
    """Not the owner: 'not allowed' if they can see the item, 'not found' if they can't."""
    if item_type == "offer":
        from streetshare.offers.queries import offer_visible_to as visible
    else:
        from streetshare.asks.queries import ask_visible_to as visible
    if await visible(item_id, acting):
        raise NotAllowed("Only the person who posted this can change its photos.")
    raise NotFound()


async def attach(item_type: str, item_id: int, *, acting: int, photo: ProcessedPhoto, store: PhotoStore) -> int:
    """Add a prepared photo to the actor's own offer or ask (at most four). Returns the photo id."""
    column = _TABLES[item_type]
    async with db.transaction():
        await _lock_own_item(item_type, item_id, acting)
        taken = [r["position"] for r in await db.fetch(f"SELECT position FROM photo WHERE {column} = $1", item_id)]
        position = rules.free_position(taken)
        if position is None:
            raise Invalid({"photo": f"You can add up to {rules.MAX_PHOTOS} photos. Remove one to add another."})
        await _keep_files(store, photo)
        photo_id = await db.fetchval(
            f"""
            INSERT INTO photo (owner, {column}, position, sha256, width, height, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
            """,
            acting, item_id, position, photo.sha256, photo.width, photo.height, clock.now(),
        )
    log.info("photo added", extra={"photo_id": photo_id, "item": item_type})
    return photo_id


async def remove(item_type: str, item_id: int, photo_id: int, *, acting: int, store: PhotoStore) -> None:
    """Remove one of the actor's photos from their offer or ask (its file goes when nothing uses it)."""
    column = _TABLES[item_type]
    async with db.transaction():
        await _lock_own_item(item_type, item_id, acting)
        sha = await db.fetchval(f"DELETE FROM photo WHERE id = $1 AND {column} = $2 RETURNING sha256", photo_id, item_id)
        if sha is None:
            raise NotFound("That photo has already been removed.")
        still_used = await db.fetchval("SELECT 1 FROM photo WHERE sha256 = $1 LIMIT 1", sha)
    if not still_used:
        await asyncio.to_thread(store.delete, sha)
