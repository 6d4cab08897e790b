"""Who may act for a publisher: its members (owners and maintainers), and staff holding the
permission the act needs.

Changing a package, publishing under a publisher, managing its tokens and seeing its
unpublished versions all follow this one rule. Staff permissions are Django's: the custom ones
are declared on the models (`Meta.permissions`) and granted through the Moderators and
Operators groups (docs/decisions.md, "Staff permissions"); superusers hold every one.
"""

from __future__ import annotations

from dataclasses import dataclass

from registry.models import Publisher

# The permissions of staff acts, named once (app_label.codename).
REVIEW_VERSIONS = "registry.review_pluginversion"
LIST_PACKAGES = "registry.list_pluginpackage"
VERIFY_PUBLISHERS = "registry.verify_publisher"
WITHDRAW_VERSIONS = "registry.withdraw_pluginversion"
ROLL_BACK = "registry.rollback_plugindeployment"
REVOKE_TOKENS = "publishing.revoke_apitoken"


@dataclass(frozen=True)
class TokenReader:
    """Who reads with a publisher's API token (publishing's ApiToken.as_reader): it reads as a
    member of that publisher, for the packages the token may act on (none named: all), and
    never as the person who created the token; their staff or tester standing does not travel
    with it. Read paths take it where they took request.user (registry.visibility.reader)."""

    publisher_id: int
    package_names: frozenset[str] = frozenset()
    is_authenticated = True
    is_staff = False
    is_superuser = False

    def may_act_on(self, *, publisher_id: int, name: str) -> bool:
        if publisher_id != self.publisher_id:
            return False
        return not self.package_names or name in self.package_names

    def has_perm(self, permission: str) -> bool:
        return False


def staff_may(user, permission: str) -> bool:
    """Whether the user is signed-in, active staff holding the permission."""
    if not getattr(user, "is_authenticated", False) or not user.is_staff:
        return False
    return user.has_perm(permission)


def may_act_for_publisher(
    user, publisher: Publisher, *, staff_permission: str | None = None
) -> bool:
    """Whether the user is signed in and is a member of the publisher, or staff (holding
    staff_permission, when the act names one)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if isinstance(user, TokenReader):
        return user.publisher_id == publisher.pk
    staff = user.is_staff if staff_permission is None else staff_may(user, staff_permission)
    return staff or publisher.memberships.filter(user=user).exists()
