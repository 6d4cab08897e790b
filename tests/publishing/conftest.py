"""Fixtures for the publishing tests: moto's S3 server and a plugin storage on a fresh bucket."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.s3 import (
    empty_and_delete_bucket,
    plugin_storage_settings,
    running_moto_server,
    s3_client,
    unique_bucket_name,
)


@dataclass(frozen=True)
class S3Bucket:
    client: Any
    name: str
    endpoint_url: str


@pytest.fixture(scope="session")
def moto_server_url():
    """The URL of one moto S3 server shared by the whole session."""
    with running_moto_server() as url:
        yield url


@pytest.fixture
def s3_storage(moto_server_url, settings, plugin_storage_in_tmp):
    """STORAGES["plugins"] on a new, empty moto bucket; yields a boto3 client and the name."""
    # Asking for plugin_storage_in_tmp makes sure its filesystem storage is replaced, not us.
    client = s3_client(moto_server_url)
    name = unique_bucket_name()
    client.create_bucket(Bucket=name)
    settings.STORAGES = {
        **settings.STORAGES,
        "plugins": plugin_storage_settings(moto_server_url, name),
    }
    yield S3Bucket(client=client, name=name, endpoint_url=moto_server_url)
    empty_and_delete_bucket(client, name)
