"""Turning an upload into photos that are safe to show: pure (bytes in, bytes out), no I/O.

Phone photos carry the GPS position of the home in their EXIF. Nothing of the upload survives
but its pixels: the image is shrunk, converted to RGB on white, turned upright (EXIF orientation),
converted to sRGB, copied into a brand-new image (so no info, EXIF, XMP, ICC profile or comment
comes along), and saved as a fresh JPEG.

Memory is bounded whatever the file (issue 21: a 190 KB PNG of 7000 x 7000 px cost the server
0.9 GiB, never given back). Before anything is decoded, the headers say what decoding would hold at
once, and an image over DECODE_BUDGET is refused:
- a JPEG is decoded at a reduced scale (libjpeg's draft mode, 1/2 to 1/8), so a 50 MP phone photo
  costs a few MB; but a progressive (or non-interleaved) JPEG keeps every DCT coefficient of the
  whole image while it decodes (2 bytes a sample), which the budget counts;
- PNG and WebP have no reduced decode: every pixel is held (4 bytes; WebP's decoder holds three
  more canvases of its own), so their pixel count is what the budget limits.
So a phone's JPEG is taken up to 50 MP, a PNG up to about 18 MP (any screenshot), a progressive
JPEG up to about 23 MP and a WebP up to about 4 MP.
Then the decoded image is shrunk a band of rows at a time, so no full-size copy is ever made; one
upload is decoded at a time in a process; and the freed memory is handed back to the system
(glibc keeps freed memory in per-thread arenas otherwise). Measured on the real server by
tests/integration/test_photos_memory.py.
"""

from __future__ import annotations

import ctypes
import hashlib
import io
import threading
import warnings
from dataclasses import dataclass

from PIL import ExifTags, Image, ImageCms, PngImagePlugin, UnidentifiedImageError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000  # larger than a phone camera's everyday photo, whatever the format
DECODE_BUDGET = 80 * 1024 * 1024  # bytes a decoder may hold at once for one upload
DISPLAY_MAX_PX = 1200
THUMB_MAX_PX = 320
QUALITY = {"display": 82, "thumb": 78}
VARIANTS = ("display", "thumb")
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "MPO"}  # MPO: the JPEG some phones write
# Bytes held per pixel while a format without a reduced decode is decoded (measured): Pillow keeps
# 4 a pixel (RGB is stored as RGBX); libwebp's animation decoder holds three RGBA canvases besides.
# (HEIF, when pillow-heif is installed, is not measured here: counted like WebP.)
_BYTES_PER_PIXEL = {"PNG": 4, "WEBP": 16, "HEIF": 16}
_BAND_BYTES = 1024 * 1024  # the rows converted and shrunk at a time
# Other images a resident may pick: named "not a kind we take" rather than "not a photo".
_OTHER_IMAGES = (b"GIF8", b"II*\x00", b"MM\x00*", b"BM", b"\x00\x00\x01\x00", b"\x00\x00\x00\x0cjP  ")
# Text chunks are thrown away anyway: don't hold up to 64 MB of them while reading a PNG.
PngImagePlugin.MAX_TEXT_MEMORY = 4 * PngImagePlugin.MAX_TEXT_CHUNK

try:  # HEIC (iPhone) only when pillow-heif is installed; browsers usually send JPEG anyway.
    from pillow_heif import register_heif_opener  # type: ignore[import-not-found]

    register_heif_opener()
    ACCEPTED_FORMATS |= {"HEIF"}
    HEIC_SUPPORTED = True
except ImportError:  # pragma: no cover (depends on the environment)
    HEIC_SUPPORTED = False

ACCEPTED_WORDS = "a JPEG, PNG or WebP photo" + (" (or HEIC)" if HEIC_SUPPORTED else "")
ACCEPT_ATTRIBUTE = "image/*"
TOO_LARGE = "That image is too large (too many pixels). Please choose a smaller one, such as a photo from a phone's camera."

