"""The scoped stylesheet of a version published before the registry derived one at publish
time (`manage.py scope_styles`): read its stored stylesheet, scope it, store it beside it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet

from naap.errors import NaapError
from publishing import storage
from publishing.services.publish import scoped_styles_for
from registry.cache import invalidate_package
from registry.models import PluginVersion

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScopeOutcome:
    """What deriving one version's scoped stylesheet did: `status` is scoped, would-scope,
    unreadable, refused or skipped (the row changed meanwhile); `detail` says more."""

    status: str
    detail: str = ""


def versions_without_scoped_styles() -> QuerySet[PluginVersion]:
    """Versions with a stored stylesheet and no scoped one."""
    return (
        PluginVersion.objects.select_related("package")
        .exclude(styles_key="")
        .filter(scoped_styles_key="")
        .order_by("package__name", "sort_key")
    )


def derive_scoped_styles(version: PluginVersion, *, dry_run: bool = False) -> ScopeOutcome:
    """Scope the version's stored stylesheet and point the row at the result, stored under the
    same prefix as the stylesheet (review/ while the version waits for review). Running it
    again changes nothing; a row whose stylesheet moved meanwhile (an approval) is skipped and
    the file just stored is removed."""
    styles = storage.asset_backend().read(version.styles_key)
    if styles is None:
        return ScopeOutcome("unreadable", f"{version.styles_key} is not in the storage")
    try:
        scoped = scoped_styles_for(version.package.name, styles)
    except NaapError as error:
        return ScopeOutcome("refused", error.message)
    except UnicodeDecodeError:
        return ScopeOutcome("refused", "the stylesheet is not UTF-8")
    if dry_run:
        return ScopeOutcome("would-scope", f"{len(scoped)} bytes")
    stored = storage.store_asset(
        package_name=version.package.name,
        version=version.version,
        kind="scoped_styles",
        content=scoped,
        in_review=storage.is_review_key(version.styles_key),
    )
    with transaction.atomic():
        updated = PluginVersion.objects.filter(
            pk=version.pk, styles_key=version.styles_key, scoped_styles_key=""
        ).update(
            scoped_styles_key=stored.key,
            scoped_styles_url=stored.url,
            scoped_styles_integrity=stored.integrity,
        )
    if not updated:
        if stored.created:
            storage.delete_keys([stored.key])
        return ScopeOutcome("skipped", "the version changed meanwhile; run the command again")
    invalidate_package(version.package.name)
    return ScopeOutcome("scoped", stored.key)
