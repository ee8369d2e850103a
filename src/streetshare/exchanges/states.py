"""The exchange state machine: states, actions, the transition table and who may do what. Pure.

    requested ──accept──▶ accepted ──hand over──▶ handed_over ──return──▶ returned ──confirm──▶ completed
        │                    │                          (lend only)              (lend only)
        ├─decline─▶ declined ├─cancel─▶ cancelled
        ├─cancel──▶ cancelled└─mark done─▶ completed   (give, skill, time)
        ├─withdraw▶ cancelled   (the one who asked takes it back)
        └─(no answer in 14 days)─▶ expired

A lender may also confirm the return straight from handed_over (the borrower forgot to say so).
"""

from __future__ import annotations

from enum import StrEnum

from streetshare.errors import IllegalTransition


class State(StrEnum):
    requested = "requested"
    accepted = "accepted"
    handed_over = "handed_over"
    returned = "returned"
    completed = "completed"
    declined = "declined"
    cancelled = "cancelled"
    expired = "expired"


class Action(StrEnum):
    accept = "accept"
    decline = "decline"
    cancel = "cancel"
    withdraw = "withdraw"
    hand_over = "hand_over"
    mark_returned = "mark_returned"
    confirm_return = "confirm_return"
    complete = "complete"
    expire = "expire"


class Role(StrEnum):
    provider = "provider"
    recipient = "recipient"
    system = "system"


class Kinds(StrEnum):
    """Which offer kinds a transition applies to."""

    any = "any"
    lend = "lend"  # an item that comes back
    once = "once"  # give, skill, time: done when it's done


class Who(StrEnum):
    provider = "provider"
    recipient = "recipient"
    either = "either"  # provider or recipient
    other_side = "other_side"  # the party who did not start the exchange
    other_side_or_system = "other_side_or_system"  # ...or the system (a give-away went to someone else)
    starter = "starter"  # the party who started the exchange
    system = "system"


KINDS = ("lend", "give", "skill", "time")
LIVE = frozenset({State.accepted, State.handed_over, State.returned})
OPEN = frozenset({State.requested}) | LIVE
ENDED = frozenset({State.completed, State.declined, State.cancelled, State.expired})

# (state, action, kinds) -> next state
TRANSITIONS: dict[tuple[State, Action, Kinds], State] = {
    (State.requested, Action.accept, Kinds.any): State.accepted,
    (State.requested, Action.decline, Kinds.any): State.declined,
    (State.requested, Action.cancel, Kinds.any): State.cancelled,
    (State.requested, Action.withdraw, Kinds.any): State.cancelled,
    (State.requested, Action.expire, Kinds.any): State.expired,
    (State.accepted, Action.cancel, Kinds.any): State.cancelled,
    (State.accepted, Action.hand_over, Kinds.lend): State.handed_over,
    (State.accepted, Action.complete, Kinds.once): State.completed,
    (State.handed_over, Action.mark_returned, Kinds.lend): State.returned,
    (State.handed_over, Action.confirm_return, Kinds.lend): State.completed,
    (State.returned, Action.confirm_return, Kinds.lend): State.completed,
}

WHO: dict[Action, Who] = {
    Action.accept: Who.other_side,
    Action.decline: Who.other_side_or_system,
    Action.cancel: Who.either,
    Action.withdraw: Who.starter,
    Action.hand_over: Who.provider,
    Action.mark_returned: Who.recipient,
    Action.confirm_return: Who.provider,
    Action.complete: Who.either,
    Action.expire: Who.system,
}


def kinds_of(kind: str) -> Kinds:
    if kind not in KINDS:
        raise ValueError(f"unknown offer kind {kind!r}")
    return Kinds.lend if kind == "lend" else Kinds.once


def _lookup(state: State, action: Action, kind: str) -> State | None:
    kinds = kinds_of(kind)
    return TRANSITIONS.get((state, action, Kinds.any)) or TRANSITIONS.get((state, action, kinds))


def may_act(action: Action, *, role: Role, started_by_role: Role) -> bool:
    who = WHO[action]
    if role == Role.system:
        return who in (Who.system, Who.other_side_or_system)
    match who:
        case Who.provider | Who.recipient:
            return role.value == who.value
        case Who.either:
            return True
        case Who.other_side | Who.other_side_or_system:
            return role != started_by_role
        case Who.starter:
            return role == started_by_role
        case Who.system:
            return False
    return False  # pragma: no cover


def next_state(state: State | str, action: Action | str, *, kind: str, role: Role | str, started_by_role: Role | str) -> State:
    """The state after `role` performs `action`; IllegalTransition (with a message for people) otherwise."""
    state, action, role, started_by_role = State(state), Action(action), Role(role), Role(started_by_role)
    target = _lookup(state, action, kind)
    if target is None:
        raise IllegalTransition(_not_now(state, action, kind))
    if not may_act(action, role=role, started_by_role=started_by_role):
        raise IllegalTransition(_not_you(action, role, started_by_role))
    return target


def allowed_actions(state: State | str, *, kind: str, role: Role | str, started_by_role: Role | str) -> list[Action]:
    """Every action `role` may perform now, in Action order (the exchange page's buttons come from this)."""
    found = []
    for action in Action:
        try:
            next_state(state, action, kind=kind, role=role, started_by_role=started_by_role)
        except IllegalTransition:
            continue
        found.append(action)
    return found


_ALREADY = {
    State.accepted: "This exchange has already been accepted.",
    State.handed_over: "This has already been handed over.",
    State.returned: "This has already been marked as returned.",
    State.completed: "This exchange is already complete.",
    State.declined: "This request has already been declined.",
    State.cancelled: "This exchange has been cancelled.",
    State.expired: "This request expired without an answer.",
}


def _not_now(state: State, action: Action, kind: str) -> str:
    lend_only = {Action.hand_over, Action.mark_returned, Action.confirm_return}
    if action in lend_only and kind != "lend":
        return "Only loans are handed over and returned. Mark it as done instead."
    if action == Action.complete and kind == "lend":
        return "A loan is complete when the lender confirms it's back."
    if action == Action.expire:
        return "Only unanswered requests expire."
    if action in (Action.accept, Action.decline, Action.withdraw) and state != State.requested:
        return _ALREADY[state]
    if action == Action.cancel and state in (State.handed_over, State.returned):
        return "It has already been handed over, so it can't be cancelled now. Return it instead."
    if action == Action.hand_over and state == State.requested:
        return "The request has to be accepted before it's handed over."
    if action in (Action.mark_returned, Action.confirm_return) and state in (State.requested, State.accepted):
        return "It hasn't been handed over yet, so it can't be returned."
    if action == Action.complete and state == State.requested:
        return "The request has to be accepted before it can be marked as done."
    return _ALREADY.get(state, "That's no longer possible.")


def _not_you(action: Action, role: Role, started_by_role: Role) -> str:
    if role == Role.system:
        return "Only a person can do that."
    who = WHO[action]
    if who in (Who.other_side, Who.other_side_or_system):
        if action == Action.accept:
            return "You can't accept your own request."
        return "You can't decline your own request. You can withdraw it instead."
    if who == Who.starter:
        return "Only the person who asked can withdraw a request. You can decline it instead."
    if who == Who.system:
        return "Requests expire by themselves after 14 days."
    if action == Action.hand_over:
        return "Only the lender can mark it as handed over."
    if action == Action.mark_returned:
        return "Only the borrower can mark it as returned."
    if action == Action.confirm_return:
        return "Only the lender can confirm it's back."
    return "You can't do that here."  # pragma: no cover
