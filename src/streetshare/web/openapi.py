"""The API's OpenAPI document: what Litestar derives from the handlers, plus what it cannot know.

Litestar documents each operation's success answer and, for any operation with parameters, a 400
whose body ({status_code, detail, extra}) this app never sends. `document(schema, app)` replaces
that with the answers each operation really gives, in the shape web/errors.py's json_error sends
({detail, errors?}), and adds what the handlers' types cannot say: the domains' fixed lists as
enums, the length limits the services enforce, the cursor format, and where the app differs from
the written contract (shared api.md).

Which errors an operation lists:
- 400 (malformed JSON, or text PostgreSQL cannot store): a request body;
- 401 (no or bad token): the handler is guarded by requires_resident;
- 404: a path parameter names something (also for things the caller may not see);
- 422 (invalid fields): a body, a query parameter that is not plain text, or a rule in `RAISES`;
- 403, 409, 429 and other 404s and 422s: only where `RAISES` says the services raise them;
- 503 (the database out of reach, with Retry-After): every operation.
The schemathesis test (tests/web/test_schemathesis.py) checks that no other status comes back.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any

from litestar import Litestar, Request
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.routes import HTTPRoute

from streetshare.accounts import rules as accounts_rules
from streetshare.asks import routes as asks_routes
from streetshare.asks import rules as asks_rules
from streetshare.coordinators import rules as coordinators_rules
from streetshare.exchanges import rules as exchanges_rules
from streetshare.exchanges.states import Action as ExchangeAction
from streetshare.exchanges.states import State as ExchangeState
from streetshare.feed import queries as feed_queries
from streetshare.moderation import rules as moderation_rules
from streetshare.notifications import rules as notifications_rules
from streetshare.offers import routes as offers_routes
from streetshare.offers import rules as offers_rules
from streetshare.places import rules as places_rules
from streetshare.reputation import rules as reputation_rules
from streetshare.status import rules as status_rules
from streetshare.web.auth import requires_resident

API = "/api/v1"

ERROR_SCHEMAS: dict[str, dict[str, Any]] = {
    "FieldError": {
        "type": "object",
        "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
        "required": ["field", "message"],
        "additionalProperties": False,
    },
    # Exactly web/errors.py's json_error: `errors` only on validation errors.
    "Error": {
        "type": "object",
        "description": "A human-readable `detail`; for invalid fields, one `{field, message}` per field.",
        "properties": {
            "detail": {"type": "string"},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
        },
        "required": ["detail"],
        "additionalProperties": False,
    },
    # PUT /me/location's 422 when the address needs a choice or could not be looked up (places/routes.py).
    "AddressError": {
        "type": "object",
        "description": "Several places match (`choices`: send the address again with `choice`), or the "
                       "address could not be looked up (`hint` says what to try, `kind` why).",
        "properties": {
            "detail": {"type": "string"},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
            "choices": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"index": {"type": "integer"}, "label": {"type": "string"}},
                    "required": ["index", "label"],
                },
            },
            "hint": {"type": "string"},
            "kind": {"type": "string"},
        },
        "required": ["detail"],
        "additionalProperties": False,
    },
}

WHAT = {
    400: "The body is not valid JSON, or some text holds a character that cannot be stored (NUL).",
    401: "No bearer token, or one that is unknown, expired or revoked.",
    403: "The caller is known but may not do this.",
    404: "Not found, or not visible to the caller (the answer does not say which).",
    409: "A state change that is no longer possible (someone got there first, or it already happened).",
    422: "Some fields are missing or invalid: `errors` has one entry per field.",
    429: "Too many attempts: wait `Retry-After` seconds.",
    503: "The database is briefly out of reach (nothing the request did): try again after `Retry-After` seconds.",
}
HEADERS = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}, "description": 'Bearer realm="streetshare"'}},
    429: {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds until the next attempt may succeed."}},
    503: {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before trying again."}},
}

# What the services raise beyond the rules above, by "METHOD /path below /api/v1".
RAISES: dict[str, set[int]] = {
    "POST /auth/signup": {429},
    "POST /auth/token": {429},  # wrong email or password: 422 on `password`
    "GET /me/export": {404},  # the account closed while the request ran
    "POST /me/close": {409, 429},
    "GET /streets/{street_id}/activity": {403},
    "POST /streets/{street_id}/coordinators": {403, 409},
    "POST /streets/{street_id}/invites": {403, 409},
    "POST /reports": {404, 429},
    "GET /streets/{street_id}/reports": {403},
    "PUT /me/location": {429},
    "GET /streets/nearby": {409},
    "POST /streets": {409},  # the caller moves to it: not while the only coordinator of their street
    "POST /streets/{street_id}/join": {403, 409},
    "POST /invites/{code}/join": {403, 409},  # an unknown code is a 404
    "PUT /blocks/{resident_id}": {403},
    "PATCH /offers/{offer_id}": {403, 409},
    "POST /offers/{offer_id}/photos": {403, 409},
    "DELETE /offers/{offer_id}/photos/{photo_id}": {403, 409},
    "PATCH /asks/{ask_id}": {403, 409},
    "POST /asks/{ask_id}/renew": {403, 409},
    "POST /asks/{ask_id}/photos": {403, 409},
    "DELETE /asks/{ask_id}/photos/{photo_id}": {403, 409},
    # `q` with a NUL is a 400 (it reaches PostgreSQL); a cursor that is not one of ours a 422
    "GET /feed": {400, 422},
    "GET /offers": {400, 422},
    "GET /asks": {400, 422},
    "GET /exchanges": {422},  # an unknown state, or a cursor that is not one of ours
    "POST /offers/{offer_id}/exchanges": {403, 409},
    "POST /asks/{ask_id}/exchanges": {403, 409},
    "POST /streets/{street_id}/status/{topic}": {403, 429},  # a neighbouring street's resident, or no home yet
    "DELETE /streets/{street_id}/status/{topic}": {403, 429},
    **{f"POST /exchanges/{{exchange_id}}/{step}": {409} for step in (
        "accept", "decline", "cancel", "withdraw", "hand-over", "return", "confirm-return", "complete",
        "more-time", "new-date", "pickup-address", "messages", "thanks")},
}

# Where the app differs from the written contract (shared api.md), said in the operation's description.
DIFFERS = {
    "GET /streets/nearby": "api.md: `[{id, name, distance_m, members}]`. The app adds `can_join`, and answers 409 "
                           "until the caller has set where they live.",
    "POST /streets": "api.md: `{name, lat, lng, radius_m}`. The app makes lat and lng optional (then the street is "
                     "centred near, never on, the caller's home) and takes `items` (bring or close the caller's "
                     "offers and asks); 409 while the caller is the only coordinator of their street.",
    "POST /streets/{street_id}/join": "api.md: 200 with no body named. The app answers with the street.",
    "PATCH /offers/{offer_id}": "api.md: `{status: paused/active/withdrawn}`. The app also takes the offer's fields.",
    "GET /exchanges": "api.md: query `state` only. The app pages with `cursor` too and answers `{items, next}`.",
    "GET /exchanges/{exchange_id}/messages": "api.md: the thread. The app answers `{items: [...]}`, not paged.",
    "POST /exchanges/{exchange_id}/thanks": "api.md: 201 with no body named. The app answers with the note.",
    "GET /asks/{ask_id}/matches": "api.md: `[{offer, score, reasons}]`. The app adds `match_id`.",
    "GET /offers/{offer_id}/matches": "api.md: `[{ask, score, reasons}]`. The app adds `match_id`; another "
                                      "resident's offer is a 404, not a 403.",
    "GET /streets/{street_id}/reports": "api.md: the moderation queue. The app pages it: `{items, next}`.",
    "POST /streets/{street_id}/invites": "api.md: 201 `{url, expires_at}`. The app adds `code` and `max_uses`.",
    "GET /notifications": "api.md: newest first with `read`. The app pages it (`cursor`, `limit` up to 100) and "
                          "adds `unread`.",
    "POST /notifications/read": "api.md: marks all read. The app answers `{marked, unread}`.",
    "PUT /me/location": "api.md: 200 `{street_suggestions}`. The app adds `street`; an ambiguous address is a 422 "
                        "with `choices`.",
}

# The contract's operations (shared api.md), as it names them: the document's description lists
# those the app does not serve yet, so a reader sees the gap and it closes by itself as they arrive.
CONTRACT = [
    "POST /auth/signup", "POST /auth/token", "GET /me", "PATCH /me", "PUT /me/location",
    "GET /streets/nearby", "POST /streets", "POST /streets/{id}/join", "GET /streets/{id}",
    "POST /offers", "GET /offers/{id}", "PATCH /offers/{id}", "POST /asks", "GET /asks/{id}", "GET /feed",
    "POST /offers/{id}/exchanges", "POST /asks/{id}/exchanges", "GET /exchanges", "GET /exchanges/{id}",
    *(f"POST /exchanges/{{id}}/{step}" for step in (
        "accept", "decline", "cancel", "hand-over", "return", "confirm-return", "complete", "messages", "thanks")),
    "GET /exchanges/{id}/messages", "GET /asks/{id}/matches", "GET /offers/{id}/matches", "GET /residents/{id}",
    "GET /streets/{id}/activity", "GET /streets/{id}/reports", "POST /streets/{id}/coordinators",
    "POST /streets/{id}/invites",
    "GET /notifications", "POST /notifications/read",
    "GET /streets/{id}/status", "POST /streets/{id}/status/{topic}", "DELETE /streets/{id}/status/{topic}",
    "POST /notices", "GET /streets/{id}/notices", "GET /notices/{id}", "POST /notices/{id}/me-too",
    "POST /notices/{id}/going", "POST /notices/{id}/updates", "POST /notices/{id}/send-to-council",
]

CURSOR = ("An opaque cursor: the `next` of the previous page (URL-safe base64{longest}). "
          "Leave it out for the first page; `next` is null on the last page.")
CURSORS = {  # operation -> (what a cursor not made by the app gets, the longest accepted)
    "GET /feed": ("422 on `cursor`", 80),
    "GET /offers": ("422 on `cursor`", 80),
    "GET /asks": ("422 on `cursor`", 80),
    "GET /notifications": ("the first page", 200),
    "GET /streets/{street_id}/reports": ("the first page", None),
}

# Fixed lists from the domains, as enums: (component schema, property) -> values.
FEED_KINDS = [*offers_rules.KINDS, *(k for k in asks_rules.HELP_KINDS if k not in offers_rules.KINDS)]
PROPERTY_ENUMS: dict[tuple[str, str], Iterable[str]] = {
    **{(s, "category"): offers_rules.CATEGORIES for s in (
        "OfferIn", "OfferPatch", "OfferOut", "OwnOfferOut", "AskIn", "AskPatch", "AskOut", "OwnAskOut",
        "FeedItemOut", "MatchedOffer", "MatchedAsk")},
    **{(s, "kind"): offers_rules.KINDS for s in ("OfferIn", "OfferPatch", "OfferOut", "OwnOfferOut", "MatchedOffer")},
    **{(s, "help_kind"): asks_rules.HELP_KINDS for s in ("AskIn", "AskPatch", "AskOut", "OwnAskOut", "MatchedAsk")},
    **{(s, "status"): [v.value for v in offers_rules.Status] for s in ("OfferOut", "OwnOfferOut")},
    **{(s, "status"): [v.value for v in asks_rules.Status] for s in ("AskOut", "OwnAskOut")},
    ("OfferPatch", "status"): list(offers_routes.PATCH_STATUS),
    ("AskPatch", "status"): list(asks_routes.PATCH_STATUS),
    ("FeedItemOut", "type"): feed_queries.TYPES,
    ("FeedItemOut", "kind"): offers_rules.KINDS,
    ("FeedItemOut", "help_kind"): asks_rules.HELP_KINDS,
    **{(s, "state"): [v.value for v in ExchangeState] for s in ("ExchangeOut", "StateOut")},
    ("ExchangeOut", "kind"): offers_rules.KINDS,
    ("EventOut", "to_state"): [v.value for v in ExchangeState],
    ("EventOut", "from_state"): [v.value for v in ExchangeState],
    ("ReportIn", "target_kind"): moderation_rules.TARGET_KINDS,
    ("ReportOut", "target_kind"): moderation_rules.TARGET_KINDS,
    ("ReportOut", "status"): moderation_rules.STATUSES,
    ("LooksAtIn", "looks_at"): places_rules.LOOKS_AT,
    ("LooksAtOut", "looks_at"): places_rules.LOOKS_AT,
    ("StreetIn", "items"): places_rules.MOVE_CHOICES,
    ("JoinIn", "items"): places_rules.MOVE_CHOICES,
    ("NotificationOut", "kind"): notifications_rules.KIND_NAMES,
    ("TopicOut", "topic"): [t.name for t in status_rules.TOPICS],
    ("TopicOut", "state"): [status_rules.CLEAR, status_rules.REPORTED],
    ("TopicOut", "mine"): [status_rules.AFFECTED, status_rules.FINE],
    ("IncidentOut", "topic"): [t.name for t in status_rules.RECORDED],
    ("IncidentOut", "ended_reason"): [status_rules.BACK, status_rules.TIMEOUT],
}
# Exchange actions as allowed_actions lists them.
ITEM_ENUMS: dict[tuple[str, str], Iterable[str]] = {
    ("ExchangeOut", "allowed_actions"): [a.value for a in ExchangeAction],
}
QUERY_ENUMS: dict[tuple[str, str], Iterable[str]] = {
    **{(op, "category"): offers_rules.CATEGORIES for op in ("GET /feed", "GET /offers", "GET /asks")},
    **{(op, "kind"): FEED_KINDS for op in ("GET /feed", "GET /offers", "GET /asks")},
    ("GET /feed", "type"): feed_queries.TYPES,
    ("GET /exchanges", "state"): [v.value for v in ExchangeState],
    ("GET /streets/{street_id}/reports", "status"): [*moderation_rules.STATUSES, "all"],
    ("GET /streets/{street_id}/activity", "period"): coordinators_rules.PERIODS,
}
# Path parameters that name one of a fixed list (anything else is a 404).
PATH_ENUMS: dict[tuple[str, str], Iterable[str]] = {
    (op, "topic"): [t.name for t in status_rules.TOPICS]
    for op in ("POST /streets/{street_id}/status/{topic}", "DELETE /streets/{street_id}/status/{topic}")
}
# The longest text each field may be (the services' own limits): (component schema, property) -> length.
MAX_LENGTHS: dict[tuple[str, str], int] = {
    ("SignupIn", "email"): accounts_rules.EMAIL_MAX,
    ("SignupIn", "display_name"): accounts_rules.DISPLAY_NAME_MAX,
    ("SignupIn", "password"): accounts_rules.MAX_PASSWORD,
    **{(s, "title"): offers_rules.TITLE_MAX for s in ("OfferIn", "OfferPatch", "AskIn", "AskPatch")},
    **{(s, "description"): offers_rules.DESCRIPTION_MAX for s in ("OfferIn", "OfferPatch", "AskIn", "AskPatch")},
    ("RequestIn", "message"): exchanges_rules.MESSAGE_MAX,
    ("HelpIn", "message"): exchanges_rules.MESSAGE_MAX,
    ("NoteIn", "note"): exchanges_rules.NOTE_MAX,
    ("MoreTimeIn", "note"): exchanges_rules.NOTE_MAX,
    ("PickupIn", "address"): exchanges_rules.ADDRESS_MAX,
    ("MessageIn", "text"): exchanges_rules.THREAD_MESSAGE_MAX,
    ("ThanksIn", "text"): reputation_rules.THANKS_MAX,
    ("ReportIn", "reason"): moderation_rules.REPORT_REASON_MAX,
    ("StreetIn", "name"): places_rules.STREET_NAME_MAX,
    ("LocationIn", "address"): places_rules.ADDRESS_MAX,
}
MIN_LENGTHS: dict[tuple[str, str], int] = {
    ("SignupIn", "password"): accounts_rules.MIN_PASSWORD,
    ("SignupIn", "display_name"): 1,
    **{(s, "title"): offers_rules.TITLE_MIN for s in ("OfferIn", "AskIn")},
}
FORMATS: dict[tuple[str, str], str] = {("SignupIn", "email"): "email", ("TokenIn", "email"): "email"}
NUMBER_RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("StreetIn", "radius_m"): (places_rules.RADIUS_MIN_M, places_rules.RADIUS_MAX_M),
    ("InviteIn", "days"): (1, coordinators_rules.INVITE_DAYS_MAX),
    ("InviteIn", "max_uses"): (1, coordinators_rules.INVITE_USES_MAX),
    **{(s, "loan_days"): (1, offers_rules.MAX_LOAN_DAYS) for s in ("OfferIn", "OfferPatch")},
    **{(s, "slots"): (1, offers_rules.MAX_SLOTS) for s in ("OfferIn", "OfferPatch")},
}


class DocumentedJsonRenderPlugin(JsonRenderPlugin):
    """Serves /schema/openapi.json as `document` completes it (built once, on the first request)."""

    def __init__(self) -> None:
        super().__init__()
        self._documented: dict[str, Any] | None = None

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        if self._documented is None:
            self._documented = document(openapi_schema, request.app)
        return super().render(request, self._documented)


def document(generated: dict[str, Any], app: Litestar) -> dict[str, Any]:
    """A completed copy of Litestar's schema dict (see the module's docstring)."""
    schema = copy.deepcopy(generated)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(copy.deepcopy(ERROR_SCHEMAS))
    guarded = _guarded_operations(app)
    seen: set[str] = set()
    enumerated: set[tuple[str, str]] = set()
    for path, item in schema.get("paths", {}).items():
        if not path.startswith(API + "/"):
            continue
        for method, operation in item.items():
            if method not in {"get", "put", "post", "patch", "delete"}:
                continue
            key = f"{method.upper()} {path.removeprefix(API)}"
            seen.add(key)
            _describe_errors(operation, key, requires_token=(method.upper(), path) in guarded)
            if key in DIFFERS:
                operation["description"] = _paragraphs(operation.get("description"),
                                                       "Differs from the contract: " + DIFFERS[key])
            for param in operation.get("parameters", []):
                if param.get("in") == "query":
                    _describe_query_parameter(param, key)
                    enumerated.add((key, param["name"]))
                elif param.get("in") == "path" and (key, param["name"]) in PATH_ENUMS:
                    _constrain(param["schema"], enum=list(PATH_ENUMS[key, param["name"]]))
                    enumerated.add((key, param["name"]))
    served = {_unnamed(key) for key in seen}
    if not_served := [op for op in CONTRACT if _unnamed(op) not in served]:
        info = schema.setdefault("info", {})
        info["description"] = _paragraphs(info.get("description"), "Not served yet, though the written contract "
                                          "(api.md) names them: " + ", ".join(f"`{op}`" for op in not_served) + ".")
    if missing := {*QUERY_ENUMS, *PATH_ENUMS} - enumerated:  # a renamed parameter must not lose its enum quietly
        raise LookupError(f"query parameters named in web/openapi.py but not in the API: {sorted(missing)}")
    if missing := {k for k in {*RAISES, *DIFFERS, *CURSORS} if k not in seen}:
        raise LookupError(f"operations named in web/openapi.py but not in the API: {sorted(missing)}")
    for (name, prop), values in PROPERTY_ENUMS.items():
        _constrain(_property(components, name, prop), enum=list(values))
    for (name, prop), values in ITEM_ENUMS.items():
        _constrain(_property(components, name, prop)["items"], enum=list(values))
    for (name, prop), length in MAX_LENGTHS.items():
        _constrain(_property(components, name, prop), maxLength=length)
    for (name, prop), length in MIN_LENGTHS.items():
        _constrain(_property(components, name, prop), minLength=length)
    for (name, prop), text_format in FORMATS.items():
        _constrain(_property(components, name, prop), format=text_format)
    for (name, prop), (low, high) in NUMBER_RANGES.items():
        _constrain(_property(components, name, prop), minimum=low, maximum=high, kind="integer")
    for name in ("FeedOut", "ReportsOut", "NotificationsOut", "ExchangeList"):
        _property(components, name, "next")["description"] = (
            "The cursor for the next page (pass it as `cursor`); null on the last page.")
    return schema


def _describe_query_parameter(param: dict[str, Any], key: str) -> None:
    name = param["name"]
    if name == "cursor" and key in CURSORS:
        stranger, longest = CURSORS[key]
        within = f", at most {longest} characters" if longest else ""
        param["description"] = CURSOR.format(longest=within) + f" A cursor the app did not make gets {stranger}."
        if longest:
            _constrain(param["schema"], maxLength=longest)
    if (key, name) in QUERY_ENUMS:
        _constrain(param["schema"], enum=list(QUERY_ENUMS[key, name]))


def _paragraphs(*texts: str | None) -> str:
    return "\n\n".join(text for text in texts if text)


def _unnamed(operation: str) -> str:
    """"GET /offers/{offer_id}" and "GET /offers/{id}" are one operation."""
    return re.sub(r"\{[^}]*\}", "{}", operation)


def _guarded_operations(app: Litestar) -> set[tuple[str, str]]:
    """(METHOD, path) of every operation behind requires_resident."""
    guarded: set[tuple[str, str]] = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            guards = [g for layer in handler.ownership_layers for g in (layer.guards or ())]
            if requires_resident in guards:
                guarded.update((method, route.path_format) for method in handler.http_methods)
    return guarded


def _describe_errors(operation: dict[str, Any], key: str, *, requires_token: bool) -> None:
    responses = operation.setdefault("responses", {})
    responses.pop("400", None)  # Litestar's ValidationException body: never sent (web/errors.py answers instead)
    for answer in responses.values():
        # `-> Thing | Response` (a handler that may answer an error itself) reads as oneOf [Thing, {}]:
        # {} matches anything, so nothing would be valid under exactly one. The errors are listed below.
        for content in answer.get("content", {}).values():
            alternatives = content.get("schema", {}).get("oneOf", [])
            if {} in alternatives:
                alternatives.remove({})
                if len(alternatives) == 1:
                    content["schema"] = alternatives[0]
    # The bearer scheme says how to authenticate: a header parameter named Authorization is ignored
    # by OpenAPI's rules, and clients would be asked to send it twice.
    params = operation["parameters"] = [p for p in operation.get("parameters", [])
                                        if not (p["in"] == "header" and p["name"].lower() == "authorization")]
    if not params:
        del operation["parameters"]
    has_body = "requestBody" in operation
    typed_query = any(p["in"] == "query" and not _is_text(p.get("schema", {})) for p in params)
    statuses = set(RAISES.get(key, ()))
    if has_body:
        statuses.add(400)
    if requires_token:
        statuses.add(401)
    else:
        operation["security"] = []  # no token needed (the app-wide default says bearer)
    if any(p["in"] == "path" for p in params):
        statuses.add(404)
    if has_body or typed_query:
        statuses.add(422)
    statuses.add(503)  # every operation reads the database (a token is looked up there too)
    for status in sorted(statuses):
        body = "AddressError" if (key, status) == ("PUT /me/location", 422) else "Error"
        response: dict[str, Any] = {
            "description": WHAT[status],
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}},
        }
        if status in HEADERS:
            response["headers"] = copy.deepcopy(HEADERS[status])
        responses[str(status)] = response


def _is_text(schema: dict[str, Any]) -> bool:
    return "string" in {s.get("type") for s in _branches(schema)}


def _branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema itself, or the alternatives of a oneOf/anyOf (`str | None` is oneOf string, null)."""
    for word in ("oneOf", "anyOf"):
        if word in schema:
            return schema[word]
    return [schema]


def _property(components: dict[str, Any], name: str, prop: str) -> dict[str, Any]:
    try:
        return components[name]["properties"][prop]
    except KeyError:
        raise LookupError(f"web/openapi.py names {name}.{prop}, which the API's types no longer have") from None


def _constrain(schema: dict[str, Any], *, kind: str = "string", **constraints: Any) -> None:
    """Add constraints to the `kind` branch of a (possibly nullable) schema."""
    targets = [s for s in _branches(schema) if s.get("type") == kind]
    if not targets:
        raise LookupError(f"no {kind} in {schema} to constrain with {constraints}")
    for target in targets:
        target.update(constraints)
