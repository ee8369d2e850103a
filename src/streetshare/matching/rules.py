"""Matching, the pure part: which offers can meet which asks, and how well one pair fits.

No I/O. PostgreSQL finds the candidates (queries.py); this module decides, for one ask and one
offer, whether they are a match, the score that orders matches, and the reasons people see.

Words are compared as PostgreSQL's English stemmer saw them: both sides arrive as their
generated `search` tsvectors (title words weighted A, description words B), parsed by
`parse_tsvector`. A *concept* is one thing an ask (or offer) talks about: a synonym group it
mentions ("hoover" -> the vacuum-cleaner group) or, outside those, a plain word ("ladder").

THE SCORE (the one place it is defined; `score` below is the formula):

    score = 0.45 * coverage    how much of what the ask's title talks about the offer mentions (0..1):
                               the thing itself counts fully, words after "for", "to"... (the
                               purpose: "canopy for a car boot sale") count PURPOSE; a concept found
                               in the offer's title counts 1, in its description IN_DESCRIPTION;
                               the ask's description can only add to it (DESCRIPTION_SHARE of the rest)
          + 0.15 * focus       how much of what the offer's title talks about the ask mentions (0..1):
                               "snakes and ladders board game" is only partly about ladders; an
                               ask is also about its category ("Garden help" suits any Garden ask)
          + 0.05 * title       trigram similarity of the two titles (pg_trgm similarity, 0..1)
          + 0.15 * category    1 when both are in the same category
          + 0.10 * kind        1 when the offer is the kind of thing the ask is for (lend for borrow,
                               skill or time for help); 0 for the do-it-yourself fallback
                               (a tool to lend for someone asking for help with a job)
          + 0.05 * closeness   1 next door, falling to 0 at 2 km
          + 0.05 * record      the provider's completed exchanges, 1 from 5 on

A pair is a match only with evidence about the need itself: coverage of at least MIN_COVERAGE and
a score of at least MIN_SCORE; or, for help (skill and time asks met by skill and time offers),
the same category and a score of at least MIN_SCORE_CATEGORY_ALONE ("garden help on Saturdays"
for "someone to cut back my hedge"). Words match as written, as synonyms (synonyms.py), as the
doer of a verb (trim: trimmer) or misspelt (strimer: strimmer), the last two a little less.
The weights and thresholds were chosen on the labelled set in tests/data/matching_pairs.json
(run `python -m streetshare.matching.evaluate --verbose`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

# ---------------------------------------------------------------- kinds

# The offer kinds that meet each kind of ask, best first.
PRIMARY_KINDS: dict[str, tuple[str, ...]] = {
    "borrow": ("lend", "give"),
    "receive": ("give",),
    "skill": ("skill", "time"),
    "time": ("time", "skill"),
}
# Someone asking for help with a job could also borrow the tool and do it themselves.
SECONDARY_KINDS: dict[str, tuple[str, ...]] = {"skill": ("lend",), "time": ("lend",)}
HELP = ("skill", "time")


def offer_kinds_for(help_kind: str) -> tuple[str, ...]:
    """Every offer kind that can meet an ask of this help kind."""
    return PRIMARY_KINDS.get(help_kind, ()) + SECONDARY_KINDS.get(help_kind, ())


def help_kinds_for(offer_kind: str) -> tuple[str, ...]:
    """Every kind of ask an offer of this kind can meet."""
    return tuple(h for h in PRIMARY_KINDS if offer_kind in offer_kinds_for(h))


def kind_fit(help_kind: str, offer_kind: str) -> float | None:
    """1 for the kinds the ask is for, 0 for the do-it-yourself fallback, None when they can't meet."""
    if offer_kind in PRIMARY_KINDS.get(help_kind, ()):
        return 1.0
    if offer_kind in SECONDARY_KINDS.get(help_kind, ()):
        return 0.0
    return None


def category_alone_counts(help_kind: str, offer_kind: str) -> bool:
    """Help in the same category is worth suggesting even when the words differ."""
    return help_kind in HELP and offer_kind in HELP


# ---------------------------------------------------------------- the score

WEIGHTS: dict[str, float] = {
    "coverage": 0.45,
    "focus": 0.15,
    "title": 0.05,
    "category": 0.15,
    "kind": 0.10,
    "closeness": 0.05,
    "record": 0.05,
}
MIN_COVERAGE = 0.4
MIN_SCORE = 0.5
MIN_SCORE_CATEGORY_ALONE = 0.35  # help in the same category, when the words don't say enough
PURPOSE = 0.4  # a title word after "for", "to", "on"... ("gazebo for a street party")
DESCRIPTION_SHARE = 0.25  # how much of the uncovered rest the ask's description can make up
IN_DESCRIPTION = 0.7  # a concept found only in a description counts this much
FAR_M = 2000.0
RECORD_FULL = 5
UNKNOWN_CLOSENESS = 0.5


