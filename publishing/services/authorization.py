"""Who may change what: owner tokens, publisher members and staff."""

from __future__ import annotations

from naap.errors import BadRequest, Forbidden, NotFound
from publishing.models import ApiToken
from publishing.tokens import require_package_allowed, require_scope
from registry.membership import may_act_for_publisher, staff_may
from registry.models import PluginPackage, Publisher
from registry.visibility import may_see


def authorize_package_change(
    *,
    actor,
    token: ApiToken | None,
    package: PluginPackage,
    scope: str = "publish",
    staff_permission: str | None = None,
    hide_previews: bool = True,
) -> None:
    """Owner token or publisher member (session), or staff (holding staff_permission when the
    change names one), may change a package. A preview package those refused may not see is
    a missing name to them (registry.visibility), unless `hide_previews` is False (a publish
    of a taken name says it is taken)."""
    if token is not None:
        # The publisher first: another publisher's token learns nothing of a preview, not even
        # that its own scope falls short.
        if token.publisher_id != package.publisher_id:
            if hide_previews and package.preview:
                raise NotFound(f"No plugin named '{package.name}'.")
            raise Forbidden(
                f"'{package.name}' belongs to publisher '{package.publisher.name}', "
                f"not to '{token.publisher.name}' whose token this is."
            )
        require_scope(token, scope)
        require_package_allowed(token, package.name)
        return
    if may_act_for_publisher(actor, package.publisher, staff_permission=staff_permission):
        return
    if getattr(actor, "is_staff", False):  # staff without the permission the change names
        require_staff(actor, "change this package", permission=staff_permission)
    if hide_previews and not may_see(actor, package):
        raise NotFound(f"No plugin named '{package.name}'.")
    raise Forbidden(f"Only members of '{package.publisher.name}' or staff may change it.")


def authorize_package_read(*, actor, token: ApiToken | None, package: PluginPackage) -> None:
    """Who may read a package's deployment status and events: a token of its publisher with
    any scope (and allowed this package), a member of its publisher, or staff. A preview
    package those refused may not see is a missing name to them (registry.visibility)."""
    if token is not None:
        if token.publisher_id != package.publisher_id:
            if package.preview:
                raise NotFound(f"No plugin named '{package.name}'.")
            raise Forbidden(
                f"'{package.name}' belongs to publisher '{package.publisher.name}', "
                f"not to '{token.publisher.name}' whose token this is."
            )
        require_package_allowed(token, package.name)
        return
    if not may_act_for_publisher(actor, package.publisher):
        if not may_see(actor, package):
            raise NotFound(f"No plugin named '{package.name}'.")
        raise Forbidden(f"Only members of '{package.publisher.name}' or staff may see this.")


def hide_unseen_preview(*, actor, token: ApiToken | None, package: PluginPackage) -> None:
    """NotFound, as for a missing name, when the package is a preview the caller may not see:
    a token sees only its own publisher's previews; a person as registry.visibility says."""
    if not package.preview:
        return
    if token is not None:
        seen = token.publisher_id == package.publisher_id
    else:
        seen = may_see(actor, package)
    if not seen:
        raise NotFound(f"No plugin named '{package.name}'.")


def publisher_for_publish(
    *,
    actor,
    token: ApiToken | None,
    publisher: Publisher | None,
    package: PluginPackage | None,
    name: str,
) -> Publisher:
    """The publisher a publish of `name` goes under, once the actor may publish it there."""
    if package is not None:
        authorize_package_change(actor=actor, token=token, package=package, hide_previews=False)
        return package.publisher
    # A new name: the first publish claims it for the token's (or given) publisher.
    if token is not None:
        require_scope(token, "publish")
        require_package_allowed(token, name)
        return token.publisher
    if publisher is None:
        raise BadRequest("Name the publisher to publish a new package under.", field="publisher")
    if not may_act_for_publisher(actor, publisher):
        raise Forbidden(f"Only members of '{publisher.name}' may publish under it.")
    return publisher


def require_staff(actor, what: str, *, permission: str) -> None:
    """Forbidden unless the actor is staff holding the permission; `what` completes
    "Only staff may …"."""
    if not getattr(actor, "is_staff", False):
        raise Forbidden(f"Only staff may {what}.")
    if not staff_may(actor, permission):
        raise Forbidden(f"Your staff account lacks the permission to {what} ({permission}).")
