"""Serving photos, only to residents who may see the offer or ask they belong to; reading uploads.

/media/photos/<photo id>/<sha256>-<variant>.jpg: the id is what the scope check is about, the hash
makes the address change whenever the content does, so the viewer's browser can keep it for a year.
The auth middleware skips /media/, so the resident is looked up here (session cookie, or a bearer
token for API clients). Anyone else, and anything out of scope, gets the same bare 404.
"""

from __future__ import annotations

import re

from litestar import Request, Response, Router, get
from litestar.datastructures import UploadFile
from litestar.params import FromPath

from streetshare.accounts.queries import resident_for_token
from streetshare.photos.images import VARIANTS
from streetshare.photos.queries import photo_for_viewer
from streetshare.photos.storage import PhotoStore, store_for
from streetshare.photos.service import prepare
from streetshare.photos.images import ProcessedPhoto
from streetshare.web.auth import SESSION_COOKIE
from streetshare.web.pages import settings_of

# Only the viewer's own browser may keep a photo: it is scoped to a street, never for a shared cache.
CACHE_FOREVER = "private, max-age=31536000, immutable"
_NAME = re.compile(r"^(?P<sha>[0-9a-f]{64})-(?P<variant>[a-z]+)\.jpg$")


def store_of(request: Request) -> PhotoStore:
    return store_for(settings_of(request))


def _not_found() -> Response:
    return Response(content=b"Not found", status_code=404, media_type="text/plain",
                    headers={"Cache-Control": "no-store"})


async def _viewer_id(request: Request) -> int | None:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        resident = await resident_for_token(token.strip(), "api")
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        resident = await resident_for_token(cookie, "session") if cookie else None
    return resident.id if resident else None


@get("/media/photos/{photo_id:int}/{name:str}", include_in_schema=False)
async def serve_photo(request: Request, photo_id: FromPath[int], name: FromPath[str]) -> Response:
    match = _NAME.match(name)
    if match is None or match["variant"] not in VARIANTS:
        return _not_found()
    viewer = await _viewer_id(request)
    if viewer is None:
        return _not_found()
    sha = await photo_for_viewer(photo_id, viewer)
    if sha is None or sha != match["sha"]:
        return _not_found()
    data = store_of(request).get(sha, match["variant"])
    if data is None:
        return _not_found()
    return Response(content=data, media_type="image/jpeg", headers={"Cache-Control": CACHE_FOREVER})


media_router = Router(path="/", route_handlers=[serve_photo], include_in_schema=False)


async def uploaded_photo(request: Request, field: str = "photo") -> ProcessedPhoto | None:
    """The photo in a multipart form's `field`, checked and re-encoded; None when no file was chosen.

    Raises Invalid({'photo': ...}) when the file is not a photo we take.
    """
    form = await request.form()
    upload = form.get(field)
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    data = await upload.read()
    if not data:
        return None
    return await prepare(data)


async def photo_was_chosen(request: Request, field: str = "photo") -> bool:
    """Did the form carry a file? (A form sent back with errors must ask for it again.)"""
    upload = (await request.form()).get(field)
    return isinstance(upload, UploadFile) and bool(upload.filename)
