"""Matching rules, pure: which kinds meet which asks, what a text talks about, how a pair scores, and why."""

from __future__ import annotations

import pytest

from streetshare.matching import rules, synonyms
from streetshare.matching.rules import Doc, Pair, Phrase, Vocabulary, parse_tsvector


def phrase(text: str, *lexemes: str) -> Phrase:
    return Phrase(text, tuple((lexeme, i) for i, lexeme in enumerate(lexemes)))


# A tiny vocabulary, written as PostgreSQL's English stemmer would have it.
VOCAB = Vocabulary(
    groups=(
        (phrase("hedge trimmer", "hedg", "trimmer"), phrase("hedge cutter", "hedg", "cutter")),
        (phrase("hedge", "hedg"), phrase("shrub", "shrub")),
        (phrase("cut", "cut"), phrase("cut back", "cut", "back"), phrase("trim", "trim"), phrase("prune", "prune")),
        (phrase("hoover", "hoover"), phrase("vacuum cleaner", "vacuum", "cleaner"), phrase("vacuum", "vacuum")),
        (phrase("ladder", "ladder"), phrase("stepladder", "stepladd")),
    ),
    stop=frozenset({"someon", "need", "lend", "borrow", "anyon", "back", "help"}),
    categories={"garden": frozenset({"garden"}), "lifts_errands": frozenset({"errand"})},
)


def doc(title: str, description: str = "", head: str | None = None) -> Doc:
    """A Doc from already-stemmed words: title words weigh A, description words follow them."""
    words = title.split()
    parts = [f"'{w}':{i + 1}A" for i, w in enumerate(words)]
    parts += [f"'{w}':{len(words) + i + 1}" for i, w in enumerate(description.split())]
    head_vector = None if head is None else " ".join(f"'{w}':{i + 1}" for i, w in enumerate(head.split()))
    return parse_tsvector(" ".join(parts), head_vector)


def pair(ask: Doc, offer: Doc, *, help_kind="borrow", offer_kind="lend", ask_category="tools",
         offer_category="tools", **more) -> Pair:
    return Pair(ask=ask, offer=offer, help_kind=help_kind, offer_kind=offer_kind, ask_category=ask_category,
                offer_category=offer_category, **more)


# ---------------------------------------------------------------- kinds


@pytest.mark.parametrize("help_kind", ["borrow", "receive", "skill", "time"])
def test_every_kind_of_offer_can_meet_every_kind_of_ask_the_kind_asked_for_first(help_kind):
    kinds = rules.offer_kinds_for(help_kind)
    assert set(kinds) == {"lend", "give", "skill", "time"}
    assert rules.kind_fit(help_kind, kinds[0]) == 1.0
    assert all(0 < rules.kind_fit(help_kind, k) <= 1 for k in kinds)
    assert [rules.kind_fit(help_kind, k) for k in kinds] == sorted((rules.kind_fit(help_kind, k) for k in kinds),
                                                                   reverse=True)
    assert all(help_kind in rules.help_kinds_for(k) for k in kinds)


def test_a_guessed_kind_weighs_less_than_a_stated_one():
    assert rules.kind_fit("borrow", "skill", stated=False) > rules.kind_fit("borrow", "skill", stated=True)
    assert rules.kind_fit("borrow", "lend", stated=False) == rules.kind_fit("borrow", "lend") == 1.0


def test_a_stated_kind_ranks_the_same_words_above_another_kind():
    lend = rules.fit(pair(doc("ladder"), doc("ladder"), help_kind="borrow", offer_kind="lend"), VOCAB)
    skill = rules.fit(pair(doc("ladder"), doc("ladder"), help_kind="borrow", offer_kind="skill"), VOCAB)
    assert lend is not None and skill is not None and lend.score > skill.score


def test_only_help_is_matched_on_category_alone():
    assert rules.category_alone_counts("skill", "time")
    assert rules.category_alone_counts("time", "skill")
    assert not rules.category_alone_counts("borrow", "lend")
    assert not rules.category_alone_counts("skill", "lend")


# ---------------------------------------------------------------- reading tsvectors


def test_parse_tsvector_reads_positions_weights_and_quotes():
    parsed = parse_tsvector("'hedg':1A,7 'o''brien':2A 'trimmer':3 'x'")
    assert parsed.positions == {"hedg": {1, 7}, "o'brien": {2}, "trimmer": {3}, "x": set()}
    assert parsed.title_positions == {1, 2}
    assert parsed.in_title("hedg") and not parsed.in_title("trimmer")
    assert parsed.head is None