def score(parts: Mapping[str, float]) -> float:
    """The weighted sum of the parts (each 0..1); see the module docstring."""
    return round(sum(weight * parts.get(name, 0.0) for name, weight in WEIGHTS.items()), 4)


def closeness(distance_m: float | None) -> float:
    if distance_m is None:
        return UNKNOWN_CLOSENESS
    return max(0.0, 1.0 - distance_m / FAR_M)


def record(completed: int) -> float:
    return min(max(completed, 0), RECORD_FULL) / RECORD_FULL


# ---------------------------------------------------------------- words

_LEXEME = re.compile(r"'((?:[^']|'')*)'(?::([0-9A-D,]+))?")


@dataclass(frozen=True)
class Doc:
    """A parsed tsvector: where each lexeme occurs, and which positions are in the title (weight A)."""

    positions: Mapping[str, frozenset[int]]
    title_positions: frozenset[int] = frozenset()
    # The lexemes of the title's head: the thing itself, before "for", "to"... (None: the whole title).
    head: frozenset[str] | None = None

    def has(self, lexeme: str) -> bool:
        return lexeme in self.positions

    def in_title(self, lexeme: str) -> bool:
        return not self.positions.get(lexeme, frozenset()).isdisjoint(self.title_positions)


def parse_tsvector(text: str | None, head: str | None = None) -> Doc:
    """"'hedg':3A 'trimmer':4A,9" -> Doc. Lexemes without positions get none (they still count as present).
    `head` is the tsvector of the title's head (see queries.HEAD_SQL), if known."""
    positions: dict[str, set[int]] = {}
    title: set[int] = set()
    for match in _LEXEME.finditer(text or ""):
        lexeme = match.group(1).replace("''", "'").replace("\\\\", "\\")
        spots = positions.setdefault(lexeme, set())
        for item in (match.group(2) or "").split(","):
            if not item:
                continue
            weight = item[-1] if item[-1] in "ABCD" else "D"
            pos = int(item.rstrip("ABCD"))
            spots.add(pos)
            if weight == "A":
                title.add(pos)
    heads = frozenset(parse_tsvector(head).positions) if head is not None else None
    return Doc({k: frozenset(v) for k, v in positions.items()}, frozenset(title), heads)


@dataclass(frozen=True)
class Phrase:
    """A phrase of the synonym list as people write it, and its lexemes with their offsets."""

    text: str
    parts: tuple[tuple[str, int], ...]

    @property
    def lexemes(self) -> tuple[str, ...]:
        return tuple(lexeme for lexeme, _ in self.parts)


def phrase_from_tsvector(text: str, tsvector: str) -> Phrase | None:
    """The phrase's lexemes in order, with offsets from the first (None if it is all stop words)."""
    doc = parse_tsvector(tsvector)
    spots = sorted((pos, lexeme) for lexeme, positions in doc.positions.items() for pos in positions)
    if not spots:
        return None
    first = spots[0][0]
    return Phrase(text, tuple((lexeme, pos - first) for pos, lexeme in spots))


