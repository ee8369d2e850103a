"""The street feed and search: newest offers and asks a resident may see.

Scope (who sees what), used by every read path (feed, search, detail pages, photos, the API):
- the resident's home street, plus, when they look "nearby", the neighbouring streets
  (places.queries.street_scope), whose items show only when the item allows it
  (neighbours_may_see);
- never an item of a resident who blocked the viewer or whom the viewer blocked, or of an
  account that is no longer active; never a hidden item (the owner still sees their own).

Speed: the page is one query. For each street in scope, a LATERAL subquery walks the partial
covering index offer_feed / ask_feed (street, created_at DESC, id DESC, INCLUDE the columns the
filters need) from the cursor, reading no table rows: a few rows of each street first, and more
only from the streets that may hold more of the page (_FEED_PAGE). Only the page's rows are read,
joined to their owner, street and first photo. A search finds each street's matches through the
per-street word index (street_words) instead, and lists them most relevant first (_RELEVANCE: others'
posts before one's own, title before description, own street and nearer first, by the rounded
distance); its later pages go on by an offset (SearchCursor), each street giving offset + page rows.
So the cost depends on the page size and the streets in scope, not on the size of the tables
(bench/, docs/performance.md).

A feed page (not a search) is first looked for in this process's feed cache (feed/cache.py): the
viewer query (feed_viewer: street, scope, blocks and the streets' change numbers, one query)
tells whether the kept rows still hold, and the page query runs only when they do not.

Privacy: the distance shown is computed in PostgreSQL from the viewer's home to the owner's
home and rounded here (approx_distance_m); no coordinates are selected.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, timedelta

from streetshare import clock, db
from streetshare.asks.rules import HELP_KIND_FOR, HELP_KINDS, OFFER_KIND_FOR
from streetshare.offers.rules import CATEGORIES, KINDS, describe_window
from streetshare.photos.storage import media_url
from streetshare.places.privacy import approx_distance_m
from streetshare.feed import cache
from streetshare.places.queries import NEIGHBOURS_OF_R, HomeStreet, StreetScope, street_scope

PAGE_SIZE = 20
TYPES = ("offer", "ask")
# At the same created_at, offers come before asks; within a type, higher ids first.
RANK = {"offer": 2, "ask": 1}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


async def scope_of(resident_id: int) -> StreetScope:
    """(home street id or None, neighbouring street ids the resident looks at)."""
    return await street_scope(resident_id)


def in_scope_sql(alias: str, *, viewer: str, home: str, neighbours: str) -> str:
    """SQL: row `alias` (an offer or ask) is in the viewer's scope, or is the viewer's own.

    `viewer`, `home` and `neighbours` are SQL expressions (parameters: $1, $2, $3::int[]).
    Callers add the status rule (which statuses others may open).
    """
    return f"""(
        {alias}.owner = {viewer}
        OR (
            {alias}.hidden_at IS NULL
            AND ({alias}.street = {home} OR ({alias}.neighbours_may_see AND {alias}.street = ANY({neighbours})))
            AND NOT EXISTS (SELECT 1 FROM resident_block b WHERE b.blocker = {alias}.owner AND b.blocked = {viewer})
            AND NOT EXISTS (SELECT 1 FROM resident_block b WHERE b.blocker = {viewer} AND b.blocked = {alias}.owner)
            AND EXISTS (SELECT 1 FROM resident ow WHERE ow.id = {alias}.owner AND ow.is_active)
        )
    )"""


# ---------------------------------------------------------------- filters and the cursor


@dataclass(frozen=True)
class Filters:
    type: str | None = None  # offer / ask
    kind: str | None = None  # an offer kind or an ask's help kind (each shows its counterpart)
    category: str | None = None
    q: str | None = None

    @classmethod
    def parse(cls, *, type: str | None = None, kind: str | None = None, category: str | None = None,
              q: str | None = None) -> Filters:
        """Unknown values are dropped (a filter nobody offers is no filter)."""
        query = " ".join((q or "").split())[:100] or None
        return cls(
            type=type if type in TYPES else None,
            kind=kind if kind in KINDS or kind in HELP_KINDS else None,
            category=category if category in CATEGORIES else None,
            q=query,
        )

    @property
    def offer_kind(self) -> str | None:
        return OFFER_KIND_FOR.get(self.kind, self.kind) if self.kind else None

    @property
    def ask_kind(self) -> str | None:
        return HELP_KIND_FOR.get(self.kind, self.kind) if self.kind else None

    @property
    def active(self) -> bool:
        return any((self.type, self.kind, self.category, self.q))

    def query_items(self) -> dict[str, str]:
        return {k: v for k, v in (("type", self.type), ("kind", self.kind), ("category", self.category),
                                  ("q", self.q)) if v}


@dataclass(frozen=True)
class Cursor:
    created_at: datetime
    rank: int
    id: int

    def encode(self) -> str:
        micros = (self.created_at - _EPOCH) // timedelta(microseconds=1)
        raw = f"{micros}.{self.rank}.{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str | None) -> Cursor | SearchCursor | None:
        """The cursor (a search's: SearchCursor), or None when there is none or it is not one of ours."""
        if not text or len(text) > 80:
            return None
        if text[0] in SearchCursor.MODES:  # a feed cursor is base64 of digits: it starts with 'M'
            return SearchCursor.decode(text)
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            micros, rank, item_id = (int(part) for part in raw.split("."))
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        if rank not in RANK.values() or item_id < 1 or not 0 <= micros < 2**62:
            return None
        return cls(_EPOCH + timedelta(microseconds=micros), rank, item_id)

    def bound_for(self, type_: str) -> int:
        """The id bound for one type, so that (created_at, id) < (at, bound) means 'after the cursor'."""
        rank = RANK[type_]
        if rank < self.rank:  # this type comes after the cursor's type at the same moment
            return 2**31
        if rank > self.rank:
            return 0
        return self.id


@dataclass(frozen=True)
class SearchCursor:
    """Where a search's next page starts: search results are in relevance order, not by date, so
    the cursor is how many came before, and whether they were found by near spellings."""

    offset: int
    near: bool = False

    MODES = ("s", "n")  # by the words, by near spellings
    LAST = 200  # a search shows at most its first 200 results (each page reads offset + page rows)

    def encode(self) -> str:
        return f"{self.MODES[self.near]}{self.offset}"

    @classmethod
    def decode(cls, text: str) -> SearchCursor | None:
        mode, digits = text[:1], text[1:]
        if mode not in cls.MODES or not digits.isdigit() or len(digits) > 3 or not 0 < int(digits) < cls.LAST:
            return None
        return cls(int(digits), near=mode == "n")


# ---------------------------------------------------------------- the page


@dataclass(frozen=True)
class FeedItem:
    type: str
    id: int
    title: str
    kind: str | None  # offers
    help_kind: str | None  # asks
    category: str
    owner_id: int
    owner_name: str
    street_id: int
    street_name: str
    distance_m: int | None  # rounded to 100 m; None when either home is unknown
    created_at: datetime
    thumb_url: str | None
    slots: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    loan_days: int | None = None
    needed_by: date | None = None

    @property
    def url(self) -> str:
        return f"/{self.type}s/{self.id}"

    @property
    def category_label(self) -> str:
        return CATEGORIES.get(self.category, self.category)

    @property
    def when(self) -> str:
        """A favour's date and time on the street's clock ('Sat 5 Dec, 10:00 to 12:00'), else ''."""
        return describe_window(self.starts_at, self.ends_at)

    @property
    def needed_by_text(self) -> str:
        return f"needed by {self.needed_by:%a %-d %b}" if self.needed_by else ""

    @property
    def kind_label(self) -> str:
        if self.type == "offer":
            return KINDS.get(self.kind or "", "")
        return HELP_KINDS.get(self.help_kind or "", "")


@dataclass(frozen=True)
class FeedPage:
    items: list[FeedItem]
    next: Cursor | SearchCursor | None
    has_street: bool

    @property
    def next_cursor(self) -> str | None:
        return self.next.encode() if self.next else None


# The parameters every page query has, in order (then the feed's {first}, or a search's {q}).
_NAMES = ("viewer", "me", "streets", "home", "at", "offer_bound", "ask_bound", "offer_kind", "ask_kind",
          "category", "now", "limit", "with_offers", "with_asks")
FEED, WORDS, NEAR = "feed", "words", "near"  # no text; full-text match; near spellings of the title

# Which rows of one street a resident may see, per type ({street}: the street).
# Per row, only what the covering feed indexes hold (offer_feed / ask_feed INCLUDE owner,
# neighbours_may_see, kinds, category and dates): the walk is index-only. The residents the viewer
# blocked or was blocked by are one small array, worked out once per query (an InitPlan), and a
# suspended owner is looked up in the (nearly always empty) partial index resident_inactive, so no
# row costs a heap visit or a block lookup until the page is chosen.
_VISIBLE = {
    "offer": """o.street = {street} AND o.status = 'active' AND o.hidden_at IS NULL
              AND (o.street = {home}::int OR o.neighbours_may_see)
              AND ({offer_kind}::text IS NULL OR o.kind = {offer_kind})
              AND ({category}::text IS NULL OR o.category = {category})
              AND (o.kind <> 'time'
                   OR coalesce(o.ends_at, o.starts_at + interval '1 day', 'infinity') > {now}::timestamptz)""",
    "ask": """a.street = {street} AND a.status = 'open' AND a.hidden_at IS NULL
              AND (a.street = {home}::int OR a.neighbours_may_see)
              AND ({ask_kind}::text IS NULL OR a.help_kind = {ask_kind})
              AND ({category}::text IS NULL OR a.category = {category})
              AND a.expires_at > {now}::timestamptz""",
}
_BLOCKS_AND_OWNER = """
              AND {a}.owner <> ALL(ARRAY(SELECT b.blocker FROM resident_block b WHERE b.blocked = {viewer}
                                         UNION ALL SELECT b.blocked FROM resident_block b WHERE b.blocker = {viewer}))
              AND NOT EXISTS (SELECT 1 FROM resident ow WHERE ow.id = {a}.owner AND NOT ow.is_active)"""

# WORDS finds one street's items holding one of the query's words through the GIN index
# offer_street_words / ask_street_words (keys '<street id> <lexeme>', migration 03:20), so a
# search costs what the streets in scope hold, not what the city holds; the full-text test then
# decides on those few rows. (A query of nothing but excluded words, "-drill", finds nothing.)
# NEAR (a typo: the words matched nothing in scope) runs the same with {q} a tsquery of the near
# spellings found in the titles' vocabulary (near_words): "laddder" becomes 'ladder'.
_TSQUERY = {WORDS: "websearch_to_tsquery('english', {q})", NEAR: "to_tsquery('english', {q})"}
_TEXT = {FEED: "", **{text: "\n              AND {a}.search @@ " + tsquery for text, tsquery in _TSQUERY.items()}}

# A search's results in order of relevance (_RELEVANCE): others' posts before the viewer's own; a
# match in the title (the search vector's weight A) before one in the description only; the
# viewer's own street before the neighbouring ones; nearer before farther, by the distance as it is
# shown (approx_distance_m: 100 m steps, never under 100 m), so the order tells no more about where
# a neighbour lives than the card does (two homes shown "about 300 m away" tie, whichever is
# nearer); then newest first. The distance is measured in PostgreSQL, from `here` (the viewer's
# home, once per query), for the few rows that matched.
# earth_distance(ll_to_earth(here), ll_to_earth(home)) written out (the great circle on the sphere of
# radius earth(), 6378168 m, as haversine): the same metres, at a fraction of the cost of the cube
# functions, which took a third of a search's time at city size.
_HAVERSINE = """2 * 6378168 * asin(sqrt(
                       power(sin((radians(hm.home_lat) - h.lat) / 2), 2)
                       + cos(h.lat) * cos(radians(hm.home_lat)) * power(sin((radians(hm.home_lng) - h.lng) / 2), 2)))"""
_RANKED = """, {a}.owner = {me}::int AS own,
                   ts_filter({a}.search, ARRAY['A']::"char"[]) @@ {tsquery} AS in_title,
                   greatest(1, floor(""" + _HAVERSINE + """ / 100 + 0.5)) AS away"""
_HOMES = "\n            JOIN resident hm ON hm.id = {a}.owner CROSS JOIN here h"
_RELEVANCE = "own, in_title DESC, elsewhere, away NULLS LAST, created_at DESC, rank DESC, id DESC"
_LIVE = {"offer": "o.status = 'active' AND o.hidden_at IS NULL", "ask": "a.status = 'open' AND a.hidden_at IS NULL"}
_BY_WORDS = """(
                SELECT {a}.* FROM {table} {a}
                WHERE street_words({a}.street, {a}.search) COLLATE "C" && ARRAY(
                          SELECT {street}::text || ' ' || w FROM unnest(tsvector_to_array(to_tsvector('english', {q}))) AS w)
                  AND {live}
                OFFSET 0  -- a fence: the words' index, never a walk of the street testing every row
            ) {a}"""
_TABLE = {"offer": "offer o", "ask": "ask a"}
_RANK_SQL = {"offer": 2, "ask": 1}
_KEY = "created_at DESC, rank DESC, id DESC"
_UNION = "\n        UNION ALL\n"


def _walk(type_: str, text: str, *, street: str, after: tuple[str, str], limit: str, extra: str = "") -> str:
    """One street's visible rows of one type, strictly after `after` (created_at, id): newest first,
    or for a search, in relevance order (_RELEVANCE) with what it is ranked by."""
    a = type_[0]
    source, columns, order = _TABLE[type_], f"{a}.id, {a}.created_at", f"{a}.created_at DESC, {a}.id DESC"
    if text in (WORDS, NEAR):
        source = (_BY_WORDS.replace("{table}", type_).replace("{live}", _LIVE[type_])
                  .replace("{street}", street).replace("{a}", a))
        columns += _RANKED.replace("{tsquery}", _TSQUERY[text]).replace("{a}", a)
        source += _HOMES.replace("{a}", a)
        order = "own, in_title DESC, away NULLS LAST, " + order
    return (f"SELECT {columns} FROM {source}\n"
            f"            WHERE " + _VISIBLE[type_].replace("{street}", street)
            + f"\n              AND ({a}.created_at, {a}.id) < ({after[0]}, {after[1]}){extra}"
            + _TEXT[text].replace("{a}", a) + _BLOCKS_AND_OWNER.replace("{a}", a)
            + f"\n            ORDER BY {order} LIMIT {limit}")


def _scope(type_: str) -> str:
    return f"unnest(CASE WHEN {{with_{type_}s}}::bool THEN {{streets}}::int[] ELSE '{{{{}}}}'::int[] END) AS sc(street)"


def _from_cursor(type_: str) -> tuple[str, str]:
    return "{at}::timestamptz", "{%s_bound}::bigint" % type_


def _search_part(t: str, text: str) -> str:
    walk = _walk(t, text, street="sc.street", after=_from_cursor(t), limit="{offset}::int + {limit}::int")
    return (f"        SELECT '{t}'::text AS type, {_RANK_SQL[t]} AS rank, w.id, w.created_at, w.own, w.in_title,\n"
            f"               sc.street <> {{home}}::int AS elsewhere, w.away\n"
            f"        FROM {_scope(t)}\n"
            f"        CROSS JOIN LATERAL ({walk}) w")


def _first_part(t: str) -> str:
    walk = _walk(t, FEED, street="sc.street", after=_from_cursor(t), limit="{first}::int")
    return (f"        SELECT '{t}'::text AS type, {_RANK_SQL[t]} AS rank, sc.street, w.id, w.created_at,\n"
            f"               row_number() OVER (PARTITION BY sc.street ORDER BY w.created_at DESC, w.id DESC) AS n\n"
            f"        FROM {_scope(t)}\n"
            f"        CROSS JOIN LATERAL ({walk}) w")


def _more_part(t: str) -> str:
    edge = f"\n              AND {t[0]}.created_at >= coalesce((SELECT e.created_at FROM edge e), '-infinity')"
    walk = _walk(t, FEED, street="c.street", after=("c.created_at", "c.id"), limit="{limit}::int", extra=edge)
    return (f"        SELECT '{t}'::text AS type, {_RANK_SQL[t]} AS rank, w.id, w.created_at\n"
            f"        FROM first c\n"
            f"        CROSS JOIN LATERAL ({walk}) w\n"
            f"        WHERE c.type = '{t}' AND c.n = {{first}}::int\n"
            f"          AND NOT EXISTS (SELECT 1 FROM edge e WHERE (c.created_at, c.rank, c.id) <= (e.created_at, e.rank, e.id))")


def _search_page(text: str) -> str:
    """A search: for each street in scope and each type, its best matches down to this page
    (LIMIT {offset} + {limit}); the page is the best {limit} of those after the first {offset}. Its
    cost is the index lookups and the matched rows of the streets in scope, not the city."""
    return ("WITH here AS MATERIALIZED (\n"
            "    SELECT radians(r.home_lat) AS lat, radians(r.home_lng) AS lng FROM resident r WHERE r.id = {me}::int\n"
            "),\npage AS (\n    SELECT * FROM (\n" + _UNION.join(_search_part(t, text) for t in TYPES)
            + "\n    ) items\n    ORDER BY " + _RELEVANCE + "\n    OFFSET {offset}::int LIMIT {limit}::int\n)")


# The feed: most streets in scope hold only a few of the page's rows, so each street and type first
# gives just {first} rows (a few, from first_rows). The page is the newest {limit} of those unless
# a street that was cut short may hold more of it: one whose last row is still newer than the
# page's last (the "edge"), or any, when fewer than {limit} came. Those streets, and only those, go
# on from where they stopped, no further back than the edge. The result is the same as walking
# {limit} rows of every street (tests/integration/test_feed.py compares them) for a fraction of
# the index reads: ~120 instead of ~800 at 20 streets in scope.
_FEED_PAGE = ("WITH first AS MATERIALIZED (\n" + _UNION.join(_first_part(t) for t in TYPES) + """
),
edge AS (
    SELECT created_at, rank, id FROM first ORDER BY """ + _KEY + """ OFFSET {limit}::int - 1 LIMIT 1
),
more AS (
""" + _UNION.join(_more_part(t) for t in TYPES) + """
),
page AS (
    SELECT type, rank, id, created_at FROM first
    UNION ALL
    SELECT type, rank, id, created_at FROM more
    ORDER BY """ + _KEY + """
    LIMIT {limit}::int
)""")

_ROWS = """
SELECT p.type, p.id, coalesce(o.owner, a.owner) AS owner, coalesce(o.street, a.street) AS street,
       coalesce(o.title, a.title) AS title, o.kind, a.help_kind, coalesce(o.category, a.category) AS category,
       p.created_at, o.slots, o.starts_at, o.ends_at, o.loan_days, a.needed_by,
       ow.display_name AS owner_name, s.name AS street_name,
       earth_distance(ll_to_earth(me.home_lat, me.home_lng), ll_to_earth(ow.home_lat, ow.home_lng)) AS distance,
       CASE WHEN p.type = 'ask' THEN a.expires_at
            WHEN o.kind = 'time' THEN coalesce(o.ends_at, o.starts_at + interval '1 day') END AS visible_until,
       coalesce(po.id, pa.id) AS photo_id, coalesce(po.sha256, pa.sha256) AS photo_sha
FROM page p
LEFT JOIN offer o ON p.type = 'offer' AND o.id = p.id
LEFT JOIN ask a ON p.type = 'ask' AND a.id = p.id
JOIN resident ow ON ow.id = coalesce(o.owner, a.owner)
JOIN street s ON s.id = coalesce(o.street, a.street)
LEFT JOIN resident me ON me.id = {me}::int
LEFT JOIN LATERAL (
    SELECT f.id, f.sha256 FROM photo f WHERE p.type = 'offer' AND f.offer = p.id ORDER BY f.position LIMIT 1
) po ON true
LEFT JOIN LATERAL (
    SELECT f.id, f.sha256 FROM photo f WHERE p.type = 'ask' AND f.ask = p.id ORDER BY f.position LIMIT 1
) pa ON true
ORDER BY p.created_at DESC, p.rank DESC, p.id DESC
"""


def _names(text: str) -> tuple[str, ...]:
    """The parameters of one query, in order: the feed's {first}, or a search's {q} and {offset}."""
    return _NAMES + (("first",) if text == FEED else ("q", "offset"))


def _build(text: str) -> str:
    params = {name: f"${i}" for i, name in enumerate(_names(text), start=1)}
    if text == FEED:
        return (_FEED_PAGE + _ROWS).format(**params)
    ranked = _ROWS.replace("ORDER BY p.created_at DESC, p.rank DESC, p.id DESC",
                           "ORDER BY " + ", ".join(f"p.{key}" for key in _RELEVANCE.split(", ")))
    return (_search_page(text) + ranked).format(**params)


PAGE_SQL = {text: _build(text) for text in (FEED, WORDS, NEAR)}

_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


_QUERY_WORDS = re.compile(r"[^\W\d_]+")
NEAR_PER_WORD = 3

# For each word of the search (3 letters or more), the titles' words spelt most nearly like it
# (pg_trgm similarity above its threshold, 0.3), through the trigram index on search_word; and
# which of the spellings a slip of the fingers would give (two letters swapped, "drlil"; a word
# split in two, "hedgetrimmer"; two run together, "step ladder") are titles' words: a few primary
# key probes. Trigrams alone miss those: "drlil" and "drill" share 2 of 10 trigrams, and in a
# city's vocabulary "step" and "ladder" each have nearer spellings than "stepladder".
_NEAR_WORDS_SQL = """
SELECT array(SELECT s.word FROM search_word s WHERE s.word % q.word
             ORDER BY similarity(s.word, q.word) DESC, s.word LIMIT $2) AS near,
       (SELECT coalesce(array_agg(k.word), '{}') FROM search_word k WHERE k.word = ANY($3::text[])) AS known
FROM unnest($1::text[]) WITH ORDINALITY AS q(word, n)
ORDER BY q.n
"""


def _swaps(word: str) -> list[str]:
    """The word with two neighbouring letters swapped, each way it can be: "drlil" -> "drill", ..."""
    return [word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1) if word[i] != word[i + 1]]


