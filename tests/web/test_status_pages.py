"""Street status pages: "Something off?" in two taps, counts of homes in words, answers by form (CSRF),
gas advice that records nothing, and who may see and answer.

alice and bob live on Elm Street (two homes), carol coordinates it; olive and oscar live on Oak Road,
Elm Street's neighbour; dave lives in Leeds.
"""

from __future__ import annotations

import re
from html import unescape
from datetime import UTC, datetime

import pytest
from support.cast import LEEDS, app_client, csrf_token, make_street, post_form, sign_in
from support.status import elm, home, oak, resident_at  # noqa: F401 (fixtures)

from streetshare import clock, db
from streetshare.status import rules, service

T0 = datetime(2026, 12, 4, 18, 2, tzinfo=UTC)  # 18:02 in London (GMT in December)


def at(hour: int, minute: int):
    return clock.frozen_at(T0.replace(hour=hour, minute=minute))


def text_of(html: str) -> str:
    """The page's words, tags gone and spaces squeezed (what a reader sees)."""
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    return unescape(words).replace(" :", ":").replace(" .", ".").replace(" ,", ",")


def topic_card(html: str, topic: str) -> str:
    match = re.search(rf'<li[^>]*id="topic-{topic}"[^>]*>(.*?)</li>', html, re.S)
    assert match, f"no topic-{topic} on the page"
    return text_of(match.group(1))


async def incidents() -> int:
    return await db.fetchval("SELECT count(*) FROM status_incident")


# ---------------------------------------------------------------- two taps: the picker, then the counts
async def test_something_off_picker_reports_at_once_and_lands_on_the_topics_counts(elm, as_alice):
    picker = await as_alice.get(f"/streets/{elm.id}/status/report")
    assert picker.status_code == 200
    forms = re.findall(r'<form method="post" action="([^"]+)">\s*<input type="hidden" name="_csrf_token"', picker.text)
    assert forms == [f"/streets/{elm.id}/status/{t.name}" for t in rules.TOPICS if t.records]
    assert f'href="/streets/{elm.id}/status/gas"' in picker.text and "Gas smell" in picker.text

    answered = await post_form(as_alice, f"/streets/{elm.id}/status/power", {"answer": "affected"},
                               form_page=f"/streets/{elm.id}/status/report")
    assert answered.status_code == 303
    assert answered.headers["location"] == f"/streets/{elm.id}/status?answered=power&said=affected#topic-power"
    page = await as_alice.get(answered.headers["location"].split("#")[0])
    assert page.status_code == 200
    assert "Just you so far." in topic_card(page.text, "power")
    assert "Thanks: your home is counted." in page.text
    assert await incidents() == 1


async def test_counts_say_homes_here_and_on_neighbouring_streets(elm, oak, alice, bob, as_alice):
    with at(18, 2):
        await service.report(elm.id, "power", acting=alice.id, affected=True)
        await service.report(elm.id, "power", acting=bob.id, affected=True)
        olive = await resident_at("Olive", oak, 1)
        await service.report(oak.id, "power", acting=olive.id, affected=True)
        page = await as_alice.get(f"/streets/{elm.id}/status")
        assert "2 homes on Elm Street and a home nearby: it's not just you." in topic_card(page.text, "power")
        assert "Oak Road" not in page.text  # one home there: its street is not named

        oscar = await resident_at("Oscar", oak, 2)
        await service.report(oak.id, "power", acting=oscar.id, affected=True)
        card = topic_card((await as_alice.get(f"/streets/{elm.id}/status")).text, "power")
    assert "2 homes on Elm Street and 2 on Oak Road: it's not just you." in card
    assert "Since 18:02" in card
    assert "Power cut helpline, call 105 or powercut105.com" in card
    assert 'href="tel:105"' in (await as_alice.get(f"/streets/{elm.id}/status")).text


