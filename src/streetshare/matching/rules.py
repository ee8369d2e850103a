"""Matching, the pure part: which offers can meet which asks, and how well one pair fits.

No I/O. PostgreSQL finds the candidates (queries.py); this module decides, for one ask and one
offer, whether they are a match, the score that orders matches, and the reasons people see.

Words are compared as PostgreSQL's English stemmer saw them: both sides arrive as their
generated `search` tsvectors (title words weighted A, description words B), parsed by
`parse_tsvector`. A *concept* is one thing an ask (or offer) talks about: a synonym group it
mentions ("hoover" -> the vacuum-cleaner group) or, outside those, a plain word ("ladder").

THE SCORE (the one place it is defined; `fit` and `score` below are the formula):

    text  = 0.5625 * coverage  how much of what the ask's title talks about the offer mentions (0..1):
                               the thing itself counts fully, words after "for", "to"... (the
                               purpose: "canopy for a car boot sale") count PURPOSE; when a thing
                               is asked for, a word naming what kind the next one is counts
                               AS_MODIFIER ("bike" in "bike lock"); a concept found in the offer's
                               title counts 1, in its description IN_DESCRIPTION, as what the
                               offer's thing is for MODIFIER ("drill" in "Drill bits"); inside
                               another thing's name not at all ("trimmer" in "hedge trimmer");
                               the ask's description can only add to it (DESCRIPTION_SHARE of the rest)
          + 0.1875 * focus     how much of what the offer's title talks about the ask mentions (0..1):
                               "snakes and ladders board game" is only partly about ladders; an
                               ask is also about its category ("Garden help" suits any Garden ask)
          + 0.0625 * title     trigram similarity of the two titles (pg_trgm similarity, 0..1)
          + 0.1875 * category  1 when both are in the same category
    fit   = text * kind        KIND_FIT: 1 for the kinds the ask is for (lend for borrow, skill or
                               time for help), less for the others (a tool to lend for someone who
                               asked for help: DO_IT_YOURSELF). Never 0: no kind is excluded. A kind
                               guessed from the ask's words (the asker left it out) counts less.
    score = 0.70 * fit
          + 0.20 * distance    same street first (SAME_STREET), then nearer: 0 at 2 km
          + 0.05 * freshness   1 for an offer posted or changed today, 0 after FRESH_DAYS
          + 0.05 * record      the provider's completed exchanges, 1 from 5 on

A pair is a match only with evidence about the need itself: coverage of at least MIN_COVERAGE and
a fit of at least MIN_FIT (help, or a tool for a job) or MIN_FIT_THING (a thing asked for and
offered); or, for help (skill and time
asks met by skill and time offers), the same category and a fit of at least MIN_FIT_CATEGORY_ALONE
("garden help on Saturdays" for "someone to cut back my hedge"). An offer is shown with an ask
only when its fit is at least RELATIVE_FIT of the ask's best one (fit, not score: a farther offer
that meets the need as well is never cut). Matches are ordered by score; each part is a reason.
Words match as written, as synonyms (synonyms.py), as the doer of a verb (trim: trimmer) or
misspelt (strimer: strimmer), the last two a little less. The weights and thresholds were chosen
on the tuning part of the labelled set in tests/data/matching_pairs.json (run
`python -m streetshare.matching.evaluate --verbose`); its held-out part only measures.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache

from streetshare.places.privacy import approx_distance_m

# ---------------------------------------------------------------- kinds

ASK_KINDS = ("borrow", "receive", "skill", "time")
OFFER_KINDS = ("lend", "give", "skill", "time")
HELP = ("skill", "time")

# How well each kind of offer suits each kind of ask, as a factor on the text fit (0..1). No kind
# is ever excluded: the words decide whether a pair is a match at all, and a kind that suits the
# ask less needs more of them. Someone asking for help with a job could borrow the tool and do it
# themselves (lend: DO_IT_YOURSELF); someone asking to borrow could be glad to keep one (give).
DO_IT_YOURSELF = 0.78
KIND_FIT: dict[str, dict[str, float]] = {
    "borrow": {"lend": 1.0, "give": 0.9, "skill": 0.5, "time": 0.5},
    "receive": {"give": 1.0, "lend": 0.55, "skill": 0.5, "time": 0.5},
    "skill": {"skill": 1.0, "time": 0.95, "lend": DO_IT_YOURSELF, "give": 0.6},
    "time": {"time": 1.0, "skill": 0.95, "lend": DO_IT_YOURSELF, "give": 0.6},
}
# When the asker didn't say the kind, it was guessed from the words (asks.rules.infer_help_kind):
# a guess counts this much of the stated kind's penalty.
GUESS_WEIGHT = 0.6


def offer_kinds_for(help_kind: str) -> tuple[str, ...]:
    """Every offer kind that can meet an ask of this help kind, best first (all of them: kinds only rank)."""
    fits = KIND_FIT.get(help_kind, {})
    return tuple(sorted(OFFER_KINDS, key=lambda k: (-fits.get(k, 0.0), OFFER_KINDS.index(k))))


def help_kinds_for(offer_kind: str) -> tuple[str, ...]:
    """Every kind of ask an offer of this kind can meet (all of them: kinds only rank)."""
    return tuple(sorted(ASK_KINDS, key=lambda h: (-KIND_FIT[h].get(offer_kind, 0.0), ASK_KINDS.index(h))))


def kind_fit(help_kind: str, offer_kind: str, *, stated: bool = True) -> float:
    """How well the offer's kind suits the ask's (1 for the kinds it is for); a guessed kind counts less."""
    fit = KIND_FIT.get(help_kind, {}).get(offer_kind, 0.5)
    return fit if stated else 1.0 - (1.0 - fit) * GUESS_WEIGHT


def thing_asked(help_kind: str) -> bool:
    """A thing (to borrow or keep) rather than a job: its title's words name the thing."""
    return help_kind not in HELP


