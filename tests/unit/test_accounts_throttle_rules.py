"""The sign-in throttle's pure parts: the delays, the bound the README promises, and device passes."""

from __future__ import annotations

import re

from streetshare.accounts import devices, throttle
from streetshare.paths import PROJECT_DIR

SECRET = "test-secret-key-that-is-long-enough-0123456789"


def _readme() -> str:
    return " ".join((PROJECT_DIR / "README.md").read_text().split())


def test_the_readme_states_the_guesses_per_day_the_constants_give():
    stated = re.search(r"at most \*\*(\d+) guesses per account per day\*\*", _readme())
    assert stated, "the README says how many guesses an attacker gets per account per day"
    assert int(stated.group(1)) == throttle.guesses_per_day()


def test_the_readme_states_the_limits_the_constants_give():
    readme = _readme()
    window = int(throttle.CLIENT_WINDOW.total_seconds() // 60)
    assert (f"One address gets {throttle.ACCOUNT_CLIENT_LIMIT} wrong passwords per account, and "
            f"{throttle.CLIENT_LIMIT} in all, per {window} minutes") in readme
    assert f"An account takes {throttle.FREE_FAILURES} wrong passwords a day" in readme
    assert throttle.DAY.total_seconds() == 24 * 3600
    assert (f"({throttle.FIRST_DELAY_S // 60} minute, then {2 * throttle.FIRST_DELAY_S // 60}, "
            f"{4 * throttle.FIRST_DELAY_S // 60} ... up to {throttle.MAX_DELAY_S // 60} minutes)") in readme


def test_guesses_per_day_is_the_free_tries_plus_the_delays_that_fit_in_a_day():
    # 10 free; then waits of 1, 2, 4, 8, 16, 32 minutes (63 in all), then an hour each: 22 more hours fit.
    assert [throttle.delay_s(n) for n in range(9, 17)] == [0, 60, 120, 240, 480, 960, 1920, 3600]
    assert throttle.guesses_per_day() == 10 + 6 + 22


def test_delays_never_shrink_as_failures_grow():
    delays = [throttle.delay_s(n) for n in range(200)]
    assert delays == sorted(delays) and max(delays) == throttle.MAX_DELAY_S


def test_a_device_pass_is_read_back_and_checked_against_the_password_hash():
    device_id = devices.new_device_id()
    value = devices.with_pass(devices.DeviceCookie(device_id), 7, devices.signature(SECRET, 7, device_id, "hash-1"))
    cookie = devices.read(value)
    assert cookie.device_id == device_id
    assert devices.holds_pass(cookie, SECRET, 7, "hash-1")
    assert not devices.holds_pass(cookie, SECRET, 7, "hash-2")  # the password changed since
    assert not devices.holds_pass(cookie, SECRET, 8, "hash-1")  # another resident
    assert not devices.holds_pass(cookie, "another-secret-key-of-enough-length-000", 7, "hash-1")


def test_a_browser_keeps_passes_for_a_few_residents_newest_first():
    cookie = devices.DeviceCookie(devices.new_device_id())
    for resident in range(1, 7):
        cookie = devices.read(devices.with_pass(cookie, resident, devices.signature(SECRET, resident, cookie.device_id, "h")))
    assert list(cookie.passes) == [6, 5, 4, 3]


def test_a_malformed_device_cookie_is_no_cookie():
    for value in (None, "", "zz", "a" * 24 + ".x-y", "../etc", "a" * 24 + ".1-" + "g" * 32):
        assert devices.read(value).passes == {}
