"""Photo uploads cost bounded memory in the real server process, whatever the file.

`streetshare serve --workers 1` runs on the test database; a resident uploads through the real
offer page. The worker's memory is read by the kernel, not sampled: its resident set (VmRSS) before,
its high-water mark (VmHWM, reset through /proc/<pid>/clear_refs just before the upload) and its
resident set after. So the figures are a measurement on one process, not a timing.
"""

from __future__ import annotations

import functools
import io
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest
from PIL import Image
from support.cast import ELM_STREET, make_offer, make_street, place_resident
from support.processes import Running, env_without_settings, free_port, wait_until_answers

MiB = 1024 * 1024
PEAK_BOUND = 150 * MiB  # above the worker's floor, for any one upload (and for three at once)
AFTER_BOUND = 64 * MiB  # still held above the worker's floor once an upload is answered, after all those before it
SECRET = "photo-memory-test-secret-long-enough-0123456789"
_CSRF_INPUT = re.compile(r'name="_csrf_token" value="([^"]+)"')


def _saved(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def _photo(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """A flat image with a block of another colour: compresses to almost nothing, decodes to every pixel."""
    image = Image.new(mode, size, (200, 120, 60) if mode == "RGB" else (200, 120, 60, 128))
    image.paste((30, 140, 90) if mode == "RGB" else (30, 140, 90, 255), (0, 0, size[0] // 3, size[1] // 3))
    return image


def _with_noise(image: Image.Image, rows: int) -> Image.Image:
    """Random pixels in the top `rows`: what makes a real photo's file big (about 9 MB here, near the 10 MB limit)."""
    noise = Image.frombytes(image.mode, (image.width, rows), os.urandom(image.width * rows * len(image.mode)))
    image.paste(noise, (0, 0))
    return image


# What an attacker or an unlucky resident may send, and what it should get (303: kept, 422: refused):
# the reported PNG bomb and its kind, and for each accepted kind a file at the edge of what is decoded.
FILES = {
    "png_7000x7000": (422, lambda: _saved(_photo((7000, 7000)), "PNG")),
    "png_30000x30000_header": (422, lambda: _png_claiming(30_000, 30_000)),
    "png_4300x4300_rgba_9mb": (303, lambda: _saved(_with_noise(_photo((4300, 4300), "RGBA"), 520), "PNG")),
    "png_4300x4300_palette": (303, lambda: _saved(_photo((4300, 4300)).convert("P"), "PNG")),
    "jpeg_50mp_phone_9mb": (303, lambda: _saved(_with_noise(_photo((8160, 6120)), 800), "JPEG", quality=95)),
    "jpeg_60mp": (422, lambda: _saved(_photo((9000, 6700)), "JPEG", quality=85)),
    "jpeg_progressive_24mp": (303, lambda: _saved(_photo((5600, 4200)), "JPEG", quality=85, progressive=True)),
    "jpeg_progressive_444_10mp": (303, lambda: _saved(_photo((3700, 2775)), "JPEG", quality=85, progressive=True,
                                                       subsampling=0)),
    "jpeg_progressive_50mp": (422, lambda: _saved(_photo((8160, 6120)), "JPEG", quality=85, progressive=True)),
    "jpeg_progressive_panorama": (303, lambda: _saved(_photo((14500, 1800)), "JPEG", quality=85, progressive=True)),
    "webp_2000x2000": (303, lambda: _saved(_photo((2000, 2000)), "WEBP", quality=80)),
    "webp_7000x7000": (422, lambda: _saved(_photo((7000, 7000)), "WEBP", quality=80)),
    "webp_2000x2000_animated": (303, lambda: _animated_webp((2000, 2000))),
    "webp_7000x7000_animated": (422, lambda: _animated_webp((7000, 7000))),
}


@functools.cache
def _made(kind: str) -> bytes:
    """The file for `kind`, made once per run (some take seconds to encode)."""
    return FILES[kind][1]()


def _animated_webp(size: tuple[int, int]) -> bytes:
    frames = [_photo(size, "RGBA"), Image.new("RGBA", size, (0, 0, 0, 0))]
    return _saved(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100, lossless=False)


def _png_claiming(width: int, height: int) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (1 + 3 * width) * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


@dataclass
class Server:
    process: Running
    base_url: str
    floor: int = 0  # the worker's resident set once it has handled an ordinary photo (its lowest seen)

    @property
    def worker(self) -> psutil.Process:
        """The one granian worker process that runs the app."""
        workers = [p for p in psutil.Process(self.process.proc.pid).children(recursive=True) if p.is_running()]
        assert len(workers) == 1, workers
        return workers[0]


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory) -> Iterator[Server]:
    """One server for every measurement (a start costs seconds). What one upload kept can't hide what
    the next costs: each measurement's peak is taken above the lower of its own before and after, and
    each asserts that it kept little."""
    port = free_port()
    env = env_without_settings(DATABASE_URL=database_url, SECRET_KEY=SECRET,
                               STREETSHARE_DATA_DIR=str(tmp_path_factory.mktemp("photo-memory")),
                               STREETSHARE_EMBEDDED_WORKER="false", BASE_URL=f"http://127.0.0.1:{port}")
    process = Running(["serve", "--port", str(port), "--workers", "1"], env, terminal=False)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(f"{base_url}/healthz", timeout=60)
        yield Server(process, base_url)
    finally:
        process.stop()


def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in bytes."""
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            figures[key] = int(value.split()[0]) * 1024
    return figures


@dataclass
class Measured:
    baseline: int  # resident set before the upload
    peak: int  # the high-water mark during it
    after: int  # resident set once it was answered
    floor: int  # the worker's resident set after its first ordinary photo, before any of these
    statuses: list[int]

    @property
    def rise(self) -> int:
        """How far the peak rose above the worker's floor: memory the previous request left for the
        allocator to reuse may be handed back during this one, so the floor is the lower of before and after."""
        return self.peak - min(self.baseline, self.after)

    @property
    def kept(self) -> int:
        """What the worker still holds above its floor: the uploads measured before this one (on the same
        server) count too, so memory kept by any of them and never given back would add up here."""
        return self.after - self.floor

    def __str__(self) -> str:
        return (f"statuses {self.statuses}: before {self.baseline / MiB:.0f} MiB, peak {self.rise / MiB:+.0f} MiB"
                f" above the floor, after {self.after / MiB:.0f} MiB ({self.kept / MiB:+.0f} MiB over the worker's floor)")


class Uploader:
    """A signed-in resident's browser: uploads photos to their own offers through the offer page."""

    def __init__(self, base_url: str, email: str, password: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=120)
        token = _CSRF_INPUT.search(self.http.get("/signin").text).group(1)
        signed_in = self.http.post("/signin", data={"email": email, "password": password, "_csrf_token": token})
        assert signed_in.status_code == 303, signed_in.text

    def upload(self, offer_id: int, data: bytes) -> int:
        page = self.http.get(f"/offers/{offer_id}")
        token = _CSRF_INPUT.search(page.text).group(1)
        response = self.http.post(f"/offers/{offer_id}/photos", data={"_csrf_token": token},
                                  files={"photo": ("photo", data, "application/octet-stream")})
        return response.status_code


def measure(server: Server, uploader: Uploader, offers: list[int], files: list[bytes]) -> Measured:
    """Upload `files` at once (one per offer); the worker's memory before, at its peak, and after."""
    pid = server.worker.pid
    time.sleep(0.5)
    baseline = _status(pid)["VmRSS"]
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current resident set
    statuses: list[int] = [0] * len(files)

    def send(i: int) -> None:
        statuses[i] = uploader.upload(offers[i], files[i])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(files))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    time.sleep(0.5)
    figures = _status(pid)
    return Measured(baseline, figures["VmHWM"], figures["VmRSS"], server.floor, statuses)


@pytest.fixture
async def uploads(server, alice):
    """alice, signed in on the real server, with four offers of her own. The server's first test sends one
    ordinary photo first, so that every baseline is a worker that has handled photos before."""
    await place_resident(alice, await make_street("Elm Street", ELM_STREET))
    offers = [await make_offer(alice, title=f"Ladder {n}") for n in range(4)]
    uploader = Uploader(server.base_url, alice.email, alice.password)
    if not server.floor:
        assert uploader.upload(offers[3], _saved(_photo((4032, 3024)), "JPEG", quality=85)) == 303
        time.sleep(0.5)
        server.floor = _status(server.worker.pid)["VmRSS"]
    yield uploader, offers[:3]
    uploader.http.close()


@pytest.mark.parametrize("kind", FILES)
def test_one_upload_of_any_image_costs_the_server_bounded_memory_and_gives_it_back(server, uploads, kind):
    uploader, offers = uploads
    expected, _ = FILES[kind]
    data = _made(kind)

    measured = measure(server, uploader, offers, [data])

    print(f"\n{kind} ({len(data) // 1024} KB): {measured}")
    assert measured.statuses == [expected]
    assert measured.rise < PEAK_BOUND, str(measured)
    assert measured.kept < AFTER_BOUND, str(measured)


@pytest.mark.parametrize("kind", ["png_7000x7000", "png_4300x4300_rgba_9mb", "jpeg_progressive_24mp"])
def test_three_uploads_at_once_cost_no_more_than_one(server, uploads, kind):
    uploader, offers = uploads
    expected, _ = FILES[kind]
    data = _made(kind)

    measured = measure(server, uploader, offers, [data] * 3)

    print(f"\n3 x {kind} ({len(data) // 1024} KB): {measured}")
    assert measured.statuses == [expected] * 3
    assert measured.rise < PEAK_BOUND, str(measured)
    assert measured.kept < AFTER_BOUND, str(measured)