async def test_a_resident_who_has_not_answered_sees_how_many_homes_said_so(elm, alice, as_bob):
    await service.report(elm.id, "water", acting=alice.id, affected=True)
    page = (await as_bob.get(f"/streets/{elm.id}/status")).text
    card = topic_card(page, "water")
    assert "Water off or low" in card and "1 home on Elm Street has said so." in card
    assert "Mine's off too" in card and "Mine's fine" in card and "Take my answer back" not in card
    # Quiet topics are listed, each with its own anchor and a one-tap "Mine's off".
    assert 'id="topic-power"' in page and 'id="topic-bins"' in page


async def test_fine_then_its_back_ends_the_incident_and_it_shows_in_recent_incidents(elm, alice, bob, as_alice,
                                                                                     as_bob):
    with at(18, 2):
        await post_form(as_alice, f"/streets/{elm.id}/status/power", {"answer": "affected"},
                        form_page=f"/streets/{elm.id}/status/report")
    with at(18, 5):
        await post_form(as_bob, f"/streets/{elm.id}/status/power", {"answer": "affected"},
                        form_page=f"/streets/{elm.id}/status")
    with at(19, 38):
        said = await post_form(as_alice, f"/streets/{elm.id}/status/power", {"answer": "fine"},
                               form_page=f"/streets/{elm.id}/status")
        assert said.status_code == 303
        card = topic_card((await as_alice.get(f"/streets/{elm.id}/status")).text, "power")
        assert "You said yours is fine" in card and "Take my answer back" in card
    with at(19, 40):
        await post_form(as_bob, f"/streets/{elm.id}/status/power", {"answer": "fine"},
                        form_page=f"/streets/{elm.id}/status")
        page = (await as_bob.get(f"/streets/{elm.id}/status")).text
    assert "Power was off 18:02\u201319:40, about 2 homes" in page
    assert await db.fetchval("SELECT ended_reason FROM status_incident") == "back"


async def test_taking_my_answer_back_leaves_no_incident_when_i_was_the_only_one(elm, alice, as_alice):
    await service.report(elm.id, "bins", acting=alice.id, affected=True)
    taken = await post_form(as_alice, f"/streets/{elm.id}/status/bins", {"answer": "withdraw"},
                            form_page=f"/streets/{elm.id}/status")
    assert taken.status_code == 303
    page = (await as_alice.get(taken.headers["location"].split("#")[0])).text
    assert "Your answer is taken back." in page and "Nothing reported" in page
    assert await incidents() == 0


async def test_answer_forms_need_the_csrf_token(elm, as_alice):
    await as_alice.get(f"/streets/{elm.id}/status/report")
    refused = await as_alice.post(f"/streets/{elm.id}/status/power", data={"answer": "affected"})
    assert refused.status_code == 403
    assert "Your form expired" in refused.text
    assert await incidents() == 0


async def test_an_answer_form_without_an_answer_is_refused_with_a_page(elm, as_alice):
    refused = await post_form(as_alice, f"/streets/{elm.id}/status/power", {}, form_page=f"/streets/{elm.id}/status")
    assert refused.status_code == 422 and "Choose whether yours is off or fine." in refused.text
    assert await incidents() == 0


async def test_unknown_topic_is_a_404_page(elm, as_alice):
    refused = await post_form(as_alice, f"/streets/{elm.id}/status/volcano", {"answer": "affected"},
                              form_page=f"/streets/{elm.id}/status")
    assert refused.status_code == 404 and "<h1" in refused.text


async def test_too_many_answers_get_the_429_page_with_retry_after(elm, as_alice):
    token = await csrf_token(as_alice, f"/streets/{elm.id}/status")
    for i in range(rules.RATE_LIMIT):
        answer = "affected" if i % 2 == 0 else "withdraw"
        ok = await as_alice.post(f"/streets/{elm.id}/status/power", data={"answer": answer, "_csrf_token": token})
        assert ok.status_code == 303, i
    refused = await as_alice.post(f"/streets/{elm.id}/status/power", data={"answer": "affected", "_csrf_token": token})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0 and "Too many attempts" in refused.text


