"""The titles' vocabulary that a search with a typo is corrected towards (feed.queries.near_words),
and each street's change number for the feed cache (feed/cache.py)."""

from piccolo.columns import BigInt, Integer, Text
from piccolo.table import Table


class SearchWord(Table, tablename="search_word"):
    """Written by database triggers when an offer or ask is created or retitled, never by the app
    (migrations/streetshare_2026_11_22t03_40_00_000000.py)."""

    word = Text(primary_key=True)


class FeedVersion(Table, tablename="feed_version"):
    """A street's change number, raised by database triggers at commit whenever something its feed
    cards show changes; never written by the app (migrations/streetshare_2026_11_22t05_00_00_000000.py)."""

    street = Integer(primary_key=True)
    version = BigInt()