def _splits(word: str) -> list[tuple[str, str]]:
    """The word cut in two words of 3 letters or more: "hedgetrimmer" -> ("hedge", "trimmer"), ..."""
    return [(word[:i], word[i:]) for i in range(3, len(word) - 2)]


async def near_words(q: str) -> str | None:
    """A tsquery (to_tsquery syntax) of the near spellings of the search's words, each word's
    alternatives OR'ed and the words AND'ed ("laddder step" -> "(ladder) & (step | steps)"); None
    when no word has one. Two words run together in the titles' vocabulary are one more
    alternative for the pair ("step ladder" -> "((step) & (ladder) | stepladder)"). The vocabulary
    holds letters only, so the text is safe to parse."""
    words = list(dict.fromkeys(w for w in _QUERY_WORDS.findall(q.lower()) if 3 <= len(w) <= 30))[:8]
    if not words:
        return None
    joined = [a + b for a, b in zip(words, words[1:])]
    candidates = {c for w in words for c in _swaps(w)} | {h for w in words for pair in _splits(w) for h in pair}
    rows = await db.fetch(_NEAR_WORDS_SQL, words, NEAR_PER_WORD, sorted(candidates | set(joined)))
    known = set(rows[0]["known"]) if rows else set()
    groups = []
    for word, row in zip(words, rows):
        alternatives = list(row["near"])
        alternatives += [w for w in _swaps(word) if w in known and w not in alternatives]
        alternatives += [f"({a} & {b})" for a, b in _splits(word) if a in known and b in known]
        groups.append(" | ".join(alternatives))
    parts, i = [], 0
    while i < len(words):
        if i + 1 < len(words) and joined[i] in known:
            pair = " & ".join(f"({g})" for g in groups[i:i + 2] if g)
            parts.append(f"({pair} | {joined[i]})" if pair else f"({joined[i]})")
            i += 2
        else:
            if groups[i]:
                parts.append(f"({groups[i]})")
            i += 1
    return " & ".join(parts) or None