def category_alone_counts(help_kind: str, offer_kind: str) -> bool:
    """Help in the same category is worth suggesting even when the words differ."""
    return help_kind in HELP and offer_kind in HELP


# ---------------------------------------------------------------- the score

# How well the offer meets the need (`fit`, 0..1): the text parts, times the kind factor.
TEXT_WEIGHTS: dict[str, float] = {"coverage": 0.5625, "focus": 0.1875, "title": 0.0625, "category": 0.1875}
# The order of matches blends the fit with where, how fresh and how reliable.
WEIGHTS: dict[str, float] = {"fit": 0.70, "distance": 0.20, "freshness": 0.05, "record": 0.05}
MIN_FIT = 0.45  # help, or a tool for a job: offers of help are written in general terms ("Garden help")
MIN_FIT_THING = 0.6  # a thing asked for and a thing offered: both titles name it, so the words must meet closely
MIN_FIT_CATEGORY_ALONE = 0.26  # help in the same category, when the words don't say enough
RELATIVE_FIT = 0.8  # an offer is shown with an ask only when it fits at least this share of the best one's fit
PURPOSE = 0.4  # a title word after "for", "to", "on"... ("gazebo for a street party")
DESCRIPTION_SHARE = 0.25  # how much of the uncovered rest the ask's description can make up
IN_DESCRIPTION = 0.7  # a concept found only in a description counts this much
FAR_M = 2000.0
SAME_STREET = 0.5  # of the distance part: on the ask's own street; the rest is closeness
FRESH_DAYS = 60.0  # an offer this old (since it was posted or last changed) is no longer fresh
NEW_DAYS = 14  # "offered 3 days ago" is a reason up to this age
RECORD_FULL = 5
UNKNOWN_CLOSENESS = 0.5


def close_to_best(fit: float, best: float) -> bool:
    """Whether an offer fits nearly as well as the ask's best one ("Drill bits" don't, under a drill):
    fit, not score, so that a farther offer that meets the need as well is never cut."""
    return fit >= RELATIVE_FIT * best - 1e-9


def text_fit(parts: Mapping[str, float]) -> float:
    return sum(weight * parts.get(name, 0.0) for name, weight in TEXT_WEIGHTS.items())


MIN_COVERAGE = 0.4


def score(parts: Mapping[str, float]) -> float:
    """The weighted sum of the parts (each 0..1); see the module docstring."""
    return round(sum(weight * parts.get(name, 0.0) for name, weight in WEIGHTS.items()), 4)