_OPENERS = sorted(ACCEPTED_FORMATS - {"MPO"})  # the only plugins that may read an upload (MPO comes as JPEG)
_ONE_AT_A_TIME = threading.Lock()  # one decode per process: three uploads at once cost what one does

try:
    _malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
except (OSError, AttributeError):  # pragma: no cover (not glibc)
    _malloc_trim = None


class PhotoRejected(ValueError):
    """The upload is not a photo we take; the message is for the resident."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ProcessedPhoto:
    sha256: str  # of the display JPEG: the file's name in the store
    display: bytes
    thumb: bytes
    width: int  # of the display image
    height: int

    def variant(self, name: str) -> bytes:
        return self.display if name == "display" else self.thumb


def process_upload(data: bytes) -> ProcessedPhoto:
    """Check an upload and re-encode it to a display image and a thumbnail, without metadata."""
    if not data:
        raise PhotoRejected("That file is empty. Please choose a photo.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise PhotoRejected("That photo is larger than 10 MB. Please choose a smaller one.")
    with _ONE_AT_A_TIME:
        try:
            return _process(data)
        finally:  # the images are freed by now: give their memory back, from every thread's arena
            if _malloc_trim is not None:
                _malloc_trim(0)


def _process(data: bytes) -> ProcessedPhoto:
    clean = _decode_small(data)
    display = _fit(clean, DISPLAY_MAX_PX)
    display_bytes = _jpeg(display, QUALITY["display"])
    return ProcessedPhoto(
        sha256=hashlib.sha256(display_bytes).hexdigest(),
        display=display_bytes,
        thumb=_jpeg(_fit(display, THUMB_MAX_PX), QUALITY["thumb"]),
        width=display.width,
        height=display.height,
    )


def _decode_small(data: bytes) -> Image.Image:
    """The upload's pixels, checked, shrunk to at most twice the display size, upright, sRGB, RGB."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=_OPENERS) as opened:
                if opened.format not in ACCEPTED_FORMATS:
                    raise PhotoRejected(f"We can't use that kind of image. Please choose {ACCEPTED_WORDS}.")
                target = _fitted(opened.size, DISPLAY_MAX_PX)
                if _decode_cost(opened, data, target) > DECODE_BUDGET:
                    raise PhotoRejected(TOO_LARGE)
                if opened.format in ("JPEG", "MPO"):  # decode at 1/2, 1/4 or 1/8 scale when that is still big enough
                    opened.draft("RGB", target)
                opened.load()
                orientation = opened.getexif().get(ExifTags.Base.Orientation, 1)
                icc = opened.info.get("icc_profile")
                small = _shrink_to_rgb(opened, target)
    except PhotoRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRejected(TOO_LARGE) from None
    except UnidentifiedImageError:
        if data.startswith(_OTHER_IMAGES) or data[4:8] == b"ftyp":  # GIF, TIFF, BMP, ICO, JPEG 2000, HEIC, AVIF
            raise PhotoRejected(f"We can't use that kind of image. Please choose {ACCEPTED_WORDS}.") from None
        raise PhotoRejected(f"That file isn't a photo we can read. Please choose {ACCEPTED_WORDS}.") from None
    except Exception:  # truncated or corrupt data makes image plugins fail in many ways
        raise PhotoRejected(f"That photo seems to be damaged. Please choose {ACCEPTED_WORDS}.") from None
    upright = _upright(small, orientation)
    if icc:
        upright = _to_srgb(upright, icc)
    fresh = Image.new("RGB", upright.size)  # carries nothing but the pixels pasted into it
    fresh.paste(upright)
    return fresh


