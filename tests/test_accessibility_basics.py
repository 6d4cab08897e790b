"""Accessibility basics on every page people use: a language, one h1, a label for every
control, a main landmark, alt text on images."""

from html.parser import HTMLParser

import pytest

from tests.factories import make_publisher, make_team, make_user, publish
from webhooks.services import register_endpoint, send_test_event

pytestmark = pytest.mark.django_db


class PageAudit(HTMLParser):
    def __init__(self):
        super().__init__()
        self.lang = None
        self.h1 = 0
        self.main = 0
        self.labels_for: set[str] = set()
        self.controls: list[dict] = []
        self.images_without_alt = 0
        self.open_labels = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "main":
            self.main += 1
        elif tag == "label":
            self.open_labels += 1
            if attributes.get("for"):
                self.labels_for.add(attributes["for"])
        elif tag in {"input", "select", "textarea"}:
            if attributes.get("type") in {"hidden", "submit", "button"}:
                return
            self.controls.append({**attributes, "_wrapped": self.open_labels > 0})
        elif tag == "img" and "alt" not in attributes:
            self.images_without_alt += 1

    def handle_endtag(self, tag):
        if tag == "label":
            self.open_labels -= 1

    def unlabelled(self) -> list[dict]:
        return [
            control
            for control in self.controls
            if not control["_wrapped"]
            and control.get("id") not in self.labels_for
            and not control.get("aria-label")
        ]


@pytest.fixture
def signed_in_with_data(client, settings):
    user = make_user("alice")
    make_team("ops-team", admin=user)
    publisher = make_publisher("acme", owner=user)
    schema = {
        "type": "object",
        "properties": {
            "currency": {"type": "string", "enum": ["EUR"]},
            "compact": {"type": "boolean"},
        },
    }
    publish("my-wallet", "1.0.0", actor=user, publisher=publisher, config={"schema": schema})
    client.force_login(user)
    client.post("/plugins/my-wallet/install/", {"target": "me", "config__currency": "EUR"})
    # A webhook endpoint with a queued delivery, so its page shows its buttons and its log
    # (the host is not looked up: there may be no DNS where tests run).
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    endpoint, _ = register_endpoint(
        actor=user, publisher=publisher, url="https://hooks.example.com/", events=[]
    )
    send_test_event(actor=user, publisher=publisher, endpoint_id=endpoint.pk)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/?search=wallet",
        "/plugins/my-wallet/",
        "/publishers/acme/",
        "/me/plugins/",
        "/me/plugins/my-wallet/config/",
        "/me/tokens/",
        "/me/webhooks/",
        "/me/analytics/",
        "/plugins/my-wallet/analytics/",
        "/publishers/new/",
    ],
)
def test_pages_meet_the_basics(signed_in_with_data, url):
    response = signed_in_with_data.get(url)
    assert response.status_code == 200
    audit = PageAudit()
    audit.feed(response.content.decode())
    assert audit.lang == "en"
    assert audit.h1 == 1, f"{url} has {audit.h1} h1 elements"
    assert audit.main == 1
    assert audit.unlabelled() == [], f"{url}: controls without a label"
    assert audit.images_without_alt == 0


def test_the_sign_in_page_meets_the_basics(client):
    audit = PageAudit()
    audit.feed(client.get("/accounts/login/").content.decode())
    assert audit.h1 == 1 and audit.unlabelled() == []


def test_sign_out_is_a_post_that_ends_the_session(signed_in_with_data):
    page = signed_in_with_data.get("/").content.decode()
    assert 'action="/accounts/logout/"' in page
    response = signed_in_with_data.post("/accounts/logout/")
    assert response.status_code == 302
    assert signed_in_with_data.get("/me/plugins/").status_code == 302