# ---------------------------------------------------------------- gas
async def test_gas_smell_goes_to_the_emergency_advice_and_records_nothing(elm, as_alice):
    page = await as_alice.get(f"/streets/{elm.id}/status/gas")
    assert page.status_code == 200
    assert 'href="tel:+448001119999"' in page.text and "0800 111 999" in page.text
    assert all(step in unescape(page.text) for step in rules.GAS_ADVICE.steps)
    assert await incidents() == 0 and await db.fetchval("SELECT count(*) FROM status_report") == 0


# ---------------------------------------------------------------- who may see and answer
async def test_a_neighbouring_streets_resident_reads_the_status_but_gets_no_buttons(settings, elm, oak, alice):
    await service.report(elm.id, "power", acting=alice.id, affected=True)
    olive = await resident_at("Olive", oak, 1)
    async with app_client(settings) as client:
        await sign_in(client, olive)
        page = await client.get(f"/streets/{elm.id}/status")
        assert page.status_code == 200
        assert "1 home on Elm Street has said so." in topic_card(page.text, "power")
        assert 'name="answer"' not in page.text and "Only people who live there can answer." in page.text
        picker = await client.get(f"/streets/{elm.id}/status/report")
        assert picker.status_code == 200 and 'name="answer"' not in picker.text
        token = await csrf_token(client, f"/streets/{oak.id}/status")
        refused = await client.post(f"/streets/{elm.id}/status/power", data={"answer": "affected", "_csrf_token": token})
        assert refused.status_code == 403 and "Only people who live on this street can answer" in refused.text
    assert await db.fetchval("SELECT count(*) FROM status_report") == 1


async def test_a_member_without_a_home_is_asked_to_set_it(elm, as_carol):
    await db.execute("UPDATE resident SET home_lat = NULL, home_lng = NULL WHERE display_name = 'Carol'")
    picker = await as_carol.get(f"/streets/{elm.id}/status/report")
    assert picker.status_code == 200 and 'name="answer"' not in picker.text
    assert "/places/home?next=" in picker.text


@pytest.mark.parametrize("path", ["/status", "/status/report", "/status/gas", "/status/events",
                                  "/status?fragment=1"])
async def test_a_resident_of_another_street_gets_404(settings, elm, dave, path):
    await make_street("Leeds Road", LEEDS, coordinator=dave)
    async with app_client(settings) as client:
        await sign_in(client, dave)
        answer = await client.get(f"/streets/{elm.id}{path}")
        assert answer.status_code == 404
        assert "Elm Street" not in answer.text
        missing = await client.get(f"/streets/2147483000{path}")
        assert missing.status_code == 404


async def test_a_resident_of_another_street_cannot_answer_for_it(settings, elm, dave):
    leeds = await make_street("Leeds Road", LEEDS, coordinator=dave)
    async with app_client(settings) as client:
        await sign_in(client, dave)
        token = await csrf_token(client, f"/streets/{leeds.id}/status")
        refused = await client.post(f"/streets/{elm.id}/status/power", data={"answer": "affected", "_csrf_token": token})
    assert refused.status_code == 404
    assert await incidents() == 0


async def test_signed_out_visitors_are_sent_to_sign_in(client, elm):
    answer = await client.get(f"/streets/{elm.id}/status")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/signin")


# ---------------------------------------------------------------- the live page's fragment and entry points
async def test_the_fragment_is_the_topics_alone_with_the_status_version(elm, alice, as_alice):
    whole = await as_alice.get(f"/streets/{elm.id}/status")
    assert 'data-events="/streets/%d/status/events"' % elm.id in whole.text
    version = re.search(r'data-version="([^"]+)"', whole.text).group(1)
    part = await as_alice.get(f"/streets/{elm.id}/status?fragment=1")
    assert part.status_code == 200 and "<html" not in part.text and "<h1" not in part.text
    assert part.headers["x-status-version"] == version
    await service.report(elm.id, "power", acting=alice.id, affected=True)
    changed = await as_alice.get(f"/streets/{elm.id}/status?fragment=1")
    assert changed.headers["x-status-version"] != version
    assert "Just you so far." in topic_card(changed.text, "power")