def first_rows(page: int, streams: int) -> int:
    """How many rows each street and type gives the feed at first: about twice a fair share of the
    page, at least 3 (so most pages need no second look), never more than the page."""
    return min(page, max(3, -(-2 * page // max(1, streams))))


def page_query(viewer_id: int, scope: StreetScope, filters: Filters, cursor: Cursor | SearchCursor | None, *,
               limit: int = PAGE_SIZE, now: datetime | None = None, near: bool = False,
               shared: bool = False) -> tuple[str, list]:
    """The SQL for one page and its parameters: the feed, or a search by words (or, with `near`,
    by near spellings). The EXPLAIN tests and bench/explain.py use it too.

    `shared`: the rows every viewer of this scope may see, before blocks (the feed cache applies
    the viewer's blocks to them); the distances are still the viewer's."""
    streets = [] if scope.home_street_id is None else [scope.home_street_id, *scope.neighbour_ids]
    skip = cursor.offset if isinstance(cursor, SearchCursor) and filters.q else 0
    if not isinstance(cursor, Cursor) or filters.q:
        cursor = None  # a search goes on by its offset; a search's cursor means nothing to the feed
    values = {
        "viewer": 0 if shared else viewer_id,  # 0: nobody, so nobody's blocks
        "me": viewer_id,
        "streets": streets,
        "home": scope.home_street_id,
        "at": cursor.created_at if cursor else _FAR_FUTURE,
        "offer_bound": cursor.bound_for("offer") if cursor else 2**31,
        "ask_bound": cursor.bound_for("ask") if cursor else 2**31,
        "offer_kind": filters.offer_kind,
        "ask_kind": filters.ask_kind,
        "category": filters.category,
        "now": now or clock.now(),
        "limit": limit + 1,  # one more than shown: is there a next page?
        "with_offers": filters.type in (None, "offer"),
        "with_asks": filters.type in (None, "ask"),
        "first": first_rows(limit + 1, len(streets) * (2 if filters.type is None else 1)),
        "q": filters.q,
        "offset": skip,
    }
    text = FEED if not filters.q else NEAR if near else WORDS
    return PAGE_SQL[text], [values[name] for name in _names(text)]


@dataclass(frozen=True)
class FeedViewer:
    """Who is looking at the feed, from one query: their street and scope, the residents they
    blocked or were blocked by, the change numbers of the streets in scope (feed_version), a token
    that changes whenever their resident row does (so when their home moves), and their distances
    in metres to `owners` (None where either home is unknown)."""

    id: int
    street: HomeStreet | None
    scope: StreetScope
    blocks: frozenset[int] = frozenset()
    versions: tuple[int, ...] = ()
    home_token: str = ""
    owners: tuple[int, ...] = ()
    distances: tuple[float | None, ...] = ()


# Distances from resident r's home to each of $2's homes, in $2's order, computed here so that no
# exact home leaves PostgreSQL (places/queries.py).
_DISTANCES_FROM_R = """ARRAY(
           SELECT earth_distance(ll_to_earth(r.home_lat, r.home_lng), ll_to_earth(ow.home_lat, ow.home_lng))
           FROM unnest($2::int[]) WITH ORDINALITY AS o(id, n) LEFT JOIN resident ow ON ow.id = o.id
           ORDER BY o.n)"""

# The scope is worked out once (OFFSET 0 keeps the planner from copying it into each use); each
# street's change number is one primary-key probe; r.xmin is the row version of the viewer.
# {distances}: with owners to measure ($2), a second statement: this one, with one parameter, is
# planned once per connection (PostgreSQL picks its generic plan), which halves its cost.
_VIEWER = """
SELECT r.street, s.name, sc.neighbours, r.xmin::text AS home_token,
       ARRAY(SELECT b.blocker FROM resident_block b WHERE b.blocked = r.id
             UNION ALL SELECT b.blocked FROM resident_block b WHERE b.blocker = r.id) AS blocks,
       ARRAY(SELECT coalesce((SELECT v.version FROM feed_version v WHERE v.street = st.id), 0)
             FROM unnest(r.street || sc.neighbours) WITH ORDINALITY AS st(id, n) ORDER BY st.n) AS versions{distances}
FROM resident r
LEFT JOIN street s ON s.id = r.street
CROSS JOIN LATERAL (SELECT coalesce(%s, '{}') AS neighbours OFFSET 0) sc
WHERE r.id = $1 AND r.is_active
""" % NEIGHBOURS_OF_R
_VIEWER_SQL = _VIEWER.replace("{distances}", ",\n       NULL::float8[] AS distances")
_VIEWER_AND_DISTANCES_SQL = _VIEWER.replace("{distances}", f",\n       {_DISTANCES_FROM_R} AS distances")

_DISTANCES_SQL = f"SELECT {_DISTANCES_FROM_R} FROM resident r WHERE r.id = $1"


def _cache_key(streets: Sequence[int], filters: Filters, cursor: Cursor | None, limit: int) -> tuple:
    return (tuple(streets), filters, cursor, limit)


async def feed_viewer(resident_id: int, filters: Filters | None = None, cursor: Cursor | None = None, *,
                      limit: int = PAGE_SIZE) -> FeedViewer:
    """The viewer of one feed page. When this process kept the page they looked at last time for
    these filters, and does not have their distances to its owners yet, the query brings them."""
    filters = filters or Filters()
    owners: tuple[int, ...] = ()
    streets = cache.PAGES.last_scope(resident_id)
    if streets is not None and not filters.q:
        kept = cache.PAGES.peek(_cache_key(streets, filters, cursor, limit))
        if kept is not None and cache.PAGES.distances(resident_id, kept) is None:
            owners = kept.owners
    row = await (db.fetchrow(_VIEWER_AND_DISTANCES_SQL, resident_id, list(owners)) if owners
                 else db.fetchrow(_VIEWER_SQL, resident_id))
    if row is None or row["street"] is None:
        return FeedViewer(resident_id, None, StreetScope(None, []))
    scope = StreetScope(row["street"], list(row["neighbours"]))
    cache.PAGES.remember_scope(resident_id, [scope.home_street_id, *scope.neighbour_ids])
    return FeedViewer(resident_id, HomeStreet(row["street"], row["name"]), scope, frozenset(row["blocks"]),
                      tuple(row["versions"]), row["home_token"], owners, tuple(row["distances"] or ()))


async def feed_page(viewer_id: int, filters: Filters | None = None, cursor: Cursor | SearchCursor | None = None, *,
                    limit: int = PAGE_SIZE, viewer: FeedViewer | None = None) -> FeedPage:
    """A page of the viewer's feed, newest first, after `cursor`; a search's, most relevant first
    (_RELEVANCE), after the SearchCursor's offset.

    `viewer` is feed_viewer's, when the caller has it already.
    A search shows the items whose words match (English stemming: "ladders" finds "ladder"); when
    none does, it is taken for a typo and searches again by the words of titles spelt nearly so
    ("laddder" finds "ladder").
    """
    filters = filters or Filters()
    viewer = viewer or await feed_viewer(viewer_id, filters, cursor if isinstance(cursor, Cursor) else None,
                                         limit=limit)
    scope = viewer.scope
    if scope.home_street_id is None:
        return FeedPage(items=[], next=None, has_street=False)
    items = None
    if not filters.q and not db.in_transaction():
        items = await _kept_items(viewer, filters, cursor if isinstance(cursor, Cursor) else None, limit)
    if items is None:
        rows, by_near = await _page_rows(viewer_id, scope, filters, cursor, limit)
        items = [_item(row) for row in rows]
    following: Cursor | SearchCursor | None = None
    if len(items) > limit:
        items = items[:limit]
        if filters.q:
            skip = cursor.offset if isinstance(cursor, SearchCursor) else 0
            if skip + limit < SearchCursor.LAST:
                following = SearchCursor(skip + limit, near=by_near)
        else:
            following = Cursor(items[-1].created_at, RANK[items[-1].type], items[-1].id)
    return FeedPage(items=items, next=following, has_street=True)


async def _page_rows(viewer_id: int, scope: StreetScope, filters: Filters, cursor: Cursor | SearchCursor | None,
                     limit: int) -> tuple[list, bool]:
    """The page's rows from the database, and whether they were found by near spellings: the feed's,
    or a search's by its words, or (when those match nothing in scope, and on the later pages of
    such a search) by their near spellings."""
    later = isinstance(cursor, SearchCursor) and filters.q is not None
    rows = []
    if not (later and cursor.near):
        sql, args = page_query(viewer_id, scope, filters, cursor, limit=limit)
        rows = await db.fetch(sql, *args)
    if rows or not filters.q or (later and not cursor.near):
        return rows, False
    near = await near_words(filters.q)
    if not near:
        return [], True
    sql, args = page_query(viewer_id, scope, replace(filters, q=near), cursor, limit=limit, near=True)
    return await db.fetch(sql, *args), True


async def _kept_items(viewer: FeedViewer, filters: Filters, cursor: Cursor | None, limit: int) -> list[FeedItem] | None:
    """Up to limit + 1 items through the feed cache (feed/cache.py); None when the database must
    be asked for this viewer's page (blocks left too few of the kept rows)."""
    scope = viewer.scope
    key = _cache_key([scope.home_street_id, *scope.neighbour_ids], filters, cursor, limit)
    now = clock.now()
    entry = cache.PAGES.get(key, viewer.versions, now)
    if entry is None:
        sql, args = page_query(viewer.id, scope, filters, cursor, limit=limit + cache.SLACK, now=now, shared=True)
        rows = await db.fetch(sql, *args)
        entry = cache.Entry(
            versions=viewer.versions, read_at=now,
            rows=[(_values(row), row["visible_until"]) for row in rows],
            complete=len(rows) < limit + cache.SLACK + 1,
            owners=tuple(dict.fromkeys(row["owner"] for row in rows)),
        )
        cache.PAGES.put(key, entry)
        by_owner = {row["owner"]: row["distance"] for row in rows}
        distances = tuple(_shown(by_owner[owner]) for owner in entry.owners)
        cache.PAGES.remember_distances(viewer.id, entry, viewer.home_token, distances)
    else:
        distances = cache.PAGES.distances(viewer.id, entry, viewer.home_token)
        if distances is None:
            raw = (viewer.distances if entry.owners == viewer.owners
                   else await db.fetchval(_DISTANCES_SQL, viewer.id, list(entry.owners)))
            distances = tuple(_shown(d) for d in raw)
            cache.PAGES.remember_distances(viewer.id, entry, viewer.home_token, distances)
    rows = entry.visible(viewer.blocks, now, limit + 1)
    if rows is None:
        return None
    shown = dict(zip(entry.owners, distances))
    return [FeedItem(*values[:_DISTANCE], shown[values[cache.OWNER]], *values[_DISTANCE + 1:]) for values, _ in rows]


def _shown(distance: float | None) -> int | None:
    return None if distance is None else approx_distance_m(distance)


def _values(row) -> tuple:
    """A page row as FeedItem's field values, in order, without the distance."""
    return (
        row["type"], row["id"], row["title"], row["kind"], row["help_kind"], row["category"], row["owner"],
        row["owner_name"], row["street"], row["street_name"], None, row["created_at"],
        media_url(row["photo_id"], row["photo_sha"], "thumb") if row["photo_id"] else None,
        row["slots"], row["starts_at"], row["ends_at"], row["loan_days"], row["needed_by"],
    )


_DISTANCE = [f.name for f in fields(FeedItem)].index("distance_m")
assert [f.name for f in fields(FeedItem)][cache.OWNER] == "owner_id"


def _item(row) -> FeedItem:
    values = _values(row)
    return FeedItem(*values[:_DISTANCE], _shown(row["distance"]), *values[_DISTANCE + 1:])


async def new_on_street(resident_id: int, street_id: int, since: datetime, until: datetime,
                        *, limit: int) -> list[dict[str, str]]:
    """New offers and asks on the resident's home street in [since, until) that the feed would show them
    now (in_scope_sql, with the feed's own live rules: active offers whose time has not passed, open asks
    not yet closed), never their own; newest first, as plain data for the street round-up."""
    visible = in_scope_sql("p", viewer="$1", home="$2", neighbours="'{}'::int[]")  # home street only
    rows = await db.fetch(
        f"""
        SELECT 'offer' AS type, p.id, p.title, p.created_at FROM offer p
        WHERE p.street = $2 AND p.owner <> $1 AND p.created_at >= $3 AND p.created_at < $4
          AND p.status = 'active' AND {visible}
          AND (p.kind <> 'time' OR coalesce(p.ends_at, p.starts_at + interval '1 day', 'infinity') > $6)
        UNION ALL
        SELECT 'ask' AS type, p.id, p.title, p.created_at FROM ask p
        WHERE p.street = $2 AND p.owner <> $1 AND p.created_at >= $3 AND p.created_at < $4
          AND p.status = 'open' AND {visible}
          AND p.expires_at > $6
        ORDER BY created_at DESC, id DESC
        LIMIT $5
        """,
        resident_id, street_id, since, until, limit, clock.now(),
    )
    return [{"type": r["type"], "title": r["title"], "url": f"/{r['type']}s/{r['id']}"} for r in rows]

