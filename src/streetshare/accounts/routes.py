"""Account pages (sign up, sign in, sign out, password) and the account API. Thin: parse, call, respond."""

from __future__ import annotations

import logging
from typing import Annotated

import msgspec
from litestar import Request, Response, Router, delete, get, post
from litestar.background_tasks import BackgroundTask
from litestar.params import FromQuery, HeaderParameter, JSONBody
from litestar.response import Redirect, Template

from streetshare import mail, ratelimit
from streetshare.accounts import devices, queries, service, throttle
from streetshare.coordinators.queries import roles_left_when_leaving
from streetshare.coordinators.service import OnlyCoordinator
from streetshare.errors import Conflict, Invalid, NotFound, TooManyAttempts
from streetshare.settings import Settings
from streetshare.web.auth import clear_session_cookie, current, requires_resident, session_token, set_session_cookie
from streetshare.web.forms import form_data, keep, safe_next
from streetshare.web.pages import client_ip, form_page, page, settings_of
from streetshare.web.refs import StreetRef

log = logging.getLogger(__name__)

SIGNUP_IP_LIMIT = dict(limit=10, window_s=60 * 60)
RESET_IP_LIMIT = dict(limit=10, window_s=60 * 60)


def password_client(request: Request) -> throttle.Client:
    """Who is checking a password, for the sign-in throttle: their address and their browser's device passes."""
    return throttle.Client(client_ip(request), devices.read(request.cookies.get(devices.COOKIE)),
                           settings_of(request).secret_key)


async def remember_device(response: Response, request: Request, resident_id: int) -> Response:
    """After the resident proved who they are in this browser (the right password, or a reset link from
    their email): give it their device pass, so that a stranger's guesses never slow them down here."""
    cookie = devices.read(request.cookies.get(devices.COOKIE))
    if cookie.device_id is None:
        cookie = devices.DeviceCookie(devices.new_device_id())
    assert cookie.device_id is not None
    sign = await service.device_pass(resident_id, device_id=cookie.device_id, secret=settings_of(request).secret_key)
    response.set_cookie(devices.COOKIE, devices.with_pass(cookie, resident_id, sign), max_age=devices.MAX_AGE_S,
                        httponly=True, secure=settings_of(request).https, samesite="lax", path="/")
    return response


def too_many(response: Template, exc: TooManyAttempts) -> Template:
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


# ---------------------------------------------------------------- web pages


@get("/signup", name="signup")
async def signup_form(request: Request, next: FromQuery[str | None] = None) -> Template | Redirect:
    if request.user:
        return Redirect(path=safe_next(next))
    return page("accounts/signup.html", errors={}, values={}, next=safe_next(next, ""))


@post("/signup")
async def signup(request: Request) -> Response:
    data = await form_data(request)
    next_path = safe_next(data.get("next"), "/")
    try:
        await ratelimit.hit(f"signup-ip:{client_ip(request)}", **SIGNUP_IP_LIMIT)
        resident = await service.sign_up(
            email=data.get("email", ""), password=data.get("password", ""), display_name=data.get("display_name", "")
        )
    except Invalid as exc:
        return form_page("accounts/signup.html", errors=exc.errors, values=keep(data, "email", "display_name"), next=next_path)
    except TooManyAttempts as exc:
        return too_many(form_page("accounts/signup.html", errors={"form": exc.message},
                                  values=keep(data, "email", "display_name"), next=next_path, status_code=429), exc)
    token = await service.start_session(resident.id, days=settings_of(request).session_days)
    return set_session_cookie(Redirect(path=next_path, status_code=303), token, settings_of(request))


@get("/signin", name="signin")
async def signin_form(request: Request, next: FromQuery[str | None] = None) -> Template | Redirect:
    if request.user:
        return Redirect(path=safe_next(next))
    return page("accounts/signin.html", errors={}, values={}, next=safe_next(next, ""))


@post("/signin")
async def signin(request: Request) -> Response:
    data = await form_data(request)
    next_path = safe_next(data.get("next"), "/")
    values = keep(data, "email")
    try:
        resident_id = await service.authenticate(email=data.get("email", ""), password=data.get("password", ""),
                                                 client=password_client(request))
    except Invalid as exc:
        return form_page("accounts/signin.html", errors={"form": exc.message}, values=values, next=next_path)
    except TooManyAttempts as exc:
        return too_many(form_page("accounts/signin.html", errors={"form": exc.message}, values=values, next=next_path,
                                  status_code=429), exc)
    token = await service.start_session(resident_id, days=settings_of(request).session_days)
    response = set_session_cookie(Redirect(path=next_path, status_code=303), token, settings_of(request))
    return await remember_device(response, request, resident_id)


