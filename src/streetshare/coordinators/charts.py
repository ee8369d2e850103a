"""Server-side SVG charts: grouped bars, small enough to read at 360 px, no JavaScript.

The SVG is drawn in a 320-unit-wide viewBox and scales to its container. Colours are
presentation attributes (the CSP forbids inline styles). Each chart carries a <title> and a
<desc> that says what it shows in words; the page also gives the numbers as a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from markupsafe import Markup

WIDTH = 320
HEIGHT = 170
LEFT = 28  # room for the y-axis numbers
RIGHT = 6
TOP = 10
BOTTOM = 34  # room for the date labels
FONT = 11
MAX_LABELS = 6


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    colour: str
    values: Sequence[int]


def nice_max(value: int) -> int:
    """A round top for the y axis: 1, 2, 5, 10, 20, 50... at or above `value`."""
    if value <= 1:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def label_every(count: int, most: int = MAX_LABELS) -> int:
    """Show every nth date label so that at most `most` fit under the bars."""
    return max(1, -(-count // most))


def bar_chart(chart_id: str, title: str, description: str, labels: Sequence[str], series: Sequence[Series]) -> Markup:
    """Grouped bars, one group per label, one bar per series, with a legend above."""
    count = len(labels)
    top = nice_max(max((v for s in series for v in s.values), default=0))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    group_w = plot_w / max(count, 1)
    gap = min(6.0, group_w * 0.2)
    bar_w = max(1.0, (group_w - gap) / max(len(series), 1))
    base_y = TOP + plot_h

    parts = [
        f'<svg class="chart" id={quoteattr(chart_id)} viewBox="0 0 {WIDTH} {HEIGHT + 18}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="system-ui, sans-serif" font-size="{FONT}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    # Legend, under the date labels (so it never overlaps a bar).
    x = LEFT
    legend_y = HEIGHT + 10
    for s in series:
        parts.append(f'<rect x="{x}" y="{legend_y - 9}" width="10" height="10" fill={quoteattr(s.colour)}/>')
        parts.append(f'<text x="{x + 14}" y="{legend_y}" fill="#1d2622">{escape(s.name)}</text>')
        x += 14 + len(s.name) * 6.2 + 14
    # Gridlines and the y axis: 0, half, top.
    for value in sorted({0, top // 2 if top >= 2 else 0, top}):
        y = base_y - plot_h * value / top
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d6d0c4" stroke-width="1"/>')
        parts.append(f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" fill="#55635d">{value}</text>')
    # Bars.
    for i in range(count):
        group_x = LEFT + i * group_w + gap / 2
        for j, s in enumerate(series):
            value = s.values[i] if i < len(s.values) else 0
            h = plot_h * value / top
            if h <= 0:
                continue
            bx = group_x + j * bar_w
            parts.append(
                f'<rect x="{bx:.1f}" y="{base_y - h:.1f}" width="{max(bar_w - 1, 1):.1f}" height="{h:.1f}" '
                f'fill={quoteattr(s.colour)}><title>{escape(labels[i])}: {value} {escape(s.name.lower())}</title></rect>'
            )
    # Date labels under the bars.
    every = label_every(count)
    for i in range(0, count, every):
        cx = LEFT + i * group_w + group_w / 2
        parts.append(
            f'<text x="{cx:.1f}" y="{base_y + 15}" text-anchor="middle" fill="#55635d">{escape(labels[i])}</text>'
        )
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{base_y}" y2="{base_y}" stroke="#55635d" stroke-width="1"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def describe(series: Sequence[Series], period_words: str) -> str:
    """A sentence for screen readers: the totals of each series over the period."""
    totals = ", ".join(f"{sum(s.values)} {s.name.lower()}" for s in series)
    return f"{period_words}: {totals}."
