"""Small server-rendered SVG charts (daily bars, per-minute lines): readable without
JavaScript, no chart library."""

from __future__ import annotations

from datetime import date, datetime, timedelta

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


# Series colours come from the stylesheets (.series-N); more series than this repeat them.
SERIES_CLASSES = 6


def _format(value: float, unit: str) -> str:
    number = f"{value:.1f}".removesuffix(".0") if isinstance(value, float) else str(value)
    return f"{number}{unit}"


def line_chart_svg(
    ticks: list[datetime] | list[date],
    series: list[tuple[str, list[float | None]]],
    *,
    title: str,
    ident: str = "chart",
    unit: str = "",
    peak: float | None = None,
    per: str = "minute",
    tick_format: str = "%H:%M",
    width: int = 640,
    height: int = 160,
) -> SafeString:
    """A line chart of values per minute (or per day: `per="day"`, `tick_format="%Y-%m-%d"`),
    one line per named series (None: no value at that tick, the line breaks), with a title and
    a description for screen readers, a legend, and a <title> on each point so hovering shows
    its number. `peak` fixes the top of the scale (100 for percentages); otherwise the largest
    value sets it. Names are escaped: a series name is data (a version string)."""
    values = [value for _, points in series for value in points if value is not None]
    top_value = peak if peak is not None else (max(values, default=0) or 1)
    legend_height = 16 * len(series)
    height += legend_height
    left, bottom, top = 52, 22 + legend_height, 10
    plot_width, plot_height = width - left - 8, height - bottom - top
    step = plot_width / max(len(ticks) - 1, 1)

    def position(index: int, value: float) -> tuple[float, float]:
        share = min(value, top_value) / top_value
        return left + index * step, top + plot_height * (1 - share)

    shapes, legend, described = [], [], []
    for number, (name, points) in enumerate(series):
        css = f"series-{number % SERIES_CLASSES}"
        runs, run = [], []
        for index, value in enumerate(points):
            if value is None:
                if run:
                    runs.append(run)
                run = []
                continue
            x, y = position(index, value)
            run.append(f"{x:.1f},{y:.1f}")
            label = f"{name} at {ticks[index]:{tick_format}}: {_format(value, unit)}"
            shapes.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" class="series point {css}">'
                f"<title>{escape(label)}</title></circle>"
            )
        if run:
            runs.append(run)
        shapes[:0] = [
            f'<polyline points="{" ".join(run)}" class="series line {css}"/>' for run in runs
        ]
        legend_y = height - legend_height + 16 * number + 4
        legend.append(
            f'<rect x="{left}" y="{legend_y - 8}" width="10" height="10" '
            f'class="series key legend {css}"/>'
            f'<text x="{left + 16}" y="{legend_y + 1}" class="label">{escape(name)}</text>'
        )
        present = [value for value in points if value is not None]
        if present:
            latest, highest = _format(present[-1], unit), _format(max(present), unit)
            described.append(f"{name}: latest {latest}, highest {highest}")
        else:
            described.append(f"{name}: no reports")
    first = f"{ticks[0]:{tick_format}}" if ticks else ""
    last = f"{ticks[-1]:{tick_format}}" if ticks else ""
    description = (
        f"Per {per} from {first} to {last} UTC. " + ("; ".join(described) or "No data") + "."
    )
    axis_y = top + plot_height
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart line-chart" role="img" aria-labelledby="{ident}-title {ident}-desc">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(description)}</desc>'
        f'<line x1="{left}" y1="{axis_y}" x2="{width - 8}" y2="{axis_y}" class="axis"/>'
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" class="label">'
        f"{escape(_format(top_value, unit))}</text>"
        f'<text x="{left - 4}" y="{axis_y}" text-anchor="end" class="label">0</text>'
        f'<text x="{left}" y="{axis_y + 16}" class="label">{first}</text>'
        f'<text x="{width - 8}" y="{axis_y + 16}" text-anchor="end" class="label">{last}</text>'
        + "".join(legend)
        + "".join(shapes)
        + "</svg>"
    )
    return mark_safe(svg)


# A five-pointed star in a 20 by 20 box, drawn five times side by side.
STAR_PATH = "M10 1.5l2.6 5.5 6 .7-4.5 4.1 1.2 5.9L10 14.8l-5.3 2.9 1.2-5.9L1.4 7.7l6-.7z"


def rating_label(average: float | None, count: int) -> str:
    """How stars read aloud: "4.3 out of 5, 12 ratings", or "No ratings yet"."""
    if not count or average is None:
        return "No ratings yet"
    return f"{average:.1f} out of 5, {count} rating{'' if count == 1 else 's'}"


def stars_svg(average: float | None, count: int, *, ident: str) -> SafeString:
    """Five stars filled up to the average (to a tenth), labelled for screen readers with
    rating_label; `ident` makes the clip path's id unique on the page."""
    label = rating_label(average, count)
    filled = 0.0 if average is None else max(0.0, min(5.0, average)) * 20
    clip = f"stars-{escape(ident)}"
    stars = "".join(
        f'<path transform="translate({index * 20} 0)" d="{STAR_PATH}"/>' for index in range(5)
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 20" class="stars" '
        f'role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>'
        f'<clipPath id="{clip}"><rect width="{filled:.0f}" height="20"/></clipPath>'
        f'<g class="star-empty">{stars}</g>'
        f'<g class="star-full" clip-path="url(#{clip})">{stars}</g>'
        "</svg>"
    )
    return mark_safe(svg)


def rating_bars_svg(distribution: list[int], *, title: str, ident: str = "ratings") -> SafeString:
    """Horizontal bars of how many rated 5 down to 1 stars, with a title, a description and
    a <title> per bar for screen readers."""
    counts = (list(distribution) + [0] * 5)[:5]
    total = sum(counts) or 0
    peak = max(counts) or 1
    width, row, left, right = 320, 22, 40, 44
    plot = width - left - right
    bars = []
    for position, stars in enumerate(range(5, 0, -1)):
        count = counts[stars - 1]
        y = position * row
        share = f"{round(100 * count / total)} %" if total else "0 %"
        bars.append(
            f'<text x="{left - 6}" y="{y + 15}" text-anchor="end" class="label">{stars} ★</text>'
            f'<rect x="{left}" y="{y + 4}" width="{plot}" height="14" class="track"/>'
            f'<rect x="{left}" y="{y + 4}" width="{plot * count / peak:.1f}" height="14" '
            f'class="bar"><title>{stars} star{"" if stars == 1 else "s"}: {count} ({share})'
            "</title></rect>"
            f'<text x="{width - right + 6}" y="{y + 15}" class="label">{count}</text>'
        )
    description = ", ".join(f"{stars} stars: {counts[stars - 1]}" for stars in range(5, 0, -1))
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {5 * row}" '
        f'class="chart rating-bars" role="img" aria-labelledby="{ident}-title {ident}-desc">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(description)}.</desc>' + "".join(bars) + "</svg>"
    )
    return mark_safe(svg)
