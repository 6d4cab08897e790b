"""The manifest checker: every field of a plugin.json, each problem named at its field.

The frontend's routes and navigation are checked in publishing.validation.frontend, which the
checker here builds on.
"""

from __future__ import annotations

import re
from typing import Any

from publishing.validation.fields import json_type
from publishing.validation.frontend import FrontendChecks
from publishing.validation.limits import MAX_UNKNOWN_FIELDS, SizeChecks
from publishing.validation.report import ValidationReport
from registry.config_schema import config_schema_problems
from registry.names import hidden_characters_problem, package_name_problem
from registry.origins import origin_problems
from registry.semver import InvalidVersion, is_valid, parse, parse_range, shell_bounds

# The facets of the browse page. Publishers may use any slug; others are counted as "other".
KNOWN_CATEGORIES: tuple[str, ...] = (
    "ai",
    "analytics",
    "communication",
    "developer-tools",
    "finance",
    "infrastructure",
    "media",
    "monitoring",
    "networking",
    "operations",
    "productivity",
    "security",
    "social",
    "storage",
    "other",
)

KNOWN_TOP_LEVEL_FIELDS = frozenset(
    {
        "$schema",
        "name",
        "displayName",
        "version",
        "description",
        "author",
        "repository",
        "license",
        "keywords",
        "category",
        "icon",
        "isCore",
        "shell",
        "dependencies",
        "frontend",
        "backend",
        "database",
        "integrations",
        "permissions",
        "lifecycle",
        "config",
        "rbac",
        "isolation",
    }
)
PERMISSION_GROUPS = ("shell", "apis", "external", "browser")
MAX_DISPLAY_NAME_LENGTH = 100
MAX_KEYWORDS = 20
MAX_KEYWORD_LENGTH = 50
MAX_CATEGORY_LENGTH = 50
CATEGORY_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def validate_package_name(name: Any) -> str | None:
    """Why a package name is refused, or None when it is acceptable."""
    # The rule lives in registry.names so the model, the services and this validator agree.
    return package_name_problem(name)


def facet_category(category: str | None) -> str:
    """The browse facet a category is counted under: a known category or "other"."""
    if not isinstance(category, str):
        return "other"
    normalised = category.strip().lower()
    return normalised if normalised in KNOWN_CATEGORIES else "other"


def _range_is_empty(low, high) -> bool:
    if low.version != high.version:
        return low.version > high.version
    return not (low.inclusive and high.inclusive)


def _version_problem(value: Any) -> str | None:
    """Why a value is not a SemVer version, naming the usual mistakes specifically."""
    if not isinstance(value, str):
        return f'must be a version string such as "1.2.3", not {json_type(value)}'
    if is_valid(value):
        return None
    if value[:1] in ("v", "V"):
        return (
            f"'{value}' is not a Semantic Version: drop the leading '{value[0]}' (use {value[1:]})"
        )
    core = re.split(r"[-+]", value, maxsplit=1)[0]
    numbers = core.split(".")
    if all(part.isdigit() for part in numbers) and len(numbers) != 3:
        return (
            f"'{value}' is not a Semantic Version: use three numbers MAJOR.MINOR.PATCH, e.g. 1.0.0"
        )
    if any(len(part) > 1 and part.startswith("0") and part.isdigit() for part in numbers):
        return f"'{value}' is not a Semantic Version: numbers may not have leading zeros"
    try:
        parse(value)
    except InvalidVersion as error:
        return str(error)
    return None  # pragma: no cover - is_valid and parse agree


