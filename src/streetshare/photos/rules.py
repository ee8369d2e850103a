"""Pure rules for photos."""

from __future__ import annotations

MAX_PHOTOS = 4  # per offer or ask
ITEM_TYPES = ("offer", "ask")


def can_add_photo(count: int) -> bool:
    return count < MAX_PHOTOS


def free_position(taken: list[int]) -> int | None:
    """The first free slot 0..3 for a new photo, or None when all four are used."""
    return next((p for p in range(MAX_PHOTOS) if p not in taken), None)
