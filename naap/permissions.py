"""DRF permissions shared by the apps' APIs."""

from __future__ import annotations

from rest_framework.permissions import BasePermission


class SessionOnly(BasePermission):
    """Refuses requests authenticated by an API token: the view is for signed-in people.

    Session authentication leaves `request.auth` empty; a bearer token fills it with the
    token. The view may word the refusal in `token_refusal_message` (a 403, FORBIDDEN).
    """

    message = "Sign in to do this; API tokens cannot."

    def has_permission(self, request, view) -> bool:
        """Whether the request was authenticated without a token (or not at all)."""
        if request.auth is None:
            return True
        # DRF makes a permission object per request, so setting the message here is safe.
        self.message = getattr(view, "token_refusal_message", self.message)
        return False