class _ManifestChecker(FrontendChecks, SizeChecks):
    """Walks one manifest, collecting every problem into a report; never raises."""

    # The manifest, field by field.

    def check(self) -> ValidationReport:
        if not self._check_size():
            return self.report
        self._check_name()
        self._check_display_name()
        self._check_version()
        self._check_optional_top_level_fields()
        self._check_author()
        self._check_repository()
        self._check_keywords()
        self._check_category()
        self._check_is_core()
        self._check_shell()
        self._check_dependencies()
        self._check_frontend()
        self._check_permissions()
        self._check_declared_origins()
        self._check_config()
        self._check_rbac()
        self._check_unknown_fields()
        # Last, so a field's own check (with its own words) names a problem first.
        self._check_nul()
        self._check_string_lengths()
        return self.report

    def _check_name(self) -> None:
        if "name" not in self.manifest:
            self._error("name", "name is required: a lowercase package name such as my-wallet")
            return
        problem = validate_package_name(self.manifest["name"])
        if problem:
            self._error("name", problem)

    def _check_display_name(self) -> None:
        if "displayName" not in self.manifest:
            self._error("displayName", 'displayName is required: a title such as "My Wallet"')
            return
        value = self.manifest["displayName"]
        if not self._expect_string("displayName", value):
            return
        hidden = hidden_characters_problem(value, what="displayName")
        if not value.strip():
            self._error("displayName", "displayName may not be empty")
        elif hidden:
            self._error("displayName", hidden)
        elif len(value) > MAX_DISPLAY_NAME_LENGTH:
            self._error(
                "displayName",
                f"displayName is {len(value)} characters; "
                f"it may be at most {MAX_DISPLAY_NAME_LENGTH}",
            )

    def _check_version(self) -> None:
        if "version" not in self.manifest:
            self._error("version", "version is required: a Semantic Version such as 1.0.0")
            return
        problem = _version_problem(self.manifest["version"])
        if problem:
            self._error("version", f"version {problem}" if problem.startswith("must") else problem)

    def _check_optional_top_level_fields(self) -> None:
        self._optional_strings(self.manifest, "", ("$schema", "description", "license", "icon"))
        for key in ("backend", "database", "lifecycle"):
            if key in self.manifest:
                self._expect_object(key, self.manifest[key])
        if "integrations" in self.manifest and not isinstance(
            self.manifest["integrations"], (dict, list)
        ):
            self._error(
                "integrations",
                "integrations must be an object or a list, "
                f"not {json_type(self.manifest['integrations'])}",
            )
        # Isolation is either a mode name or an object of options; anything else is a mistake.
        if "isolation" in self.manifest and not isinstance(self.manifest["isolation"], (str, dict)):
            self._error(
                "isolation",
                "isolation must be a string or an object, "
                f"not {json_type(self.manifest['isolation'])}",
            )

    def _check_author(self) -> None:
        # npm and older NaaP manifests write "Name <email> (url)" as one string; both forms
        # are kept as given rather than forcing every publisher to rewrite their manifest.
        if "author" not in self.manifest:
            return
        author = self.manifest["author"]
        if isinstance(author, str):
            return
        if not isinstance(author, dict):
            self._error(
                "author",
                f"author must be an object {{name, email, url}} or a string, "
                f"not {json_type(author)}",
            )
            return
        self._optional_strings(author, "author.", ("name", "email", "url"))

    def _check_repository(self) -> None:
        if "repository" not in self.manifest:
            return
        repository = self.manifest["repository"]
        if isinstance(repository, str):
            return
        if not isinstance(repository, dict):
            self._error(
                "repository",
                "repository must be a URL string or an object with a url, "
                f"not {json_type(repository)}",
            )
            return
        if "url" not in repository:
            self._error("repository.url", "repository.url is required when repository is an object")
        else:
            self._expect_string("repository.url", repository["url"])

    def _check_keywords(self) -> None:
        if "keywords" not in self.manifest:
            return
        keywords = self.manifest["keywords"]
        if not self._expect_string_list("keywords", keywords):
            return
        if len(keywords) > MAX_KEYWORDS:
            self._error(
                "keywords", f"keywords has {len(keywords)} entries; at most {MAX_KEYWORDS} allowed"
            )
        for index, keyword in enumerate(keywords):
            if not keyword.strip():
                self._error(f"keywords[{index}]", f"keywords[{index}] may not be empty")
            elif len(keyword) > MAX_KEYWORD_LENGTH:
                self._error(
                    f"keywords[{index}]",
                    f"keywords[{index}] is {len(keyword)} characters; "
                    f"a keyword may be at most {MAX_KEYWORD_LENGTH}",
                )

    def _check_category(self) -> None:
        if "category" not in self.manifest:
            return
        category = self.manifest["category"]
        if not self._expect_string("category", category):
            return
        if not CATEGORY_PATTERN.fullmatch(category) or len(category) > MAX_CATEGORY_LENGTH:
            self._error(
                "category",
                f"category '{category}' must be a slug: lowercase letters, digits and single "
                f"hyphens, at most {MAX_CATEGORY_LENGTH} characters (e.g. developer-tools)",
            )
        elif facet_category(category) == "other" and category != "other":
            self.report.warnings.append(
                f"category '{category}' is not one of the marketplace's categories, "
                "so the browse page lists the plugin under 'other'."
            )

    def _check_is_core(self) -> None:
        if "isCore" not in self.manifest:
            return
        value = self.manifest["isCore"]
        if not isinstance(value, bool):
            self._error("isCore", f"isCore must be true or false, not {json_type(value)}")
            return
        if value and not self.is_core:
            self.report.warnings.append(
                "The manifest says isCore: true: unless staff have already made the package "
                "core, the version waits in the moderation queue, and its approval makes the "
                "package core."
            )

    def _check_shell(self) -> None:
        if "shell" not in self.manifest:
            return
        shell = self.manifest["shell"]
        if not self._expect_object("shell", shell):
            return
        ranges = {}
        for key in ("minVersion", "maxVersion"):
            if key not in shell:
                continue
            value = shell[key]
            if not isinstance(value, str):
                self._error(
                    f"shell.{key}",
                    f'shell.{key} must be a version or range such as "1.2.3", "2.x" or '
                    f'"^1.0.0", not {json_type(value)}',
                )
                continue
            try:
                parse_range(value)
            except InvalidVersion as error:
                self._error(f"shell.{key}", f"shell.{key}: {error}")
            else:
                ranges[key] = value
        if len(ranges) == 2:
            low, high = shell_bounds(minimum=ranges["minVersion"], maximum=ranges["maxVersion"])
            if low and high and _range_is_empty(low, high):
                self._error(
                    "shell.maxVersion",
                    f"shell.maxVersion {ranges['maxVersion']} ends below where "
                    f"shell.minVersion {ranges['minVersion']} starts: no shell version fits both",
                )

    def _check_dependencies(self) -> None:
        # NaaP writes both ["wallet"] and {"wallet": "^1.0.0"}; both are kept as given.
        if "dependencies" not in self.manifest:
            return
        dependencies = self.manifest["dependencies"]
        if isinstance(dependencies, dict):
            return
        if isinstance(dependencies, list):
            self._expect_strings_or_objects("dependencies", dependencies)
            return
        self._error(
            "dependencies",
            f"dependencies must be an object or a list, not {json_type(dependencies)}",
        )

    def _check_permissions(self) -> None:
        if "permissions" not in self.manifest:
            return
        permissions = self.manifest["permissions"]
        if not self._expect_object("permissions", permissions):
            return
        for group in PERMISSION_GROUPS:
            if group in permissions:
                self._expect_string_list(f"permissions.{group}", permissions[group])
        for group in permissions:
            if group not in PERMISSION_GROUPS:
                self.report.warnings.append(
                    f"unknown permission group 'permissions.{group}' is kept but ignored "
                    f"(known groups: {', '.join(PERMISSION_GROUPS)})."
                )

    def _check_declared_origins(self) -> None:
        # permissions.external and backend.url become the frame's connect-src once approved:
        # each must be one origin the browser can be told about (registry.origins).
        for path, problem in origin_problems(self.manifest).items():
            self._error(path, problem)

    def _check_config(self) -> None:
        if "config" not in self.manifest:
            return
        config = self.manifest["config"]
        if not self._expect_object("config", config) or "schema" not in config:
            return
        schema = config["schema"]
        if not self._expect_object("config.schema", schema):
            return
        # The checker the install forms and the config API use, so whatever publishes renders.
        for path, problem in config_schema_problems(schema).items():
            self._error(path, f"{path} {problem}")

    def _check_rbac(self) -> None:
        if "rbac" not in self.manifest:
            return
        rbac = self.manifest["rbac"]
        if not self._expect_object("rbac", rbac):
            return
        # NaaP uses plain strings ("gateway:read") and richer objects side by side.
        for key in ("roles", "permissions"):
            if key in rbac:
                self._expect_strings_or_objects(f"rbac.{key}", rbac[key])

    def _check_unknown_fields(self) -> None:
        unknown = [key for key in self.manifest if key not in KNOWN_TOP_LEVEL_FIELDS]
        for key in unknown[:MAX_UNKNOWN_FIELDS]:
            self.report.warnings.append(f"unknown field '{key}' is kept but ignored.")
        self._check_unknown_field_sizes(unknown)


def validate_manifest(manifest: Any, *, is_core: bool) -> ValidationReport:
    """Check a plugin.json (already parsed) and report every problem at once."""
    if not isinstance(manifest, dict):
        report = ValidationReport()
        report.add_error(
            "manifest", f"the manifest must be a JSON object {{...}}, not {json_type(manifest)}"
        )
        return report
    return _ManifestChecker(manifest, is_core=is_core).check()