@dataclass(frozen=True)
class Vocabulary:
    """The synonym groups and stop words, as lexemes (built once from synonyms.py by queries.vocabulary)."""

    groups: tuple[tuple[Phrase, ...], ...]
    stop: frozenset[str] = frozenset()
    # category -> the lexemes of its label ("garden" -> {"garden"}, "lifts_errands" -> {"lift", "errand"})
    categories: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # lexeme -> the (group, phrase) pairs whose phrase starts with it
    _by_first: dict[str, list[tuple[int, Phrase]]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for index, group in enumerate(self.groups):
            for phrase in group:
                self._by_first.setdefault(phrase.parts[0][0], []).append((index, phrase))

    def phrases_starting(self, lexeme: str) -> list[tuple[int, Phrase]]:
        return self._by_first.get(lexeme, [])


def occurrences(doc: Doc, phrase: Phrase) -> list[frozenset[int]]:
    """Each place the phrase occurs in the document, as the set of positions it covers."""
    first, _ = phrase.parts[0]
    found = []
    for start in sorted(doc.positions.get(first, ())):
        covered = []
        for lexeme, offset in phrase.parts:
            if start + offset not in doc.positions.get(lexeme, ()):
                break
            covered.append(start + offset)
        else:
            found.append(frozenset(covered))
    return found


@dataclass(frozen=True)
class Concept:
    """One thing a text talks about: a synonym group (with the phrase it used) or a plain word."""

    key: str
    in_title: bool
    lexeme: str | None = None
    group: int | None = None
    phrase: Phrase | None = None
    in_head: bool = True  # in the title's head, not its purpose
    position: int = 0  # where it is first mentioned

    @property
    def weight(self) -> float:
        return 1.0 if self.in_head else PURPOSE


def concepts(doc: Doc, vocab: Vocabulary) -> list[Concept]:
    """What a text talks about. Longer synonym phrases win over shorter ones inside them
    ("hedge trimmer" is the tool, not also "hedge"); stop words are dropped."""
    found: list[tuple[int, Phrase, frozenset[int]]] = []
    for lexeme in doc.positions:
        for group, phrase in vocab.phrases_starting(lexeme):
            for covered in occurrences(doc, phrase):
                found.append((group, phrase, covered))
    found.sort(key=lambda f: (-len(f[2]), min(f[2]), f[0]))
    taken: set[int] = set()
    groups: dict[int, Concept] = {}
    for group, phrase, covered in found:
        if covered & taken:
            continue
        taken |= covered
        in_title = bool(covered & doc.title_positions)
        in_head = doc.head is None or any(lexeme in doc.head for lexeme in phrase.lexemes)
        known = groups.get(group)
        if known is None or (in_title, in_head) > (known.in_title, known.in_head):
            groups[group] = Concept(f"g{group}", in_title, group=group, phrase=phrase, in_head=in_head,
                                    position=min(covered))
    words = []
    for lexeme, positions in doc.positions.items():
        free = positions - taken
        if lexeme in vocab.stop or (positions and not free) or not _is_word(lexeme):
            continue
        words.append(Concept(f"w:{lexeme}", bool(free & doc.title_positions), lexeme=lexeme,
                             in_head=doc.head is None or lexeme in doc.head, position=min(free, default=0)))
    return sorted([*groups.values(), *words], key=lambda c: (c.position, c.key))


def _is_word(lexeme: str) -> bool:
    return len(lexeme) > 1 and not lexeme.isdigit()


@dataclass(frozen=True)
class Hit:
    """Where a concept of one side was found in the other: its strength and the phrase used there."""

    concept: Concept
    strength: float
    phrase: Phrase | None = None


def doers(lexeme: str) -> set[str]:
    """The tool or person that does what a verb says, and back: trim <-> trimmer, cut <-> cutter,
    mow <-> mower, prune <-> pruner, clean <-> cleaner ("cut back my hedge" and a hedge trimmer)."""
    if len(lexeme) < 3 or not lexeme.isalpha():
        return set()
    found = set()
    if lexeme.endswith("e"):
        found.add(lexeme + "r")
    else:
        found.add(lexeme + "er")
        if lexeme[-1] not in _VOWELS + "wxy" and lexeme[-2] in _VOWELS and lexeme[-3] not in _VOWELS:
            found.add(lexeme + lexeme[-1] + "er")
    if lexeme.endswith("er") and len(lexeme) > 4:
        base = lexeme[:-2]
        found |= {base, base + "e"}
        if base[-1] == base[-2]:
            found.add(base[:-1])
    found.discard(lexeme)
    return found


_VOWELS = "aeiou"


def find(concept: Concept, other: Doc, vocab: Vocabulary) -> Hit | None:
    """The concept in the other text: in its title (1), its description (IN_DESCRIPTION), or not at all;
    as the doer of its verb (trimmer for trim, AS_DOER) or misspelt (strimer for strimmer, AS_TYPO), a little less."""
    if concept.lexeme is not None:
        if other.has(concept.lexeme):
            return Hit(concept, 1.0 if other.in_title(concept.lexeme) else IN_DESCRIPTION)
        return _as_doer(concept, [concept.lexeme], other) or _as_typo(concept, other)
    best: Hit | None = None
    assert concept.group is not None
    for phrase in vocab.groups[concept.group]:
        for covered in occurrences(other, phrase):
            strength = 1.0 if covered & other.title_positions else IN_DESCRIPTION
            if best is None or strength > best.strength or (
                strength == best.strength and best.phrase is not None and len(phrase.parts) > len(best.phrase.parts)
            ):
                best = Hit(concept, strength, phrase)
    if best is None:
        best = _as_doer(concept, [p.parts[0][0] for p in vocab.groups[concept.group] if len(p.parts) == 1], other)
    return best


AS_DOER = 0.8
AS_TYPO = 0.8
TYPO_SIMILARITY = 0.6  # pg_trgm's word similarity threshold
TYPO_MIN_LENGTH = 5


def trigrams(word: str) -> frozenset[str]:
    """pg_trgm's trigrams of one word: lower case, padded with two spaces in front and one behind."""
    return _trigrams(word.lower())


@lru_cache(maxsize=8192)
def _trigrams(word: str) -> frozenset[str]:
    padded = f"  {word} "
    return frozenset(padded[i:i + 3] for i in range(len(padded) - 2))


def similarity(a: str, b: str) -> float:
    """pg_trgm's similarity() of two words: shared trigrams over all trigrams."""
    x, y = trigrams(a), trigrams(b)
    return len(x & y) / len(x | y) if x and y else 0.0


def _as_typo(concept: Concept, other: Doc) -> Hit | None:
    lexeme = concept.lexeme
    if lexeme is None or len(lexeme) < TYPO_MIN_LENGTH or not lexeme.isalpha():
        return None
    best: Hit | None = None
    for candidate in other.positions:
        if len(candidate) < TYPO_MIN_LENGTH or abs(len(candidate) - len(lexeme)) > 2:
            continue
        if similarity(lexeme, candidate) >= TYPO_SIMILARITY:
            strength = AS_TYPO * (1.0 if other.in_title(candidate) else IN_DESCRIPTION)
            if best is None or strength > best.strength:
                best = Hit(concept, strength, Phrase(candidate, ((candidate, 0),)))
    return best


def _as_doer(concept: Concept, lexemes: Sequence[str], other: Doc) -> Hit | None:
    best: Hit | None = None
    for lexeme in lexemes:
        for doer in sorted(doers(lexeme)):
            if other.has(doer):
                strength = AS_DOER * (1.0 if other.in_title(doer) else IN_DESCRIPTION)
                if best is None or strength > best.strength:
                    best = Hit(concept, strength, Phrase(doer, ((doer, 0),)))
    return best


def query_terms(found: Iterable[Concept], vocab: Vocabulary) -> list[str]:
    """tsquery operands for a text's concepts: each plain word, and every phrase of each synonym group,
    with the doers of single words (trim: trimmer). OR'ed together they find the candidates on the
    other side (GIN index on `search`)."""
    terms: list[str] = []
    for concept in found:
        if concept.lexeme is not None:
            terms += [_quote(concept.lexeme), *(_quote(d) for d in sorted(doers(concept.lexeme)))]
        elif concept.group is not None:
            for phrase in vocab.groups[concept.group]:
                terms.append(_phrase_query(phrase))
                if len(phrase.parts) == 1:
                    terms += [_quote(d) for d in sorted(doers(phrase.parts[0][0]))]
    return list(dict.fromkeys(terms))


def tsquery_text(terms: Sequence[str]) -> str | None:
    return " | ".join(f"({t})" if " " in t else t for t in terms) or None


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _phrase_query(phrase: Phrase) -> str:
    out = _quote(phrase.parts[0][0])
    for (_, prev), (lexeme, offset) in zip(phrase.parts, phrase.parts[1:]):
        out += f" <{offset - prev}> {_quote(lexeme)}"
    return out


# ---------------------------------------------------------------- one pair


@dataclass(frozen=True)
class Pair:
    """What is known about one ask and one offer when deciding whether they match."""

    ask: Doc
    offer: Doc
    help_kind: str
    offer_kind: str
    ask_category: str
    offer_category: str
    title_similarity: float = 0.0
    distance_m: float | None = None
    completed: int = 0


@dataclass(frozen=True)
class Fit:
    score: float
    parts: Mapping[str, float]
    hits: tuple[Hit, ...]
    pair: Pair


def fit(pair: Pair, vocab: Vocabulary, *, ask_concepts: Sequence[Concept] | None = None) -> Fit | None:
    """The pair's score and the evidence for it, or None when it is not a match.
    (`ask_concepts`: concepts(pair.ask, vocab), when the caller scores one ask against many offers.)"""
    kind = kind_fit(pair.help_kind, pair.offer_kind)
    if kind is None:
        return None
    if ask_concepts is None:
        ask_concepts = concepts(pair.ask, vocab)
    hits = [hit for c in ask_concepts if (hit := find(c, pair.offer, vocab)) is not None]
    coverage = _coverage(ask_concepts, hits)
    same_category = pair.ask_category == pair.offer_category
    on_words = coverage >= MIN_COVERAGE
    if not on_words and not (same_category and category_alone_counts(pair.help_kind, pair.offer_kind)):
        return None
    offer_title = [c for c in concepts(pair.offer, vocab) if c.in_title]
    focus = _focus(offer_title, pair.ask, vocab, vocab.categories.get(pair.ask_category, frozenset()))
    parts = {
        "coverage": coverage,
        "focus": focus,
        "title": max(0.0, min(1.0, pair.title_similarity)),
        "category": 1.0 if same_category else 0.0,
        "kind": kind,
        "closeness": closeness(pair.distance_m),
        "record": record(pair.completed),
    }
    total = score(parts)
    if total < (MIN_SCORE if on_words else MIN_SCORE_CATEGORY_ALONE):
        return None
    hits.sort(key=lambda h: (not h.concept.in_title, not h.concept.in_head, -h.strength, h.concept.position))
    return Fit(total, parts, tuple(hits), pair)


def _coverage(found: Sequence[Concept], hits: Sequence[Hit]) -> float:
    strength = {hit.concept.key: hit.strength for hit in hits}
    title = [c for c in found if c.in_title]
    rest = [c for c in found if not c.in_title]
    rest_part = sum(strength.get(c.key, 0.0) for c in rest) / len(rest) if rest else 0.0
    if not title:
        return rest_part
    title_part = sum(c.weight * strength.get(c.key, 0.0) for c in title) / sum(c.weight for c in title)
    return title_part + (1 - title_part) * DESCRIPTION_SHARE * rest_part


def _focus(offer_title: Sequence[Concept], ask: Doc, vocab: Vocabulary, topic: frozenset[str]) -> float:
    """How much of the offer's title the ask talks about. An ask is also about its category: "Garden
    help on Saturdays" is all about what an ask in Garden needs, whatever its words."""
    if not offer_title:
        return 0.0
    met = 0.0
    for concept in offer_title:
        hit = find(concept, ask, vocab)
        if hit is not None:
            met += concept.weight * hit.strength
        elif _about(concept, topic, vocab):
            met += concept.weight * IN_DESCRIPTION
    return met / sum(c.weight for c in offer_title)


def _about(concept: Concept, topic: frozenset[str], vocab: Vocabulary) -> bool:
    if concept.lexeme is not None:
        return concept.lexeme in topic
    assert concept.group is not None
    return any(len(p.parts) == 1 and p.parts[0][0] in topic for p in vocab.groups[concept.group])


# ---------------------------------------------------------------- reasons


@dataclass(frozen=True)
class Reason:
    kind: str  # words | synonym | category | kind | distance | record
    text: str


MAX_WORD_REASONS = 3


def reasons(
    result: Fit,
    *,
    words: Mapping[str, str],
    category_label: str,
    distance_text: str | None,
) -> list[Reason]:
    """Why the pair was suggested, in people's words: "both mention ladder", "hoover ≈ vacuum cleaner",
    "Garden", "about 300 m away", "completed 4 exchanges". `words` maps the ask's lexemes to the word
    the asker typed; `distance_text` is already rounded (privacy.describe_distance)."""
    out: list[Reason] = []
    for hit in result.hits[:MAX_WORD_REASONS]:
        concept = hit.concept
        if concept.lexeme is not None and hit.phrase is not None:
            out.append(Reason("words", f"{words.get(concept.lexeme, concept.lexeme)} ≈ {hit.phrase.text}"))
        elif concept.lexeme is not None:
            out.append(Reason("words", f"both mention {words.get(concept.lexeme, concept.lexeme)}"))
        elif concept.phrase is not None and hit.phrase is not None:
            if concept.phrase.lexemes == hit.phrase.lexemes:
                out.append(Reason("words", f"both mention {concept.phrase.text}"))
            else:
                out.append(Reason("synonym", f"{concept.phrase.text} ≈ {hit.phrase.text}"))
    if result.parts["category"]:
        out.append(Reason("category", category_label))
    if result.parts["kind"] == 0.0:
        out.append(Reason("kind", "to borrow and do it yourself"))
    if distance_text:
        out.append(Reason("distance", distance_text))
    completed = result.pair.completed
    if completed > 0:
        out.append(Reason("record", f"completed {completed} exchange{'s' if completed != 1 else ''}"))
    return out