def closeness(distance_m: float | None) -> float:
    """From the distance as it may be shown (100 m steps), never the exact one: the score is in the
    API's answer, and an exact figure in it would tell the distance between two homes to a few metres."""
    if distance_m is None:
        return UNKNOWN_CLOSENESS
    return max(0.0, 1.0 - approx_distance_m(distance_m) / FAR_M)


def place(same_street: bool, distance_m: float | None) -> float:
    """Same street first, then nearer: half for being on the ask's street, half for closeness."""
    return SAME_STREET * same_street + (1.0 - SAME_STREET) * closeness(distance_m)


def freshness(age_days: float | None) -> float:
    if age_days is None:
        return 0.5
    return max(0.0, 1.0 - max(age_days, 0.0) / FRESH_DAYS)


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
    # concepts(), once per vocabulary and mode: an offer is scored against many asks in a worker's life
    _concepts: dict = field(default_factory=dict, compare=False, repr=False)

    def has(self, lexeme: str) -> bool:
        return lexeme in self.positions

    def in_title(self, lexeme: str) -> bool:
        return not self.positions.get(lexeme, frozenset()).isdisjoint(self.title_positions)

    @cached_property
    def at(self) -> dict[int, str]:
        """position -> the lexeme there (stop words have no position of their own)."""
        return {pos: lexeme for lexeme, spots in self.positions.items() for pos in spots}


@lru_cache(maxsize=20_000)
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
    modifier: bool = False  # it says what kind of thing the next title word is: "bike" in "bike lock"
    qualified: bool = False  # the title says which kind it is: "cleaner" in "window cleaner"

    @property
    def weight(self) -> float:
        if not self.in_head:
            return PURPOSE
        return AS_MODIFIER if self.modifier else 1.0


def concepts(doc: Doc, vocab: Vocabulary, *, compounds: bool = True) -> list[Concept]:
    """What a text talks about. Longer synonym phrases win over shorter ones inside them
    ("hedge trimmer" is the tool, not also "hedge"); stop words are dropped. With `compounds` (a
    thing is asked for), a title word that says what kind of thing the next one is counts less
    ("bike" in "bike lock"); for a job it is the job's object ("cut back my hedge")."""
    key = (id(vocab), compounds)
    known = doc._concepts.get(key)
    if known is None:
        known = doc._concepts[key] = _concepts(doc, vocab, compounds)
    return list(known)


def _concepts(doc: Doc, vocab: Vocabulary, compounds: bool) -> list[Concept]:
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
                                    position=min(covered), modifier=compounds and _names_a_kind_of(covered, doc, vocab))
    words = []
    for lexeme, positions in doc.positions.items():
        free = positions - taken
        if lexeme in vocab.stop or (positions and not free) or not _is_word(lexeme):
            continue
        in_title = free & doc.title_positions
        words.append(Concept(f"w:{lexeme}", bool(in_title), lexeme=lexeme,
                             in_head=doc.head is None or lexeme in doc.head, position=min(free, default=0),
                             modifier=compounds and bool(in_title) and all(_names_a_kind_of(frozenset({p}), doc, vocab)
                                                              for p in in_title)))
    found_all = [*groups.values(), *words]
    after_modifier = {c.position + (len(c.phrase.parts) if c.phrase else 1) for c in found_all if c.modifier}
    found_all = [replace(c, qualified=True) if c.lexeme is not None and c.position in after_modifier else c
                 for c in found_all]
    return sorted(found_all, key=lambda c: (c.position, c.key))


AS_MODIFIER = 0.6  # the weight of a title word that says what kind of thing the next one is ("tent" in "tent pegs")


def _names_a_kind_of(covered: frozenset[int], doc: Doc, vocab: Vocabulary) -> bool:
    """Whether the next word of the title's head is another thing these words describe ("bike" in "bike lock")."""
    after = max(covered) + 1
    following = doc.at.get(after)
    return (following is not None and after in doc.title_positions and following not in vocab.stop
            and following.isalpha() and (doc.head is None or following in doc.head))


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


