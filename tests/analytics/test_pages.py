"""The analytics page of a plugin (members and staff only; 404 for others), its charts and
table, the links to it, and the list of one's plugins at /me/analytics/."""

from __future__ import annotations

import re

import pytest

from registry.charts import line_chart_svg
from registry.models import PluginVersion
from tests.analytics.conftest import minute, reports
from tests.factories import make_publisher, make_user

pytestmark = pytest.mark.django_db
URL = "/plugins/wallet/analytics/"


def test_anonymous_people_are_sent_to_sign_in(client, catalog):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("who", ["stranger", "rival"])
def test_others_get_the_404_of_a_missing_page(client, catalog, who):
    user = make_user()
    if who == "rival":
        make_publisher("rivals", owner=user)
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 404
    missing = client.get("/plugins/no-such-plugin/analytics/")
    assert missing.status_code == 404
    # The same page as for a plugin that does not exist, names aside.
    assert response.content.decode().replace("wallet", "NAME") == missing.content.decode().replace(
        "no-such-plugin", "NAME"
    )


@pytest.mark.parametrize("staff", [False, True])
def test_members_and_staff_see_charts_and_the_installs_table(client, catalog, staff):
    client.force_login(make_user(staff=True) if staff else catalog.owner)
    response = client.get(URL)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert page.count('class="chart line-chart"') == 2
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg"') == 3
    # One line per version with loads: 2.0.0 and 1.1.0.
    assert len(re.findall(r'<polyline points="[^"]+" class="series line series-\d"', page)) >= 2
    table = page[page.index('id="versions-table"') : page.index("</table>")]
    rows = re.findall(r"<tr>\s*<th scope=\"row\"><code>([^<]+)</code>(.*?)</tr>", table, re.S)
    assert [version for version, _ in rows] == ["2.0.0", "1.1.0", "1.0.0"]
    cells = {version: re.findall(r"<td>([^<]*)</td>", rest) for version, rest in rows}
    assert cells["2.0.0"] == ["≈ 3", "2", "1", "20", "90.0 %", "7"]
    assert cells["1.1.0"] == ["≈ 9", "6", "3", "45", "95.6 %", "7"]
    assert cells["1.0.0"] == ["3", "2", "1", "0", "—", "2"]
    assert "rolling out <code>2.0.0</code> to 25 %" in page
    assert "16 in this window" in page


def test_the_window_comes_from_the_address_and_a_bad_one_says_so(client, catalog):
    client.force_login(catalog.owner)
    page = client.get(URL, {"days": 7}).content.decode()
    assert '<strong aria-current="page">7 days</strong>' in page
    assert "12 in this window" in page  # today's 10 and yesterday's 2
    bad = client.get(URL, {"days": "1000"})
    assert bad.status_code == 200
    text = bad.content.decode()
    assert 'role="alert"' in text and "Days must be a whole number from 1 to 90" in text
    assert '<strong aria-current="page">30 days</strong>' in text


def test_version_strings_are_escaped_in_the_charts_and_the_table(client, catalog):
    # Publishing refuses such a version; a row changed behind its back must still be inert.
    PluginVersion.objects.filter(pk=catalog.v3.pk).update(
        version='2.0.0-<script>alert(1)</script>"'
    )
    client.force_login(catalog.owner)
    page = client.get(URL).content.decode()
    assert "<script>alert(1)" not in page
    assert "2.0.0-&lt;script&gt;alert(1)&lt;/script&gt;&quot;" in page
    svg = line_chart_svg(
        [catalog.today], [('<b>"x"</b>', [100.0])], title="<t>", ident="id", unit="%", peak=100
    )
    assert "<b>" not in svg and "&lt;b&gt;&quot;x&quot;&lt;/b&gt;" in svg
    assert '<title id="id-title">&lt;t&gt;</title>' in svg


def test_a_day_without_loads_breaks_the_success_line(catalog):
    svg = line_chart_svg(
        [catalog.today] * 3,
        [("1.0.0", [50.0, None, 100.0])],
        title="t",
        peak=100,
        unit="%",
        per="day",
        tick_format="%Y-%m-%d",
    )
    assert svg.count("<polyline") == 2  # two runs, no line through the gap
    assert "1.0.0: latest 100%, highest 100%" in svg and ": 50%" in svg


def test_the_plugin_page_links_to_analytics_for_members_only(client, catalog):
    link = 'href="/plugins/wallet/analytics/"'
    client.force_login(catalog.owner)
    assert link in client.get("/plugins/wallet/").content.decode()
    client.force_login(make_user())
    assert link not in client.get("/plugins/wallet/").content.decode()


def test_the_publisher_page_links_members_to_their_analytics(client, catalog):
    client.force_login(catalog.owner)
    assert "Analytics of your plugins</a>" in client.get("/publishers/acme/").content.decode()
    client.force_login(make_user())
    assert "Analytics of your plugins" not in client.get("/publishers/acme/").content.decode()


def test_my_analytics_lists_the_plugins_of_my_publishers(client, catalog):
    from tests.factories import make_package

    make_package("rival-plugin", publisher=make_publisher("rivals"))
    client.force_login(catalog.owner)
    page = client.get("/me/analytics/").content.decode()
    assert 'href="/plugins/wallet/analytics/"' in page
    assert "rival-plugin" not in page
    client.force_login(make_user())
    empty = client.get("/me/analytics/").content.decode()
    assert "None of your publishers has a plugin yet" in empty
    client.logout()
    assert client.get("/me/analytics/").status_code == 302


def test_more_versions_than_the_chart_holds_keep_the_most_loaded(client, catalog):
    from tests.factories import make_version

    for index in range(7):
        version = make_version(catalog.package, f"3.{index}.0")
        reports(version, minute(catalog.today, 3, index), loads=100 + index, mounted=100)
    client.force_login(catalog.owner)
    page = client.get(URL).content.decode()
    loads_chart = page[page.index('id="loads-title"') : page.index("</svg>")]
    assert "3.6.0" in loads_chart and "1.1.0" not in loads_chart
    assert "for the 6 most loaded versions (3 more in the table)" in page
    # The table lists every version.
    assert "<code>1.1.0</code>" in page


def test_without_loads_the_page_says_so_instead_of_drawing_empty_charts(client, catalog):
    from registry.models import PluginVersionMinute

    PluginVersionMinute.objects.all().delete()
    client.force_login(catalog.owner)
    page = client.get(URL).content.decode()
    assert page.count("No loads reported in this window.") == 2
    assert "line-chart" not in page
    assert 'aria-labelledby="downloads-title downloads-desc"' in page
