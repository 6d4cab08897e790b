"""The field reports' hot path in front of Django (registry/field_fastpath.py), through WSGI:
accepted batches answered without Django, with Django's headers; refusals by Django, with
nothing counted."""

from __future__ import annotations

import datetime as dt
import json
from io import BytesIO

import pytest

from registry.field_fastpath import PATH, FieldReportsFastPath
from registry.field_health import version_health
from registry.field_reports import issue_ticket
from tests.factories import make_package, make_version
from tests.wsgi import call

pytestmark = pytest.mark.django_db
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def layer(django_app, cache_backend):
    return FieldReportsFastPath(django_app)


@pytest.fixture
def version():
    return make_version(make_package("fast-wallet"), "1.0.0")


def send(layer, body: bytes | str, **extra):
    data = body.encode() if isinstance(body, str) else body
    return call(
        layer,
        PATH,
        method="POST",
        CONTENT_LENGTH=str(len(data)),
        CONTENT_TYPE="text/plain",
        **{"wsgi.input": BytesIO(data)},
        **extra,
    )


def batch(version, plugin: str = "fast-wallet@1.0.0") -> str:
    ticket = issue_ticket({"fast-wallet@1.0.0": version.pk})
    return json.dumps({"ticket": ticket, "events": [{"plugin": plugin, "outcome": "mounted"}]})


def loads(version) -> int:
    return version_health([version.pk], since=EPOCH)[version.pk]["loads"]


def test_accepted_batches_are_answered_without_django_after_the_first(layer, django_app, version):
    first = send(layer, batch(version))
    second = send(layer, batch(version))
    assert first.status_code == second.status_code == 202
    assert len(django_app.calls) == 1
    assert second.json() == first.json() == {"success": True, "data": {"counted": 1}}
    # Django's headers (CORS and security included) and body, byte for byte.
    assert sorted(second.header_list) == sorted(first.header_list)
    assert second.body == first.body
    assert second.headers["access-control-allow-origin"] == "*"
    assert loads(version) == 2


def test_refusals_go_to_django_and_count_nothing(layer, django_app, version):
    send(layer, batch(version))
    forged = send(layer, batch(version, plugin="fast-wallet@9.9.9"))
    assert forged.status_code == 400
    assert forged.json()["error"]["code"] == "BAD_REQUEST"
    too_big = send(layer, "x" * 20000)
    assert too_big.status_code == 413
    not_json = send(layer, "{")
    assert not_json.status_code == 400
    assert len(django_app.calls) == 4
    assert loads(version) == 1


def test_each_host_and_scheme_is_learnt_through_django(layer, django_app, version):
    send(layer, batch(version))
    other = send(layer, batch(version), host="evil.example")
    assert other.status_code == 400  # Django's host check
    assert len(django_app.calls) == 2
    assert loads(version) == 1
