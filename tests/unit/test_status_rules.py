"""Street status rules: topics, when an incident is over, gas advice, official contacts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from streetshare.status import rules

ELM_STREET = (53.6458, -1.7850)  # Huddersfield
LEEDS = (53.7997, -1.5492)
CARDIFF = (51.4816, -3.1791)


# ---------------------------------------------------------------- topics
def test_topics_are_the_apis_in_its_order():
    assert [t.name for t in rules.TOPICS] == ["power", "water", "broadband", "bins", "street_lights", "gas", "other"]
    assert set(rules.BY_NAME) == {t.name for t in rules.TOPICS}


def test_only_gas_records_nothing():
    assert [t.name for t in rules.TOPICS if not t.records] == ["gas"]
    assert "gas" not in [t.name for t in rules.RECORDED]


def test_each_topic_waits_its_own_time_before_it_goes_quiet():
    assert {t.name: t.timeout for t in rules.RECORDED} == {
        "power": timedelta(hours=12), "water": timedelta(hours=24), "broadband": timedelta(hours=48),
        "bins": timedelta(days=3), "street_lights": timedelta(days=7), "other": timedelta(hours=24),
    }


def test_every_topic_has_a_label_and_a_question():
    for t in rules.TOPICS:
        assert t.label and t.question.endswith("?"), t.name


def test_an_unknown_topic_is_none():
    assert rules.topic("meteors") is None
    assert rules.topic("power") is rules.BY_NAME["power"]



# ---------------------------------------------------------------- when it is back
@pytest.mark.parametrize(("ever", "back", "said_back", "over"), [
    (1, 1, True, True),
    (2, 1, True, False),  # half is not more than half
    (3, 2, True, True),
    (3, 1, True, False),
    (4, 2, True, False),
    (4, 3, True, True),
    (2, 2, False, False),  # nobody who was off has said it's back
    (0, 0, True, False),
    (0, 0, False, False),
])
def test_it_is_back_when_more_than_half_the_affected_homes_say_so(ever, back, said_back, over):
    assert rules.is_back(ever_homes=ever, back_homes=back, said_back=said_back) is over


def test_a_topic_is_reported_only_while_an_incident_is_open_with_homes_off():
    assert rules.state_of(open_incident=True, homes_here=3) == "reported"
    assert rules.state_of(open_incident=True, homes_here=0) == "clear"
    assert rules.state_of(open_incident=False, homes_here=0) == "clear"


# ---------------------------------------------------------------- gas
def test_gas_advice_gives_the_national_gas_emergency_number_and_what_to_do_now():
    advice = rules.GAS_ADVICE
    assert (advice.name, advice.phone, advice.tel) == ("National Gas Emergency Service", "0800 111 999", "+448001119999")
    assert "0800 111 999" in advice.summary
    steps = " ".join(advice.steps).lower()
    for must in ("out of the building", "open doors and windows", "meter", "naked flame", "electrical"):
        assert must in steps


# ---------------------------------------------------------------- official contacts
def test_british_defaults_without_a_contacts_file():
    table = rules.load_contacts(None)
    power = rules.official_contact("power", table, *ELM_STREET)
    assert (power.name, power.phone, power.url) == ("Power cut helpline", "105", "https://www.powercut105.com")
    assert rules.official_contact("water", table, *ELM_STREET).url.startswith("https://www.water.org.uk/")
    assert rules.official_contact("broadband", table, *ELM_STREET).name == "Your broadband or mobile provider"
    for topic in ("bins", "street_lights", "other"):
        assert rules.official_contact(topic, table, *ELM_STREET).name == "Your council"
    assert rules.official_contact("gas", table, *ELM_STREET).phone == "0800 111 999"


def test_every_topic_has_a_default_contact_with_a_way_to_reach_it_but_broadband():
    for t in rules.TOPICS:
        contact = rules.official_contact(t.name, rules.BRITISH, None, None)
        assert contact is not None, t.name
        assert contact.phone or contact.url or t.name == "broadband", t.name


KIRKLEES = """
[contacts]
council = { name = "Your local council", url = "https://www.gov.uk/find-local-council" }

[[areas]]
name = "Kirklees"
centre = [53.6458, -1.7850]
radius_km = 15
[areas.contacts]
council = { name = "Kirklees Council", phone = "01484 414700", url = "https://www.kirklees.gov.uk" }
water = { name = "Yorkshire Water", phone = "0345 124 2424" }

