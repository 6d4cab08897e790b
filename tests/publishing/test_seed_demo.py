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


def test_seed_demo_rates_the_examples_as_people_who_installed_them_once(plugin_storage_in_tmp):
    from django.test import Client

    from installs.models import TenantPluginInstall
    from publishing.management.commands.seed_demo import DEMO_REVIEWS
    from registry.models import AuditEvent, PluginPackage
    from reviews.models import PluginReview

    errors = StringIO()
    call_command("seed_demo", stdout=StringIO(), stderr=errors)
    assert errors.getvalue() == ""
    reviews = PluginReview.objects.select_related("user", "package")
    assert sorted(
        (r.user.username, r.package.name, r.rating, r.comment) for r in reviews
    ) == sorted(DEMO_REVIEWS)
    # Each reviewer installed what they rated, through the install service (counted, audited).
    for review in reviews:
        assert TenantPluginInstall.objects.filter(user=review.user, package=review.package).exists()
        assert not review.user.has_usable_password()
    assert AuditEvent.objects.filter(action="plugin.install").count() == len(DEMO_REVIEWS)
    # The packages' ratings are kept by the review service.
    hello = PluginPackage.objects.get(name="hello-world")
    assert (hello.rating_count, hello.install_count) == (3, 3)
    assert float(hello.rating_average) == pytest.approx(14 / 3, abs=0.01)
    # The marketplace shows stars out of the box.
    assert "4.7 out of 5, 3 ratings" in Client().get("/").content.decode()

    # Idempotent: a second run fails on nothing and adds nothing.
    errors = StringIO()
    call_command("seed_demo", stdout=StringIO(), stderr=errors)
    assert errors.getvalue() == ""
    assert PluginReview.objects.count() == len(DEMO_REVIEWS)
    assert TenantPluginInstall.objects.count() == len(DEMO_REVIEWS)
    assert PluginPackage.objects.get(name="hello-world").rating_count == 3
    assert AuditEvent.objects.filter(action="review.create").count() == len(DEMO_REVIEWS)
