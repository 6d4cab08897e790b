"""The server-rendered SVG line chart (registry.charts.line_chart_svg): names escaped, an
accessible title and description, lines broken where a minute has no value."""

import datetime as dt

from registry.charts import line_chart_svg

MINUTES = [dt.datetime(2026, 1, 1, 10, minute, tzinfo=dt.UTC) for minute in range(4)]


def test_titles_and_series_names_are_escaped():
    svg = line_chart_svg(
        MINUTES[:1], [('<img src=x onerror="1">', [3])], title="a & <b>", ident="t"
    )
    assert "<img" not in svg and "<b>" not in svg
    assert "&lt;img src=x onerror=&quot;1&quot;&gt;" in svg
    assert '<title id="t-title">a &amp; &lt;b&gt;</title>' in svg
    assert 'role="img" aria-labelledby="t-title t-desc"' in svg
    assert '<desc id="t-desc">Per minute from 10:00 to 10:00 UTC. ' in svg


def test_a_minute_without_a_value_breaks_the_line():
    svg = line_chart_svg(
        MINUTES, [("rate", [90.0, None, 95.5, 100.0])], title="t", unit="%", peak=100
    )
    assert svg.count("<polyline") == 2
    assert svg.count("<circle") == 3
    assert "rate: latest 100%, highest 100%." in svg
    assert "rate at 10:02: 95.5%" in svg


def test_a_series_without_values_is_described_as_such():
    svg = line_chart_svg(MINUTES, [("stable 1.0.0", [None] * 4), ("c", [1, 2, 0, 4])], title="t")
    assert "stable 1.0.0: no reports; c: latest 4, highest 4." in svg
    assert svg.count("<polyline") == 1
