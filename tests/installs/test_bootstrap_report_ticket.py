"""The bootstrap's report ticket: the versions it serves, fresh at every build, and an ETag
that holds across builds within a ticket period and changes with the period."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from registry.field_reports import read_ticket
from registry.models import PluginVersion
from tests.installs.helpers import BOOTSTRAP, bootstrap, install

pytestmark = pytest.mark.django_db


def test_the_ticket_names_the_served_versions(api, wallet):
    install(api)
    ticket = bootstrap(api)["reportTicket"]
    version = PluginVersion.objects.get(package__name="my-wallet", version="1.0.0")
    assert read_ticket(ticket) == {"my-wallet@1.0.0": version.pk}


def test_the_etag_holds_across_builds_in_a_period_and_changes_with_it(api, wallet, monkeypatch):
    install(api)
    first = api.get(BOOTSTRAP)
    cache.clear()  # the next answer is built again, with a new ticket
    again = api.get(BOOTSTRAP, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304

    monkeypatch.setattr("installs.cache.ticket_period", lambda: 10**9)
    cache.clear()
    later = api.get(BOOTSTRAP, HTTP_IF_NONE_MATCH=first["ETag"])
    assert later.status_code == 200
    assert later["ETag"] != first["ETag"]
    assert read_ticket(later.json()["data"]["reportTicket"])
