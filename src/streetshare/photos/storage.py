"""Where photo files live: a small interface, and a store on the local disk.

Files are named by the SHA-256 of the display image, so a file never changes once written
(safe to cache for a year) and the same photo uploaded twice is stored once. An object store
(S3 and friends) can be added later as another PhotoStore.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from streetshare.photos.images import VARIANTS
from streetshare.settings import Settings

_SHA = re.compile(r"^[0-9a-f]{64}$")


class PhotoStore(Protocol):
    def put(self, sha256: str, variant: str, data: bytes) -> None: ...

    def get(self, sha256: str, variant: str) -> bytes | None: ...

    def delete(self, sha256: str) -> None: ...

    def url(self, photo_id: int, sha256: str, variant: str) -> str: ...


def media_url(photo_id: int, sha256: str, variant: str) -> str:
    """The app's own address for a photo: it names the photo (for the scope check) and its content."""
    return f"/media/photos/{photo_id}/{sha256}-{variant}.jpg"


class FileSystemPhotoStore:
    """<uploads_dir>/<first two hex digits>/<sha256>-<variant>.jpg, written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str, variant: str) -> Path:
        if not _SHA.match(sha256) or variant not in VARIANTS:
            raise ValueError("not a photo key")
        return self.root / sha256[:2] / f"{sha256}-{variant}.jpg"

    def put(self, sha256: str, variant: str, data: bytes) -> None:
        path = self._path(sha256, variant)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, sha256: str, variant: str) -> bytes | None:
        try:
            return self._path(sha256, variant).read_bytes()
        except (FileNotFoundError, ValueError):
            return None

    def delete(self, sha256: str) -> None:
        for variant in VARIANTS:
            self._path(sha256, variant).unlink(missing_ok=True)

    def url(self, photo_id: int, sha256: str, variant: str) -> str:
        return media_url(photo_id, sha256, variant)


def store_for(settings: Settings) -> PhotoStore:
    return FileSystemPhotoStore(settings.uploads_dir)
