"""Top-level routes: which routes of a manifest lie outside its package's own prefix, whether a
package's grant covers them, and whether two packages' routes would claim the same page.

A package's routes sit under /plugins/<name> unless staff granted it top-level routes: the
first version asking for a route outside that prefix (or for core status) waits in the
moderation queue, and its approval records the grant on the package (docs/decisions.md,
"Top-level routes"). Pure functions, without Django, so the CLI's validator may use them;
the query for another package holding a route is registry.selectors.route_collision.
"""

from __future__ import annotations

from dataclasses import dataclass


def own_prefix(name: str) -> str:
    return f"/plugins/{name}"


def manifest_routes(manifest: dict) -> list[str]:
    """The string routes of a manifest's frontend, as written."""
    frontend = manifest.get("frontend") if isinstance(manifest, dict) else None
    routes = frontend.get("routes") if isinstance(frontend, dict) else None
    if not isinstance(routes, list):
        return []
    return [route for route in routes if isinstance(route, str)]


def top_level_routes(manifest: dict, *, name: str) -> list[str]:
    """The routes of a manifest outside /plugins/<name>, in the manifest's order, once each."""
    prefix = own_prefix(name)
    found: list[str] = []
    for route in manifest_routes(manifest):
        if route == prefix or route.startswith(prefix + "/") or route in found:
            continue
        found.append(route)
    return found


def _pattern(route: str) -> tuple[str, bool]:
    """A route as (base path, lowercased; whether it ends in a '/*' wildcard)."""
    lowered = route.lower()
    if lowered.endswith("/*"):
        return lowered[:-2], True
    return lowered, False


def _below(path: str, base: str) -> bool:
    return path == base or path.startswith(base + "/")


def route_within(route: str, granted: list[str]) -> bool:
    """Whether a granted route covers this one: the same route, or below a granted '/*'."""
    base, _ = _pattern(route)
    for grant in granted:
        if route.lower() == grant.lower():
            return True
        grant_base, grant_wildcard = _pattern(grant)
        if grant_wildcard and _below(base, grant_base):
            return True
    return False


def routes_overlap(first: str, second: str) -> bool:
    """Whether two routes can match the same page (the shell could not tell whose it is)."""
    first_base, first_wildcard = _pattern(first)
    second_base, second_wildcard = _pattern(second)
    if first_base == second_base:
        return True
    if first_wildcard and _below(second_base, first_base):
        return True
    return second_wildcard and _below(first_base, second_base)


@dataclass(frozen=True)
class RouteRequest:
    """What a version asks beyond its package's grant: top-level routes, core status."""

    routes: tuple[str, ...] = ()
    core: bool = False

    def __bool__(self) -> bool:
        return bool(self.routes) or self.core

    def describe(self) -> str:
        """What is asked, as a reviewer reads it."""
        parts = []
        if self.routes:
            parts.append(f"the top-level route(s) {', '.join(self.routes)}")
        if self.core:
            parts.append("core status (isCore: true)")
        return " and ".join(parts)


def route_request(manifest: dict, *, name: str, granted: list[str], is_core: bool) -> RouteRequest:
    """What a manifest asks that the package (its grant and core status) does not hold yet."""
    routes = tuple(
        route for route in top_level_routes(manifest, name=name) if not route_within(route, granted)
    )
    core = manifest.get("isCore") is True and not is_core
    return RouteRequest(routes=routes, core=core)
