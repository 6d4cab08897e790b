"""Who may see a package: the one rule every read path follows for preview packages.

A preview package (`PluginPackage.preview`, upstream NaaP's `visibleToUsers: false`) is seen
only by its testers, its publisher's members and staff. To everybody else it does not exist:
every page and API route that names it answers 404, as for a name nobody holds, and no listing
shows it. No listing shows it to its testers either: a preview is unlisted, reached by its
name (its page, the API, the manifest) and in the testers' own bootstraps.

Testers are people or teams; teams belong to `installs`, which registry may not import, so
installs registers the check "does this person test this package" here when it starts
(installs.apps). Until something is registered nobody counts as a tester: the rule fails
closed.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet

from registry.membership import TokenReader, may_act_for_publisher
from registry.models import PluginPackage

TesterCheck = Callable[[object, PluginPackage], bool]
_tester_check: TesterCheck | None = None


def register_tester_check(check: TesterCheck) -> None:
    """Name the function that says whether a signed-in person tests a package."""
    global _tester_check
    _tester_check = check


def is_tester(user, package: PluginPackage) -> bool:
    """Whether the signed-in person was named a tester of the package (or is in a team that
    was)."""
    if _tester_check is None or not getattr(user, "is_authenticated", False):
        return False
    return _tester_check(user, package)


def reader(request):
    """Who reads, for the visibility rules: the signed-in person, or for a request made with
    a publisher's API token (publishing.authentication) a TokenReader of that token, whoever
    created it."""
    as_reader = getattr(getattr(request, "auth", None), "as_reader", None)
    return as_reader() if as_reader is not None else request.user


def may_see(user, package: PluginPackage) -> bool:
    """Whether the person may see the package at all: anyone, unless it is a preview; then its
    testers, its publisher's members and staff. A token (TokenReader) sees the previews of its
    own publisher that it may act on, and no other."""
    if not package.preview:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    if isinstance(user, TokenReader):
        return user.may_act_on(publisher_id=package.publisher_id, name=package.name)
    return may_act_for_publisher(user, package.publisher) or is_tester(user, package)


def without_previews(packages: QuerySet) -> QuerySet:
    """A listing's packages without the preview ones (never listed, whoever asks)."""
    return packages.filter(preview=False)
