"""Small factories for tests that need rows the publish path does not make."""

from __future__ import annotations

import itertools

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from installs.models import Team, TeamMembership
from registry.models import PluginPackage, PluginVersion, Publisher, PublisherMembership
from registry.services import refresh_latest_published

_counter = itertools.count(1)


def make_user(username: str | None = None, *, staff: bool = False, password: str = "pw"):
    """A user (staff and superuser when asked)."""
    username = username or f"user{next(_counter)}"
    user_model = get_user_model()
    if staff:
        return user_model.objects.create_superuser(username, f"{username}@example.test", password)
    return user_model.objects.create_user(username, f"{username}@example.test", password)


def make_staff(*, groups=(), view_only=False):
    """A staff member who is no superuser: only view permissions, or the named groups."""
    user = make_user()
    user.is_staff = True
    user.save()
    if view_only:
        user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    # A fresh instance: Django caches a user's permissions on the instance.
    return type(user).objects.get(pk=user.pk)


def make_publisher(name: str | None = None, *, owner=None, verified: bool = True) -> Publisher:
    """A publisher, with owner as its owner member when given."""
    name = name or f"publisher-{next(_counter)}"
    publisher = Publisher.objects.create(
        name=name, display_name=name.replace("-", " ").title(), verified=verified
    )
    if owner is not None:
        PublisherMembership.objects.create(
            publisher=publisher, user=owner, role=PublisherMembership.Role.OWNER
        )
    return publisher


def make_package(name: str | None = None, *, publisher: Publisher | None = None, **fields):
    """A package row (no files); publishing tests use the publish service instead."""
    name = name or f"plugin-{next(_counter)}"
    publisher = publisher or make_publisher()
    fields.setdefault("display_name", name.replace("-", " ").title())
    fields.setdefault("status", PluginPackage.Status.PUBLISHED)
    return PluginPackage.objects.create(name=name, publisher=publisher, **fields)


def make_version(package: PluginPackage, version: str = "1.0.0", **fields) -> PluginVersion:
    """A version row (no files)."""
    fields.setdefault("status", PluginVersion.Status.PUBLISHED)
    fields.setdefault("manifest", {"name": package.name, "version": version})
    if fields["status"] == PluginVersion.Status.PUBLISHED:
        fields.setdefault("published_at", timezone.now())
    row = PluginVersion.objects.create(package=package, version=version, **fields)
    refresh_latest_published(package)  # as the publishing services keep it
    return row


def make_team(name: str | None = None, *, admin=None, members=()) -> Team:
    """A team with an admin and members."""
    name = name or f"team-{next(_counter)}"
    team = Team.objects.create(name=name, display_name=name.title())
    if admin is not None:
        TeamMembership.objects.create(team=team, user=admin, role=TeamMembership.Role.ADMIN)
    for member in members:
        TeamMembership.objects.create(team=team, user=member, role=TeamMembership.Role.MEMBER)
    return team


def plugin_manifest(name: str = "my-wallet", version: str = "1.0.0", **overrides) -> dict:
    """A valid plugin.json for a non-core plugin."""
    manifest = {
        "name": name,
        "displayName": name.replace("-", " ").title(),
        "version": version,
        "description": f"The {name} plugin.",
        "category": "finance",
        "keywords": ["test"],
        "shell": {"minVersion": "1.0.0"},
        "frontend": {
            "entry": "bundle.js",
            "routes": [f"/plugins/{name}", f"/plugins/{name}/*"],
            "navigation": {"label": name, "icon": "Box", "order": 1},
        },
        "permissions": {"shell": ["notifications"]},
    }
    manifest.update(overrides)
    return manifest


def plugin_bundle(name: str = "my-wallet", marker: str = "") -> bytes:
    """A small real UMD-style bundle assigning the plugin's global with mount."""
    from registry.names import global_name_for

    return (
        f"var {global_name_for(name)} = (() => {{\n"
        "  function mount(container, context) {\n"
        f"    container.textContent = 'Hello from {name} {marker}';\n"
        "    return () => { container.textContent = ''; };\n"
        "  }\n"
        "  return { mount };\n"
        "})();\n"
    ).encode()


def publish(
    name: str = "my-wallet",
    version: str = "1.0.0",
    *,
    actor=None,
    publisher=None,
    verified: bool = True,
    styles: bytes | None = None,
    marker: str = "",
    deploy: bool = True,
    **manifest_overrides,
):
    """Publish through the real service (files and rows), creating a publisher if needed."""
    from publishing.services import publish_version

    if actor is None:
        actor = make_user()
    if publisher is None:
        publisher = make_publisher(owner=actor, verified=verified)
    return publish_version(
        actor=actor,
        publisher=publisher,
        manifest=plugin_manifest(name, version, **manifest_overrides),
        bundle=plugin_bundle(name, marker),
        styles=styles,
        deploy=deploy,
    )


def publish_with_candidates(
    name: str = "my-wallet", *candidates: str, actor=None, publisher=None
) -> PluginPackage:
    """`name` 1.0.0 published and deployed, then each candidate version published beside it
    without a deploy (each bundle marked with its version)."""
    first = publish(name, "1.0.0", actor=actor, publisher=publisher, marker="1.0.0")
    for number in candidates:
        publish(
            name,
            number,
            actor=first.version.published_by,
            publisher=first.package.publisher,
            marker=number,
            deploy=False,
        )
    return first.package