@post("/signout")
async def signout(request: Request) -> Redirect:
    token = session_token(request)
    if token:
        await service.end_session(token)
    return clear_session_cookie(Redirect(path="/", status_code=303))


@post("/account/signout-everywhere", guards=[requires_resident])
async def signout_everywhere(request: Request) -> Redirect:
    await service.end_all_sessions(acting=current(request).id)
    return clear_session_cookie(Redirect(path="/signin?signed_out=everywhere", status_code=303))


@get("/account", guards=[requires_resident], name="account")
async def account(request: Request, changed: FromQuery[str | None] = None) -> Template:
    me = current(request)
    return page("accounts/account.html", errors={}, values={}, sessions=await queries.active_sessions(me.id),
                changed=bool(changed))


@post("/account/password", guards=[requires_resident])
async def change_password(request: Request) -> Response:
    me = current(request)
    data = await form_data(request)
    try:
        await service.change_password(
            acting=me.id,
            current_password=data.get("current_password", ""),
            new_password=data.get("new_password", ""),
            keep_token_id=me.token_id,
            client=password_client(request),
        )
    except Invalid as exc:
        return form_page("accounts/account.html", errors=exc.errors, values={},
                         sessions=await queries.active_sessions(me.id), changed=False)
    except TooManyAttempts as exc:
        return too_many(form_page("accounts/account.html", errors={"current_password": exc.message}, values={},
                                  sessions=await queries.active_sessions(me.id), changed=False, status_code=429), exc)
    # The new password voids this browser's device pass: it gets a new one.
    return await remember_device(Redirect(path="/account?changed=1", status_code=303), request, me.id)


@get("/password/forgot")
async def forgot_form() -> Template:
    return page("accounts/forgot.html", errors={}, values={}, sent=False)


@post("/password/forgot")
async def forgot(request: Request) -> Template:
    data = await form_data(request)
    email = data.get("email", "")
    from streetshare.accounts.rules import email_error

    if message := email_error(email):
        return form_page("accounts/forgot.html", errors={"email": message}, values=keep(data, "email"), sent=False)
    try:
        await ratelimit.hit(f"reset-ip:{client_ip(request)}", **RESET_IP_LIMIT)
        await ratelimit.hit(f"reset-email:{throttle.account_key(email)}", limit=3, window_s=3600)
    except TooManyAttempts as exc:
        return too_many(form_page("accounts/forgot.html", errors={"form": exc.message}, values=keep(data, "email"),
                                  sent=False, status_code=429), exc)
    created = await service.create_password_reset(email)
    response = page("accounts/forgot.html", errors={}, values={}, sent=True)
    if created is not None:
        # After the answer: waiting for the mail server would let anyone time the answer to learn
        # who has an account (unknown emails get no mail, so they would be answered sooner).
        response.background = BackgroundTask(send_password_reset, settings_of(request), *created)
    return response


