"""Device passes: a browser the resident has signed in on carries a signed pass for their account, so the
sign-in throttle can tell their own phone from a stranger guessing (accounts/throttle.py).

The cookie holds this browser's random device id and up to MAX_PASSES passes (one per resident who
signed in on it: a family tablet). A pass is an HMAC, under the app's secret key, of the resident,
the device id and the resident's current password hash: nobody can make one without signing in,
and changing or resetting the password voids every pass made before (the browser that changed it
gets a new one). Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

COOKIE = "streetshare_device"
MAX_AGE_S = 400 * 24 * 3600  # the longest a browser keeps a cookie
MAX_PASSES = 4

_DEVICE_ID = re.compile(r"^[0-9a-f]{24}$")
_PASS = re.compile(r"^([0-9]{1,12})-([0-9a-f]{32})$")


@dataclass(frozen=True)
class DeviceCookie:
    device_id: str | None = None
    passes: dict[int, str] = field(default_factory=dict)  # resident id -> signature, newest first


def new_device_id() -> str:
    return secrets.token_hex(12)


def read(value: str | None) -> DeviceCookie:
    """The cookie's device id and passes; anything malformed is ignored (an empty cookie)."""
    device_id, *entries = (value or "").split(".")
    if not _DEVICE_ID.match(device_id):
        return DeviceCookie()
    passes: dict[int, str] = {}
    for entry in entries[:MAX_PASSES]:
        if match := _PASS.match(entry):
            passes.setdefault(int(match.group(1)), match.group(2))
    return DeviceCookie(device_id, passes)


def signature(secret: str, resident_id: int, device_id: str, password_hash: str) -> str:
    message = f"device-pass:{resident_id}:{device_id}:{password_hash}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def holds_pass(cookie: DeviceCookie, secret: str, resident_id: int, password_hash: str | None) -> bool:
    """Whether this browser holds a valid pass for the resident (with their password as it is now)."""
    given = cookie.passes.get(resident_id)
    if not (given and cookie.device_id and password_hash and secret):
        return False
    return hmac.compare_digest(given, signature(secret, resident_id, cookie.device_id, password_hash))


def with_pass(cookie: DeviceCookie, resident_id: int, sign: str) -> str:
    """The cookie value with the resident's new pass first (the oldest dropped past MAX_PASSES)."""
    assert cookie.device_id
    passes = {resident_id: sign, **{rid: s for rid, s in cookie.passes.items() if rid != resident_id}}
    kept = list(passes.items())[:MAX_PASSES]
    return ".".join([cookie.device_id, *(f"{rid}-{s}" for rid, s in kept)])
