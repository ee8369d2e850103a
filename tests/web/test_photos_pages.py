"""Photos over HTTP: cached by the resident's own browser only, stripped of metadata, and only to residents who
may see the offer or ask they belong to."""

from __future__ import annotations

import io

import pytest
from PIL import ExifTags, Image
from support.cast import (LEEDS, OAK_ROAD, api_token, block, make_ask, make_offer, make_street, photo_bytes,
                          place_resident, post_form, sign_in)

from streetshare import db
from streetshare.asks import service as asks_service
from streetshare.offers import service as offers_service
from streetshare.photos.service import prepare
from streetshare.photos.storage import media_url, store_for


def phone_photo_with_gps() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Model] = "Phone 12"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (53.0, 38.0, 44.88)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (1.0, 47.0, 6.0)
    gps[ExifTags.GPS.GPSProcessingMethod] = b"ASCII\x00\x00\x00GPS"
    out = io.BytesIO()
    Image.new("RGB", (1600, 1200), (40, 120, 200)).save(out, "JPEG", exif=exif)
    data = out.getvalue()
    assert b"GPS" in data
    return data


@pytest.fixture
async def elm(alice, bob, carol, dave):
    elm = await make_street("Elm Street")
    await place_resident(alice, elm)
    await place_resident(bob, elm)
    await place_resident(carol, await make_street("Oak Road", OAK_ROAD))
    await place_resident(dave, await make_street("Leeds Lane", LEEDS))
    return elm


async def switch_to(client, person) -> None:
    """Sign out whoever is signed in on this client, and sign `person` in."""
    client.cookies.clear()
    await sign_in(client, person)


async def offer_with_photo(settings, person, **fields) -> tuple[int, int, str]:
    offer_id = await make_offer(person, **fields)
    photo = await prepare(photo_bytes(size=(900, 600)))
    photo_id = await offers_service.add_photo(offer_id, acting=person.id, photo=photo, store=store_for(settings))
    return offer_id, photo_id, photo.sha256


async def test_a_gps_tagged_phone_photo_is_stored_and_served_without_any_metadata(client, settings, elm, alice, bob):
    await sign_in(client, alice)
    response = await post_form(client, "/offers/new", {"kind": "lend", "title": "Ladder to lend", "category": "tools"},
                               form_page="/offers/new",
                               files={"photo": ("IMG_0001.jpg", phone_photo_with_gps(), "image/jpeg")})
    assert response.status_code == 303, response.text
    photo = await db.fetchrow("SELECT id, sha256 FROM photo")
    files = list(settings.uploads_dir.rglob("*.jpg"))
    assert len(files) == 2
    for file in files:
        data = file.read_bytes()
        assert b"GPS" not in data and b"Exif" not in data and b"Phone 12" not in data
        with Image.open(file) as image:
            assert len(image.getexif()) == 0
    await switch_to(client, bob)
    for variant in ("display", "thumb"):
        served = await client.get(media_url(photo["id"], photo["sha256"], variant))
        assert served.status_code == 200
        assert served.headers["content-type"] == "image/jpeg"
        assert served.headers["cache-control"] == "private, max-age=31536000, immutable"
        assert b"GPS" not in served.content
        with Image.open(io.BytesIO(served.content)) as image:
            assert not image.getexif()


async def test_feed_cards_lazy_load_their_thumbnails(client, settings, elm, alice, bob):
    _, photo_id, sha = await offer_with_photo(settings, alice)
    await sign_in(client, bob)
    home = await client.get("/")
    assert f'src="{media_url(photo_id, sha, "thumb")}"' in home.text
    assert 'loading="lazy"' in home.text


@pytest.mark.parametrize("who", ["dave_far_away", "carol_kept_to_street", "carol_looks_at_street_only",
                                 "bob_blocked", "bob_blocker", "signed_out"])
