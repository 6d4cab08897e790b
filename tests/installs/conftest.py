"""Fixtures of the installs tests: a published wallet plugin and a signed-in person."""

from __future__ import annotations

import pytest

from tests.factories import make_user
from tests.installs.helpers import publish_plugin


@pytest.fixture
def wallet(db):
    """my-wallet 1.0.0, published, deployed, with a config schema."""
    return publish_plugin("my-wallet", "1.0.0").package


@pytest.fixture
def person(db):
    return make_user("alice")


@pytest.fixture
def api(client, person):
    """The test client signed in as `person`."""
    client.force_login(person)
    return client
