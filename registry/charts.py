"""Small server-rendered SVG charts: readable without JavaScript, no chart library."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def daily_series(counts: dict[date, int], *, days: int, today: date) -> list[tuple[date, int]]:
    """One (day, count) per day of the last `days` days, zero where nothing was counted."""
    start = today - timedelta(days=days - 1)
    return [
        (start + timedelta(days=offset), counts.get(start + timedelta(days=offset), 0))
        for offset in range(days)
    ]


def bar_chart_svg(
    points: list[tuple[date, int]],
    *,
    title: str,
    ident: str = "chart",
    width: int = 640,
    height: int = 160,
) -> SafeString:
    """A bar chart of daily counts, with a title and description for screen readers and a
    <title> on each bar so hovering shows the day's number."""
    total = sum(count for _, count in points)
    peak = max((count for _, count in points), default=0) or 1
    left, bottom, top = 36, 22, 10
    plot_width, plot_height = width - left - 4, height - bottom - top
    bar_width = plot_width / max(len(points), 1)
    bars = []
    for index, (day, count) in enumerate(points):
        bar_height = plot_height * count / peak
        x = left + index * bar_width
        y = top + plot_height - bar_height
        bars.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(bar_width - 1, 1):.1f}" '
            f'height="{bar_height:.1f}" class="bar"><title>{day.isoformat()}: {count}</title>'
            "</rect>"
        )
    first = points[0][0].isoformat() if points else ""
    last = points[-1][0].isoformat() if points else ""
    busiest = peak if total else 0
    description = f"{total} in total from {first} to {last}; the busiest day had {busiest}."
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart" role="img" aria-labelledby="{ident}-title {ident}-desc">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(description)}</desc>'
        f'<line x1="{left}" y1="{top + plot_height}" x2="{width - 4}" y2="{top + plot_height}" '
        'class="axis"/>'
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" class="label">{busiest}</text>'
        f'<text x="{left - 4}" y="{top + plot_height}" text-anchor="end" class="label">0</text>'
        f'<text x="{left}" y="{height - 6}" class="label">{first}</text>'
        f'<text x="{width - 4}" y="{height - 6}" text-anchor="end" class="label">{last}</text>'
        + "".join(bars)
        + "</svg>"
    )
    return mark_safe(svg)
