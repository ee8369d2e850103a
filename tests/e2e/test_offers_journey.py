"""On a 360 px phone: offer something with a photo taken on the phone, ask for something, find
things by search with a typo; every page screenshotted and checked with axe."""

from __future__ import annotations

import asyncio
import io
import re

from browser_support import check_axe, screenshot
from PIL import Image, ImageDraw
from support.cast import ELM_STREET, LEEDS, make_street, place_resident, quick_resident

from streetshare.offers import service as offers
from streetshare.photos.service import prepare
from streetshare.photos.storage import FileSystemPhotoStore


async def sign_in(page, base, person):
    await page.goto(f"{base}/signin")
    await page.get_by_label("Email").fill(person.email)
    await page.get_by_label("Password").fill(person.password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_load_state()


def camera_photo(path) -> None:
    """What a phone camera would hand the browser: a big JPEG (with EXIF), here a drawn step ladder."""
    image = Image.new("RGB", (3024, 4032), (205, 228, 240))
    draw = ImageDraw.Draw(image)
    draw.polygon([(1100, 600), (1300, 600), (1000, 3600), (800, 3600)], fill=(110, 110, 120))
    draw.polygon([(1700, 600), (1900, 600), (2200, 3600), (2000, 3600)], fill=(110, 110, 120))
    for y in range(900, 3400, 450):
        draw.rectangle((900 + (3600 - y) // 20, y, 2100 - (3600 - y) // 20, y + 90), fill=(90, 90, 100))
    exif = Image.Exif()
    exif[0x0110] = "Phone 12"  # Model
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif)
    path.write_bytes(out.getvalue())


async def image_loaded(page, selector: str, *, within_s: float = 10.0) -> bool:
    """The image has arrived and decoded, within `within_s`: on a busy machine (the suite runs in two
    workers) a thumbnail can still be on its way when the page's load event has fired."""
    img = page.locator(selector).first
    for _ in range(int(within_s / 0.1)):
        if await img.evaluate("img => img.complete && img.naturalWidth > 0"):
            return True
        await asyncio.sleep(0.1)
    return False


async def test_a_resident_offers_with_a_photo_asks_and_searches_with_a_typo(phone, live_server, tmp_path):
    base = live_server.url
    elm = await make_street("Elm Street", ELM_STREET)
    far = await make_street("Park Row", LEEDS)
    alice = await quick_resident("Alice")
    bob = await quick_resident("Bob")
    dave = await quick_resident("Dave")
    await place_resident(alice, elm)
    await place_resident(bob, elm, home=(elm.lat + 0.003, elm.lng + 0.002))
    await place_resident(dave, far)
    # Bob already offers a ladder (with a photo) and Dave, far away, offers one too.
    store = FileSystemPhotoStore(live_server.data_dir / "uploads")
    buf = tmp_path / "bob.jpg"
    camera_photo(buf)
    bobs = await offers.create_offer(acting=bob.id, fields={"kind": "lend", "title": "Aluminium ladder",
                                                             "category": "diy_help", "description": "Three metres."},
                                     photo=await prepare(buf.read_bytes()), store=store)
    await offers.create_offer(acting=dave.id, fields={"kind": "lend", "title": "Ladder in Leeds", "category": "tools"})

    await sign_in(phone, base, alice)
    await phone.goto(f"{base}/")
    assert await phone.get_by_role("heading", name="On Elm Street").is_visible()
    assert "Aluminium ladder" in await phone.locator(".cards").inner_text()
    assert "Ladder in Leeds" not in await phone.locator("main").inner_text()
    assert await image_loaded(phone, ".cards img.thumb")
    await screenshot(phone, "offers-01-street-feed")
    await check_axe(phone)

    # Offer a step ladder, with a photo "taken" on the phone.
    await phone.get_by_role("link", name="Offer something").click()
    await phone.wait_for_url(f"{base}/offers/new")
    await phone.get_by_label("To lend").check()
    await phone.get_by_label("Title").fill("Step ladder to lend")
    await phone.get_by_label("Description (optional)").fill("Five steps, good for ceilings.")
    await phone.get_by_label("Category").select_option("diy_help")
    assert await phone.get_by_label("How long can people borrow it? (days)").is_visible()
    assert not await phone.get_by_label("Starts").is_visible()  # offer-form.js hides the time fields
    assert await phone.get_by_label("Neighbouring streets may see this").is_checked()
    photo = tmp_path / "IMG_0042.jpg"
    camera_photo(photo)
    await phone.locator('input[type="file"][name="photo"]').set_input_files(str(photo))
    await screenshot(phone, "offers-02-offer-form")
    await check_axe(phone)
    await phone.get_by_role("button", name="Offer it").click()
    await phone.wait_for_url(re.compile(r".*/offers/\d+\?created=1"))
    assert "Your offer is up" in await phone.get_by_role("status").first.inner_text()
    assert await phone.get_by_role("heading", name="Step ladder to lend").is_visible()
    assert await image_loaded(phone, ".photos img")
    await screenshot(phone, "offers-03-offer-page")
    await check_axe(phone)

    # A mistake on the form is shown next to the field, on a phone.
    await phone.goto(f"{base}/offers/new")
    await phone.get_by_label("Time and favours").check()
    await phone.get_by_label("Title").fill("Tip run")
    await phone.get_by_label("Category").select_option("lifts_errands")
    await phone.get_by_label("How many neighbours can you help?").fill("80")
    await phone.get_by_role("button", name="Offer it").click()
    await phone.locator("#f-slots-error").wait_for()
    assert "between 1 and 50" in await phone.locator("#f-slots-error").inner_text()
    assert "Please say when" in await phone.locator("#f-starts_at-error").inner_text()
    await screenshot(phone, "offers-04-offer-form-errors")
    await check_axe(phone)

    # Ask for something.
    await phone.goto(f"{base}/")
    await phone.get_by_role("link", name="Ask for something").click()
    await phone.wait_for_url(f"{base}/asks/new")
    await phone.get_by_label("What do you need?").fill("Someone to cut back my hedge")
    await phone.get_by_label("Help with a skill").check()
    await phone.get_by_label("Category").select_option("garden")
    await screenshot(phone, "offers-05-ask-form")
    await check_axe(phone)
    await phone.get_by_role("button", name="Ask your street").click()
    await phone.wait_for_url(re.compile(r".*/asks/\d+\?created=1"))
    assert await phone.get_by_role("heading", name="Someone to cut back my hedge").is_visible()
    await screenshot(phone, "offers-06-ask-page")
    await check_axe(phone)

    # Search with a typo: both ladders on the street, nothing from Leeds.
    await phone.goto(f"{base}/")
    await phone.get_by_label("Search your street").fill("laddder")
    await phone.get_by_role("button", name="Search", exact=True).click()
    await phone.wait_for_url(re.compile(r".*q=laddder"))
    results = await phone.locator(".cards").inner_text()
    assert "Aluminium ladder" in results and "Step ladder to lend" in results
    assert "Ladder in Leeds" not in results and "hedge" not in results
    await screenshot(phone, "offers-07-search-with-a-typo")
    await check_axe(phone)

    # Bob's ladder, from the results: a neighbour's offer with its photo and the request button.
    await phone.get_by_role("link", name=re.compile("Aluminium ladder")).click()
    await phone.wait_for_url(f"{base}/offers/{bobs}")
    assert "Offered by Bob" in await phone.locator(".owner-line").inner_text()
    assert "about" in await phone.locator(".owner-line").inner_text()
    assert await image_loaded(phone, ".photos img")
    await screenshot(phone, "offers-08-neighbours-offer")
    await check_axe(phone)

    await phone.goto(f"{base}/mine")
    assert "Step ladder to lend" in await phone.locator("main").inner_text()
    assert "Someone to cut back my hedge" in await phone.locator("main").inner_text()
    await screenshot(phone, "offers-09-my-offers-and-asks")
    await check_axe(phone)

    # The page is one column: nothing is wider than the phone.
    for path in ("/", f"/offers/{bobs}", "/offers/new", "/mine"):
        await phone.goto(f"{base}{path}")
        assert await phone.evaluate("document.documentElement.scrollWidth") <= 360, path
