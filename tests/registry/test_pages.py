"""Marketplace pages: browse, plugin detail and publisher, for every kind of visitor."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from publishing import services
from registry.models import DownloadStat, PluginPackage
from tests.factories import make_publisher, make_user, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    wallet = publish("my-wallet", "1.0.0", description="Send and receive tokens")
    publish("gateway-manager", "2.1.0", category="operations", description="Run gateways")
    publish("chat-room", "0.3.0", category="social", description="Talk to your team")
    PluginPackage.objects.filter(name="my-wallet").update(downloads=50)
    return wallet


def card_names(response) -> list[str]:
    return re.findall(r'<h3><a href="/plugins/([a-z0-9-]+)/">', response.content.decode())


def test_browse_lists_cards_most_downloaded_first(client, catalog):
    response = client.get("/")
    assert response.status_code == 200
    assert card_names(response)[0] == "my-wallet"
    page = response.content.decode()
    assert "3 plugins" in page
    assert "v1.0.0" in page and "50 downloads" in page
    assert 'title="Verified publisher"' in page


def test_browse_search_and_category_use_the_same_filters_as_the_api(client, catalog):
    assert card_names(client.get("/", {"search": "gateways"})) == ["gateway-manager"]
    response = client.get("/", {"category": "social"})
    assert card_names(response) == ["chat-room"]
    page = response.content.decode()
    # Facet counts ignore the chosen category, so people can switch.
    assert re.search(r"operations <span class=\"count\">1</span>", page)
    assert re.search(r"finance <span class=\"count\">1</span>", page)


def test_browse_sort_and_pagination(client, settings):
    owner = make_user()
    publisher = make_publisher(owner=owner)
    for index in range(26):
        publish(f"plugin-{index:02d}", "1.0.0", actor=owner, publisher=publisher)
    first = client.get("/", {"sort": "name"})
    assert card_names(first)[:2] == ["plugin-00", "plugin-01"]
    assert "Page 1 of 2" in first.content.decode()
    second = client.get("/", {"sort": "name", "page": 2})
    assert card_names(second) == ["plugin-24", "plugin-25"]


def test_deprecated_plugins_show_only_when_asked_with_a_badge(client, catalog):
    PluginPackage.objects.filter(name="chat-room").update(deprecated=True)
    assert "chat-room" not in card_names(client.get("/"))
    response = client.get("/", {"includeDeprecated": "true"})
    assert "chat-room" in card_names(response)
    assert '<span class="badge warn">Deprecated</span>' in response.content.decode()


def test_browse_with_a_bad_parameter_says_so(client, catalog):
    response = client.get("/", {"sort": "random"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert card_names(response) == []


def test_detail_shows_what_people_need_before_installing(client, catalog):
    owner, publisher = catalog.version.published_by, catalog.package.publisher
    # Approved by staff before, so this version publishes without waiting for review.
    PluginPackage.objects.filter(name="my-wallet").update(
        granted_origins=["https://api.example.com"]
    )
    publish(
        "my-wallet",
        "1.1.0-beta.1",
        actor=owner,
        publisher=publisher,
        marker="b",
        permissions={
            "shell": ["notifications"],
            "external": ["https://api.example.com"],
            "browser": ["clipboard"],
        },
    )
    services.deprecate_version(actor=owner, version=catalog.version, message="Use 1.1")
    DownloadStat.objects.create(
        package=catalog.package,
        version=catalog.version,
        day=timezone.now().date() - timedelta(days=3),
        count=7,
    )
    response = client.get("/plugins/my-wallet/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Send and receive tokens" in page
    assert "<code>/plugins/my-wallet</code>" in page
    assert "Show you notifications" in page
    assert "1.1.0-beta.1" in page and "pre-release" in page
    assert "deprecated" in page
    assert "<svg" in page and "7 in total" in page
    assert "/plugins/my-wallet/1.0.0/preview/" in page
    assert "Sign in</a> to install" in page


def test_detail_of_an_unknown_or_pending_plugin_is_404_for_the_public(client):
    assert client.get("/plugins/nothing-here/").status_code == 404
    owner = make_user()
    publish(
        "waiting-room", "1.0.0", actor=owner, publisher=make_publisher(owner=owner, verified=False)
    )
    assert client.get("/plugins/waiting-room/").status_code == 404
    client.force_login(owner)
    assert client.get("/plugins/waiting-room/").status_code == 200


def test_user_text_is_escaped(client):
    publish(
        "evil-plugin",
        "1.0.0",
        description='<script>alert("x")</script><b>bold</b>',
        keywords=["<img src=x onerror=alert(1)>"],
    )
    for url in ["/", "/plugins/evil-plugin/"]:
        page = client.get(url).content.decode()
        assert '<script>alert("x")</script>' not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
        assert "<img src=x" not in page


def test_publisher_page_lists_its_plugins(client, catalog):
    publisher = catalog.package.publisher
    response = client.get(f"/publishers/{publisher.name}/")
    assert response.status_code == 200
    assert card_names(response) == ["my-wallet"]
    assert client.get("/publishers/nobody-here/").status_code == 404


def test_an_unverified_publisher_page_says_so(client):
    publisher = make_publisher("newcomer", verified=False)
    page = client.get(f"/publishers/{publisher.name}/").content.decode()
    assert "not verified yet" in page
