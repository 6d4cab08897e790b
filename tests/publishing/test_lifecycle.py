"""Deprecate, yank, rollback (API and services), approve and reject."""

import pytest

from naap.errors import Conflict, Forbidden, ValidationFailed
from publishing import services
from registry.models import AuditEvent, DeploymentEvent, PluginDeployment, PluginVersion
from tests.factories import make_publisher, make_user, publish
from tests.publishing.helpers import bearer, stored_files, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_token():
    user, publisher, _token, secret = token_for()
    for version in ("1.0.0", "1.1.0", "1.2.0"):
        publish("my-wallet", version, actor=user, publisher=publisher, marker=version)
    return user, publisher, secret


def test_deprecate_by_the_owner_token_marks_the_version(client, owner_token):
    _, _, secret = owner_token
    response = client.post(
        "/api/v1/plugins/my-wallet/versions/1.0.0/deprecate",
        {"message": "Use 1.2.0, it fixes rounding."},
        content_type="application/json",
        **bearer(secret),
    )
    assert response.status_code == 200
    assert response.json()["data"]["deprecated"] is True
    version = PluginVersion.objects.get(version="1.0.0")
    assert version.deprecation_message == "Use 1.2.0, it fixes rounding."
    assert AuditEvent.objects.filter(action="version.deprecate").count() == 1


def test_deprecate_without_a_message_is_400_naming_it(client, owner_token):
    _, _, secret = owner_token
    response = client.post(
        "/api/v1/plugins/my-wallet/versions/1.0.0/deprecate",
        {},
        content_type="application/json",
        **bearer(secret),
    )
    assert response.status_code == 400
    assert "message" in response.json()["error"]["details"]["fields"]
    assert not PluginVersion.objects.filter(deprecated=True).exists()


