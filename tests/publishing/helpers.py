"""Shared set-up for publishing tests: tokens, multipart publishes, stored files."""

from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile

from publishing.services import create_api_token
from publishing.storage import KEY_PREFIX, list_objects
from tests.factories import make_publisher, make_user, plugin_bundle, plugin_manifest


def token_for(publisher=None, *, scopes=("publish",), packages=None, user=None, **fields):
    """A (user, publisher, token row, secret) for a publisher member."""
    user = user or make_user()
    publisher = publisher or make_publisher(owner=user)
    if not publisher.memberships.filter(user=user).exists():
        publisher.memberships.create(user=user, role="maintainer")
    token, secret = create_api_token(
        actor=user,
        publisher=publisher,
        name="ci",
        scopes=list(scopes),
        package_names=packages,
        **fields,
    )
    return user, publisher, token, secret


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def publish_form(
    name="my-wallet",
    version="1.0.0",
    *,
    manifest=None,
    bundle=None,
    styles=None,
    sourcemap=None,
    **fields,
) -> dict:
    """The multipart fields of a publish request."""
    form = {
        "manifest": json.dumps(
            manifest if manifest is not None else plugin_manifest(name, version)
        ),
        "bundle": SimpleUploadedFile(
            "bundle.js", bundle if bundle is not None else plugin_bundle(name), "text/javascript"
        ),
    }
    if styles is not None:
        form["styles"] = SimpleUploadedFile("styles.css", styles, "text/css")
    if sourcemap is not None:
        form["sourcemap"] = SimpleUploadedFile("bundle.js.map", sourcemap, "application/json")
    form.update(fields)
    return form


def stored_files(root) -> list[str]:
    """Every file under the local asset store, as keys."""
    if not root.exists():
        return []
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def stored_keys(prefix: str = KEY_PREFIX) -> list[str]:
    """Every key the configured asset backend lists under prefix, sorted."""
    return [stored.key for stored in list_objects(prefix)]
