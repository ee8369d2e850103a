"""Photo processing, pure: phone photos come out upright, small, and without a trace of metadata."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import ExifTags, Image

from streetshare.photos import rules
from streetshare.photos.images import DISPLAY_MAX_PX, MAX_UPLOAD_BYTES, THUMB_MAX_PX, PhotoRejected, process_upload
from streetshare.photos.storage import FileSystemPhotoStore, media_url


def jpeg_with_gps(size=(2400, 1600), orientation: int | None = None) -> bytes:
    """A phone photo: EXIF with the home's GPS position, a camera model, a description."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.Model] = "Phone 12"
    exif[ExifTags.Base.ImageDescription] = "GPS test: my home"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (53.0, 38.0, 44.88)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (1.0, 47.0, 6.0)
    gps[ExifTags.GPS.GPSMapDatum] = "WGS-84"
    gps[ExifTags.GPS.GPSProcessingMethod] = b"ASCII\x00\x00\x00GPS"
    image = Image.new("RGB", size, (30, 140, 90))
    image.paste((220, 30, 30), (0, 0, size[0] // 3, size[1] // 3))  # a red block at the top left
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90,
               comment=b"GPS 53.6458,-1.7850", icc_profile=None)
    return out.getvalue()


def test_the_test_photo_really_carries_gps():
    data = jpeg_with_gps()
    assert b"GPS" in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo)


def test_a_photo_with_gps_comes_out_with_no_metadata_at_all():
    photo = process_upload(jpeg_with_gps())
    for variant in (photo.display, photo.thumb):
        assert b"GPS" not in variant
        assert b"Exif" not in variant
        assert b"PhoneCo" not in variant and b"my home" not in variant
        with Image.open(io.BytesIO(variant)) as image:
            assert image.format == "JPEG"
            assert len(image.getexif()) == 0
            assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
            assert "exif" not in image.info and "comment" not in image.info and "icc_profile" not in image.info
            assert "xmp" not in image.info


def test_display_and_thumbnail_sizes():
    photo = process_upload(jpeg_with_gps(size=(4000, 3000)))
    assert (photo.width, photo.height) == (DISPLAY_MAX_PX, 900)
    with Image.open(io.BytesIO(photo.thumb)) as thumb:
        assert max(thumb.size) == THUMB_MAX_PX
    small = process_upload(jpeg_with_gps(size=(400, 300)))
    assert (small.width, small.height) == (400, 300)  # never enlarged


def test_a_sideways_phone_photo_is_turned_upright():
    photo = process_upload(jpeg_with_gps(size=(1200, 800), orientation=6))  # "rotate 90 clockwise to view"
    assert (photo.width, photo.height) == (800, 1200)


@pytest.mark.parametrize("fmt, mode", [("PNG", "RGBA"), ("WEBP", "RGB"), ("PNG", "P"), ("PNG", "L")])
def test_png_and_webp_are_accepted_and_turned_into_rgb_jpeg(fmt, mode):
    image = Image.new(mode, (640, 480))
    out = io.BytesIO()
    image.save(out, fmt)
    photo = process_upload(out.getvalue())
    with Image.open(io.BytesIO(photo.display)) as result:
        assert (result.format, result.mode, result.size) == ("JPEG", "RGB", (640, 480))


def test_transparent_parts_become_white():
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    with Image.open(io.BytesIO(process_upload(out.getvalue()).display)) as result:
        assert all(channel > 240 for channel in result.getpixel((50, 50)))


@pytest.mark.parametrize("data", [b"%PDF-1.4 not a photo", b"GIF89a" + b"\x00" * 100, b"hello", b"\x89PNG\r\n\x1a\n broken"])
def test_anything_that_is_not_a_photo_is_refused_with_a_clear_message(data):
    with pytest.raises(PhotoRejected) as refused:
        process_upload(data)
    assert "JPEG, PNG or WebP" in refused.value.message


def test_a_gif_is_refused_even_though_pillow_reads_it():
    out = io.BytesIO()
    Image.new("RGB", (50, 50)).save(out, "GIF")
    with pytest.raises(PhotoRejected) as refused:
        process_upload(out.getvalue())
    assert "kind of image" in refused.value.message


def test_a_truncated_jpeg_is_refused():
    with pytest.raises(PhotoRejected):
        process_upload(jpeg_with_gps()[:2000])


def test_an_empty_or_oversized_file_is_refused():
    with pytest.raises(PhotoRejected, match="empty"):
        process_upload(b"")
    with pytest.raises(PhotoRejected, match="10 MB"):
        process_upload(b"\xff\xd8" + b"\x00" * MAX_UPLOAD_BYTES)


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge image (a decompression bomb needs no more to start)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


@pytest.mark.parametrize("width, height", [(8_000, 8_000), (30_000, 30_000)])
def test_a_decompression_bomb_is_refused_before_it_is_decoded(width, height):
    with pytest.raises(PhotoRejected, match="too large"):
        process_upload(png_claiming(width, height))


def test_the_same_photo_gets_the_same_content_hash():
    data = jpeg_with_gps(size=(300, 200))
    assert process_upload(data).sha256 == process_upload(data).sha256


def test_files_are_stored_by_content_hash(tmp_path):
    store = FileSystemPhotoStore(tmp_path)
    photo = process_upload(jpeg_with_gps(size=(300, 200)))
    store.put(photo.sha256, "display", photo.display)
    store.put(photo.sha256, "thumb", photo.thumb)
    assert (tmp_path / photo.sha256[:2] / f"{photo.sha256}-display.jpg").read_bytes() == photo.display
    assert store.get(photo.sha256, "thumb") == photo.thumb
    assert store.get("0" * 64, "thumb") is None
    assert store.get("../../etc/passwd", "thumb") is None
    assert store.url(7, photo.sha256, "thumb") == media_url(7, photo.sha256, "thumb") == \
        f"/media/photos/7/{photo.sha256}-thumb.jpg"
    store.delete(photo.sha256)
    assert store.get(photo.sha256, "display") is None
    with pytest.raises(ValueError):
        store.put("not-a-hash", "display", b"x")


def test_four_photos_at_most_in_the_first_free_places():
    assert rules.free_position([]) == 0
    assert rules.free_position([0, 2]) == 1
    assert rules.free_position([0, 1, 2, 3]) is None
    assert rules.can_add_photo(3) and not rules.can_add_photo(4)