async def test_home_page_and_street_page_ask_something_off(elm, as_alice):
    for path in ("/", f"/streets/{elm.id}"):
        page = await as_alice.get(path)
        assert page.status_code == 200
        assert f'href="/streets/{elm.id}/status/report"' in page.text and "Something off?" in page.text, path


# ---------------------------------------------------------------- the words (no database)
def _topic(**fields):
    from streetshare.status.queries import NearbyCount, TopicStatus

    nearby = [NearbyCount(i, name, homes) for i, (name, homes) in enumerate(fields.pop("nearby", []))]
    base = dict(topic="power", label="Power cut", state="reported", homes_here=0, homes_nearby=sum(h.homes for h in nearby),
                nearby=nearby, since=None, last_report_at=None, mine=None, official=None)
    return TopicStatus(**{**base, **fields})


@pytest.mark.parametrize(("fields", "sentence"), [
    ({"homes_here": 1, "mine": "affected"}, "Just you so far."),
    ({"homes_here": 4, "mine": "affected", "nearby": [("Oak Road", 2)]},
     "4 homes on Elm Street and 2 on Oak Road: it's not just you."),
    ({"homes_here": 3, "mine": "affected", "nearby": [("Oak Road", 2), ("Ash Lane", 1)]},
     "3 homes on Elm Street, 2 on Oak Road and a home nearby: it's not just you."),
    ({"homes_here": 2, "nearby": [("Ash Lane", 1), ("Birch Way", 1)]}, "2 homes on Elm Street and 2 homes nearby have said so."),
    ({"homes_here": 1}, "1 home on Elm Street has said so."),
    ({"state": "clear", "nearby": [("Oak Road", 3)]}, "No one on Elm Street yet; 3 homes on Oak Road have said so."),
    ({"state": "clear", "nearby": [("Oak Road", 1)]}, "No one on Elm Street yet; a home nearby has said so."),
])
def test_counts_in_words(fields, sentence):
    from streetshare.status.routes import count_sentence

    assert count_sentence(_topic(**fields), "Elm Street") == sentence


def test_incidents_in_words():
    from streetshare.status.queries import IncidentRow
    from streetshare.status.routes import incident_sentence

    def incident(topic, started_at, ended_at, ended_reason, homes, last_report_at=None):
        return IncidentRow(1, 1, "Elm Street", topic, topic, started_at, ended_at, ended_reason, homes,
                           last_report_at or started_at, None)

    now = T0.replace(hour=21)
    ended = incident("power", T0, T0.replace(hour=19, minute=40), "back", 9)
    assert incident_sentence(ended, now=now) == "Power was off 18:02\u201319:40, about 9 homes"
    still = incident("water", T0, None, None, 4)
    assert incident_sentence(still, now=now) == "Water off or low since 18:02, 4 homes so far"
    quiet = incident("bins", T0.replace(day=1), T0.replace(day=4, hour=20), "timeout", 3,
                     last_report_at=T0.replace(day=1, hour=20))
    assert incident_sentence(quiet, now=now) == ("Bins were not collected from Tue 1 Dec 18:02, about 3 homes "
                                                 "(last said Tue 1 Dec 20:02)")
    yesterday = incident("street_lights", T0.replace(day=3, hour=22), T0.replace(day=4, hour=7), "back", 2)
    assert incident_sentence(yesterday, now=now) == "Street lights were out yesterday 22:02 to 07:02, about 2 homes"


async def test_a_gas_answer_sent_by_form_lands_on_the_advice_and_records_nothing(elm, as_alice):
    sent = await post_form(as_alice, f"/streets/{elm.id}/status/gas", {"answer": "affected"},
                           form_page=f"/streets/{elm.id}/status")
    assert sent.status_code == 303 and sent.headers["location"] == f"/streets/{elm.id}/status/gas"
    assert await incidents() == 0