async def send_password_reset(settings: Settings, resident: service.NewResident, token: str) -> None:
    message = mail.render_email(
        "password_reset",
        to=resident.email,
        subject="Reset your Streetshare password",
        context={
            "display_name": resident.display_name,
            "reset_url": f"{settings.base_url}/password/reset?token={token}",
            "valid_minutes": int(service.RESET_VALID.total_seconds() // 60),
        },
    )
    try:
        await mail.make_mailer(settings).send(message)
    except mail.MailError:
        log.exception("password reset email could not be sent")


@get("/password/reset")
async def reset_form(token: FromQuery[str] = "") -> Template:
    valid = await service.reset_password_token_is_valid(token) if token else False
    return page("accounts/reset.html", errors={} if valid else {"token": "This reset link has expired or was already used."},
                values={}, token=token, valid=valid, status_code=200 if valid else 410)


@post("/password/reset")
async def reset(request: Request) -> Response:
    data = await form_data(request)
    token = data.get("token", "")
    try:
        resident_id = await service.reset_password(token=token, new_password=data.get("new_password", ""))
    except Invalid as exc:
        return form_page("accounts/reset.html", errors=exc.errors, values={}, token=token, valid="token" not in exc.errors)
    # The link came from their email: this browser is theirs, so they can sign in here even while
    # someone is guessing at their account elsewhere.
    return await remember_device(Redirect(path="/signin?reset=1", status_code=303), request, resident_id)


# ---------------------------------------------------------------- your data: export, close


def _export_response(data: dict) -> Response:
    return Response(content=data, media_type="application/json",
                    headers={"Content-Disposition": 'attachment; filename="streetshare-my-data.json"',
                             "Cache-Control": "no-store"})


@get("/account/export", guards=[requires_resident])
async def export_page(request: Request) -> Response:
    data = await queries.personal_data(current(request).id)
    if data is None:
        raise NotFound()
    return _export_response(data)


async def _close_page(request: Request, *, errors: dict[str, str] | None = None, problem: str | None = None,
                      status_code: int = 200) -> Template:
    me = current(request)
    return page("accounts/close.html", status_code=status_code, errors=errors or {}, values={}, problem=problem,
                roles=await roles_left_when_leaving(me.id))


@get("/account/close", guards=[requires_resident])
async def close_form(request: Request) -> Template:
    return await _close_page(request)


@post("/account/close", guards=[requires_resident])
async def close(request: Request) -> Response:
    me = current(request)
    data = await form_data(request)
    try:
        # The password again, through the sign-in throttle: a borrowed phone cannot be used to guess it.
        await service.close_account(acting=me.id, password=data.get("password", ""), client=password_client(request))
    except Invalid as exc:
        return await _close_page(request, errors=exc.errors, status_code=422)
    except TooManyAttempts as exc:
        return too_many(await _close_page(request, errors={"password": exc.message}, status_code=429), exc)
    except OnlyCoordinator:  # the page already says which street needs another coordinator first
        return await _close_page(request, status_code=409)
    except Conflict as exc:
        return await _close_page(request, problem=exc.message, status_code=409)
    return clear_session_cookie(Redirect(path="/account/closed", status_code=303))


@get("/account/closed")
async def closed(request: Request) -> Template:
    return page("accounts/closed.html")


web_router = Router(
    path="/",
    route_handlers=[signup_form, signup, signin_form, signin, signout, signout_everywhere, account, change_password,
                    forgot_form, forgot, reset_form, reset, export_page, close_form, close, closed],
    include_in_schema=False,
)

# ---------------------------------------------------------------- JSON API


class SignupIn(msgspec.Struct):
    email: str
    password: str
    display_name: str


class ResidentOut(msgspec.Struct):
    id: int
    display_name: str


class TokenIn(msgspec.Struct):
    email: str
    password: str
    label: str = ""


class TokenOut(msgspec.Struct):
    access_token: str
    token_type: str = "bearer"


class MeOut(msgspec.Struct):
    id: int
    display_name: str
    email: str
    member_since: str
    street: StreetRef | None = None


@post("/auth/signup", status_code=201, summary="Create an account")
async def api_signup(request: Request, data: JSONBody[SignupIn]) -> ResidentOut:
    await ratelimit.hit(f"signup-ip:{client_ip(request)}", **SIGNUP_IP_LIMIT)
    resident = await service.sign_up(email=data.email, password=data.password, display_name=data.display_name)
    return ResidentOut(id=resident.id, display_name=resident.display_name)


@post("/auth/token", status_code=200, summary="Exchange email and password for a bearer token")
async def api_token(request: Request, data: JSONBody[TokenIn]) -> TokenOut:
    resident_id = await service.authenticate(email=data.email, password=data.password, client=password_client(request))
    token = await service.start_session(resident_id, kind="api", label=data.label or "API", days=None)
    return TokenOut(access_token=token)


@delete("/auth/token", guards=[requires_resident], status_code=204, summary="Revoke the token used for this request")
async def api_revoke_token(request: Request, authorization: Annotated[str, HeaderParameter(name="Authorization")]) -> None:
    await service.end_session(authorization.partition(" ")[2].strip())


@get("/me", guards=[requires_resident], summary="The signed-in resident")
async def api_me(request: Request) -> MeOut:
    from streetshare.places.queries import home_street

    me = current(request)
    street = await home_street(me.id)
    return MeOut(id=me.id, display_name=me.display_name, email=me.email, member_since=me.created_at.isoformat(),
                 street=StreetRef(id=street.id, name=street.name) if street else None)


class CloseIn(msgspec.Struct):
    password: str


@get("/me/export", guards=[requires_resident], summary="Everything Streetshare keeps about you, as JSON")
async def api_export(request: Request) -> Response:
    data = await queries.personal_data(current(request).id)
    if data is None:
        raise NotFound()
    return _export_response(data)


@post("/me/close", guards=[requires_resident], status_code=204,
      summary="Close your account (your password again); 409 while a loan is out or you are a street's only coordinator")
async def api_close(request: Request, data: JSONBody[CloseIn]) -> None:
    me = current(request)
    await service.close_account(acting=me.id, password=data.password, client=password_client(request))


api_handlers = [api_signup, api_token, api_revoke_token, api_me, api_export, api_close]
