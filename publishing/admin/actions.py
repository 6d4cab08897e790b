"""What the admin's actions share: calling a service for each selected row, asking for a
reason first, and showing a version's permissions and review findings."""

from __future__ import annotations

from functools import partial

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join

from naap.errors import NaapError
from naap.http import client_ip
from registry.cache import invalidate_package
from registry.membership import (
    LIST_PACKAGES,
    REVIEW_VERSIONS,
    REVOKE_TOKENS,
    ROLL_BACK,
    VERIFY_PUBLISHERS,
    WITHDRAW_VERSIONS,
    staff_may,
)
from registry.models import PluginPackage


def run_service(modeladmin, request, items, call, done: str) -> int:
    """Apply a service to each item; report successes and each refusal by name."""
    succeeded = 0
    for item in items:
        try:
            call(item)
        except NaapError as error:
            modeladmin.message_user(request, f"{item}: {error.message}", messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        modeladmin.message_user(request, f"{done}: {succeeded}.", messages.SUCCESS)
    return succeeded


class RetiresCachedPackage:
    """Staff saves and deletes of a package, a version or a deployment retire the package's
    cached manifests and bootstraps, as the services' writes do (docs/architecture.md)."""

    @staticmethod
    def package_name_of(row) -> str:
        return row.name if isinstance(row, PluginPackage) else row.package.name

    @staticmethod
    def package_names_in(queryset) -> set[str]:
        """The package names of the selected rows, in one query."""
        field = "name" if queryset.model is PluginPackage else "package__name"
        return set(queryset.values_list(field, flat=True))

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        invalidate_package(self.package_name_of(obj))

    def delete_model(self, request, obj) -> None:
        name = self.package_name_of(obj)
        super().delete_model(request, obj)
        invalidate_package(name)

    def delete_queryset(self, request, queryset) -> None:
        names = self.package_names_in(queryset)
        super().delete_queryset(request, queryset)
        invalidate_package(*sorted(names))


class RecordInline(admin.TabularInline):
    """Rows shown beside their parent as a record: read-only, never added or deleted here."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class TextForm(forms.Form):
    """The reason or message an action asks for."""

    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), max_length=2000)


def ask_for_text(modeladmin, request, queryset, *, action: str, label: str, call, done: str):
    """An action that needs a reason or message: ask on an intermediate page, then apply."""
    if "apply" in request.POST:
        form = TextForm(request.POST)
        if form.is_valid():
            text = form.cleaned_data["text"]
            run_service(modeladmin, request, queryset, lambda item: call(item, text), done)
            return None
    else:
        form = TextForm()
    return TemplateResponse(
        request,
        "admin/naap/text_action.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": label,
            "label": label,
            "form": form,
            "items": queryset,
            "action": action,
            "opts": modeladmin.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        },
    )


def permissions_summary(manifest: dict) -> str:
    permissions = manifest.get("permissions") or {}
    parts = [
        f"{group}: {', '.join(map(str, values))}"
        for group, values in permissions.items()
        if isinstance(values, list) and values
    ]
    return "; ".join(parts) or "none"


def findings_html(findings: list[dict]):
    if not findings:
        return "—"
    return format_html(
        "<ul class='naap-findings'>{}</ul>",
        format_html_join(
            "",
            "<li><strong>{}</strong> {}: {}</li>",
            ((f.get("severity", ""), f.get("check", ""), f.get("message", "")) for f in findings),
        ),
    )


def service_action(service, description: str, done: str, *, act: str, target: str, **fixed):
    """An admin action that calls `service` for each selected row, as the signed-in staff
    member: `service(actor=…, ip=…, <target>=row, **fixed)`; `done` names the success and
    `act` the staff permission it needs (StaffActs)."""

    @admin.action(description=description, permissions=[act])
    def action(modeladmin, request, queryset):
        run_service(
            modeladmin,
            request,
            queryset,
            lambda row: service(
                actor=request.user, ip=client_ip(request), **{target: row}, **fixed
            ),
            done,
        )

    return action


def text_action(
    service,
    description: str,
    done: str,
    *,
    act: str,
    name: str,
    target: str,
    text: str,
    label: str,
):
    """An admin action that first asks for a reason or message (`label`), then calls
    `service(actor=…, ip=…, <target>=row, <text>=what was typed)` for each selected row.

    `name` is the action's attribute name on the ModelAdmin (the confirmation page posts it).
    """

    @admin.action(description=description, permissions=[act])
    def action(modeladmin, request, queryset):
        return ask_for_text(
            modeladmin,
            request,
            queryset,
            action=name,
            label=label,
            call=lambda row, value: service(
                actor=request.user, ip=client_ip(request), **{target: row, text: value}
            ),
            done=done,
        )

    return action


# The two kinds of text a version or package action asks for.
deprecation_action = partial(
    text_action,
    name="deprecate",
    text="message",
    label="Deprecation message (what to use instead)",
)


def version_reason_action(service, description: str, done: str, *, act: str, name: str):
    """Ask staff why ("Why are they rejected?"), then call the service for each selected
    version with that reason."""
    label = f"Why are they {done.lower()}?"
    return text_action(
        service, description, done, act=act, name=name, target="version", text="reason", label=label
    )


def _holds(permission: str):
    """A has_<act>_permission method: whether the request's person is staff holding it."""

    def has_permission(self, request) -> bool:
        return staff_may(request.user, permission)

    return has_permission


class StaffActs:
    """The staff permission each act of the admin needs, for Django's admin to offer an action
    (`@admin.action(permissions=[act])`) or a page only to those who hold it. The services
    check the same permissions (registry.membership)."""

    has_review_permission = _holds(REVIEW_VERSIONS)
    has_list_permission = _holds(LIST_PACKAGES)
    has_verify_permission = _holds(VERIFY_PUBLISHERS)
    has_withdraw_permission = _holds(WITHDRAW_VERSIONS)
    has_rollback_permission = _holds(ROLL_BACK)
    has_revoke_permission = _holds(REVOKE_TOKENS)
