"""The exchange state machine, walked exhaustively against an expectation written out by hand."""

from __future__ import annotations

import itertools

import pytest

from streetshare.errors import Conflict, IllegalTransition
from streetshare.exchanges.states import ENDED, LIVE, Action, Role, State, allowed_actions, next_state

KINDS = ("lend", "give", "skill", "time")
PARTIES = (Role.provider, Role.recipient)


def expected(state: str, action: str, kind: str, role: str, starter: str) -> str | None:
    """product.md's lifecycle, spelled out case by case: the next state, or None when refused."""
    lend = kind == "lend"
    person = role in ("provider", "recipient")
    other_side = person and role != starter
    match state, action:
        case "requested", "accept":
            return "accepted" if other_side else None
        case "requested", "decline":
            return "declined" if other_side or role == "system" else None
        case "requested", "cancel":
            return "cancelled" if person else None
        case "requested", "withdraw":
            return "cancelled" if role == starter else None
        case "requested", "expire":
            return "expired" if role == "system" else None
        case "accepted", "cancel":
            return "cancelled" if person else None
        case "accepted", "hand_over":
            return "handed_over" if lend and role == "provider" else None
        case "accepted", "complete":
            return "completed" if not lend and person else None
        case "handed_over", "mark_returned":
            return "returned" if lend and role == "recipient" else None
        case "handed_over", "confirm_return":
            return "completed" if lend and role == "provider" else None
        case "returned", "confirm_return":
            return "completed" if lend and role == "provider" else None
    return None


def test_every_state_action_kind_and_role_against_the_lifecycle():
    walked = 0
    problems = []
    for state, action, kind, role, starter in itertools.product(State, Action, KINDS, Role, PARTIES):
        want = expected(state, action, kind, role, starter)
        try:
            got = next_state(state, action, kind=kind, role=role, started_by_role=starter)
        except IllegalTransition as exc:
            got = None
            if not exc.message or not exc.message.endswith("."):
                problems.append(f"{state}/{action}/{kind}/{role}: unclear message {exc.message!r}")
        if got != want:
            problems.append(f"{state} --{action}--> {got}, expected {want} ({kind}, {role}, started by {starter})")
        walked += 1
    assert walked == len(State) * len(Action) * len(KINDS) * len(Role) * len(PARTIES) == 1728
    assert not problems, "\n".join(problems)


def test_nothing_leaves_an_ended_exchange():
    for state, action, kind, role, starter in itertools.product(ENDED, Action, KINDS, Role, PARTIES):
        assert allowed_actions(state, kind=kind, role=role, started_by_role=starter) == []


def test_illegal_transition_is_a_conflict():
    assert issubclass(IllegalTransition, Conflict)


@pytest.mark.parametrize(
    ("state", "action", "kind", "role", "starter", "message"),
    [
        ("accepted", "accept", "lend", "provider", "recipient", "This exchange has already been accepted."),
        ("requested", "accept", "lend", "recipient", "recipient", "You can't accept your own request."),
        ("requested", "decline", "give", "recipient", "recipient",
         "You can't decline your own request. You can withdraw it instead."),
        ("accepted", "confirm_return", "lend", "provider", "recipient",
         "It hasn't been handed over yet, so it can't be returned."),
        ("requested", "hand_over", "lend", "provider", "recipient",
         "The request has to be accepted before it's handed over."),
        ("accepted", "hand_over", "give", "provider", "recipient",
         "Only loans are handed over and returned. Mark it as done instead."),
        ("accepted", "complete", "lend", "provider", "recipient",
         "A loan is complete when the lender confirms it's back."),
        ("handed_over", "cancel", "lend", "recipient", "recipient",
         "It has already been handed over, so it can't be cancelled now. Return it instead."),
        ("accepted", "hand_over", "lend", "recipient", "recipient", "Only the lender can mark it as handed over."),
        ("handed_over", "mark_returned", "lend", "provider", "recipient", "Only the borrower can mark it as returned."),
        ("returned", "confirm_return", "lend", "recipient", "recipient", "Only the lender can confirm it's back."),
        ("requested", "withdraw", "lend", "provider", "recipient",
         "Only the person who asked can withdraw a request. You can decline it instead."),
        ("requested", "expire", "lend", "provider", "recipient", "Requests expire by themselves after 14 days."),
        ("requested", "accept", "lend", "system", "recipient", "Only a person can do that."),
        ("completed", "complete", "give", "provider", "recipient", "This exchange is already complete."),
        ("declined", "accept", "give", "provider", "recipient", "This request has already been declined."),
        ("expired", "accept", "give", "provider", "recipient", "This request expired without an answer."),
    ],
)
def test_refusals_say_clearly_why(state, action, kind, role, starter, message):
    with pytest.raises(IllegalTransition) as refused:
        next_state(state, action, kind=kind, role=role, started_by_role=starter)
    assert refused.value.message == message


def test_provider_answering_an_ask_is_accepted_by_the_recipient():
    assert next_state("requested", "accept", kind="skill", role="recipient", started_by_role="provider") == "accepted"
    with pytest.raises(IllegalTransition):
        next_state("requested", "accept", kind="skill", role="provider", started_by_role="provider")


def test_allowed_actions_for_each_side_of_a_loan():
    lend = dict(kind="lend", started_by_role="recipient")
    assert allowed_actions("requested", role="provider", **lend) == [Action.accept, Action.decline, Action.cancel]
    assert allowed_actions("requested", role="recipient", **lend) == [Action.cancel, Action.withdraw]
    assert allowed_actions("accepted", role="provider", **lend) == [Action.cancel, Action.hand_over]
    assert allowed_actions("accepted", role="recipient", **lend) == [Action.cancel]
    assert allowed_actions("handed_over", role="recipient", **lend) == [Action.mark_returned]
    assert allowed_actions("handed_over", role="provider", **lend) == [Action.confirm_return]
    assert allowed_actions("returned", role="provider", **lend) == [Action.confirm_return]
    assert allowed_actions("returned", role="recipient", **lend) == []


def test_allowed_actions_for_a_give_away():
    give = dict(kind="give", started_by_role="recipient")
    assert allowed_actions("accepted", role="provider", **give) == [Action.cancel, Action.complete]
    assert allowed_actions("accepted", role="recipient", **give) == [Action.cancel, Action.complete]
    assert allowed_actions("requested", role="system", **give) == [Action.decline, Action.expire]


def test_live_states_are_the_ones_an_item_is_out_or_promised():
    assert LIVE == {State.accepted, State.handed_over, State.returned}


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        next_state("requested", "accept", kind="sell", role="provider", started_by_role="recipient")