def test_phrase_from_tsvector_keeps_gaps_left_by_stop_words():
    assert rules.phrase_from_tsvector("trip to the tip", "'tip':4 'trip':1").parts == (("trip", 0), ("tip", 3))
    assert rules.phrase_from_tsvector("the", "") is None


# ---------------------------------------------------------------- concepts


def test_a_longer_synonym_phrase_wins_over_the_shorter_one_inside_it():
    found = rules.concepts(doc("hedg trimmer"), VOCAB)
    assert [(c.group, c.phrase.text if c.phrase else c.lexeme) for c in found] == [(0, "hedge trimmer")]


def test_stop_words_are_not_concepts():
    found = rules.concepts(doc("someon cut back hedg"), VOCAB)
    assert sorted(c.phrase.text for c in found if c.phrase) == ["cut back", "hedge"]
    assert not [c for c in found if c.lexeme]


def test_words_after_the_purpose_count_less():
    found = {c.key: c for c in rules.concepts(doc("gazebo street parti", head="gazebo"), VOCAB)}
    assert found["w:gazebo"].weight == 1.0
    assert found["w:parti"].weight == rules.PURPOSE


# ---------------------------------------------------------------- finding a concept on the other side


def test_a_synonym_is_found_in_the_other_text():
    hoover = rules.concepts(doc("hoover"), VOCAB)[0]
    hit = rules.find(hoover, doc("vacuum cleaner"), VOCAB)
    assert hit is not None and hit.strength == 1.0 and hit.phrase.text == "vacuum cleaner"


def test_a_concept_in_the_description_counts_less_than_in_the_title():
    ladder = rules.concepts(doc("ladder"), VOCAB)[0]
    assert rules.find(ladder, doc("alumin thing", "ladder"), VOCAB).strength == rules.IN_DESCRIPTION


def test_the_doer_of_a_verb_meets_the_verb():
    cut = next(c for c in rules.concepts(doc("cut back hedg"), VOCAB) if c.group == 2)
    hit = rules.find(cut, doc("hedg trimmer"), VOCAB)
    assert hit is not None and hit.phrase.text == "trimmer" and hit.strength == rules.AS_DOER
    assert "trimmer" in rules.doers("trim") and "cutter" in rules.doers("cut")
    assert "mower" in rules.doers("mow") and "pruner" in rules.doers("prune") and "cleaner" in rules.doers("clean")
    assert "trim" in rules.doers("trimmer") and "prune" in rules.doers("pruner") and "mow" in rules.doers("mower")


def test_a_misspelt_word_is_found_a_little_less():
    strimmer = rules.concepts(doc("strimmer"), VOCAB)[0]
    hit = rules.find(strimmer, doc("strimer"), VOCAB)
    assert hit is not None and hit.strength == rules.AS_TYPO


def test_a_hedgehog_is_not_a_hedge():
    hedge = rules.concepts(doc("hedg"), VOCAB)[0]
    assert rules.find(hedge, doc("hedgehog hous"), VOCAB) is None


def test_trigram_similarity_is_pg_trgm_s():
    assert rules.similarity("ladder", "ladder") == 1.0
    assert rules.similarity("strimmer", "strimer") == pytest.approx(0.7)
    assert rules.similarity("drill", "grill") < rules.TYPO_SIMILARITY
    assert rules.similarity("strimmer", "trimmer") < rules.TYPO_SIMILARITY


# ---------------------------------------------------------------- scoring a pair


def test_the_score_is_the_documented_weighted_sum():
    text = {"coverage": 1.0, "focus": 0.5, "title": 0.2, "category": 1.0}
    assert rules.text_fit(text) == pytest.approx(0.5625 * 1 + 0.1875 * 0.5 + 0.0625 * 0.2 + 0.1875 * 1)
    parts = {"fit": 0.8, "distance": 0.5, "freshness": 1.0, "record": 0.4}
    expected = 0.70 * 0.8 + 0.20 * 0.5 + 0.05 * 1.0 + 0.05 * 0.4
    assert rules.score(parts) == pytest.approx(expected, abs=1e-4)
    assert sum(rules.WEIGHTS.values()) == pytest.approx(1.0)
    assert sum(rules.TEXT_WEIGHTS.values()) == pytest.approx(1.0)


def test_the_same_street_comes_first_then_nearer():
    assert rules.place(True, 600) > rules.place(False, 100)
    assert rules.place(True, 100) > rules.place(True, 600)
    assert rules.place(False, 100) > rules.place(False, 600)


