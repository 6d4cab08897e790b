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


# Series colours come from the stylesheet (.chart .series-N); more series than this repeat them.
SERIES_CLASSES = 6


def line_chart_svg(
    series: list[tuple[str, list[tuple[date, float | None]]]],
    *,
    title: str,
    ident: str = "chart",
    peak: float | None = None,
    unit: str = "",
    width: int = 640,
    height: int = 200,
) -> SafeString:
    """A line chart of daily values, one line per named series (a version), with a legend.

    Every series has the same days. A day without a value (None: no loads to take a rate of)
    breaks its line instead of drawing a zero. `peak` fixes the top of the scale (1.0 for
    rates, with `unit="%"` shown as percentages); by default it is the largest value. Names
    and numbers are escaped: a series name is data (a version string)."""
    days = [day for day, _ in series[0][1]] if series else []
    values = [value for _, points in series for _, value in points if value is not None]
    top = peak if peak is not None else max(values, default=0) or 1
    left, bottom, upper = 52, 22, 10
    legend_height = 16 * len(series)
    plot_width = width - left - 4
    plot_height = height - bottom - upper - legend_height
    step = plot_width / max(len(days) - 1, 1)

    def shown(value: float, *, places: int = 1) -> str:
        return f"{value * 100:.{places}f} %" if unit == "%" else f"{value:g}"

    def y_of(value: float) -> float:
        return upper + plot_height - plot_height * min(value, top) / top

    parts = []
    for index, (name, points) in enumerate(series):
        css = f"series series-{index % SERIES_CLASSES}"
        runs: list[list[str]] = [[]]
        dots = []
        for position, (day, value) in enumerate(points):
            if value is None:
                runs.append([])
                continue
            x, y = left + position * step, y_of(value)
            runs[-1].append(f"{x:.1f},{y:.1f}")
            dots.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" class="{css}">'
                f"<title>{escape(name)}, {day.isoformat()}: {escape(shown(value))}</title></circle>"
            )
        parts += [f'<polyline points="{" ".join(run)}" class="{css}"/>' for run in runs if run]
        parts += dots
        legend_y = height - legend_height + 16 * index + 8
        parts.append(
            f'<rect x="{left}" y="{legend_y - 8}" width="10" height="10" class="{css} key"/>'
            f'<text x="{left + 16}" y="{legend_y + 1}" class="label">{escape(name)}</text>'
        )
    first = days[0].isoformat() if days else ""
    last = days[-1].isoformat() if days else ""
    summaries = []
    for name, points in series:
        known = [value for _, value in points if value is not None]
        summaries.append(
            f"{name}: {len(known)} days with data"
            + (f", from {shown(min(known))} to {shown(max(known))}" if known else "")
        )
    description = f"From {first} to {last}. " + ("; ".join(summaries) or "No data.")
    axis_y = upper + plot_height
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart line-chart" role="img" aria-labelledby="{ident}-title {ident}-desc">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(description)}</desc>'
        f'<line x1="{left}" y1="{axis_y}" x2="{width - 4}" y2="{axis_y}" class="axis"/>'
        f'<text x="{left - 4}" y="{upper + 8}" text-anchor="end" class="label">'
        f"{escape(shown(top, places=0))}</text>"
        f'<text x="{left - 4}" y="{axis_y}" text-anchor="end" class="label">0</text>'
        f'<text x="{left}" y="{axis_y + 16}" class="label">{first}</text>'
        f'<text x="{width - 4}" y="{axis_y + 16}" text-anchor="end" class="label">{last}</text>'
        + "".join(parts)
        + "</svg>"
    )
    return mark_safe(svg)
