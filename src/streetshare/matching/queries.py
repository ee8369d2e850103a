"""Reads for matching: candidates found in PostgreSQL, ranked by rules.py, and the stored matches people see.

Finding candidates (`rank_offers_for_ask`, `rank_asks_for_offer`) never looks beyond the
streets the resident sees: every candidate query starts with the streets in scope and the
live-status conditions of the partial indexes, and narrows by the GIN indexes: per street, the
word index offer_street_words / ask_street_words (the other side's words and their synonyms,
OR'ed, then the full-text test), so its cost follows the streets in scope, not the city; the
trigram index on `title`; plus, for help, the same category. Each source has a LIMIT, so
at most a few hundred rows reach Python, however many offers the city has. Then rules.fit scores
each pair (symmetric: an ask and an offer get the same score whichever side was matched) and the
best few are kept.

Both sides must see each other: the offer is in the asker's scope and the ask in the offerer's
(the same rules as the feed: home street, neighbouring streets they look at when the item allows
it, no blocks either way, active accounts).

PRIVACY: home points are used inside earth_distance only; no query here selects them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from streetshare import clock, db
from streetshare.asks.rules import infer_help_kind
from streetshare.feed.queries import in_scope_sql, scope_of
from streetshare.matching import rules, synonyms
from streetshare.offers.rules import CATEGORIES, KINDS
from streetshare.places.privacy import approx_distance_m, describe_distance
from streetshare.places.queries import street_scope
from streetshare.places.rules import NEIGHBOUR_DISTANCE_M

TOP_N = 10
TEXT_CANDIDATES = 100
CATEGORY_CANDIDATES = 30
TITLE_CANDIDATES = 30

# ---------------------------------------------------------------- the vocabulary

_vocabulary: rules.Vocabulary | None = None


async def vocabulary() -> rules.Vocabulary:
    """synonyms.py as lexemes, stemmed by PostgreSQL exactly like the `search` columns (once per process)."""
    global _vocabulary
    if _vocabulary is None:
        phrases = sorted({phrase for group in synonyms.GROUPS for phrase in group})
        rows = await db.fetch(
            "SELECT p, to_tsvector('english', p)::text AS v FROM unnest($1::text[]) AS p", phrases
        )
        lexed = {row["p"]: row["v"] for row in rows}
        groups = []
        for group in synonyms.GROUPS:
            members: dict[tuple, rules.Phrase] = {}
            for text in group:
                phrase = rules.phrase_from_tsvector(text, lexed[text])
                if phrase is not None:
                    members.setdefault(phrase.parts, phrase)
            if members:
                groups.append(tuple(members.values()))
        stop = await db.fetchval("SELECT to_tsvector('english', $1)::text", " ".join(synonyms.STOP_WORDS))
        labels = await db.fetch(
            "SELECT k, to_tsvector('english', v)::text AS v FROM unnest($1::text[], $2::text[]) AS t(k, v)",
            list(synonyms.CATEGORY_WORDS), [" ".join(words) for words in synonyms.CATEGORY_WORDS.values()],
        )
        _vocabulary = rules.Vocabulary(
            tuple(groups), frozenset(rules.parse_tsvector(stop).positions),
            {row["k"]: frozenset(rules.parse_tsvector(row["v"]).positions) for row in labels},
        )
    return _vocabulary


async def surface_words(texts: Sequence[str]) -> dict[str, str]:
    """lexeme -> the shortest word in `texts` that stems to it ('hedg' -> 'hedge'), for reasons."""
    rows = await db.fetch(
        """
        SELECT DISTINCT ON (lexeme) lexeme, word FROM (
            SELECT w AS word, (ts_lexize('english_stem', w))[1] AS lexeme
            FROM unnest($1::text[]) AS t, regexp_split_to_table(lower(t), '[^[:alnum:]]+') AS w
            WHERE w <> ''
        ) x
        WHERE lexeme IS NOT NULL
        ORDER BY lexeme, length(word), word
        """,
        list(texts),
    )
    return {row["lexeme"]: row["word"] for row in rows}


async def completed_exchanges(provider_ids: Sequence[int]) -> dict[int, int]:
    """How many exchanges each resident has completed as the provider (the exchanges domain's table)."""
    if not provider_ids:
        return {}
    rows = await db.fetch(
        """
        SELECT provider, count(*) AS n FROM exchange
        WHERE provider = ANY($1::int[]) AND state = 'completed'
        GROUP BY provider
        """,
        list(set(provider_ids)),
    )
    return {row["provider"]: row["n"] for row in rows}


# ---------------------------------------------------------------- the item being matched

# The lexemes of a title's head: the thing itself, before its purpose ("gazebo" in "Gazebo for a street party").
HEAD_WORDS = ("for", "to", "so", "because", "while", "as", "on", "at", "in", "from", "with")


def head_sql(title: str) -> str:
    return (f"to_tsvector('english', regexp_replace({title}, "
            f"'\\s+({'|'.join(HEAD_WORDS)})\\s.*$', '', 'i'))::text")


def words_sql(text: str) -> str:
    """SQL: {lexeme: the shortest word that stems to it} for a text, as jsonb (reasons quote people's words)."""
    return f"""(SELECT coalesce(jsonb_object_agg(lexeme, word), '{{}}'::jsonb) FROM (
        SELECT DISTINCT ON (lexeme) lexeme, word FROM (
            SELECT w AS word, (ts_lexize('english_stem', w))[1] AS lexeme
            FROM regexp_split_to_table(lower({text}), '[^[:alnum:]]+') AS w WHERE w <> ''
        ) x WHERE lexeme IS NOT NULL ORDER BY lexeme, length(word), word) y)"""


@dataclass(frozen=True)
class Subject:
    """An ask or an offer being matched, as far as matching cares."""

    id: int
    owner: int
    street: int
    title: str
    description: str
    category: str
    kind: str  # the ask's help_kind, or the offer's kind
    search: str  # the tsvector, as text
    head: str  # the tsvector of the title's head, as text
    words: dict[str, str]  # lexeme -> the word as typed
    neighbours_may_see: bool
    live: bool  # an open, unhidden, unexpired ask; an active, unhidden, current offer
    kind_stated: bool = True  # an ask's help_kind was said by the asker (else it is guessed from the words)
    age_days: float | None = None  # an offer's days since it was posted or last changed

    def doc(self) -> rules.Doc:
        return rules.parse_tsvector(self.search, self.head)


def _subject(row) -> Subject:
    values = dict(row)
    values["words"] = json.loads(values["words"]) if isinstance(values["words"], str) else values["words"]
    return Subject(**values)


async def ask_subject(ask_id: int) -> Subject | None:
    row = await db.fetchrow(
        f"""
        SELECT a.id, a.owner, a.street, a.title, a.description, a.category, a.help_kind AS kind,
               a.search::text AS search, {head_sql("a.title")} AS head,
               {words_sql("a.title || ' ' || a.description")} AS words, a.neighbours_may_see,
               (a.status = 'open' AND a.hidden_at IS NULL AND a.expires_at > $2 AND r.is_active) AS live,
               a.help_kind_stated AS kind_stated
        FROM ask a JOIN resident r ON r.id = a.owner WHERE a.id = $1
        """,
        ask_id, clock.now(),
    )
    if row is None:
        return None
    ask = _subject(row)
    return replace(ask, kind=ask_kind(ask.kind, ask.kind_stated, ask.title, ask.description))


def ask_kind(help_kind: str, stated: bool, title: str, description: str) -> str:
    """The kind an ask is matched as: what the asker said, or a guess from its words made now (so that
    asks made before the guesses, or before a cue was added, are guessed with today's cues)."""
    return help_kind if stated else infer_help_kind(title, description)


async def offer_subject(offer_id: int) -> Subject | None:
    row = await db.fetchrow(
        f"""
        SELECT o.id, o.owner, o.street, o.title, o.description, o.category, o.kind,
               o.search::text AS search, {head_sql("o.title")} AS head,
               {words_sql("o.title || ' ' || o.description")} AS words, o.neighbours_may_see,
               (o.status = 'active' AND o.hidden_at IS NULL AND r.is_active
                AND (o.kind <> 'time' OR coalesce(o.ends_at, o.starts_at + interval '1 day', 'infinity') > $2)) AS live,
               (extract(epoch FROM $2 - o.updated_at) / 86400)::float8 AS age_days
        FROM offer o JOIN resident r ON r.id = o.owner WHERE o.id = $1
        """,
        offer_id, clock.now(),
    )
    return _subject(row) if row else None


# ---------------------------------------------------------------- candidates

# Where candidates come from. Each starts with the street scope and the live-status conditions of
# the partial indexes, then narrows by an index:
# - text: the other side's words and synonyms, OR'ed. For each street in scope (a LATERAL subquery
#   on one street id), the GIN index offer_street_words / ask_street_words gives the live items of
#   that street that hold one of the query's words: its keys are '<street id> <lexeme>', so a
#   posting list holds one street's items, and the cost is what the streets in scope hold, never
#   what the city holds (migration 03:20 says why the (street, search) indexes can't do that, and
#   why the keys are compared as COLLATE "C").
#   The full-text test (search @@ query) then decides on those few rows, above the OFFSET 0 fence
#   so that PostgreSQL can't answer it from a city-wide text index instead. The rows, their order
#   (ts_rank, then id) and the LIMIT are those of one query over `street = ANY(streets)`.
# - category (help only): the same category;
# - title: the trigram GIN index (misspellings; run only when the words found too little, see
#   _candidates).
# The query is a tsquery parameter, parsed once, not text cast per row.
_SOURCES = {
    "offer": {
        "text": """SELECT x.id FROM unnest({streets}::int[]) AS sc(street)
            CROSS JOIN LATERAL (
                SELECT o.id, o.street, o.kind, o.search FROM offer o
                WHERE street_words(o.street, o.search) COLLATE "C"
                      && (SELECT array_agg(sc.street || ' ' || w) FROM unnest({words}::text[]) AS w)
                  AND o.status = 'active' AND o.hidden_at IS NULL
                OFFSET 0
            ) x
            WHERE {q}::tsquery IS NOT NULL AND x.street = sc.street
              AND x.kind = ANY({kinds}::text[]) AND x.search @@ {q}::tsquery
            ORDER BY ts_rank(x.search, {q}::tsquery) DESC, x.id DESC
            LIMIT {text_limit}::int""",
        "category": """SELECT o.id FROM offer o
            WHERE cardinality({category_kinds}::text[]) > 0
              AND o.street = ANY({streets}::int[]) AND o.status = 'active' AND o.hidden_at IS NULL
              AND o.kind = ANY({category_kinds}::text[]) AND o.category = {category}::text
            ORDER BY o.created_at DESC, o.id DESC
            LIMIT {category_limit}::int""",
        "title": """SELECT o.id FROM offer o
            WHERE o.street = ANY({streets}::int[]) AND o.status = 'active' AND o.hidden_at IS NULL
              AND o.kind = ANY({kinds}::text[]) AND o.title %> ANY({title_words}::text[])
              AND NOT (o.id = ANY({seen}::int[]))
            ORDER BY similarity(o.title, {title}::text) DESC, o.id DESC
            LIMIT {title_limit}::int""",
    },
    "ask": {
        "text": """SELECT x.id FROM unnest({streets}::int[]) AS sc(street)
            CROSS JOIN LATERAL (
                SELECT a.id, a.street, a.help_kind, a.search FROM ask a
                WHERE street_words(a.street, a.search) COLLATE "C"
                      && (SELECT array_agg(sc.street || ' ' || w) FROM unnest({words}::text[]) AS w)
                  AND a.status = 'open' AND a.hidden_at IS NULL
                OFFSET 0
            ) x
            WHERE {q}::tsquery IS NOT NULL AND x.street = sc.street
              AND x.help_kind = ANY({kinds}::text[]) AND x.search @@ {q}::tsquery
            ORDER BY ts_rank(x.search, {q}::tsquery) DESC, x.id DESC
            LIMIT {text_limit}::int""",
        "category": """SELECT a.id FROM ask a
            WHERE cardinality({category_kinds}::text[]) > 0
              AND a.street = ANY({streets}::int[]) AND a.status = 'open' AND a.hidden_at IS NULL
              AND a.help_kind = ANY({category_kinds}::text[]) AND a.category = {category}::text
            ORDER BY a.created_at DESC, a.id DESC
            LIMIT {category_limit}::int""",
        "title": """SELECT a.id FROM ask a
            WHERE a.street = ANY({streets}::int[]) AND a.status = 'open' AND a.hidden_at IS NULL
              AND a.help_kind = ANY({kinds}::text[]) AND a.title %> ANY({title_words}::text[])
              AND NOT (a.id = ANY({seen}::int[]))
            ORDER BY similarity(a.title, {title}::text) DESC, a.id DESC
            LIMIT {title_limit}::int""",
    },
}

# A time offer whose window has passed is no longer on offer (offers.rules.is_current).
_CURRENT = "(o.kind <> 'time' OR coalesce(o.ends_at, o.starts_at + interval '1 day', 'infinity') > {now}::timestamptz)"

_NOT_BLOCKED = """NOT EXISTS (SELECT 1 FROM resident_block b
                 WHERE (b.blocker = {me} AND b.blocked = {other}) OR (b.blocker = {other} AND b.blocked = {me}))"""

# The other side sees the item being matched: it is on their home street, or on a neighbouring
# street they look at and it allows neighbours.
_THEY_SEE_MINE = """w.street IS NOT NULL AND (w.street = {my_street}::int OR (w.looks_at = 'nearby' AND {my_nms}::bool
      AND earth_distance(ll_to_earth(ws.centre_lat, ws.centre_lng), ll_to_earth(ms.centre_lat, ms.centre_lng))
          <= {neighbour_m}::float8))"""

# Metres between the two residents' homes (or their street's centre when a home is not set).
_DISTANCE = """earth_distance(
      ll_to_earth(coalesce(me.home_lat, mh.centre_lat), coalesce(me.home_lng, mh.centre_lng)),
      ll_to_earth(coalesce(w.home_lat, ws.centre_lat), coalesce(w.home_lng, ws.centre_lng)))"""

_FINAL = {
    "offer": """
SELECT o.id, o.owner, o.kind, o.category, o.title, o.description, o.search::text AS search,
       """ + head_sql("o.title") + """ AS head,
       similarity(o.title, {title}::text) AS title_similarity, """ + _DISTANCE + """ AS distance_m,
       o.street = {my_street}::int AS same_street,
       extract(epoch FROM {now}::timestamptz - o.updated_at)::float8 / 86400 AS age_days
FROM candidate c
JOIN offer o ON o.id = c.id
JOIN resident w ON w.id = o.owner AND w.is_active
JOIN street ws ON ws.id = coalesce(w.street, o.street)
JOIN resident me ON me.id = {me}::int
JOIN street mh ON mh.id = {home}::int
JOIN street ms ON ms.id = {my_street}::int
WHERE o.owner <> {me}::int
  AND (o.street = {home}::int OR o.neighbours_may_see)
  AND """ + _CURRENT + """
  AND """ + _NOT_BLOCKED.replace("{other}", "o.owner") + """
  AND """ + _THEY_SEE_MINE,
    "ask": """
SELECT a.id, a.owner, a.help_kind AS kind, a.category, a.title, a.description, a.search::text AS search,
       """ + head_sql("a.title") + """ AS head,
       similarity(a.title, {title}::text) AS title_similarity, """ + _DISTANCE + """ AS distance_m,
       a.street = {my_street}::int AS same_street, a.help_kind_stated AS kind_stated
FROM candidate c
JOIN ask a ON a.id = c.id
JOIN resident w ON w.id = a.owner AND w.is_active
JOIN street ws ON ws.id = coalesce(w.street, a.street)
JOIN resident me ON me.id = {me}::int
JOIN street mh ON mh.id = {home}::int
JOIN street ms ON ms.id = {my_street}::int
WHERE a.owner <> {me}::int
  AND a.expires_at > {now}::timestamptz
  AND (a.street = {home}::int OR a.neighbours_may_see)
  AND """ + _NOT_BLOCKED.replace("{other}", "a.owner") + """
  AND """ + _THEY_SEE_MINE,
}


@dataclass(frozen=True)
class Named:
    """SQL written with {name} parameters, numbered $1, $2... in order of first use."""

    sql: str
    names: tuple[str, ...]

    @classmethod
    def of(cls, template: str) -> "Named":
        names: list[str] = []

        def number(match: re.Match) -> str:
            if match.group(1) not in names:
                names.append(match.group(1))
            return f"${names.index(match.group(1)) + 1}"

        return cls(re.sub(r"\{(\w+)\}", number, template), tuple(names))

    def args(self, values: dict) -> list:
        return [values[name] for name in self.names]


def candidates_sql(table: str, sources: Sequence[str]) -> Named:
    """The candidate query for `table` ('offer' or 'ask') from these sources (_SOURCES), with the
    checks every candidate must pass (scope both ways, blocks, live), and what scoring needs."""
    union = "\n    UNION\n".join(f"    ({_SOURCES[table][source]})" for source in sources)
    return Named.of(f"WITH candidate AS (\n{union}\n){_FINAL[table]}")


OFFER_CANDIDATES = candidates_sql("offer", ("text", "category"))
OFFER_TITLE_CANDIDATES = candidates_sql("offer", ("title",))
ASK_CANDIDATES = candidates_sql("ask", ("text", "category"))
ASK_TITLE_CANDIDATES = candidates_sql("ask", ("title",))

TITLE_WORDS = 5
TITLE_WORD_MIN = 4


@dataclass(frozen=True)
class Ranked:
    """One scored pair, ready to store."""

    ask: int
    offer: int
    asker: int
    offerer: int
    score: float
    reasons: list[rules.Reason]
    parts: dict[str, float] = field(default_factory=dict)

    @property
    def fit(self) -> float:
        return self.parts.get("fit", self.score)

    def reasons_json(self) -> str:
        return json.dumps([{"kind": r.kind, "text": r.text} for r in self.reasons], ensure_ascii=False)


@dataclass(frozen=True)
class Ranking:
    """The best matches for one ask or offer, and every pair that qualified (to tidy stale ones)."""

    subject: Subject | None
    top: list[Ranked]
    qualified: frozenset[int]  # ids on the other side


async def candidate_args(subject: Subject, *, kinds: Sequence[str], category_kinds: Sequence[str],
                         vocab: rules.Vocabulary, title_words_only: bool = False) -> dict | None:
    """The candidate queries' parameters for this subject, or None when its owner sees no street.

    With `title_words_only` (an ask looking for offers), the words searched for are the title's:
    an offer that meets only the ask's description can't reach MIN_COVERAGE (rules.py), and leaving
    those words out keeps the full-text index scan small."""
    home, neighbours = await street_scope(subject.owner)
    if home is None:
        return None
    doc = subject.doc()
    found = rules.concepts(doc, vocab)
    if title_words_only and any(c.in_title for c in found):
        found = [c for c in found if c.in_title]
    terms = rules.query_terms(found, vocab)
    title_words = [
        word for lexeme, word in sorted(subject.words.items())
        if doc.in_title(lexeme) and lexeme not in vocab.stop and len(word) >= TITLE_WORD_MIN and word.isalpha()
    ][:TITLE_WORDS]
    return {
        "streets": list(dict.fromkeys([home, *neighbours])), "home": home, "me": subject.owner,
        "kinds": list(kinds), "q": rules.tsquery_text(terms), "words": index_words(terms),
        "title": subject.title, "category": subject.category,
        "category_kinds": list(category_kinds), "my_street": subject.street, "my_nms": subject.neighbours_may_see,
        "now": clock.now(), "neighbour_m": float(NEIGHBOUR_DISTANCE_M), "text_limit": TEXT_CANDIDATES,
        "category_limit": CATEGORY_CANDIDATES, "title_words": title_words, "title_limit": TITLE_CANDIDATES,
        "seen": [],
    }


_QUOTED = re.compile(r"'((?:[^']|'')*)'")


def index_words(terms: Sequence[str]) -> list[str]:
    """One lexeme of each tsquery term (rules.query_terms: 'ladder', or a phrase 'step' <1> 'ladder'):
    an item that matches the query holds all the lexemes of some term, so it holds one of these,
    and the per-street word index (offer_street_words) finds it by '<street> <lexeme>'. A phrase
    gives its last lexeme, the thing itself ('ladder' of 'step ladder')."""
    words = []
    for term in terms:
        quoted = _QUOTED.findall(term)
        if quoted:
            words.append(quoted[-1].replace("''", "'").replace("\\\\", "\\"))
    return list(dict.fromkeys(words))


async def _candidates(table: str, args: dict) -> list:
    """Candidates by words and category; by title trigrams too when those found fewer than TOP_N."""
    main, by_title = (OFFER_CANDIDATES, OFFER_TITLE_CANDIDATES) if table == "offer" else (ASK_CANDIDATES, ASK_TITLE_CANDIDATES)
    rows = list(await db.fetch(main.sql, *main.args(args)))
    if len(rows) < TOP_N and args["title_words"]:
        args = {**args, "seen": [row["id"] for row in rows]}
        rows += await db.fetch(by_title.sql, *by_title.args(args))
    return rows


async def rank_offers_for_ask(ask_id: int, *, limit: int = TOP_N) -> Ranking:
    """The offers that could meet this ask, best first (empty when the ask is closed or hidden)."""
    vocab = await vocabulary()
    ask = await ask_subject(ask_id)
    if ask is None or not ask.live:
        return Ranking(ask, [], frozenset())
    kinds = rules.offer_kinds_for(ask.kind)
    category_kinds = [k for k in kinds if rules.category_alone_counts(ask.kind, k)]
    args = await candidate_args(ask, kinds=kinds, category_kinds=category_kinds, vocab=vocab, title_words_only=True)
    if args is None:
        return Ranking(ask, [], frozenset())
    rows = await _candidates("offer", args)
    record = await completed_exchanges([row["owner"] for row in rows])
    ask_doc = ask.doc()
    ask_concepts = rules.concepts(ask_doc, vocab, compounds=rules.thing_asked(ask.kind))
    fits = []
    for row in rows:
        pair = rules.Pair(
            ask=ask_doc, offer=rules.parse_tsvector(row["search"], row["head"]), help_kind=ask.kind,
            offer_kind=row["kind"], ask_category=ask.category, offer_category=row["category"],
            title_similarity=row["title_similarity"], distance_m=row["distance_m"],
            completed=record.get(row["owner"], 0), kind_stated=ask.kind_stated, same_street=row["same_street"],
            age_days=row["age_days"],
        )
        if (found := rules.fit(pair, vocab, ask_concepts=ask_concepts)) is not None:
            fits.append((found, row))
    best = max((found.parts["fit"] for found, _ in fits), default=0.0)
    fits = [(found, row) for found, row in fits if rules.close_to_best(found.parts["fit"], best)]
    fits.sort(key=lambda f: (-f[0].score, -f[1]["id"]))
    top = [
        Ranked(ask=ask.id, offer=row["id"], asker=ask.owner, offerer=row["owner"], score=found.score,
               reasons=_reasons(found, ask.words, row["distance_m"]), parts=dict(found.parts))
        for found, row in fits[:limit]
    ]
    return Ranking(ask, top, frozenset(row["id"] for _, row in fits))


async def rank_asks_for_offer(offer_id: int, *, limit: int = TOP_N) -> Ranking:
    """The open asks this offer could meet, best first (empty when the offer is not on offer)."""
    vocab = await vocabulary()
    offer = await offer_subject(offer_id)
    if offer is None or not offer.live:
        return Ranking(offer, [], frozenset())
    help_kinds = rules.help_kinds_for(offer.kind)
    category_kinds = [h for h in help_kinds if rules.category_alone_counts(h, offer.kind)]
    args = await candidate_args(offer, kinds=help_kinds, category_kinds=category_kinds, vocab=vocab)
    if args is None:
        return Ranking(offer, [], frozenset())
    rows = await _candidates("ask", args)
    completed = (await completed_exchanges([offer.owner])).get(offer.owner, 0)
    offer_doc = offer.doc()
    fits = []
    for row in rows:
        pair = rules.Pair(
            ask=rules.parse_tsvector(row["search"], row["head"]), offer=offer_doc,
            help_kind=ask_kind(row["kind"], row["kind_stated"], row["title"], row["description"]),
            offer_kind=offer.kind, ask_category=row["category"], offer_category=offer.category,
            title_similarity=row["title_similarity"], distance_m=row["distance_m"], completed=completed,
            kind_stated=row["kind_stated"], same_street=row["same_street"], age_days=offer.age_days,
        )
        if (found := rules.fit(pair, vocab)) is not None:
            fits.append((found, row))
    best = await best_fits([row["id"] for _, row in fits])
    fits = [(found, row) for found, row in fits
            if rules.close_to_best(found.parts["fit"], max(best.get(row["id"], 0.0), found.parts["fit"]))]
    fits.sort(key=lambda f: (-f[0].score, -f[1]["id"]))
    chosen = fits[:limit]
    words = await surface_words([t for _, row in chosen for t in (row["title"], row["description"])]) if chosen else {}
    top = [
        Ranked(ask=row["id"], offer=offer.id, asker=row["owner"], offerer=offer.owner, score=found.score,
               reasons=_reasons(found, words, row["distance_m"]), parts=dict(found.parts))
        for found, row in chosen
    ]
    return Ranking(offer, top, frozenset(row["id"] for _, row in fits))


async def best_fits(ask_ids: Sequence[int]) -> dict[int, float]:
    """Each ask's best stored fit (the asker's own dismissals aside): an offer matched later is
    kept for an ask only when it fits nearly as well (rules.close_to_best)."""
    if not ask_ids:
        return {}
    rows = await db.fetch(
        """SELECT ask, max(coalesce(fit, score)) AS best FROM match
           WHERE ask = ANY($1::int[]) AND dismissed_by_asker_at IS NULL GROUP BY ask""",
        list(ask_ids),
    )
    return {row["ask"]: row["best"] for row in rows}


def _reasons(found: rules.Fit, words: dict[str, str], distance_m: float | None) -> list[rules.Reason]:
    return rules.reasons(
        found,
        words=words,
        category_label=CATEGORIES.get(found.pair.offer_category, found.pair.offer_category),
        distance_text=describe_distance(distance_m) if distance_m is not None else None,
    )


# ---------------------------------------------------------------- stored matches, for people


@dataclass(frozen=True)
class OfferMatch:
    """An offer that could meet an ask, as the viewer of the ask may see it."""

    match_id: int
    offer_id: int
    title: str
    kind: str
    category: str
    owner_id: int
    owner_name: str
    distance_m: int | None  # from the viewer, rounded to 100 m
    score: float
    reasons: list[str]

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def category_label(self) -> str:
        return CATEGORIES.get(self.category, self.category)


@dataclass(frozen=True)
class AskMatch:
    """An open ask an offer could meet, for the offer's owner."""

    match_id: int
    ask_id: int
    title: str
    help_kind: str
    category: str
    owner_id: int
    owner_name: str
    distance_m: int | None  # rounded to 100 m
    score: float
    reasons: list[str]

    @property
    def category_label(self) -> str:
        return CATEGORIES.get(self.category, self.category)


async def offer_owner(offer_id: int) -> int | None:
    return await db.fetchval("SELECT owner FROM offer WHERE id = $1", offer_id)


async def ask_owner(ask_id: int) -> int | None:
    return await db.fetchval("SELECT owner FROM ask WHERE id = $1", ask_id)


async def ask_title(ask_id: int) -> str | None:
    return await db.fetchval("SELECT title FROM ask WHERE id = $1", ask_id)


async def offer_title(offer_id: int) -> str | None:
    return await db.fetchval("SELECT title FROM offer WHERE id = $1", offer_id)


# The viewer's distance to another resident, from homes (or home streets when a home isn't set).
_VIEWER_DISTANCE = """earth_distance(
      ll_to_earth(coalesce(v.home_lat, vs.centre_lat), coalesce(v.home_lng, vs.centre_lng)),
      ll_to_earth(coalesce(w.home_lat, ws.centre_lat), coalesce(w.home_lng, ws.centre_lng)))"""

MATCHES_FOR_ASK_SQL = f"""
SELECT * FROM (
SELECT m.id AS match_id, m.score, m.reasons, o.id AS offer_id, o.title, o.kind, o.category,
       w.id AS owner_id, w.display_name AS owner_name, {_VIEWER_DISTANCE} AS distance,
       coalesce(m.fit, m.score) AS fit, max(coalesce(m.fit, m.score)) OVER () AS best_fit
FROM match m
JOIN ask a ON a.id = m.ask
JOIN offer o ON o.id = m.offer
JOIN resident w ON w.id = o.owner AND w.is_active
LEFT JOIN street ws ON ws.id = coalesce(w.street, o.street)
JOIN resident v ON v.id = $2
LEFT JOIN street vs ON vs.id = v.street
WHERE m.ask = $1 AND m.dismissed_by_asker_at IS NULL
  AND a.status = 'open' AND a.hidden_at IS NULL AND a.expires_at > $5
  AND o.status = 'active' AND o.hidden_at IS NULL AND {_CURRENT.format(now="$5")}
  AND o.owner <> a.owner
  AND {_NOT_BLOCKED.format(me="a.owner", other="o.owner")}
  AND {in_scope_sql("o", viewer="$2", home="$3::int", neighbours="$4::int[]")}
) x
WHERE fit >= $7::float8 * best_fit
ORDER BY score DESC, match_id
LIMIT $6
"""

MATCHES_FOR_OFFER_SQL = f"""
SELECT m.id AS match_id, m.score, m.reasons, a.id AS ask_id, a.title, a.help_kind, a.category,
       w.id AS owner_id, w.display_name AS owner_name, {_VIEWER_DISTANCE} AS distance
FROM match m
JOIN offer o ON o.id = m.offer
JOIN ask a ON a.id = m.ask
JOIN resident w ON w.id = a.owner AND w.is_active
LEFT JOIN street ws ON ws.id = coalesce(w.street, a.street)
JOIN resident v ON v.id = $2
LEFT JOIN street vs ON vs.id = v.street
WHERE m.offer = $1 AND o.owner = $2 AND m.dismissed_by_offerer_at IS NULL
  AND o.status = 'active' AND o.hidden_at IS NULL
  AND a.status = 'open' AND a.hidden_at IS NULL AND a.expires_at > $5
  AND a.owner <> o.owner
  AND {in_scope_sql("a", viewer="$2", home="$3::int", neighbours="$4::int[]")}
ORDER BY m.score DESC, m.id
LIMIT $6
"""


def _reason_texts(raw: object, distance_m: float | None) -> list[str]:
    """The stored reasons, with the distance told from the viewer (rounded): the stored one is
    between the asker and the offerer, which is the viewer's own only for those two."""
    items = json.loads(raw) if isinstance(raw, str) else (raw or [])
    texts = [item["text"] for item in items if item.get("kind") != "distance"]
    if distance_m is not None:
        at = next((i for i, item in enumerate(items) if item.get("kind") in ("distance", "record")), len(items))
        texts.insert(min(at, len(texts)), describe_distance(distance_m))
    return texts


async def matches_for_ask(ask_id: int, viewer_id: int, *, limit: int = TOP_N) -> list[OfferMatch]:
    """The stored matches of an ask that `viewer_id` may see, best first.

    Call it for an ask the viewer may see (asks.queries.ask_visible_to). Offers the viewer can't
    see, or that are no longer on offer, drop out; so do matches the asker dismissed.
    """
    scope = await scope_of(viewer_id)
    rows = await db.fetch(MATCHES_FOR_ASK_SQL, ask_id, viewer_id, scope.home_street_id, scope.neighbour_ids,
                          clock.now(), limit, rules.RELATIVE_FIT)
    return [
        OfferMatch(
            match_id=row["match_id"], offer_id=row["offer_id"], title=row["title"], kind=row["kind"],
            category=row["category"], owner_id=row["owner_id"], owner_name=row["owner_name"],
            distance_m=None if row["distance"] is None else approx_distance_m(row["distance"]),
            score=row["score"], reasons=_reason_texts(row["reasons"], row["distance"]),
        )
        for row in rows
    ]


async def matches_for_offer(offer_id: int, viewer_id: int, *, limit: int = TOP_N) -> list[AskMatch]:
    """The stored matches of an offer, for its owner only (anyone else gets nothing), best first."""
    scope = await scope_of(viewer_id)
    rows = await db.fetch(MATCHES_FOR_OFFER_SQL, offer_id, viewer_id, scope.home_street_id, scope.neighbour_ids,
                          clock.now(), limit)
    return [
        AskMatch(
            match_id=row["match_id"], ask_id=row["ask_id"], title=row["title"], help_kind=row["help_kind"],
            category=row["category"], owner_id=row["owner_id"], owner_name=row["owner_name"],
            distance_m=None if row["distance"] is None else approx_distance_m(row["distance"]),
            score=row["score"], reasons=_reason_texts(row["reasons"], row["distance"]),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class MatchParties:
    id: int
    ask: int
    offer: int
    asker: int
    offerer: int
    dismissed_by_asker_at: datetime | None
    dismissed_by_offerer_at: datetime | None


async def match_parties(match_id: int, *, lock: bool = False) -> MatchParties | None:
    row = await db.fetchrow(
        f"""
        SELECT m.id, m.ask, m.offer, a.owner AS asker, o.owner AS offerer,
               m.dismissed_by_asker_at, m.dismissed_by_offerer_at
        FROM match m JOIN ask a ON a.id = m.ask JOIN offer o ON o.id = m.offer
        WHERE m.id = $1 {"FOR UPDATE OF m" if lock else ""}
        """,
        match_id,
    )
    return MatchParties(**dict(row)) if row else None
