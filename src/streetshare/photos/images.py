"""Turning an upload into photos that are safe to show: pure (bytes in, bytes out), no I/O.

Phone photos carry the GPS position of the home in their EXIF. Nothing of the upload survives
but its pixels: the image is turned upright (EXIF orientation), converted to sRGB/RGB, copied
into a brand-new image (so no info, EXIF, XMP, ICC profile or comment comes along), resized,
and saved as a fresh JPEG.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000  # larger than any phone camera; refuses decompression bombs
DISPLAY_MAX_PX = 1200
THUMB_MAX_PX = 320
QUALITY = {"display": 82, "thumb": 78}
VARIANTS = ("display", "thumb")
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "MPO"}  # MPO: the JPEG some phones write

try:  # HEIC (iPhone) only when pillow-heif is installed; browsers usually send JPEG anyway.
    from pillow_heif import register_heif_opener  # type: ignore[import-not-found]

    register_heif_opener()
    ACCEPTED_FORMATS |= {"HEIF"}
    HEIC_SUPPORTED = True
except ImportError:  # pragma: no cover (depends on the environment)
    HEIC_SUPPORTED = False

ACCEPTED_WORDS = "a JPEG, PNG or WebP photo" + (" (or HEIC)" if HEIC_SUPPORTED else "")
ACCEPT_ATTRIBUTE = "image/*"


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
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                if opened.format not in ACCEPTED_FORMATS:
                    raise PhotoRejected(f"We can't use that kind of image. Please choose {ACCEPTED_WORDS}.")
                if opened.width * opened.height > MAX_PIXELS:
                    raise PhotoRejected("That image is too large (too many pixels). Please choose a smaller one.")
                if opened.format in ("JPEG", "MPO"):  # decode big phone photos at a reduced scale: much faster
                    opened.draft("RGB", (DISPLAY_MAX_PX, DISPLAY_MAX_PX))
                clean = _clean_pixels(opened)
    except PhotoRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRejected("That image is too large (too many pixels). Please choose a smaller one.") from None
    except UnidentifiedImageError:
        raise PhotoRejected(f"That file isn't a photo we can read. Please choose {ACCEPTED_WORDS}.") from None
    except Exception:  # truncated or corrupt data makes image plugins fail in many ways
        raise PhotoRejected(f"That photo seems to be damaged. Please choose {ACCEPTED_WORDS}.") from None

    display = _fit(clean, DISPLAY_MAX_PX)
    thumb = _fit(clean, THUMB_MAX_PX)
    display_bytes = _jpeg(display, QUALITY["display"])
    return ProcessedPhoto(
        sha256=hashlib.sha256(display_bytes).hexdigest(),
        display=display_bytes,
        thumb=_jpeg(thumb, QUALITY["thumb"]),
        width=display.width,
        height=display.height,
    )


def _clean_pixels(image: Image.Image) -> Image.Image:
    """Upright, sRGB, RGB pixels in a new image that carries nothing else."""
    image.load()
    upright = ImageOps.exif_transpose(image) or image
    icc = upright.info.get("icc_profile")
    if upright.mode in ("RGBA", "LA", "P", "PA") or "transparency" in upright.info:
        rgba = upright.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        rgb = flat
    else:
        rgb = upright.convert("RGB")
    if icc:
        rgb = _to_srgb(rgb, icc)
    fresh = Image.new("RGB", rgb.size)
    fresh.paste(rgb)
    return fresh


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
