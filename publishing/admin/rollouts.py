"""Staged rollouts in the admin: the list, and a page per package with the split, both
versions' field reports per minute (SVG), the event timeline, and the Advance, Promote,
Pause, Resume and Abort buttons, which call registry.rollouts as the signed-in staff member.

Viewing needs view access to rollouts or deployments; every button needs the permission to
roll back deployments (registry.membership.ROLL_BACK): each moves who runs which version."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from naap.errors import NaapError
from naap.http import client_ip
from publishing.admin.actions import StaffActs
from registry import rollout_gates, rollouts
from registry.membership import ROLL_BACK, staff_may
from registry.models import PluginPackage, Rollout
from registry.rollout_selectors import (
    next_step,
    package_rollout,
    rollout_charts,
    rollout_timeline,
)

VIEW_DEPLOYMENTS = "registry.view_plugindeployment"

# Each button: the service it calls, the statuses it applies to, and what it did.
ACTS = {
    "advance": (rollouts.advance_rollout, {Rollout.Status.RUNNING}, "Advanced"),
    "promote": (rollouts.promote_rollout, set(Rollout.OPEN_STATUSES), "Promoted"),
    "pause": (rollouts.pause_rollout, {Rollout.Status.RUNNING}, "Paused"),
    "resume": (rollouts.resume_rollout, {Rollout.Status.PAUSED}, "Resumed"),
    "abort": (rollouts.abort_rollout, set(Rollout.OPEN_STATUSES), "Aborted"),
}


class RolloutActForm(forms.Form):
    """What a button posts: the rollout the page showed and, optionally (for Abort, required),
    why. The service bounds and requires the reason; the form only refuses absurd sizes."""

    rollout = forms.IntegerField(min_value=1)
    reason = forms.CharField(required=False, max_length=rollouts.MAX_REASON_LENGTH)


@admin.register(Rollout)
class RolloutAdmin(StaffActs, admin.ModelAdmin):
    list_display = [
        "package",
        "candidate_version",
        "stable_version",
        "status",
        "percent",
        "next_step_text",
        "created_at",
        "page_link",
    ]
    list_filter = ["status"]
    search_fields = ["package__name"]
    list_select_related = ["package", "candidate", "stable"]
    ordering = ["-created_at", "-id"]

    def has_view_permission(self, request, obj=None) -> bool:
        return (
            super().has_view_permission(request, obj)
            or staff_may(request.user, VIEW_DEPLOYMENTS)
            or staff_may(request.user, ROLL_BACK)
        )

    def has_module_permission(self, request) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request) -> bool:
        return False  # started by the deploy API and CLI (registry.rollouts.start_rollout)

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # moved only by the page's buttons, through the services

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the record of what ran where

    @admin.display(description="Candidate", ordering="candidate__sort_key")
    def candidate_version(self, rollout: Rollout) -> str:
        return rollout.candidate.version

    @admin.display(description="Stable")
    def stable_version(self, rollout: Rollout) -> str:
        return rollout.stable.version if rollout.stable else "—"

    @admin.display(description="Next step")
    def next_step_text(self, rollout: Rollout) -> str:
        return next_step(rollout)

    @admin.display(description="Page")
    def page_link(self, rollout: Rollout):
        url = reverse("admin:registry_rollout_change", args=[rollout.pk])
        return format_html('<a href="{}">Rollout page</a>', url)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "package/<int:package_id>/",
                view(self.package_view),
                name="registry_rollout_package",
            ),
            path(
                "package/<int:package_id>/<slug:act>/",
                view(require_POST(self.act_view)),
                name="registry_rollout_act",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """A rollout's own page: the same page, for that rollout (its package's latest one,
        or an earlier one from the list)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if not str(object_id).isdigit():
            raise Http404("No such rollout.")
        rollout = get_object_or_404(
            Rollout.objects.select_related("package", "candidate", "stable", "started_by"),
            pk=object_id,
        )
        return self.render_page(request, rollout.package, rollout)

    def package_view(self, request, package_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        package = get_object_or_404(PluginPackage, pk=package_id)
        return self.render_page(request, package, package_rollout(package))

    def render_page(self, request, package: PluginPackage, rollout: Rollout | None):
        may_act = self.has_rollback_permission(request)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Rollout of {package.name}",
            "opts": self.model._meta,
            "package": package,
            "rollout": rollout,
            "may_act": may_act,
            "reason_limit": rollouts.MAX_REASON_LENGTH,
        }
        if rollout is not None:
            context.update(
                charts=rollout_charts(rollout),
                timeline=rollout_timeline(rollout),
                next_step=next_step(rollout),
                stable_percent=100 - rollout.percent if rollout.is_open else None,
                buttons=[
                    act for act, (_, statuses, _) in ACTS.items() if rollout.status in statuses
                ]
                if may_act
                else [],
            )
            if rollout.status == Rollout.Status.RUNNING:
                context["verdict"] = rollout_gates.judge(rollout)
        return TemplateResponse(request, "admin/naap/rollout.html", context)

    def act_view(self, request, package_id: int, act: str):
        """One button: check the permission and that the page's rollout is still the open one,
        call the service, say what happened (or why not), and show the page again."""
        if act not in ACTS:
            raise Http404("No such rollout action.")
        if not self.has_rollback_permission(request):
            raise PermissionDenied
        package = get_object_or_404(PluginPackage, pk=package_id)
        page = reverse("admin:registry_rollout_package", args=[package.pk])
        form = RolloutActForm(request.POST)
        if not form.is_valid():
            for field, errors in form.errors.items():
                messages.error(request, f"{field}: {' '.join(errors)}")
            return HttpResponseRedirect(page)
        service, _, done = ACTS[act]
        try:
            # The service checks, under its lock, that the page's rollout is still the open one.
            rollout = service(
                actor=request.user,
                package=package,
                reason=form.cleaned_data["reason"],
                ip=client_ip(request),
                rollout_id=form.cleaned_data["rollout"],
            )
        except NaapError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                f"{done}: {package.name} {rollout.candidate.version} is "
                f"{rollout.get_status_display().lower()} at {rollout.percent} %.",
            )
        return HttpResponseRedirect(page)