[[areas]]
name = "West Yorkshire"
centre = [53.75, -1.6]
radius_km = 40
[areas.contacts]
water = { name = "Yorkshire Water (West Yorkshire)" }
bins = { name = "West Yorkshire bins line" }
"""


@pytest.fixture
def kirklees(tmp_path):
    path = tmp_path / "contacts.toml"
    path.write_text(KIRKLEES)
    return rules.load_contacts(path)


def test_a_street_uses_the_first_area_containing_its_centre(kirklees):
    assert rules.official_contact("water", kirklees, *ELM_STREET).name == "Yorkshire Water"
    assert rules.official_contact("water", kirklees, *LEEDS).name == "Yorkshire Water (West Yorkshire)"


def test_council_stands_for_bins_street_lights_and_other_unless_the_topic_has_its_own(kirklees):
    lights = rules.official_contact("street_lights", kirklees, *ELM_STREET)
    assert (lights.name, lights.phone, lights.url) == ("Kirklees Council", "01484 414700", "https://www.kirklees.gov.uk")
    assert rules.official_contact("bins", kirklees, *LEEDS).name == "West Yorkshire bins line"
    assert rules.official_contact("water", kirklees, *ELM_STREET).name != "Kirklees Council"


def test_outside_every_area_the_files_own_contacts_then_the_defaults(kirklees):
    assert rules.official_contact("bins", kirklees, *CARDIFF).name == "Your local council"
    assert rules.official_contact("power", kirklees, *CARDIFF).phone == "105"
    assert rules.official_contact("power", kirklees, *ELM_STREET).phone == "105"  # no area says otherwise


def test_an_area_may_replace_the_gas_line(tmp_path):
    path = tmp_path / "ni.toml"
    path.write_text('[[areas]]\nname = "Northern Ireland"\ncentre = [54.6, -6.7]\nradius_km = 120\n'
                    '[areas.contacts]\ngas = { name = "Gas emergency (NI)", phone = "0800 002 001" }\n')
    table = rules.load_contacts(path)
    assert rules.official_contact("gas", table, 54.597, -5.930).phone == "0800 002 001"
    assert rules.official_contact("gas", table, *ELM_STREET).phone == "0800 111 999"


@pytest.mark.parametrize(("text", "complaint"), [
    ('[contact]\npower = { name = "x" }', "unknown section"),
    ('[contacts]\nmeteors = { name = "x" }', "'meteors' is not a topic"),
    ('[contacts]\npower = "105"', "must be a table"),
    ('[contacts]\npower = { phone = "105" }', "needs a name"),
    ('[contacts]\npower = { name = "x", fax = "1" }', "unknown field"),
    ('[contacts]\npower = { name = "x", url = "www.example.org" }', "must start with https://"),
    ('[contacts]\npower = { name = "x", phone = 105 }', "phone must be text"),
    ('[[areas]]\nname = "A"\nradius_km = 3', "centre must be [latitude, longitude]"),
    ('[[areas]]\nname = "A"\ncentre = [53.6]\nradius_km = 3', "centre must be [latitude, longitude]"),
    ('[[areas]]\nname = "A"\ncentre = [153.6, 1.0]\nradius_km = 3', "not a place on Earth"),
    ('[[areas]]\nname = "A"\ncentre = [53.6, -1.7]\nradius_km = 0', "radius_km must be a positive number"),
    ('[[areas]]\nname = "A"\ncentre = [53.6, -1.7]\nradius = 3', "unknown field"),
    ('[contacts\n', "not valid TOML"),
])
def test_a_contacts_file_that_says_something_unusable_is_refused_with_the_reason(tmp_path, text, complaint):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(rules.ContactsError, match=complaint.replace("[", r"\[").replace("]", r"\]")):
        rules.load_contacts(path)


def test_a_missing_contacts_file_is_refused(tmp_path):
    with pytest.raises(rules.ContactsError, match="does not exist"):
        rules.load_contacts(tmp_path / "nowhere.toml")


def test_an_area_holds_what_lies_within_its_radius_in_kilometres():
    # Huddersfield to Leeds: about 23 km as the crow flies (17.1 km north, 15.5 km east).
    assert rules.Area("Kirklees", *ELM_STREET, radius_km=0.001).contains(*ELM_STREET)
    assert rules.Area("Wide", *ELM_STREET, radius_km=23.3).contains(*LEEDS)
    assert not rules.Area("Narrow", *ELM_STREET, radius_km=22.9).contains(*LEEDS)


def test_a_neighbouring_street_is_named_only_from_two_homes():
    from types import SimpleNamespace as Count

    one, two, three = Count(homes=1), Count(homes=2), Count(homes=3)
    assert rules.named_nearby([three, one, two, one]) == ([three, two], 2)
    assert rules.named_nearby([one]) == ([], 1)
    assert rules.named_nearby([]) == ([], 0)


def test_the_deployment_refuses_to_start_with_an_unusable_contacts_file(tmp_path):
    from streetshare.settings import SettingsError, load

    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text(KIRKLEES)
    bad.write_text('[contacts]\nmeteors = { name = "x" }')
    assert load({"STREETSHARE_OFFICIAL_CONTACTS": str(good)}).official_contacts == good.resolve()
    assert load({}).official_contacts is None
    for path in (bad, tmp_path / "nowhere.toml"):
        with pytest.raises(SettingsError, match="STREETSHARE_OFFICIAL_CONTACTS"):
            load({"STREETSHARE_OFFICIAL_CONTACTS": str(path)})


def test_every_recorded_topic_has_its_words_on_the_page_and_in_the_prompt():
    """The page's 'Power off' / 'Power was off' and the prompt's question are worded per topic in
    the web and prompt layers: a topic added to rules.TOPICS must be worded there too."""
    from streetshare.status.prompts import QUESTIONS
    from streetshare.status.routes import OFF

    recorded = {t.name for t in rules.RECORDED}
    assert set(OFF) == recorded
    assert set(QUESTIONS) == recorded
