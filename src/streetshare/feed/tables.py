"""The titles' vocabulary that a search with a typo is corrected towards (feed.queries.near_words)."""

from piccolo.columns import Text
from piccolo.table import Table


class SearchWord(Table, tablename="search_word"):
    """Written by database triggers when an offer or ask is created or retitled, never by the app
    (migrations/streetshare_2026_11_22t03_40_00_000000.py)."""

    word = Text(primary_key=True)
