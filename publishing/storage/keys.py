"""Names and headers of stored plugin assets: content-hashed keys, hashes, types (SPEC §5)."""

from __future__ import annotations

import base64
import hashlib
import posixpath
import re

from django.conf import settings

from registry import semver
from registry.names import PACKAGE_NAME_PATTERN

# scoped_styles: the stylesheet scoped to the plugin's host (publishing/scoped_styles.py),
# derived from styles at publish time and named by its own content.
ASSET_KINDS = ("bundle", "styles", "scoped_styles", "sourcemap", "manifest")
CONTENT_TYPES = {
    "bundle": "text/javascript; charset=utf-8",
    "styles": "text/css; charset=utf-8",
    "scoped_styles": "text/css; charset=utf-8",
    "sourcemap": "application/json",
    "manifest": "application/json",
}
# manifest.json has no hash in its name, so caches must come back for it; everything else
# is named by its content and may be kept forever.
MANIFEST_CACHE_CONTROL = "public, max-age=300"
# Files of a version in review are fetched only through short-lived signed URLs, by the
# people allowed to preview it: no shared cache may keep them.
REVIEW_CACHE_CONTROL = "private, no-store"

# Published versions' files live under KEY_PREFIX, the only prefix the public CDN serves;
# files of versions waiting for review live under REVIEW_PREFIX, with the same names below it,
# and move to KEY_PREFIX when the version is approved (docs/decisions.md, "Files in review").
KEY_PREFIX = "plugins/"
REVIEW_PREFIX = "review/"
KEY_PREFIXES = (KEY_PREFIX, REVIEW_PREFIX)
# Patterns here are matched against whole strings (fullmatch): "$" accepts a trailing newline.
_SHA256_PATTERN = re.compile(r"[0-9a-f]{64}")
# The only names store_asset ever writes; the embedded CDN serves nothing else.
ASSET_KEY_PATTERN = re.compile(
    r"(?P<root>plugins|review)/(?P<name>[a-z][a-z0-9-]{1,62}[a-z0-9])/(?P<version>[0-9][0-9A-Za-z.+-]{0,63})/"
    r"(?P<filename>bundle\.(?P<bundle_hash>[0-9a-f]{8})\.js(?P<map>\.map)?"
    r"|styles\.(?P<styles_hash>[0-9a-f]{8})(?:\.scoped)?\.css|manifest\.json)"
)


def sha256_hex(content: bytes) -> str:
    """The lowercase hex sha256 of content."""
    return hashlib.sha256(content).hexdigest()


def sri_sha384(content: bytes) -> str:
    """The Subresource Integrity value of content: "sha384-<base64>"."""
    return "sha384-" + base64.b64encode(hashlib.sha384(content).digest()).decode("ascii")


def asset_key(
    *, package_name: str, version: str, kind: str, sha256: str = "", in_review: bool = False
) -> str:
    """The storage key of one file of a version; sourcemaps take the bundle's sha256.

    in_review puts it under REVIEW_PREFIX, where files wait until the version is approved.
    """
    # Callers validate names and versions first; this is the last guard before a path is built.
    if not PACKAGE_NAME_PATTERN.fullmatch(package_name):
        raise ValueError(f"not a package name: {package_name!r}")
    if not semver.is_valid(version):
        raise ValueError(f"not a SemVer version: {version!r}")
    directory = f"{REVIEW_PREFIX if in_review else KEY_PREFIX}{package_name}/{version}"
    if kind == "manifest":
        return f"{directory}/manifest.json"
    if kind not in ASSET_KINDS:
        raise ValueError(f"unknown asset kind: {kind!r}")
    if not _SHA256_PATTERN.fullmatch(sha256):
        raise ValueError(f"a {kind} key needs a lowercase hex sha256, not {sha256!r}")
    hash8 = sha256[:8]
    filename = {
        "bundle": f"bundle.{hash8}.js",
        "styles": f"styles.{hash8}.css",
        "scoped_styles": f"styles.{hash8}.scoped.css",
        "sourcemap": f"bundle.{hash8}.js.map",
    }[kind]
    return f"{directory}/{filename}"


def is_review_key(key: str) -> bool:
    """Whether key names a file of a version in review (under REVIEW_PREFIX)."""
    return key.startswith(REVIEW_PREFIX)


def published_key(key: str) -> str:
    """The public key a file in review moves to when its version is approved."""
    if not is_review_key(key):
        raise ValueError(f"not a key under {REVIEW_PREFIX}: {key!r}")
    return KEY_PREFIX + key.removeprefix(REVIEW_PREFIX)


def review_key(key: str) -> str:
    """The key under REVIEW_PREFIX of a public file (of a version that waits for review)."""
    if not key.startswith(KEY_PREFIX):
        raise ValueError(f"not a key under {KEY_PREFIX}: {key!r}")
    return REVIEW_PREFIX + key.removeprefix(KEY_PREFIX)


def content_type_for_key(key: str) -> str:
    """The Content-Type an asset is served with, from its file name."""
    if key.endswith(".js"):
        return CONTENT_TYPES["bundle"]
    if key.endswith(".css"):
        return CONTENT_TYPES["styles"]
    if key.endswith((".map", ".json")):
        return CONTENT_TYPES["manifest"]
    return "application/octet-stream"


def cache_control_for_key(key: str) -> str:
    """The Cache-Control an asset is served with: forever unless it is a manifest.json or a
    file in review."""
    if is_review_key(key):
        return REVIEW_CACHE_CONTROL
    if posixpath.basename(key) == "manifest.json":
        return MANIFEST_CACHE_CONTROL
    return settings.ASSET_CACHE_CONTROL