def test_fresher_offers_rank_higher_and_say_so():
    fresh = rules.fit(pair(doc("ladder"), doc("ladder"), age_days=2), VOCAB)
    stale = rules.fit(pair(doc("ladder"), doc("ladder"), age_days=200), VOCAB)
    assert fresh.score > stale.score
    assert "offered 2 days ago" in [r.text for r in rules.reasons(fresh, words={}, category_label="Tools",
                                                                     distance_text=None)]


def test_closeness_and_record_scale_to_one():
    assert rules.closeness(0) == rules.closeness(100) and rules.closeness(rules.FAR_M) == 0.0
    assert rules.closeness(5000) == 0.0
    assert rules.closeness(None) == rules.UNKNOWN_CLOSENESS
    assert rules.record(0) == 0.0 and rules.record(rules.RECORD_FULL) == 1.0 and rules.record(50) == 1.0


def test_the_score_moves_only_in_the_100_m_steps_a_distance_may_be_shown_in():
    """The API answers with the score: an exact distance in it would place a neighbour's home."""
    def scored(distance_m: float) -> float:
        return rules.fit(pair(doc("ladder"), doc("ladder"), distance_m=distance_m), VOCAB).score

    assert scored(310) == scored(340) == scored(260)
    assert scored(260) > scored(360)


def test_a_hoover_ask_matches_a_vacuum_cleaner_with_the_synonym_as_reason():
    found = rules.fit(pair(doc("hoover"), doc("vacuum cleaner"), ask_category="home", offer_category="home",
                           distance_m=300), VOCAB)
    assert found is not None and found.parts["coverage"] == 1.0
    texts = [r.text for r in rules.reasons(found, words={}, category_label="Home", distance_text="about 300 m away")]
    assert texts == ["hoover ≈ vacuum cleaner", "Home", "the kind of help asked for", "about 300 m away"]


def test_every_part_of_the_ranking_is_a_reason():
    found = rules.fit(pair(doc("ladder"), doc("ladder"), help_kind="borrow", offer_kind="give", distance_m=200,
                           same_street=True, age_days=0.5, completed=3), VOCAB)
    kinds = [r.kind for r in rules.reasons(found, words={}, category_label="Tools", distance_text="about 200 m away")]
    assert kinds == ["words", "category", "kind", "street", "distance", "freshness", "record"]


def test_shared_words_are_given_as_people_wrote_them():
    found = rules.fit(pair(doc("ladder"), doc("extend ladder")), VOCAB)
    assert found is not None
    texts = [r.text for r in rules.reasons(found, words={}, category_label="Tools", distance_text=None)]
    assert texts[0] == "both mention ladder"
    found = rules.fit(pair(doc("gutter brush"), doc("gutter brush")), VOCAB)
    texts = [r.text for r in rules.reasons(found, words={"gutter": "gutters"}, category_label="Tools", distance_text=None)]
    assert "both mention gutters" in texts


def test_a_hedge_trimmer_ask_does_not_match_a_hedgehog_house():
    assert rules.fit(pair(doc("hedg trimmer"), doc("hedgehog hous"), ask_category="garden",
                          offer_category="garden", offer_kind="give"), VOCAB) is None


def test_an_offer_of_another_kind_needs_more_words_to_match():
    # "ladder" against a skill that only mentions ladders in passing: not enough for another kind
    assert rules.fit(pair(doc("ladder"), doc("paint", "ladder"), help_kind="borrow", offer_kind="skill",
                          offer_category="diy_help"), VOCAB) is None
    assert rules.fit(pair(doc("ladder"), doc("ladder"), help_kind="borrow", offer_kind="skill"), VOCAB) is not None


def test_a_thing_is_not_what_its_name_is_for():
    # "drill bits" are for a drill; a "hedge cutter" is not a hedge, but it suits the job of cutting one
    bits = Vocabulary(groups=VOCAB.groups + ((phrase("drill bit", "drill", "bit"),), (phrase("drill", "drill"),)),
                      stop=VOCAB.stop)
    drill = rules.fit(pair(doc("drill"), doc("drill")), bits)
    assert drill is not None
    assert rules.fit(pair(doc("drill"), doc("drill bit")), bits) is None
    assert rules.fit(pair(doc("someon cut back hedg"), doc("hedg cutter"), help_kind="skill", offer_kind="lend",
                          ask_category="garden", offer_category="garden"), VOCAB) is not None


def test_general_help_in_the_asks_category_matches_without_shared_words():
    found = rules.fit(pair(doc("someon cut back hedg"), doc("garden help"), help_kind="skill", offer_kind="time",
                           ask_category="garden", offer_category="garden", distance_m=200), VOCAB)
    assert found is not None and found.parts["coverage"] == 0.0 and found.parts["focus"] > 0


