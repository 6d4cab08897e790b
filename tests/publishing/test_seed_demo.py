"""`make dev`'s demo data goes through the real build and publish path."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from registry.models import PluginDeployment, PluginVersion
from tests.publishing.helpers import stored_files

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_users_and_publishes_every_example_once(plugin_storage_in_tmp):
    out = StringIO()
    call_command("seed_demo", stdout=out, stderr=StringIO())
    users = get_user_model().objects
    assert users.get(username="admin").is_superuser
    assert users.get(username="demo").check_password("demo")
    published = set(PluginVersion.objects.values_list("package__name", "status"))
    assert published == {
        ("hello-world", "published"),
        ("theme-notes", "published"),
        ("react-counter", "published"),
    }
    assert PluginDeployment.objects.filter(version__isnull=False).count() == 3
    files = stored_files(plugin_storage_in_tmp)
    for version in PluginVersion.objects.all():
        assert version.bundle_key in files
    # Running it again publishes nothing new and fails on nothing.
    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
    assert PluginVersion.objects.count() == 3
    assert stored_files(plugin_storage_in_tmp) == files
