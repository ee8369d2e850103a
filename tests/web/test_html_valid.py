"""Every page is well-formed HTML: a strict check over a crawl of the demo street, signed out and signed in.

Browsers forgive broken markup by guessing, and guesses differ (a screen reader may hear one field where
two attributes were glued together). So the pages are parsed here the way the HTML standard tokenizes
them, and the parse errors a browser would silently repair fail the test:
- attributes glued together (`value=""autocomplete="email"`: missing-whitespace-between-attributes),
  a quote, `<` or `=` where an attribute name starts, an attribute given twice, a tag never closed;
- an end tag that closes nothing open (a stray `</div>`), or an element left open that must be closed;
- an id used twice on a page, a label or aria reference to an id that is not there;
- not exactly one h1 (the page's title for screen readers and axe).
"""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from support.cast import app_client

from streetshare import db

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Elements whose end tag the standard lets a page leave out (closed by what follows).
OPTIONAL_END = {"html", "head", "body", "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead",
                "tbody", "tfoot", "colgroup", "caption", "rt", "rp"}
RAW_TEXT = {"script", "style", "textarea", "title"}

_NAME_START = re.compile(r"[^\s/>\"'<=]")


def _attribute_errors(tag: str) -> list[str]:
    """Tokenize one start tag (from `<` to its `>`) as the standard's attribute states do."""
    errors: list[str] = []
    m = re.match(r"<([A-Za-z][^\s/>]*)", tag)
    assert m
    i, end, names = m.end(), len(tag), []
    while i < end:
        ch = tag[i]
        if ch.isspace() or ch == "/":
            i += 1
            continue
        if ch == ">":
            break
        if ch in "\"'<=":
            errors.append(f"unexpected {ch!r} where an attribute name starts in {tag[:80]!r}")
        start = i
        i += 1
        while i < end and not tag[i].isspace() and tag[i] not in "/>=":
            if tag[i] in "\"'<":
                errors.append(f"unexpected {tag[i]!r} in an attribute name in {tag[:80]!r}")
            i += 1
        name = tag[start:i].lower()
        if name in names:
            errors.append(f"duplicate attribute {name!r} in {tag[:80]!r}")
        names.append(name)
        while i < end and tag[i].isspace():
            i += 1
        if i < end and tag[i] == "=":
            i += 1
            while i < end and tag[i].isspace():
                i += 1
            if i < end and tag[i] in "\"'":
                close = tag.find(tag[i], i + 1)
                if close == -1:
                    errors.append(f"unclosed attribute value in {tag[:80]!r}")
                    break
                i = close + 1
                if i < end and not (tag[i].isspace() or tag[i] in "/>"):
                    errors.append(f"missing whitespace between attributes in {tag[max(0, i - 40):i + 40]!r}")
            elif i < end and tag[i] == ">":
                errors.append(f"missing attribute value in {tag[:80]!r}")
            else:
                while i < end and not tag[i].isspace() and tag[i] != ">":
                    if tag[i] in "\"'<=`":
                        errors.append(f"unexpected {tag[i]!r} in an unquoted attribute value in {tag[:80]!r}")
                    i += 1
    return errors


def _start_tags(html: str) -> list[str]:
    """The raw text of every start tag, outside comments and raw-text elements, quotes respected."""
    tags: list[str] = []
    i = 0
    while (i := html.find("<", i)) != -1:
        if html.startswith("<!--", i):
            i = html.find("-->", i) + 3 if html.find("-->", i) != -1 else len(html)
            continue
        if not re.match(r"<[A-Za-z]", html[i:i + 2]):
            i += 1
            continue
        j = i + 1
        while j < len(html) and html[j] != ">":
            if html[j] == "=":  # a quoted value may hold ">": skip to its closing quote
                k = j + 1
                while k < len(html) and html[k].isspace():
                    k += 1
                if k < len(html) and html[k] in "\"'":
                    close = html.find(html[k], k + 1)
                    j = close + 1 if close != -1 else len(html)
                    continue
            j += 1
        tag = html[i:j + 1]
        tags.append(tag)
        name = re.match(r"<([A-Za-z][^\s/>]*)", tag).group(1).lower()
        i = j + 1
        if name in RAW_TEXT:
            close = html.lower().find(f"</{name}", i)
            i = close if close != -1 else len(html)
    return tags


