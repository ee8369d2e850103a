"""The printable flyer's QR code: the invite link as an SVG (segno for the code, our own drawing
with a viewBox so it scales crisply to any print size), served as a data: URL for an <img>."""

from __future__ import annotations

import base64

import segno

BORDER = 4  # the quiet zone scanners need, in modules


def qr_svg(text: str) -> str:
    """An SVG of the QR code for `text`: one path of unit squares in a viewBox, black on white."""
    code = segno.make(text, error="m")
    rows = list(code.matrix_iter(scale=1, border=BORDER))
    size = len(rows)
    runs = []
    for y, row in enumerate(rows):
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#fff"/><path fill="#000" d="{"".join(runs)}"/></svg>'
    )


def qr_data_url(text: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(text).encode()).decode()


def qr_png(text: str, scale: int = 8) -> bytes:
    """The same code as a PNG (tests decode it; handy for a download too)."""
    import io

    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=scale, border=BORDER)
    return out.getvalue()