def _fitted(size: tuple[int, int], max_px: int) -> tuple[int, int]:
    """`size` scaled down (never up) to fit in a max_px square, keeping its shape."""
    width, height = size
    scale = min(1.0, max_px / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _decode_cost(opened: Image.Image, data: bytes, target: tuple[int, int]) -> int:
    """Bytes held at once to decode and shrink this image, read from its headers (nothing decoded yet)."""
    width, height = opened.size
    if width * height > MAX_PIXELS:
        return DECODE_BUDGET + 1
    if opened.format not in ("JPEG", "MPO"):
        decoded = (width, height)
        cost = width * height * _BYTES_PER_PIXEL.get(opened.format, 16)
    else:
        frame, scan_components = _jpeg_frame(data)
        if frame not in _DCT_FRAMES:
            raise PhotoRejected(f"We can't use that kind of image. Please choose {ACCEPTED_WORDS}.")
        scale = _shrink_factor((width, height), target, choices=(8, 4, 2, 1))  # what draft() will choose
        decoded = (-(-width // scale), -(-height // scale))
        cost = decoded[0] * decoded[1] * 4
        components = getattr(opened, "layer", [])
        if frame in _PROGRESSIVE_FRAMES or scan_components < len(components):
            # libjpeg keeps the whole image's coefficients until the last scan: 2 bytes a sample.
            h_max = max(c[1] for c in components)
            v_max = max(c[2] for c in components)
            for _, h, v, _ in components:
                blocks_wide = -(-width * h // h_max // 8) + 1
                blocks_high = -(-height * v // v_max // 8) + 1
                cost += blocks_wide * blocks_high * 64 * 2
    factor = _shrink_factor(decoded, target)
    return cost + -(-decoded[0] // factor) * -(-decoded[1] // factor) * 4  # plus the shrunk copy


def _shrink_factor(size: tuple[int, int], target: tuple[int, int], choices: tuple[int, ...] | None = None) -> int:
    """The largest whole reduction (among `choices`, if given) that leaves `size` no smaller than `target`."""
    most = max(1, min(size[0] // target[0], size[1] // target[1]))
    return most if choices is None else next(c for c in choices if c <= most)


_DCT_FRAMES = {0xC0, 0xC1, 0xC2, 0xC9, 0xCA}  # baseline, extended, progressive (Huffman or arithmetic)
_PROGRESSIVE_FRAMES = {0xC2, 0xCA}


def _jpeg_frame(data: bytes) -> tuple[int, int]:
    """(the frame marker, the number of components in the first scan) from a JPEG's headers."""
    frame, pos = 0, 2
    while pos + 4 < len(data):
        if data[pos] != 0xFF:  # junk between segments, as Pillow tolerates
            pos += 1
            continue
        marker = data[pos + 1]
        if marker in (0xFF, 0x00) or 0xD0 <= marker <= 0xD8:  # fill bytes and segments without a length
            pos += 1 if marker == 0xFF else 2
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC) and not frame:
            frame = marker
        if marker == 0xDA:
            return frame, data[pos + 4]
        pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
    return frame, 0


def _shrink_to_rgb(image: Image.Image, target: tuple[int, int]) -> Image.Image:
    """RGB on white, reduced by a whole factor to no less than `target` (so at most twice it), a band of
    rows at a time, so that no full-size copy of a big image is ever made."""
    factor = _shrink_factor(image.size, target)
    band = max(1, _BAND_BYTES // (image.width * 4) // factor) * factor
    small = Image.new("RGB", (-(-image.width // factor), -(-image.height // factor)))
    for top in range(0, image.height, band):
        rows = _rgb(image.crop((0, top, image.width, min(top + band, image.height))))
        small.paste(rows.reduce(factor) if factor > 1 else rows, (0, top // factor))
    return small


def _rgb(image: Image.Image) -> Image.Image:
    """RGB pixels, transparent parts made white."""
    if image.mode in ("RGBA", "LA", "P", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _upright(image: Image.Image, orientation: int) -> Image.Image:
    """Turned as the EXIF orientation says the camera was held."""
    method = _TRANSPOSE.get(orientation)
    return image.transpose(method) if method is not None else image


def _to_srgb(image: Image.Image, icc: bytes) -> Image.Image:
    """Phones shoot in wide-gamut profiles: convert the pixels, since the profile is dropped."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image
    return converted or image


def _fit(image: Image.Image, max_px: int) -> Image.Image:
    fitted = image.copy()
    fitted.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
    return fitted


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()