def find(concept: Concept, other: Doc, vocab: Vocabulary, *, compounds: bool = True) -> Hit | None:
    """The concept in the other text: in its title (1), its description (IN_DESCRIPTION), or not at all;
    as the doer of its verb (trimmer for trim, AS_DOER) or misspelt (strimer for strimmer, AS_TYPO), a little less."""
    if concept.lexeme is not None:
        if other.has(concept.lexeme):
            spots = [p for p in other.positions[concept.lexeme] if not (
                compounds and concept.qualified and _in_longer_phrase(frozenset({p}), None, other, vocab) == "end")]
            if other.positions[concept.lexeme] and not spots:
                return None  # a "carpet cleaner" is another kind than the window cleaner asked for
            return Hit(concept, max((_strength(frozenset({p}), other, vocab, compounds) for p in spots), default=1.0))
        return _as_doer(concept, [concept.lexeme], other) or _as_typo(concept, other)
    best: Hit | None = None
    assert concept.group is not None
    for phrase in vocab.groups[concept.group]:
        for covered in occurrences(other, phrase):
            if _in_longer_phrase(covered, concept.group, other, vocab) == "end":
                continue  # "trimmer" in "hedge trimmer" is another tool than a (grass) trimmer
            strength = _strength(covered, other, vocab, compounds)
            if best is None or strength > best.strength or (
                strength == best.strength and best.phrase is not None and len(phrase.parts) > len(best.phrase.parts)
            ):
                best = Hit(concept, strength, phrase)
    if best is None:
        best = _as_doer(concept, [p.parts[0][0] for p in vocab.groups[concept.group] if len(p.parts) == 1], other)
    return best


MODIFIER = 0.5  # the word only says what the title's thing is for: "drill" in "Drill bits", "baby" in "Baby clothes"


def _strength(covered: frozenset[int], other: Doc, vocab: Vocabulary, compounds: bool = True) -> float:
    """In the title (1), naming what the title's thing is for (MODIFIER: only when a thing is asked
    for; for a job, "hedge" in "hedge cutter" is just what it is for), or in the description."""
    if not covered & other.title_positions:
        return IN_DESCRIPTION
    if not compounds:
        return 1.0
    if _names_a_kind_of(covered, other, vocab):
        return MODIFIER
    if _in_longer_phrase(covered, None, other, vocab) == "inside":
        return MODIFIER  # "drill" in "drill bits", "hedge" in "hedge cutter"
    return 1.0


def _in_longer_phrase(covered: frozenset[int], group: int | None, other: Doc, vocab: Vocabulary) -> str | None:
    """Whether these words are part of a longer phrase of another synonym group in the other text:
    at its "end" (the phrase names another thing: a hedge trimmer is not a trimmer), "inside" it
    (they say what it is for), or not (None)."""
    last, first = max(covered), min(covered)
    found = None
    for start in range(max(0, last - 4), first + 1):
        lexeme = other.at.get(start)
        if lexeme is None:
            continue
        for index, phrase in vocab.phrases_starting(lexeme):
            end = start + phrase.parts[-1][1]
            if index == group or len(phrase.parts) <= len(covered) or end < last:
                continue
            if all(start + offset in other.positions.get(part, ()) for part, offset in phrase.parts):
                if end == last:
                    return "end"
                found = "inside"
    return found


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
    kind_stated: bool = True  # False: help_kind is a guess from the ask's words
    same_street: bool = False  # the offer is on the ask's street
    age_days: float | None = None  # since the offer was posted or last changed


@dataclass(frozen=True)
class Fit:
    score: float
    parts: Mapping[str, float]
    hits: tuple[Hit, ...]
    pair: Pair


