"""Who may act for a publisher: staff, and the publisher's members (owners and maintainers).

Changing a package, publishing under a publisher, managing its tokens and seeing its
unpublished versions all follow this one rule.
"""

from __future__ import annotations

from registry.models import Publisher


def may_act_for_publisher(user, publisher: Publisher) -> bool:
    """Whether the user is signed in and is staff or a member of the publisher."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_staff or publisher.memberships.filter(user=user).exists()
