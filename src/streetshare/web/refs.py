"""The small references the JSON API nests in its answers: a resident by display name, a street by
name (never more: addresses, emails and coordinates stay out, as product.md's privacy rules say)."""

from __future__ import annotations

import msgspec


class PersonRef(msgspec.Struct):
    id: int
    display_name: str


class StreetRef(msgspec.Struct):
    id: int
    name: str