class _Structure(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.errors: list[str] = []
        self.stack: list[str] = []
        self.ids: list[str] = []
        self.refs: list[tuple[str, str]] = []
        self.h1 = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id") is not None:
            self.ids.append(values["id"])
        if tag == "label" and values.get("for"):
            self.refs.append(("label for", values["for"]))
        for attr in ("aria-describedby", "aria-labelledby", "aria-controls"):
            for ref in (values.get(attr) or "").split():
                self.refs.append((attr, ref))
        if tag == "h1":
            self.h1 += 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID and ("svg" in self.stack or "math" in self.stack):  # foreign content: `/>` closes
            self.stack.pop()
        elif tag not in VOID:
            self.errors.append(f"<{tag}/> is not a void element: it is left open")

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            self.errors.append(f"end tag </{tag}> for a void element")
            return
        if tag not in self.stack:
            self.errors.append(f"stray end tag </{tag}> (open: {' > '.join(self.stack[-4:])})")
            return
        while self.stack and (top := self.stack.pop()) != tag:
            if top not in OPTIONAL_END:
                self.errors.append(f"<{top}> left open by </{tag}>")

    def finish(self) -> list[str]:
        self.close()
        left = [t for t in self.stack if t not in OPTIONAL_END]
        if left:
            self.errors.append(f"never closed: {left}")
        seen: set[str] = set()
        for i in self.ids:
            if i in seen:
                self.errors.append(f"duplicate id {i!r}")
            seen.add(i)
        self.errors += [f"{attr}={ref!r} names no element" for attr, ref in self.refs if ref not in seen]
        return self.errors


def html_problems(html: str, *, fragment: bool = False) -> list[str]:
    """The parse errors and structural faults of a page (a fragment: no h1 and doctype rules)."""
    problems: list[str] = []
    if not fragment and not html.lstrip().lower().startswith("<!doctype html>"):
        problems.append("no <!doctype html>")
    for tag in _start_tags(html):
        problems += _attribute_errors(tag)
    structure = _Structure()
    structure.feed(html)
    problems += structure.finish()
    if not fragment and structure.h1 != 1:
        problems.append(f"{structure.h1} h1 elements (a page has exactly one)")
    return problems


# ---------------------------------------------------------------- the checker catches what it should


@pytest.mark.parametrize(("html", "problem"), [
    ('<input value=""autocomplete="email">', "missing whitespace between attributes"),
    ("<input value='a'required>", "missing whitespace between attributes"),
    ('<a href="/x" href="/y">x</a>', "duplicate attribute"),
    ('<input "value"="x">', "where an attribute name starts"),
    ('<div><span></div>', "<span> left open"),
    ('<div></span></div>', "stray end tag </span>"),
    ('<p id="a"></p><p id="a"></p>', "duplicate id"),
    ('<label for="f-x">X</label>', "names no element"),
    ('<input aria-describedby="f-x-error">', "names no element"),
])
def test_checker_finds_the_parse_errors_a_browser_hides(html, problem):
    assert any(problem in p for p in html_problems(html, fragment=True)), html_problems(html, fragment=True)


def test_checker_accepts_well_formed_markup_with_optional_end_tags():
    html = ('<!doctype html><html lang="en"><head><title>x > y</title></head><body><h1>T</h1>'
            '<ul><li>one<li>two</ul><p>a <br> b<p>c <img src="/a.png" alt=""><label for="q">Q</label>'
            '<input id="q" value="a&quot;b" required><script>if (a<b) {}</script></body></html>')
    assert html_problems(html) == []


@pytest.mark.parametrize("count", [0, 2])
def test_checker_wants_exactly_one_h1(count):
    html = "<!doctype html><html><body>" + "<h1>T</h1>" * count + "</body></html>"
    assert f"{count} h1 elements (a page has exactly one)" in html_problems(html)


def test_form_field_macro_renders_well_formed_attributes():
    from streetshare.web.templating import make_environment

    field = make_environment().get_template("_macros/forms.html").module.field
    for kwargs in ({}, {"type": "password"}, {"autocomplete": "email", "inputmode": "email", "maxlength": 254},
                   {"hint": "A hint", "required": False}):
        html = str(field("email", "Email", {"email": "Wrong"}, {"email": "a@b.c"}, **kwargs))
        assert html_problems(html, fragment=True) == [], html


def test_every_page_template_has_an_h1():
    """Pages the crawl may not reach (a rare error, an empty state) still have their title: every
    template that extends base.html writes an h1, itself or through a macro given level=1."""
    from streetshare.paths import PROJECT_DIR

    missing = [str(path.relative_to(PROJECT_DIR)) for path in sorted((PROJECT_DIR / "templates").rglob("*.html"))
               if '{% extends "base.html" %}' in (text := path.read_text())
               and "<h1" not in text and "level=1" not in text]
    assert missing == []


# ---------------------------------------------------------------- the crawl


_HREF = re.compile(r'href="([^"#]*)')
SKIP = ("/static/", "/media/", "/signout", "/schema", "/api/", "/manifest", "/account/export", "/demo/outbox")


async def crawl(client, seeds: list[str], *, limit: int = 150) -> dict[str, tuple[int, str, str]]:
    """GET every same-site page reachable from the seeds (redirects followed by hand): status, type, body."""
    seen: dict[str, tuple[int, str, str]] = {}
    queue = deque(seeds)
    while queue and len(seen) < limit:
        path = queue.popleft()
        if path in seen or path.startswith(SKIP):
            continue
        response = await client.get(path)
        seen[path] = (response.status_code, response.headers.get("content-type", ""), response.text)
        if 300 <= response.status_code < 400:
            targets = [response.headers["location"]]
        elif "text/html" in seen[path][1]:
            targets = _HREF.findall(response.text)
        else:
            targets = []
        for target in targets:
            parts = urlsplit(urljoin("http://testserver.local" + path, target))
            if parts.netloc == "testserver.local" and parts.path.startswith("/"):
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return seen


def _invalid_pages(pages: dict[str, tuple[int, str, str]]) -> dict[str, list[str]]:
    return {path: problems for path, (status, kind, text) in pages.items()
            if "text/html" in kind and (problems := html_problems(text))}


@pytest.fixture
async def demo_street(settings):
    from streetshare.demo import seed

    return await seed(settings)


async def test_every_signed_out_page_is_well_formed_html(client, demo_street):
    pages = await crawl(client, ["/", "/signin", "/signup", "/password/forgot", "/password/reset?token=gone",
                                 "/streets/nearby", "/no/such/page", "/account/closed"])
    assert sum("text/html" in kind for _, kind, _ in pages.values()) >= 6
    assert _invalid_pages(pages) == {}


@pytest.mark.parametrize("who", ["carol", "alice", "bob", "dave"])
async def test_every_page_a_resident_reaches_is_well_formed_html(settings, demo_street, who):
    from streetshare.demo import DEMO_PASSWORD

    email = f"{who}@demo.streetshare.local"
    me = await db.fetchval("SELECT id FROM resident WHERE email = $1", email)
    async with app_client(settings) as client:
        from support.cast import post_form

        signed_in = await post_form(client, "/signin", {"email": email, "password": DEMO_PASSWORD})
        assert signed_in.status_code == 303
        offers = [r["id"] for r in await db.fetch("SELECT id FROM offer WHERE owner = $1 ORDER BY id", me)]
        asks = [r["id"] for r in await db.fetch("SELECT id FROM ask WHERE owner = $1 ORDER BY id", me)]
        exchanges = [r["id"] for r in await db.fetch(
            "SELECT id FROM exchange WHERE provider = $1 OR recipient = $1 ORDER BY id", me)]
        seeds = ["/", "/feed", "/streets/mine", "/streets/nearby", "/exchanges", "/account", "/account/close",
                 "/places/home", "/notifications", "/notifications/settings", "/offers/new", "/asks/new",
                 "/coordinate", "/streets/new", "/no/such/page",
                 *(f"/offers/{i}" for i in offers), *(f"/offers/{i}/matches" for i in offers),
                 *(f"/asks/{i}" for i in asks), *(f"/asks/{i}/matches" for i in asks),
                 *(f"/exchanges/{i}" for i in exchanges)]
        street = await db.fetchval("SELECT street FROM resident WHERE id = $1", me)
        status_pages = [f"/streets/{street}/status{page}" for page in ("", "/report", "/gas")] if street else []
        seeds += status_pages
        pages = await crawl(client, seeds, limit=120)
        fragment = await client.get(f"/streets/{street}/status?fragment=1") if street else None
    assert sum(status == 200 for status, _, _ in pages.values()) >= 10
    assert all(pages[path][0] == 200 for path in status_pages)
    assert _invalid_pages(pages) == {}
    if fragment is not None:  # what the live status page swaps in
        assert fragment.status_code == 200 and html_problems(fragment.text, fragment=True) == []
