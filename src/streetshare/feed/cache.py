"""The feed's newest rows per scope, kept in each app process and checked on every request.

Every resident of a street (who looks nearby) sees the same streets, so the page query (two index
walks per street in scope, ~0.8 ms of PostgreSQL at 20 streets) worked out the same rows for all
of them. A page's rows are now kept here, keyed by the streets in scope, the filters, the cursor
and the page size, with the change numbers of those streets (feed_version, migration 05:00) as
they were when the rows were read. A request reuses them only when its viewer query reads the
same numbers, so a change to any card in scope (an offer, an ask, a photo, an owner's name or
home, a street's name) is seen by the next request in every process: nothing is ever stale, and
a feed nobody changed costs no page query.

What differs between viewers is applied per request, never cached:
- blocks: the rows are read as nobody's (no blocks), and each viewer's blocked owners are
  dropped here; the rows kept are SLACK more than a page, and when dropping leaves too few the
  caller asks the database for that viewer's page instead;
- time: each row keeps the moment it stops being shown (an ask's expiry, a favour's end), and
  rows past it are dropped; a clock earlier than the rows' own moment reads again;
- distances: each viewer's distances to the owners come from the database (exact homes stay in
  PostgreSQL: places/queries.py), in the viewer query when the page was guessed right.

Only feed pages are kept (not searches, whose text is a key nobody else repeats), and never
inside a transaction, whose reads may see writes that are not committed.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Hashable, Sequence

SLACK = 10  # rows kept beyond a page, for the viewers who block someone on it
ENTRIES = 2048  # pages kept per process (a street's first page is one; ~20 KB each)
RESIDENTS = 8192  # residents whose last scope is remembered per process
DISTANCES = 16384  # (viewer, page) pairs whose distances are kept per process


@dataclass(frozen=True, slots=True)
class Row:
    item: Any  # a FeedItem, distance not set
    visible_until: datetime | None  # None: until it changes


@dataclass(slots=True, eq=False)  # hashable by identity: a key of the distances kept
class Entry:
    versions: tuple[int, ...]
    read_at: datetime
    rows: list[Row]
    complete: bool  # fewer rows came than were asked for: there are no more
    owners: tuple[int, ...]  # the rows' owners, each once, in order

    def visible(self, blocks: frozenset[int], now: datetime, wanted: int) -> list[Row] | None:
        """The first `wanted` rows this viewer may see now; None when the kept rows are too few to
        tell (the database must be asked)."""
        rows = [r for r in self.rows if r.item.owner_id not in blocks
                and (r.visible_until is None or r.visible_until > now)]
        if len(rows) < wanted and not self.complete:
            return None
        return rows[:wanted]


class FeedCache:
    """Least recently used pages, and each resident's last scope (to guess the page they want)."""

    def __init__(self, entries: int = ENTRIES, residents: int = RESIDENTS, distances: int = DISTANCES) -> None:
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()
        self._scopes: OrderedDict[int, tuple[int, ...]] = OrderedDict()
        self._distances: OrderedDict[tuple[int, Entry], tuple[str, tuple[int | None, ...]]] = OrderedDict()
        self._max_entries, self._max_residents, self._max_distances = entries, residents, distances
        self.hits = self.misses = 0

    def get(self, key: Hashable, versions: tuple[int, ...], now: datetime) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None or entry.versions != versions or now < entry.read_at:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry

    def put(self, key: Hashable, entry: Entry) -> None:
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def peek(self, key: Hashable) -> Entry | None:
        return self._entries.get(key)

    def last_scope(self, resident_id: int) -> tuple[int, ...] | None:
        return self._scopes.get(resident_id)

    def remember_scope(self, resident_id: int, streets: Sequence[int]) -> None:
        self._scopes[resident_id] = tuple(streets)
        self._scopes.move_to_end(resident_id)
        while len(self._scopes) > self._max_residents:
            self._scopes.popitem(last=False)

    def distances(self, viewer_id: int, entry: Entry, home_token: str | None = None) -> tuple[int | None, ...] | None:
        """The viewer's shown distances to the entry's owners, if kept (and, given a token, kept
        since their resident row last changed: a new home is a new token)."""
        kept = self._distances.get((viewer_id, entry))
        if kept is None or (home_token is not None and kept[0] != home_token):
            return None
        return kept[1]

    def remember_distances(self, viewer_id: int, entry: Entry, home_token: str,
                           distances: tuple[int | None, ...]) -> None:
        self._distances[(viewer_id, entry)] = (home_token, distances)
        self._distances.move_to_end((viewer_id, entry))
        while len(self._distances) > self._max_distances:
            self._distances.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()
        self._scopes.clear()
        self._distances.clear()
        self.hits = self.misses = 0


PAGES = FeedCache()
