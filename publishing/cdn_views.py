"""The embedded CDN: plugin assets from the local filesystem storage under /cdn/ (SPEC §5)."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.views.decorators.http import require_safe

from naap.etags import etag_matches
from publishing.storage import (
    ASSET_KEY_PATTERN,
    AssetBackend,
    asset_backend,
    cache_control_for_key,
    content_type_for_key,
    is_review_key,
)
from publishing.storage.signing import has_valid_signature
from registry.models import PluginPackage


@require_safe
def serve_asset(request: HttpRequest, path: str) -> HttpResponse:
    """One stored plugin file, with the headers a cross-origin shell and CDNs need."""
    # The route is always mounted and the backend asked per request, so settings changes
    # (and tests) take effect at once; with S3 the bucket or its CDN serves the files.
    backend = asset_backend()
    if not backend.is_local:
        raise Http404("plugin assets are not served from this host")
    # Files of versions in review only through a temporary URL (review_assets.py); without a
    # valid signature they are as absent as files that do not exist.
    if is_review_key(path) and not has_valid_signature(path, request.GET):
        raise Http404("no such asset")
    file_path = _asset_file(backend, path)
    if _is_preview_manifest(path):
        raise Http404("no such asset")

    headers = {
        "Cache-Control": cache_control_for_key(path),
        "ETag": _etag(path, file_path),
        # The shell loads bundles with crossorigin="anonymous" and SRI from another origin (and
        # previews from an opaque one).
        "Access-Control-Allow-Origin": "*",
        "Cross-Origin-Resource-Policy": "cross-origin",
        "X-Content-Type-Options": "nosniff",
    }
    if etag_matches(request.headers.get("If-None-Match"), headers["ETag"]):
        return HttpResponseNotModified(headers=headers)
    if request.method == "HEAD":
        response = HttpResponse(content_type=content_type_for_key(path), headers=headers)
        response.headers["Content-Length"] = str(file_path.stat().st_size)
        return response
    return FileResponse(
        file_path.open("rb"), content_type=content_type_for_key(path), headers=headers
    )


def _asset_file(backend: AssetBackend, path: str) -> Path:
    # Only names store_asset writes are served: that rules out "..", ".", absolute paths,
    # backslashes and anything else that is not a plugin asset.
    if not ASSET_KEY_PATTERN.fullmatch(path):
        raise Http404("no such asset")
    try:
        file_path = backend.local_file(path)
    except SuspiciousFileOperation as error:  # a name or a symlink leading out of the store
        raise Http404("no such asset") from error
    try:
        mode = file_path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError) as error:
        raise Http404("no such asset") from error
    if not stat.S_ISREG(mode):
        raise Http404("no such asset")
    return file_path


def _is_preview_manifest(path: str) -> bool:
    """Whether the path is the public manifest.json of a preview package: its address has no
    content hash (anyone who knows the name can guess it), and a preview is seen only by its
    testers (registry.visibility), who get its manifest from the API."""
    match = ASSET_KEY_PATTERN.fullmatch(path)
    if match["root"] != "plugins" or match["filename"] != "manifest.json":
        return False
    return PluginPackage.objects.filter(name=match["name"], preview=True).exists()


def _etag(path: str, file_path: Path) -> str:
    # Content-hashed names never change content, so the hash in the name is a strong
    # validator for free; manifest.json is small enough to hash on each request.
    match = ASSET_KEY_PATTERN.fullmatch(path)
    name_hash = match["bundle_hash"] or match["styles_hash"]
    if name_hash:
        return f'"{name_hash}"'
    return f'"{hashlib.sha256(file_path.read_bytes()).hexdigest()}"'
