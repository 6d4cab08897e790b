"""The manifest's frontend: entry files, dev port, routes and the navigation entry."""

from __future__ import annotations

import re

from publishing.validation.fields import FieldChecker, json_type

# The shell's own pages: no plugin may take them over, core or not.
RESERVED_ROUTES = frozenset(
    {
        "/settings",
        "/admin",
        "/api",
        "/auth",
        "/login",
        "/signup",
        "/dashboard",
        "/onboarding",
        "/profile",
        "/notifications",
        "/cdn",
        "/plugins",
    }
)
# Paths the server answers itself, so a shell route below them could never be reached.
RESERVED_ROUTE_PREFIXES = ("/api", "/admin", "/cdn", "/auth", "/static")


class FrontendChecks(FieldChecker):
    """The checks of the manifest's frontend object, for the manifest checker to run."""

    def _check_frontend(self) -> None:
        if "frontend" not in self.manifest:
            self._error("frontend", "frontend is required: an object with routes (a list of paths)")
            return
        frontend = self.manifest["frontend"]
        if not self._expect_object("frontend", frontend):
            return
        self._optional_strings(frontend, "frontend.", ("entry", "devEntry", "styles"))
        if "devPort" in frontend:
            port = frontend["devPort"]
            if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
                self._error(
                    "frontend.devPort",
                    f"frontend.devPort must be a whole number from 1 to 65535, not {port!r}",
                )
        routes = self._check_routes(frontend)
        self._check_navigation(frontend, routes)

    def _plugin_prefix(self) -> str:
        return f"/plugins/{self.name or '<name>'}"

    def _check_routes(self, frontend: dict) -> list[str]:
        """Check frontend.routes, returning the routes that passed for the navigation check."""
        if "routes" not in frontend:
            self._error(
                "frontend.routes",
                f'frontend.routes is required: a list of paths such as ["{self._plugin_prefix()}'
                f'", "{self._plugin_prefix()}/*"], or [] for a headless plugin',
            )
            return []
        routes = frontend["routes"]
        if not isinstance(routes, list):
            self._error(
                "frontend.routes",
                f"frontend.routes must be a list of paths, not {json_type(routes)}",
            )
            return []
        if not routes:
            self.report.warnings.append(
                "frontend.routes is empty, so this is a headless plugin: the shell gives it no "
                "page and no navigation entry."
            )
            return []
        accepted = []
        seen = set()
        for index, route in enumerate(routes):
            path = f"frontend.routes[{index}]"
            if not isinstance(route, str):
                self._error(path, f"{path} must be a path string, not {json_type(route)}")
                continue
            problem = self._route_problem(route)
            if problem:
                self._error(path, f"route '{route}' {problem}")
                continue
            if route in seen:
                self.report.warnings.append(f"route '{route}' is listed more than once.")
            seen.add(route)
            accepted.append(route)
        self._warn_top_level(accepted)
        return accepted

    def _warn_top_level(self, routes: list[str]) -> None:
        own_prefix = self._plugin_prefix()
        outside = [
            route
            for route in routes
            if route != own_prefix and not route.startswith(own_prefix + "/")
        ]
        if outside and not self.is_core:
            self.report.warnings.append(
                f"route(s) {', '.join(outside)} lie outside {own_prefix}: the first version "
                "asking for them waits in the moderation queue until staff grant them to the "
                "package; later versions within the grant publish directly."
            )

    def _route_problem(self, route: str) -> str | None:
        """Why one route is refused, or None."""
        if not route.startswith("/"):
            return "must start with '/'"
        if re.search(r"\s", route):
            return "may not contain whitespace"
        if any(char in route for char in "?#\\"):
            return "must be a plain path, without '?', '#' or '\\'"
        if "//" in route:
            return "may not contain '//'"
        segments = route.split("/")[1:]
        if any(segment in (".", "..") for segment in segments) or ".." in route:
            return "may not contain '..' or '.' segments"
        if "*" in route and ("*" in route[:-1] or not route.endswith("/*")):
            return "may use '*' only as a final '/*' segment"
        if len(route) > 1 and route.endswith("/"):
            return "may not end with '/'"
        # Compare case-insensitively so /Settings cannot shadow /settings in a lenient router.
        lowered = route.lower()
        base = lowered[:-2] if lowered.endswith("/*") else lowered
        if lowered == "/*":
            return "would claim every page of the shell"
        if base in RESERVED_ROUTES:
            return f"is reserved for the shell ({base} belongs to NaaP itself)"
        for prefix in RESERVED_ROUTE_PREFIXES:
            if base == prefix or base.startswith(prefix + "/"):
                return (
                    f"is reserved: paths under {prefix} are served by the registry, not the shell"
                )
        own_prefix = self._plugin_prefix()
        under_own_prefix = route == own_prefix or route.startswith(own_prefix + "/")
        if under_own_prefix:
            return None
        if lowered.startswith("/plugins/"):
            # Even core plugins may not squat another package's namespace.
            return f"is under /plugins/ but not this package's prefix: use {own_prefix} or below"
        # A top-level route is not an error: the registry holds the version for staff review
        # until the package is granted it (registry.routes).
        return None

    def _check_navigation(self, frontend: dict, routes: list[str]) -> None:
        if "navigation" not in frontend:
            return
        navigation = frontend["navigation"]
        if not self._expect_object("frontend.navigation", navigation):
            return
        self._optional_strings(
            navigation, "frontend.navigation.", ("label", "icon", "group", "path")
        )
        order = navigation.get("order")
        if "order" in navigation and (
            isinstance(order, bool) or not isinstance(order, (int, float))
        ):
            self._error(
                "frontend.navigation.order",
                f"frontend.navigation.order must be a number, not {json_type(order)}",
            )
        if frontend.get("routes") == []:
            self.report.warnings.append(
                "frontend.navigation is ignored because the plugin has no routes."
            )
            return
        path = navigation.get("path")
        # A navigation entry that leads outside the plugin's own routes would be a dead link
        # (the shell's navigate() is limited to them), so it is an error, not a warning.
        if isinstance(path, str) and routes and not any(_route_covers(r, path) for r in routes):
            self._error(
                "frontend.navigation.path",
                f"frontend.navigation.path '{path}' is not one of the plugin's routes "
                f"({', '.join(routes)})",
            )


def _route_covers(route: str, path: str) -> bool:
    """Whether a navigation path lands on a route (exactly, or below a '/*' wildcard)."""
    if route == path:
        return True
    if route.endswith("/*"):
        base = route[:-2]
        return path == base or path.startswith(base + "/")
    return False


# NaaP's plugin.json names what its vite build writes (./frontend/dist/production/<name>.js).


def names_build_output(entry: str) -> bool:
    """Whether frontend.entry names a file a build writes (under a `dist` directory) rather than
    a source file: NaaP's plugin.json names `./frontend/dist/production/<name>.js`."""
    parts = [part for part in entry.replace("\\", "/").split("/") if part not in ("", ".")]
    return entry.endswith(".js") and "dist" in parts[:-1]
