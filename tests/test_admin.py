"""Every model's admin pages load for staff, with real rows in them."""

import pytest
from django.contrib import admin
from django.urls import reverse

from installs.models import (
    PluginStorageEntry,
    TenantPluginInstall,
    UserPluginPreference,
)
from publishing.models import ApiToken
from registry.models import (
    AuditEvent,
    DeploymentEvent,
    DownloadStat,
    PluginDeployment,
)
from tests.factories import make_package, make_team, make_user, make_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def populated():
    user = make_user("alice")
    team = make_team("ops-team", admin=user)
    package = make_package("my-wallet")
    version = make_version(package, "1.0.0", bundle_url="https://cdn.example.test/b.js")
    deployment = PluginDeployment.objects.create(package=package, version=version)
    DeploymentEvent.objects.create(deployment=deployment, kind="deploy", to_version=version)
    DownloadStat.objects.create(package=package, version=version, day="2026-11-24", count=3)
    AuditEvent.objects.create(actor=user, action="publish", target="my-wallet@1.0.0")
    TenantPluginInstall.objects.create(package=package, team=team, installed_by=user)
    UserPluginPreference.objects.create(package=package, user=user)
    PluginStorageEntry.objects.create(package=package, user=user, key="k", value={"a": 1})
    ApiToken.objects.create(
        name="ci", publisher=package.publisher, prefix="naap_abcdefg", token_hash="0" * 64
    )


@pytest.mark.parametrize(
    "model", list(admin.site._registry), ids=lambda model: model._meta.label_lower
)
def test_admin_changelist_and_change_page_load_for_a_superuser(client, rf, populated, model):
    root = make_user("root", staff=True)
    client.force_login(root)
    opts = model._meta
    changelist = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert changelist.status_code == 200
    request = rf.get("/admin/")
    request.user = root
    instance = admin.site._registry[model].get_queryset(request).first()
    if instance is not None:
        change = client.get(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[instance.pk])
        )
        assert change.status_code == 200


def test_the_audit_log_is_read_only_even_for_superusers(client, populated):
    client.force_login(make_user("root", staff=True))
    event = AuditEvent.objects.get()
    response = client.post(reverse("admin:registry_auditevent_delete", args=[event.pk]))
    assert response.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_admin_refuses_people_who_are_not_staff(client, populated):
    client.force_login(make_user("bob"))
    response = client.get(reverse("admin:registry_pluginpackage_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
