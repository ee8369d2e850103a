"""The feed's newest rows per scope, kept in each app process and checked on every request.

Every resident of a street (who looks nearby) sees the same streets, so the page query (two index
walks per street in scope, ~0.8 ms of PostgreSQL at 20 streets) worked out the same rows for all
of them. A page's rows are now kept here, keyed by the streets in scope, the filters, the cursor
and the page size, with the change numbers of those streets (feed_version, migration 05:00) as
they were when the rows were read. A request reuses them only when its viewer query reads the
same numbers, so a change to any card in scope (an offer, an ask, a photo, an owner's name or
home, a street's name) is seen by every request that starts after it commits, in every process,
and a feed nobody changed costs no page query.

What differs between viewers is applied per request, never shared between viewers:
- blocks: the rows are read as nobody's (no blocks), and each viewer's blocked owners are
  dropped here; the rows kept are SLACK more than a page, and when dropping leaves too few the
  caller asks the database for that viewer's page instead;
- time: each row keeps the moment it stops being shown (an ask's expiry, a favour's end), and
  rows past it are dropped; a clock earlier than the rows' own moment reads again;
- distances: each viewer's distances to the owners come from the database (exact homes stay in
  PostgreSQL: places/queries.py), with the page when it is read, else in the viewer query when
  this process guessed the page from the viewer's last scope, else in a query of their own; they
  are kept (rounded, as shown) per viewer and page until the viewer's resident row changes.

Only feed pages are kept (not searches, whose text is a key nobody else repeats), and never
inside a transaction, whose reads may see writes that are not committed.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from itertools import count
from typing import Any, Hashable, Sequence

SLACK = 10  # rows kept beyond a page, for the viewers who block someone on it
ENTRIES = 2048  # pages kept per process (a street's first page is one; ~20 KB each)
RESIDENTS = 8192  # residents whose last scope is remembered per process
DISTANCES = 16384  # (viewer, page) pairs whose distances are kept per process


# One kept row: (the item's values in FeedItem's field order, its distance None; the moment it
# stops being shown, None for never). Plain tuples of strings, numbers and datetimes, which the
# garbage collector stops tracking: thousands of kept rows as objects made its full collections
# pause a process for up to 260 ms (bench feed_not_kept, p99 355 ms before).
Row = tuple[tuple[Any, ...], datetime | None]
OWNER = 6  # FeedItem.owner_id's place in a row's values


_STAMPS = count(1)


@dataclass(slots=True)
class Entry:
    versions: tuple[int, ...]
    read_at: datetime
    rows: list[Row]
    complete: bool  # fewer rows came than were asked for: there are no more
    owners: tuple[int, ...]  # the rows' owners, each once, in order
    stamp: int = field(default_factory=lambda: next(_STAMPS))  # this entry and no other

    def visible(self, blocks: frozenset[int], now: datetime, wanted: int) -> list[Row] | None:
        """The first `wanted` rows this viewer may see now; None when the kept rows are too few to
        tell (the database must be asked)."""
        rows = [r for r in self.rows if r[0][OWNER] not in blocks and (r[1] is None or r[1] > now)]
        if len(rows) < wanted and not self.complete:
            return None
        return rows[:wanted]


class FeedCache:
    """Least recently used pages, and each resident's last scope (to guess the page they want)."""

    def __init__(self, entries: int = ENTRIES, residents: int = RESIDENTS, distances: int = DISTANCES) -> None:
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()
        self._scopes: OrderedDict[int, tuple[int, ...]] = OrderedDict()
        # (viewer, entry stamp) -> (home token, distances in the entry's owners' order, -1 for none):
        # no reference to the entry, so a page dropped from the cache is not kept alive here.
        self._distances: OrderedDict[tuple[int, int], tuple[str, array]] = OrderedDict()
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
        kept = self._distances.get((viewer_id, entry.stamp))
        if kept is None or (home_token is not None and kept[0] != home_token):
            return None
        return tuple(None if d < 0 else d for d in kept[1])

    def remember_distances(self, viewer_id: int, entry: Entry, home_token: str,
                           distances: tuple[int | None, ...]) -> None:
        key = (viewer_id, entry.stamp)
        self._distances[key] = (home_token, array("i", (-1 if d is None else d for d in distances)))
        self._distances.move_to_end(key)
        while len(self._distances) > self._max_distances:
            self._distances.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()
        self._scopes.clear()
        self._distances.clear()
        self.hits = self.misses = 0


PAGES = FeedCache()
