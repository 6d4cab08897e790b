"""Checks on a plugin's manifest, bundle and styles: one package for the CLI and the server.

Pure Python with no Django imports: the `naap-plugin` CLI runs these same checks on a
publisher's laptop before anything is uploaded, and the publish service runs them again.
Every check collects all of its problems and names the field or file at fault, so a
publisher fixes everything in one round instead of one error per attempt.

The manifest checker is in `manifest` (its frontend routes and navigation in `frontend`), the
bundle and stylesheet checks in `bundle`, the automated review findings in `findings`.
"""

from publishing.validation.bundle import (
    DEFAULT_MAX_BUNDLE_BYTES,
    MAX_STYLES_BYTES,
    check_bundle,
    check_styles,
)
from publishing.validation.findings import origin_finding, route_finding, scan_bundle
from publishing.validation.frontend import RESERVED_ROUTES
from publishing.validation.limits import MAX_MANIFEST_BYTES, MAX_MANIFEST_TEXT_BYTES
from publishing.validation.manifest import (
    KNOWN_CATEGORIES,
    facet_category,
    validate_manifest,
    validate_package_name,
)
from publishing.validation.report import ValidationReport
from registry.names import (
    MAX_PACKAGE_NAME_LENGTH,
    PACKAGE_NAME_PATTERN,
    RESERVED_PACKAGE_NAMES,
    global_name_for,
)

__all__ = [
    "DEFAULT_MAX_BUNDLE_BYTES",
    "KNOWN_CATEGORIES",
    "MAX_MANIFEST_BYTES",
    "MAX_MANIFEST_TEXT_BYTES",
    "MAX_PACKAGE_NAME_LENGTH",
    "MAX_STYLES_BYTES",
    "PACKAGE_NAME_PATTERN",
    "RESERVED_PACKAGE_NAMES",
    "RESERVED_ROUTES",
    "ValidationReport",
    "check_bundle",
    "check_styles",
    "facet_category",
    "global_name_for",
    "origin_finding",
    "route_finding",
    "scan_bundle",
    "validate_manifest",
    "validate_package_name",
]
