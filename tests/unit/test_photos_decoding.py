"""Decoding within a memory budget: what is refused before decoding, and what is shrunk right.

(The memory itself is measured on the real server in tests/integration/test_photos_memory.py.)
"""

from __future__ import annotations

import io

import pytest
from PIL import ExifTags, Image

from streetshare.photos.images import DISPLAY_MAX_PX, PhotoRejected, process_upload

RED, GREEN = (220, 30, 30), (30, 140, 90)


def picture(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """Green, with a red block in the top left third: shows where the top left ended up."""
    image = Image.new(mode, size, GREEN if mode == "RGB" else (*GREEN, 255))
    image.paste(RED if mode == "RGB" else (*RED, 255), (0, 0, size[0] // 3, size[1] // 3))
    return image


def saved(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def display_of(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(process_upload(data).display))


def near(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(pixel, colour))


@pytest.mark.parametrize("fmt, size, options", [
    ("PNG", (7000, 7000), {}),  # the 190 KB PNG of issue 21
    ("PNG", (4400, 4400), {"mode": "RGBA"}),
    ("WEBP", (3000, 3000), {}),
    ("JPEG", (9000, 6000), {}),  # 54 MP: more than a phone's photo, even decoded at 1/8
    ("JPEG", (8160, 6120), {"progressive": True}),  # a progressive JPEG keeps every coefficient while decoding
    ("JPEG", (4000, 3000), {"progressive": True, "subsampling": 0}),
])
def test_an_image_too_big_to_decode_within_the_budget_is_refused_before_decoding(fmt, size, options):
    mode = options.pop("mode", "RGB")

    with pytest.raises(PhotoRejected, match="too large"):
        process_upload(saved(picture(size, mode), fmt, **options))


@pytest.mark.parametrize("fmt, size, options", [
    ("JPEG", (8160, 6120), {}),  # a 50 MP phone photo: decoded at 1/4 scale
    ("JPEG", (5600, 4200), {"progressive": True}),
    ("PNG", (4300, 4300), {}),
    ("PNG", (2400, 1800), {"mode": "RGBA"}),
    ("PNG", (3000, 2000), {"mode": "P"}),
    ("WEBP", (2000, 1500), {}),
])
def test_a_big_photo_within_the_budget_is_shrunk_keeping_where_things_are(fmt, size, options):
    mode = options.pop("mode", "RGB")
    image = picture(size, "RGBA" if mode == "RGBA" else "RGB")
    if mode == "P":
        image = image.convert("P")

    display = display_of(saved(image, fmt, **options))

    assert max(display.size) == DISPLAY_MAX_PX
    assert abs(display.width / display.height - size[0] / size[1]) < 0.01
    assert near(display.getpixel((10, 10)), RED)
    assert near(display.getpixel((display.width - 10, display.height - 10)), GREEN)


@pytest.mark.parametrize("orientation, red_corner", [(3, "bottom right"), (6, "top right"), (8, "bottom left")])
def test_a_big_phone_photo_held_sideways_comes_out_upright(orientation, red_corner):
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation

    display = display_of(saved(picture((6000, 4000)), "JPEG", exif=exif))

    width, height = display.size
    assert (width, height) == ((800, 1200) if orientation in (6, 8) else (1200, 800))
    corners = {"top left": (10, 10), "top right": (width - 10, 10), "bottom left": (10, height - 10),
               "bottom right": (width - 10, height - 10)}
    assert near(display.getpixel(corners[red_corner]), RED)
    assert all(near(display.getpixel(xy), GREEN) for name, xy in corners.items() if name != red_corner)


def test_a_transparent_png_at_a_reduced_size_is_white_where_it_was_clear():
    image = Image.new("RGBA", (3600, 2400), (0, 0, 0, 0))
    image.paste((*RED, 255), (0, 0, 1200, 800))

    display = display_of(saved(image, "PNG"))

    assert near(display.getpixel((10, 10)), RED)
    assert near(display.getpixel((1100, 700)), (255, 255, 255))


@pytest.mark.parametrize("data", [
    saved(Image.new("RGB", (40, 40)), "TIFF"),
    saved(Image.new("RGB", (40, 40)), "BMP"),
    saved(Image.new("RGB", (40, 40)), "GIF"),
])
def test_other_kinds_of_image_are_named_as_such_and_never_decoded(data):
    with pytest.raises(PhotoRejected, match="kind of image"):
        process_upload(data)