def test_another_publishers_token_cannot_deprecate(client, owner_token):
    other_secret = token_for()[3]
    response = client.post(
        "/api/v1/plugins/my-wallet/versions/1.0.0/deprecate",
        {"message": "mine now"},
        content_type="application/json",
        **bearer(other_secret),
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"
    assert not PluginVersion.objects.filter(deprecated=True).exists()


def test_deprecate_an_unknown_version_is_404(client, owner_token):
    _, _, secret = owner_token
    response = client.post(
        "/api/v1/plugins/my-wallet/versions/9.9.9/deprecate",
        {"message": "x"},
        content_type="application/json",
        **bearer(secret),
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_yanking_the_deployed_version_falls_back_to_the_previous_one(client, owner_token):
    _, _, secret = owner_token
    response = client.post(
        "/api/v1/plugins/my-wallet/versions/1.2.0/yank",
        {"reason": "Corrupts balances"},
        content_type="application/json",
        **bearer(secret),
    )
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "yanked"
    deployment = PluginDeployment.objects.get()
    assert deployment.version.version == "1.1.0"
    event = DeploymentEvent.objects.filter(kind="rollback").get()
    assert (event.from_version.version, event.to_version.version) == ("1.2.0", "1.1.0")
    assert "Corrupts balances" in event.reason


def test_yank_without_a_reason_is_400(client, owner_token):
    _, _, secret = owner_token
    response = client.post(
        "/api/v1/plugins/my-wallet/versions/1.2.0/yank",
        {"reason": ""},
        content_type="application/json",
        **bearer(secret),
    )
    assert response.status_code == 400
    assert "reason" in response.json()["error"]["details"]["fields"]
    assert PluginVersion.objects.get(version="1.2.0").status == "published"


def test_rollback_repoints_the_deployment_and_records_events(client, owner_token):
    _, _, secret = owner_token
    response = client.post(
        "/api/v1/plugins/my-wallet/rollback",
        {"version": "1.0.0", "reason": "1.2 is slow"},
        content_type="application/json",
        **bearer(secret),
    )
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["version"] == "1.0.0"
    event = DeploymentEvent.objects.filter(kind="rollback").get()
    assert (event.from_version.version, event.to_version.version) == ("1.2.0", "1.0.0")
    assert AuditEvent.objects.filter(action="deployment.rollback").exists()
    detail = client.get("/api/v1/plugins/my-wallet/deployment").json()["data"]
    assert detail["deployment"]["version"] == "1.0.0"
    assert detail["events"][0]["kind"] == "rollback"


@pytest.mark.parametrize(
    ("target", "status", "fragment"),
    [
        ("9.9.9", 404, "No version 9.9.9"),
        ("1.2.0", 409, "already the deployed version"),
    ],
)
def test_rollback_refusals(client, owner_token, target, status, fragment):
    _, _, secret = owner_token
    response = client.post(
        "/api/v1/plugins/my-wallet/rollback",
        {"version": target},
        content_type="application/json",
        **bearer(secret),
    )
    assert response.status_code == status
    assert fragment in response.json()["error"]["message"]
    assert PluginDeployment.objects.get().version.version == "1.2.0"


def test_rollback_to_a_yanked_version_is_refused(owner_token):
    user, _, _ = owner_token
    version = PluginVersion.objects.get(version="1.0.0")
    services.yank_version(actor=user, version=version, reason="broken")
    with pytest.raises(Conflict, match="roll back only to a published"):
        services.rollback_deployment(
            actor=user, package=version.package, to_version="1.0.0", reason=""
        )


def test_after_a_rollback_the_api_moves_the_deployment_forward_again_as_a_deploy(
    client, owner_token
):
    _, _, secret = owner_token
    for target, reason in (("1.0.0", "1.2 is slow"), ("1.2.0", "the slow backend is fixed")):
        response = client.post(
            "/api/v1/plugins/my-wallet/rollback",
            {"version": target, "reason": reason},
            content_type="application/json",
            **bearer(secret),
        )
        assert response.status_code == 200, response.json()
        assert response.json()["data"]["version"] == target
    assert PluginDeployment.objects.get().version.version == "1.2.0"
    forward = DeploymentEvent.objects.first()
    assert forward.kind == "deploy"
    assert (forward.from_version.version, forward.to_version.version) == ("1.0.0", "1.2.0")
    assert forward.reason == "the slow backend is fixed"
    audit = AuditEvent.objects.get(action="deployment.deploy")
    assert audit.details == {"from": "1.0.0", "to": "1.2.0", "reason": "the slow backend is fixed"}
    detail = client.get("/api/v1/plugins/my-wallet/deployment").json()["data"]
    assert [event["kind"] for event in detail["events"][:2]] == ["deploy", "rollback"]
    manifest = client.get("/api/v1/plugins/registry/my-wallet/latest/manifest").json()
    assert manifest["version"] == "1.2.0"


def test_a_version_published_without_deploying_can_be_deployed_later(owner_token):
    user, publisher, _ = owner_token
    publish("my-wallet", "1.3.0", actor=user, publisher=publisher, marker="1.3.0", deploy=False)
    package = PluginVersion.objects.get(version="1.3.0").package
    assert PluginDeployment.objects.get().version.version == "1.2.0"
    deployment = services.rollback_deployment(actor=user, package=package, to_version="1.3.0")
    assert deployment.version.version == "1.3.0"
    assert DeploymentEvent.objects.first().kind == "deploy"


def test_moving_forward_to_a_yanked_version_is_refused(owner_token):
    user, _, _ = owner_token
    package = PluginVersion.objects.get(version="1.0.0").package
    services.rollback_deployment(actor=user, package=package, to_version="1.0.0")
    services.yank_version(
        actor=user, version=PluginVersion.objects.get(version="1.2.0"), reason="broken"
    )
    with pytest.raises(Conflict, match="roll back only to a published"):
        services.rollback_deployment(actor=user, package=package, to_version="1.2.0")
    assert PluginDeployment.objects.get().version.version == "1.0.0"


def test_anonymous_rollback_is_401(client, owner_token):
    response = client.post(
        "/api/v1/plugins/my-wallet/rollback", {"version": "1.0.0"}, content_type="application/json"
    )
    assert response.status_code == 401
    assert PluginDeployment.objects.get().version.version == "1.2.0"


def test_staff_approve_a_pending_version_which_then_deploys():
    publisher = make_publisher(owner=make_user(), verified=False)
    result = publish("my-wallet", "1.0.0", publisher=publisher, actor=publisher.members.first())
    assert result.version.status == "pending_review"
    staff = make_user(staff=True)
    services.approve_version(actor=staff, version=result.version)
    version = PluginVersion.objects.get()
    assert version.status == "published"
    assert version.reviewed_by == staff
    assert PluginDeployment.objects.get().version == version
    assert version.package.status == "published"


def test_only_staff_may_approve_or_reject():
    publisher = make_publisher(owner=make_user(), verified=False)
    result = publish("my-wallet", "1.0.0", publisher=publisher, actor=publisher.members.first())
    with pytest.raises(Forbidden):
        services.approve_version(actor=make_user(), version=result.version)
    with pytest.raises(Forbidden):
        services.reject_version(actor=make_user(), version=result.version, reason="no")


def test_rejecting_deletes_the_files_and_records_the_reason(plugin_storage_in_tmp):
    publisher = make_publisher(owner=make_user(), verified=False)
    result = publish("my-wallet", "1.0.0", publisher=publisher, actor=publisher.members.first())
    assert stored_files(plugin_storage_in_tmp)
    services.reject_version(
        actor=make_user(staff=True), version=result.version, reason="Fetches an unknown host"
    )
    version = PluginVersion.objects.get()
    assert version.status == "rejected"
    assert version.rejection_reason == "Fetches an unknown host"
    assert version.package.status == "rejected"
    assert stored_files(plugin_storage_in_tmp) == []


def test_reject_needs_a_reason():
    publisher = make_publisher(owner=make_user(), verified=False)
    result = publish("my-wallet", "1.0.0", publisher=publisher, actor=publisher.members.first())
    with pytest.raises(ValidationFailed):
        services.reject_version(actor=make_user(staff=True), version=result.version, reason=" ")
    assert PluginVersion.objects.get().status == "pending_review"