def test_a_particular_favour_in_the_same_category_needs_shared_words():
    assert rules.fit(pair(doc("lift hospit"), doc("supermarket shop"), help_kind="time", offer_kind="time",
                          ask_category="lifts_errands", offer_category="lifts_errands", distance_m=200), VOCAB) is None


def test_items_in_the_same_category_need_shared_words():
    assert rules.fit(pair(doc("ladder"), doc("drill"), distance_m=100), VOCAB) is None


def test_a_tool_for_a_job_is_suggested_as_do_it_yourself():
    found = rules.fit(pair(doc("someon cut back hedg"), doc("hedg trimmer"), help_kind="skill", offer_kind="lend",
                           ask_category="garden", offer_category="garden", distance_m=100), VOCAB)
    assert found is not None and found.parts["kind"] == rules.DO_IT_YOURSELF
    texts = [r.text for r in rules.reasons(found, words={}, category_label="Garden", distance_text="about 100 m away")]
    assert "cut back ≈ trimmer" in texts
    assert "to borrow and do it yourself" in texts


def test_the_providers_record_is_a_reason():
    found = rules.fit(pair(doc("ladder"), doc("ladder"), completed=4), VOCAB)
    texts = [r.text for r in rules.reasons(found, words={}, category_label="Tools", distance_text=None)]
    assert texts[-1] == "completed 4 exchanges"
    found = rules.fit(pair(doc("ladder"), doc("ladder"), completed=1), VOCAB)
    assert rules.reasons(found, words={}, category_label="Tools", distance_text=None)[-1].text == "completed 1 exchange"


def test_closer_and_more_experienced_neighbours_rank_higher():
    near = rules.fit(pair(doc("ladder"), doc("ladder"), distance_m=100), VOCAB)
    far = rules.fit(pair(doc("ladder"), doc("ladder"), distance_m=1500), VOCAB)
    seasoned = rules.fit(pair(doc("ladder"), doc("ladder"), distance_m=1500, completed=5), VOCAB)
    assert near.score > far.score
    assert seasoned.score > far.score


def test_an_ask_and_an_offer_score_the_same_whichever_side_is_matched():
    # fit() always scores from the ask's side, so both matching directions store the same score.
    a, o = doc("hoover"), doc("vacuum cleaner")
    assert rules.fit(pair(a, o), VOCAB).score == rules.fit(pair(a, o), VOCAB, ask_concepts=rules.concepts(a, VOCAB)).score


def test_the_candidate_query_ors_words_and_every_synonym():
    terms = rules.query_terms(rules.concepts(doc("hoover trim"), VOCAB), VOCAB)
    assert {"'hoover'", "'vacuum' <1> 'cleaner'", "'vacuum'"} <= set(terms)
    assert {"'trim'", "'trimmer'", "'cut'", "'cutter'", "'prune'", "'pruner'", "'cut' <1> 'back'"} <= set(terms)
    assert rules.tsquery_text(["'hoover'", "'vacuum' <1> 'cleaner'"]) == "'hoover' | ('vacuum' <1> 'cleaner')"
    assert rules.tsquery_text([]) is None


# ---------------------------------------------------------------- the curated list


def test_the_synonym_list_has_at_least_forty_groups_of_everyday_words():
    assert len(synonyms.GROUPS) >= 40
    flat = {p for g in synonyms.GROUPS for p in g}
    for expected in ("hedge trimmer", "hedge cutter", "strimmer", "line trimmer", "weed whacker", "string trimmer",
                     "tip", "dump", "recycling centre", "hoover", "vacuum cleaner", "pushchair", "stroller", "buggy",
                     "pram", "drill", "power drill", "cordless drill", "gazebo", "pop-up tent", "canopy", "lawnmower",
                     "mower", "ladder", "stepladder", "wheelbarrow", "barrow", "spanner", "wrench", "nappy", "diaper",
                     "cot", "crib", "torch", "flashlight", "jumper", "sweater", "trousers", "pants", "bin bags",
                     "trash bags", "sellotape", "tape", "lift", "ride", "garden", "yard", "shrub", "bush", "cut",
                     "trim", "prune"):
        assert expected in flat, expected


def test_no_phrase_is_in_two_synonym_groups():
    seen: dict[str, int] = {}
    for index, group in enumerate(synonyms.GROUPS):
        for text in group:
            assert seen.setdefault(text, index) == index, f"{text!r} is in two groups"
