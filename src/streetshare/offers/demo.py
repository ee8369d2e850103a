"""Demo offers: about a dozen on every demo street, of all four kinds, some with photos.

Made through the offers service by the street's own demo residents (looked up in the database,
so this follows whatever the places demo created), backdated over the last few days so the feed
reads naturally. Idempotent: an offer whose title is already on a street is not made again, and
a street whose residents aren't there yet is skipped.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta

from PIL import Image, ImageDraw

from streetshare import clock, db
from streetshare.offers import rules, service
from streetshare.photos.service import prepare
from streetshare.photos.storage import store_for
from streetshare.settings import Settings

log = logging.getLogger(__name__)

DEMO_EMAILS = "%@demo.streetshare.local"


@dataclass(frozen=True)
class DemoOffer:
    kind: str
    title: str
    category: str
    description: str = ""
    photo: str | None = None  # a drawing in PICTURES
    loan_days: int | None = None
    slots: int | None = None
    when: str | None = None  # time offers: "saturday", "this_week", "thursday"
    topic: str = ""  # a word that, already on the street (or in the exchanges demo), means skip this one
    variants: tuple[str, ...] = ()  # titles, one per street in turn


# On every street (a title per street, so neighbouring streets don't read the same), ...
STAPLES = [
    DemoOffer("lend", "Ladder to lend", "diy_help", "Aluminium, 3 metres, folds flat. Fine for gutters.",
              photo="ladder", loan_days=7, topic="ladder",
              variants=("Ladder to lend", "Extending ladder to lend", "Step ladder to lend")),
    DemoOffer("lend", "Hedge trimmer to lend", "garden", "Electric, with a 10 m extension lead.", photo="trimmer",
              loan_days=3, topic="trimmer",
              variants=("Hedge trimmer to lend", "Cordless hedge trimmer to lend", "Hedge trimmer, with goggles")),
    DemoOffer("time", "Tip run Saturday 10:00 \u2014 room for 3 bags", "lifts_errands",
              "Going to the tip on Saturday morning with space in the car. Bags by the gate by 9:45, please.",
              slots=3, when="saturday", topic="tip run"),
    DemoOffer("time", "Mowing lawns this week", "garden", "I'm doing mine anyway: happy to mow three more.",
              photo="lawn", slots=3, when="this_week", topic="mow",
              variants=("Mowing lawns this week", "Mowing three lawns this week", "Lawn mowing: room for 3 gardens")),
    DemoOffer("skill", "Garden help on Saturdays", "garden", "Weeding, pruning, planting. Bring tea.",
              topic="garden help"),
]
# ... and a different handful of these on each.
EXTRAS = [
    DemoOffer("give", "Spider plant cuttings", "garden", "Rooted in water, ready to pot.", photo="plant"),
    DemoOffer("give", "Children's picture books, ages 3 to 6", "books_media", "A bag of about twenty.",
              photo="books"),
    DemoOffer("lend", "Gazebo for garden parties", "sport_outdoors", "3 x 3 m, takes two people to put up.",
              loan_days=4),
    DemoOffer("skill", "Help setting up a new phone or tablet", "tech_help", "Email, photos, video calls."),
    DemoOffer("lend", "Pressure washer", "tools", "For patios and bikes.", photo="washer", loan_days=3),
    DemoOffer("give", "Box of clean jam jars", "kitchen", "About thirty, lids included.", photo="jars"),
    DemoOffer("time", "Lift to the supermarket on Thursday", "lifts_errands", "Leaving at 10, back by 12.",
              slots=2, when="thursday"),
    DemoOffer("lend", "Sewing machine", "home", "Basic, good for hems and curtains.", loan_days=14),
    DemoOffer("skill", "Bike repairs", "diy_help", "Punctures, brakes, gears. Saturday afternoons.", topic="bike"),
    DemoOffer("give", "Moses basket", "children", "Clean, with a new mattress."),
    DemoOffer("lend", "Carpet cleaner", "home", "With the upholstery tool.", loan_days=3),
    DemoOffer("skill", "Maths tutoring for GCSE", "books_media", "Retired teacher, an hour a week."),
    DemoOffer("give", "Runner bean seedlings", "garden", "A dozen, ready to plant out.", photo="plant"),
    DemoOffer("lend", "Camping stove and pans", "sport_outdoors", "Gas included.", loan_days=7),
    DemoOffer("time", "Dog walking on weekday mornings", "pets", "Happy to take one more dog round the park.",
              slots=1, when="this_week"),
    DemoOffer("lend", "Wallpaper steamer", "diy_help", "Makes short work of old wallpaper.", loan_days=5),
    DemoOffer("give", "Winter coats, children's 4 to 6", "clothes", "Two, warm, hardly worn."),
    DemoOffer("skill", "Help filling in forms", "other", "Council, benefits, passports: I'm patient."),
    DemoOffer("lend", "Slow cooker", "kitchen", "6 litres.", loan_days=7),
    DemoOffer("give", "Fish tank (no fish)", "pets", "60 litres, with filter and heater."),
    DemoOffer("lend", "Projector for a film night", "tech_help", "HDMI, with a screen.", loan_days=3),
]
EXTRAS_PER_STREET = 7


def offers_for(rank: int) -> list[DemoOffer]:
    """The demo offers of the street that is `rank`th among the demo streets."""
    picked = [replace(o, title=o.variants[rank % len(o.variants)]) if o.variants else o for o in STAPLES]
    start = rank * EXTRAS_PER_STREET + rank // 3  # three neighbouring streets share no extra
    picked += [EXTRAS[(start + i) % len(EXTRAS)] for i in range(EXTRAS_PER_STREET)]
    return picked


# ---------------------------------------------------------------- simple, pleasant pictures

PALETTE = {
    "ladder": ((196, 226, 240), (120, 120, 130)),
    "trimmer": ((210, 236, 200), (230, 120, 30)),
    "lawn": ((170, 215, 130), (70, 140, 60)),
    "plant": ((250, 236, 214), (60, 150, 80)),
    "books": ((240, 226, 246), (170, 70, 90)),
    "washer": ((220, 232, 246), (240, 200, 40)),
    "jars": ((253, 244, 226), (200, 90, 60)),
    "hedge": ((214, 234, 206), (50, 120, 60)),
    "boxes": ((244, 238, 228), (180, 140, 90)),
    "sofa": ((232, 228, 246), (90, 100, 170)),
}


def picture(name: str, size: tuple[int, int] = (960, 720)) -> bytes:
    """A coloured background with a simple drawing of the thing (a PNG)."""
    background, ink = PALETTE[name]
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    w, h = size
    if name == "ladder":
        draw.rectangle((w * .38, h * .08, w * .42, h * .92), fill=ink)
        draw.rectangle((w * .58, h * .08, w * .62, h * .92), fill=ink)
        for i in range(7):
            y = h * (.15 + i * .11)
            draw.rectangle((w * .42, y, w * .58, y + h * .025), fill=ink)
    elif name == "trimmer":
        draw.rounded_rectangle((w * .15, h * .4, w * .45, h * .6), radius=30, fill=ink)
        draw.rectangle((w * .45, h * .46, w * .88, h * .54), fill=(90, 90, 90))
        for i in range(10):
            x = w * (.46 + i * .042)
            draw.polygon([(x, h * .46), (x + w * .02, h * .40), (x + w * .04, h * .46)], fill=(90, 90, 90))
    elif name == "lawn":
        draw.rectangle((0, h * .55, w, h), fill=ink)
        for i in range(0, w, 24):
            draw.line((i, h * .55, i + 12, h * .45), fill=ink, width=6)
        draw.ellipse((w * .7, h * .08, w * .88, h * .32), fill=(250, 220, 90))
    elif name == "plant":
        draw.polygon([(w * .38, h * .6), (w * .62, h * .6), (w * .58, h * .92), (w * .42, h * .92)], fill=(200, 110, 70))
        for dx, dy in ((-.12, -.2), (0, -.28), (.12, -.2), (-.06, -.12), (.06, -.12)):
            draw.ellipse((w * (.5 + dx - .05), h * (.6 + dy - .1), w * (.5 + dx + .05), h * (.6 + dy + .1)), fill=ink)
    elif name == "books":
        colours = [ink, (60, 110, 170), (230, 170, 40), (70, 150, 110)]
        for i, colour in enumerate(colours):
            draw.rectangle((w * .25, h * (.72 - i * .14), w * .75, h * (.84 - i * .14)), fill=colour)
    elif name == "washer":
        draw.rounded_rectangle((w * .3, h * .35, w * .6, h * .75), radius=24, fill=ink)
        draw.ellipse((w * .3, h * .7, w * .4, h * .85), fill=(60, 60, 60))
        draw.line((w * .6, h * .45, w * .9, h * .3), fill=(60, 60, 60), width=14)
    elif name == "jars":
        for i in range(3):
            x = w * (.2 + i * .22)
            draw.rounded_rectangle((x, h * .35, x + w * .16, h * .8), radius=18, fill=(235, 240, 245), outline=ink, width=6)
            draw.rectangle((x - 4, h * .3, x + w * .16 + 4, h * .36), fill=ink)
    elif name == "hedge":
        for i in range(6):
            draw.ellipse((w * (.05 + i * .15), h * .35, w * (.25 + i * .15), h * .8), fill=ink)
        draw.rectangle((0, h * .78, w, h), fill=(150, 110, 70))
    elif name == "boxes":
        for x, y in ((.2, .5), (.5, .5), (.35, .2)):
            draw.rectangle((w * x, h * y, w * (x + .28), h * (y + .3)), fill=ink, outline=(120, 90, 50), width=6)
    elif name == "sofa":
        draw.rounded_rectangle((w * .15, h * .4, w * .85, h * .75), radius=40, fill=ink)
        draw.rounded_rectangle((w * .1, h * .5, w * .22, h * .8), radius=20, fill=ink)
        draw.rounded_rectangle((w * .78, h * .5, w * .9, h * .8), radius=20, fill=ink)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


# ---------------------------------------------------------------- seeding


async def demo_streets() -> list[tuple[int, str, list[int]]]:
    """(street id, name, ids of its demo residents) for every street with demo residents."""
    rows = await db.fetch(
        """
        SELECT s.id, s.name, array_agg(r.id ORDER BY r.id) AS residents
        FROM street s JOIN resident r ON r.street = s.id AND r.is_active AND r.email LIKE $1
        GROUP BY s.id, s.name ORDER BY s.id
        """,
        DEMO_EMAILS,
    )
    return [(r["id"], r["name"], list(r["residents"])) for r in rows]


async def already_there(street_id: int, offer: DemoOffer, taken_topics: set[str]) -> bool:
    if offer.topic and offer.topic in taken_topics:
        return True
    return bool(await db.fetchval(
        "SELECT 1 FROM offer WHERE street = $1 AND (title = $2 OR ($3 <> '' AND title ILIKE '%' || $3 || '%'))",
        street_id, offer.title, offer.topic,
    ))


def topics_of_other_demos(street_name: str) -> set[str]:
    """Topics another demo (exchanges) will add to this street itself, so the street has one of each."""
    try:
        from streetshare.exchanges import demo as exchanges_demo
    except ImportError:  # pragma: no cover
        return set()
    if street_name != "Elm Street":  # the exchanges demo plays its stories on Elm Street
        return set()
    titles = " ".join(o.title.lower() for o in getattr(exchanges_demo, "OFFERS", {}).values())
    return {o.topic for o in STAPLES + EXTRAS if o.topic and o.topic in titles}


def window(when: str | None, now: datetime) -> tuple[datetime | None, datetime | None]:
    local = now.astimezone(rules.LOCAL_TZ)
    if when in ("saturday", "thursday"):
        weekday = 5 if when == "saturday" else 3
        days = (weekday - local.weekday()) % 7 or 7
        start = datetime.combine(local.date() + timedelta(days=days), time(10), tzinfo=rules.LOCAL_TZ)
        return start, start + timedelta(hours=2)
    if when == "this_week":
        start = datetime.combine(local.date() + timedelta(days=1), time(9), tzinfo=rules.LOCAL_TZ)
        return start, start + timedelta(days=5, hours=9)
    return None, None


def hours_ago(rank: int, n: int) -> float:
    """Spread a street's offers over the last few days, interleaved with the other streets'."""
    return 1.5 + ((n + rank * 5) % 12) * 7.3 + rank * 1.3


async def seed_offers(settings: Settings) -> int:
    """Make whatever demo offers are missing on each demo street. Returns how many were made."""
    now = clock.now()
    store = store_for(settings)
    made = 0
    for rank, (street_id, street_name, residents) in enumerate(await demo_streets()):
        taken = topics_of_other_demos(street_name)
        for n, offer in enumerate(offers_for(rank)):
            if await already_there(street_id, offer, taken):
                continue
            owner = residents[(n + rank) % len(residents)]
            starts, ends = window(offer.when, now)
            fields: dict[str, object] = {"kind": offer.kind, "title": offer.title, "category": offer.category,
                                         "description": offer.description, "loan_days": offer.loan_days,
                                         "slots": offer.slots, "starts_at": starts, "ends_at": ends}
            photo = await prepare(picture(offer.photo)) if offer.photo else None
            with clock.frozen_at(now - timedelta(hours=hours_ago(rank, n))):
                await service.create_offer(acting=owner, fields=fields, photo=photo, store=store)
            made += 1
    if made:
        log.info("demo offers made", extra={"offers": made})
    return made