def fit(pair: Pair, vocab: Vocabulary, *, ask_concepts: Sequence[Concept] | None = None) -> Fit | None:
    """The pair's score and the evidence for it, or None when it is not a match.
    (`ask_concepts`: concepts(pair.ask, vocab), when the caller scores one ask against many offers.)"""
    kind = kind_fit(pair.help_kind, pair.offer_kind, stated=pair.kind_stated)
    compounds = thing_asked(pair.help_kind)
    if ask_concepts is None:
        ask_concepts = concepts(pair.ask, vocab, compounds=compounds)
    hits = [hit for c in ask_concepts if (hit := find(c, pair.offer, vocab, compounds=compounds)) is not None]
    coverage = _coverage(ask_concepts, hits)
    same_category = pair.ask_category == pair.offer_category
    on_words = coverage >= MIN_COVERAGE
    if not on_words and not (same_category and category_alone_counts(pair.help_kind, pair.offer_kind)):
        return None
    offer_title = [c for c in concepts(pair.offer, vocab, compounds=compounds) if c.in_title]
    focus = _focus(offer_title, pair.ask, vocab, vocab.categories.get(pair.ask_category, frozenset()), compounds)
    parts = {
        "coverage": coverage,
        "focus": focus,
        "title": max(0.0, min(1.0, pair.title_similarity)),
        "category": 1.0 if same_category else 0.0,
        "kind": kind,
    }
    parts["fit"] = round(text_fit(parts) * kind, 4)
    thing_for_thing = compounds and pair.offer_kind not in HELP
    least = (MIN_FIT_THING if thing_for_thing else MIN_FIT) if on_words else MIN_FIT_CATEGORY_ALONE
    if parts["fit"] < least:
        return None
    parts |= {
        "distance": place(pair.same_street, pair.distance_m),
        "freshness": freshness(pair.age_days),
        "record": record(pair.completed),
    }
    hits.sort(key=lambda h: (not h.concept.in_title, not h.concept.in_head, -h.strength, h.concept.position))
    return Fit(score(parts), parts, tuple(hits), pair)


def _coverage(found: Sequence[Concept], hits: Sequence[Hit]) -> float:
    strength = {hit.concept.key: hit.strength for hit in hits}
    title = [c for c in found if c.in_title]
    rest = [c for c in found if not c.in_title]
    rest_part = sum(strength.get(c.key, 0.0) for c in rest) / len(rest) if rest else 0.0
    if not title:
        return rest_part
    title_part = sum(c.weight * strength.get(c.key, 0.0) for c in title) / sum(c.weight for c in title)
    return title_part + (1 - title_part) * DESCRIPTION_SHARE * rest_part


def _focus(offer_title: Sequence[Concept], ask: Doc, vocab: Vocabulary, topic: frozenset[str],
           compounds: bool = True) -> float:
    """How much of the offer's title the ask talks about. An ask is also about its category: "Garden
    help on Saturdays" is all about what an ask in Garden needs, whatever its words."""
    if not offer_title:
        return 0.0
    met = 0.0
    for concept in offer_title:
        hit = find(concept, ask, vocab, compounds=compounds)
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
    pair = result.pair
    if text := kind_reason(pair.help_kind, pair.offer_kind, stated=pair.kind_stated):
        out.append(Reason("kind", text))
    if pair.same_street:
        out.append(Reason("street", "on the same street"))
    if distance_text:
        out.append(Reason("distance", distance_text))
    if pair.age_days is not None and pair.age_days < NEW_DAYS:
        days = max(0, int(pair.age_days))
        out.append(Reason("freshness", "offered today" if days == 0 else
                          f"offered {'yesterday' if days == 1 else f'{days} days ago'}"))
    completed = pair.completed
    if completed > 0:
        out.append(Reason("record", f"completed {completed} exchange{'s' if completed != 1 else ''}"))
    return out


# Why a kind of offer suits a kind of ask, when it isn't simply the kind asked for.
_KIND_REASONS: dict[tuple[str, str], str] = {
    ("borrow", "give"): "to keep, not only to borrow",
    ("receive", "lend"): "to borrow rather than keep",
    ("skill", "lend"): "to borrow and do it yourself",
    ("time", "lend"): "to borrow and do it yourself",
    ("skill", "give"): "to keep and do it yourself",
    ("time", "give"): "to keep and do it yourself",
    ("borrow", "skill"): "a neighbour's skill rather than a thing",
    ("receive", "skill"): "a neighbour's skill rather than a thing",
    ("borrow", "time"): "a neighbour's time rather than a thing",
    ("receive", "time"): "a neighbour's time rather than a thing",
}


def kind_reason(help_kind: str, offer_kind: str, *, stated: bool) -> str | None:
    """The kind part of the reasons: the kind asked for (or that the ask sounds like), or how another kind helps."""
    if KIND_FIT.get(help_kind, {}).get(offer_kind, 0.0) >= 0.95:
        return "the kind of help asked for" if stated else "the kind of help it sounds like"
    return _KIND_REASONS.get((help_kind, offer_kind))
