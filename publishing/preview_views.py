"""A version's preview page: the shell runtime mounts one version, files in review included,
for the people who may see it (docs/shell-runtime.md)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_safe

from naap.errors import NotFound
from publishing.review_assets import review_manifest
from registry import selectors
from registry.frame_csp import preview_origins, with_frame_csp
from registry.membership import may_act_for_publisher
from registry.models import PluginPackage, PluginVersion
from registry.selectors import production_manifest
from registry.shell_views import runtime_config, shell_globals_of


def _previewable_version(request: HttpRequest, name: str, version: str) -> PluginVersion:
    """A version people may preview: published (or yanked) ones for everybody, versions in
    review for the publisher's members and staff; 404 for anything else."""
    try:
        package = selectors.visible_package(name=name, user=request.user)
    except NotFound as error:
        raise Http404(error.message) from error
    found = package.versions.select_related("package").filter(version=version).first()
    if found is None:
        raise Http404(f"Plugin '{name}' has no version {version}.")
    public = found.status in {PluginVersion.Status.PUBLISHED, PluginVersion.Status.YANKED}
    if public and package.status in {PluginPackage.Status.PUBLISHED, PluginPackage.Status.UNLISTED}:
        return found
    user = request.user
    is_member = may_act_for_publisher(user, package.publisher)
    if is_member and (public or found.status == PluginVersion.Status.PENDING_REVIEW):
        return found
    raise Http404(f"Plugin '{name}' has no version {version} you may preview.")


@require_safe
def preview_page(request: HttpRequest, name: str, version: str) -> HttpResponse:
    """The marketplace's page around a version's preview, which runs in a sandboxed frame."""
    found = _previewable_version(request, name, version)
    return render(
        request,
        "shell/preview.html",
        {
            "version": found,
            "package": found.package,
            "manifest": production_manifest(found),
            "frame_url": reverse("plugin-preview-frame", args=[name, version]),
            "frame_sandbox": " ".join(settings.PLUGIN_FRAME_SANDBOX),
        },
    )


@require_safe
@never_cache
@xframe_options_sameorigin
def preview_frame(request: HttpRequest, name: str, version: str) -> HttpResponse:
    """One version mounted by the shell runtime in the sandboxed frame of preview_page, with an
    in-page stand-in for its storage. Plugin code runs here, never on the marketplace's page:
    staff previewing a version in review lend it none of their credentials."""
    found = _previewable_version(request, name, version)
    # Files in review come through temporary URLs, valid for this visitor's next hour.
    manifest = review_manifest(found)
    manifest["shellGlobals"] = shell_globals_of(found)
    response = render(
        request,
        "shell/preview_frame.html",
        {
            "version": found,
            "manifest": manifest,
            "shell_config": {**runtime_config(request), "storage": "memory"},
        },
    )
    return with_frame_csp(request, response, preview_origins(found))