async def test_photo_url_is_not_found_for_anyone_out_of_scope(client, settings, elm, alice, bob, carol, dave, who):
    _, photo_id, sha = await offer_with_photo(settings, alice, neighbours_may_see=who != "carol_kept_to_street")
    url = media_url(photo_id, sha, "thumb")
    if who == "carol_looks_at_street_only":
        await place_resident(carol, await _oak(), looks_at="street")
    if who == "bob_blocked":
        await block(alice, bob)
    if who == "bob_blocker":
        await block(bob, alice)
    viewer = {"dave_far_away": dave, "carol_kept_to_street": carol, "carol_looks_at_street_only": carol,
              "bob_blocked": bob, "bob_blocker": bob, "signed_out": None}[who]
    if viewer:
        await sign_in(client, viewer)
    response = await client.get(url)
    assert response.status_code == 404
    assert response.content == b"Not found"


async def _oak():
    from support.cast import StreetRef

    row = await db.fetchrow("SELECT id, name, centre_lat, centre_lng FROM street WHERE name = 'Oak Road'")
    return StreetRef(row["id"], row["name"], row["centre_lat"], row["centre_lng"])


async def test_a_neighbouring_street_sees_the_photo_when_the_offer_allows_it(client, settings, elm, alice, carol):
    _, photo_id, sha = await offer_with_photo(settings, alice)
    await sign_in(client, carol)
    assert (await client.get(media_url(photo_id, sha, "display"))).status_code == 200


async def test_photo_url_with_the_wrong_hash_or_variant_is_not_found(client, settings, elm, alice, bob):
    _, photo_id, sha = await offer_with_photo(settings, alice)
    await sign_in(client, bob)
    assert (await client.get(media_url(photo_id, "0" * 64, "thumb"))).status_code == 404
    assert (await client.get(f"/media/photos/{photo_id}/{sha}-original.jpg")).status_code == 404
    assert (await client.get(f"/media/photos/{photo_id}/..%2F..%2Fetc%2Fpasswd")).status_code == 404
    assert (await client.get(media_url(photo_id + 1, sha, "thumb"))).status_code == 404


async def test_a_withdrawn_offers_photos_are_only_for_its_owner(client, settings, elm, alice, bob):
    offer_id, photo_id, sha = await offer_with_photo(settings, alice)
    await offers_service.withdraw_offer(offer_id, acting=alice.id)
    await sign_in(client, bob)
    assert (await client.get(media_url(photo_id, sha, "thumb"))).status_code == 404
    await switch_to(client, alice)
    assert (await client.get(media_url(photo_id, sha, "thumb"))).status_code == 200


async def test_api_clients_fetch_photos_with_their_token(client, settings, elm, alice, bob, dave):
    _, photo_id, sha = await offer_with_photo(settings, alice)
    assert (await client.get(media_url(photo_id, sha, "thumb"), headers=await api_token(client, bob))).status_code == 200
    assert (await client.get(media_url(photo_id, sha, "thumb"), headers=await api_token(client, dave))).status_code == 404


async def test_owner_adds_up_to_four_photos_then_is_told_the_limit(client, settings, elm, alice):
    offer_id = await make_offer(alice)
    await sign_in(client, alice)
    page = f"/offers/{offer_id}"
    for n in range(4):
        response = await post_form(client, f"{page}/photos", {}, form_page=page,
                                   files={"photo": (f"p{n}.png", photo_bytes("PNG", colour=(n * 40, 90, 90)), "image/png")})
        assert response.status_code == 303, response.text
    assert "the most there can be" in (await client.get(page)).text
    response = await post_form(client, f"{page}/photos", {}, form_page=page,
                               files={"photo": ("p5.jpg", photo_bytes(), "image/jpeg")})
    assert response.status_code == 422
    assert "up to 4 photos" in response.text
    assert await db.fetchval("SELECT count(*) FROM photo WHERE offer = $1", offer_id) == 4


