"""Where the home page stalls under load: wrk on the signed-in home page of a running server.

    uv run python -m bench.stall --url http://127.0.0.1:8765/ --runs 3        # a demo on port 8765
    uv run python -m bench.stall --url http://127.0.0.1:8000/ --email ... --password ...

It signs in through the sign-in form (a demo account by default), then runs wrk `--runs` times
(32 connections, 2 threads, 30 s, a 10 s timeout so that a stalled request is measured rather
than dropped at wrk's default 2 s) and prints, per run and as the median and range over the runs:
req/s, p50, p99, p99.9, the longest request, and how many requests took over 200 ms, 1 s and 2 s.
On a shared machine those counts and the longest request say more than req/s: a request that
waits seconds is the server's doing, not the neighbours'. Loopback addresses only.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
DEMO_EMAIL = "bob@demo.streetshare.local"
DEMO_PASSWORD = "streetshare-demo"

# wrk calls done() once with the latency histogram: latency(i) is the i-th distinct value (µs) and
# how many requests took it, so the counts over a threshold are exact, not read off percentiles.
REPORT_LUA = r"""
function done(summary, latency, requests)
  local over200, over1, over2 = 0, 0, 0
  local i = 1
  while true do
    local v, c = latency(i)
    if v == nil or v == 0 then break end
    if v > 200000 then over200 = over200 + c end
    if v > 1000000 then over1 = over1 + c end
    if v > 2000000 then over2 = over2 + c end
    i = i + 1
  end
  local e = summary.errors
  io.write(string.format('STALL {"requests": %d, "rps": %.1f, "p50_ms": %.2f, "p99_ms": %.2f, "p999_ms": %.2f, ' ..
    '"max_ms": %.2f, "over_200ms": %d, "over_1s": %d, "over_2s": %d, "errors": %d, "timeouts": %d}\n',
    summary.requests, summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency:percentile(99.9) / 1000, latency.max / 1000,
    over200, over1, over2, e.connect + e.read + e.write + e.status, e.timeout))
end
"""

FIGURES = ["rps", "p50_ms", "p99_ms", "p999_ms", "max_ms", "over_200ms", "over_1s", "over_2s", "errors", "timeouts"]


def sign_in(base: str, email: str, password: str) -> str:
    """The session cookie's value, from the sign-in form as a browser would send it."""
    jar = http.cookiejar.CookieJar()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    form = opener.open(urllib.parse.urljoin(base, "/signin"), timeout=30).read().decode()
    match = re.search(r'name="_csrf_token" value="([^"]+)"', form)
    if match is None:
        raise SystemExit("no CSRF field on /signin")
    body = urllib.parse.urlencode({"_csrf_token": match.group(1), "email": email, "password": password, "next": ""})
    try:
        opener.open(urllib.parse.urljoin(base, "/signin"), data=body.encode(), timeout=30)
    except urllib.error.HTTPError as exc:  # the 303 to the home page
        if exc.code != 303:
            raise
    for cookie in jar:
        if cookie.name == "streetshare_session":
            return cookie.value
    raise SystemExit(f"could not sign in as {email}")


def run_wrk(url: str, cookie: str, *, connections: int, threads: int, duration: int, timeout: int,
            script: Path) -> dict:
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", f"--timeout={timeout}s", "-s", str(script),
         "-H", f"Cookie: streetshare_session={cookie}", "-H", "Accept-Encoding: gzip", url],
        capture_output=True, text=True, check=True, timeout=duration + timeout + 60,
    ).stdout
    for line in out.splitlines():
        if line.startswith("STALL "):
            return json.loads(line[len("STALL "):])
    raise RuntimeError(f"wrk printed no result:\n{out}")


def summary(runs: list[dict]) -> dict[str, dict[str, float]]:
    return {k: {"median": statistics.median(r[k] for r in runs), "min": min(r[k] for r in runs),
                "max": max(r[k] for r in runs)} for k in FIGURES}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="bench.stall", description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default="http://127.0.0.1:8765/")
    p.add_argument("--email", default=DEMO_EMAIL)
    p.add_argument("--password", default=DEMO_PASSWORD)
    p.add_argument("--cookie", help="a session cookie's value (skips signing in)")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--duration", type=int, default=30)
    p.add_argument("--timeout", type=int, default=10, help="seconds before wrk gives up on a request")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--label", default="", help="a name for this series in the output")
    p.add_argument("--json", type=Path, help="append the series to this file (one JSON object a line)")
    args = p.parse_args(argv)

    host = urllib.parse.urlsplit(args.url).hostname
    if host not in LOOPBACK:
        raise SystemExit(f"bench.stall loads loopback addresses only, not {host}")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    cookie = args.cookie or sign_in(args.url, args.email, args.password)
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "report.lua"
        script.write_text(REPORT_LUA)
        runs = []
        for i in range(args.runs):
            load = os.getloadavg()[0]
            result = run_wrk(args.url, cookie, connections=args.connections, threads=args.threads,
                             duration=args.duration, timeout=args.timeout, script=script)
            result["load_before"] = round(load, 2)
            runs.append(result)
            print(f"run {i + 1}: " + "  ".join(f"{k}={result[k]}" for k in ["load_before", *FIGURES]), flush=True)
    figures = summary(runs)
    print(f"median (min..max) over {len(runs)} runs {args.label}".rstrip())
    for k, v in figures.items():
        print(f"  {k:11} {v['median']:>10.1f}   ({v['min']:.1f} .. {v['max']:.1f})")
    if args.json:
        with args.json.open("a") as f:
            f.write(json.dumps({"label": args.label, "url": args.url, "connections": args.connections,
                                "duration": args.duration, "runs": runs, "summary": figures}) + "\n")


if __name__ == "__main__":
    sys.exit(main())