async def test_adding_nothing_or_a_non_image_says_so_next_to_the_field(client, elm, alice):
    offer_id = await make_offer(alice)
    await sign_in(client, alice)
    page = f"/offers/{offer_id}"
    empty = await post_form(client, f"{page}/photos", {}, form_page=page, files={"photo": ("", b"", "image/jpeg")})
    assert empty.status_code == 422 and 'id="f-photo-error">Please choose a photo to add.' in empty.text
    text = await post_form(client, f"{page}/photos", {}, form_page=page, files={"photo": ("a.txt", b"hello", "text/plain")})
    assert text.status_code == 422 and "a JPEG, PNG or WebP photo" in text.text


async def test_owner_removes_a_photo_and_its_file_goes_when_nothing_else_uses_it(client, settings, elm, alice, bob):
    offer_id, photo_id, sha = await offer_with_photo(settings, alice)
    await sign_in(client, bob)
    refused = await post_form(client, f"/offers/{offer_id}/photos/{photo_id}/remove", {}, form_page="/account")
    assert refused.status_code == 403
    await switch_to(client, alice)
    response = await post_form(client, f"/offers/{offer_id}/photos/{photo_id}/remove", {}, form_page=f"/offers/{offer_id}")
    assert response.status_code == 303
    assert await db.fetchval("SELECT count(*) FROM photo") == 0
    assert store_for(settings).get(sha, "display") is None


async def test_a_shared_file_stays_while_another_photo_uses_it(settings, elm, alice, bob):
    first, first_photo, sha = await offer_with_photo(settings, alice)
    second, _, same = await offer_with_photo(settings, bob)
    assert sha == same
    await offers_service.remove_photo(first, first_photo, acting=alice.id, store=store_for(settings))
    assert store_for(settings).get(sha, "thumb") is not None


async def test_ask_photos_are_scoped_like_the_ask(client, settings, elm, alice, bob, dave):
    ask_id = await make_ask(alice)
    photo = await prepare(photo_bytes())
    photo_id = await asks_service.add_photo(ask_id, acting=alice.id, photo=photo, store=store_for(settings))
    await sign_in(client, bob)
    assert (await client.get(media_url(photo_id, photo.sha256, "display"))).status_code == 200
    await switch_to(client, dave)
    assert (await client.get(media_url(photo_id, photo.sha256, "display"))).status_code == 404


async def test_photos_are_cached_by_the_viewers_own_browser_only_never_by_a_shared_cache(client, settings, elm, alice, bob):
    _, photo_id, sha = await offer_with_photo(settings, alice)
    url = media_url(photo_id, sha, "display")
    await sign_in(client, bob)
    by_session = await client.get(url)
    client.cookies.clear()
    by_token = await client.get(url, headers=await api_token(client, bob))
    for served in (by_session, by_token):
        assert served.status_code == 200
        directives = served.headers["cache-control"].split(", ")
        assert "private" in directives and "public" not in directives
    assert (await client.get(url)).headers["cache-control"] == "no-store"  # the 404 to a visitor


def png_of(width: int, height: int) -> bytes:
    """A real, fully decodable PNG: one flat colour compresses to almost nothing (7000 x 7000 in ~160 KB)."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 60)).save(out, "PNG")
    return out.getvalue()


async def test_a_png_with_too_many_pixels_is_refused_next_to_the_photo_field(client, elm, alice):
    offer_id = await make_offer(alice)
    await sign_in(client, alice)
    page = f"/offers/{offer_id}"
    data = png_of(7000, 7000)
    assert len(data) < 200 * 1024

    response = await post_form(client, f"{page}/photos", {}, form_page=page, files={"photo": ("big.png", data, "image/png")})

    assert response.status_code == 422
    assert 'id="f-photo-error">That image is too large' in response.text
    assert await db.fetchval("SELECT count(*) FROM photo") == 0


async def test_the_api_refuses_a_png_with_too_many_pixels_with_a_422_on_the_photo_field(client, elm, alice):
    offer_id = await make_offer(alice)
    response = await client.post(f"/api/v1/offers/{offer_id}/photos", headers=await api_token(client, alice),
                                 files={"photo": ("big.png", png_of(7000, 7000), "image/png")})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "photo"
    assert "too large" in response.json()["errors"][0]["message"]
