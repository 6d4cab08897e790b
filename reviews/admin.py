"""Reviews in the admin: staff read them with their history, hide abusive ones with a reason
and show them again. Staff change nothing else: the text is its author's."""

from __future__ import annotations

from django.contrib import admin

from publishing.admin.actions import RecordInline, service_action, text_action
from registry.admin import RecordAdmin
from registry.membership import staff_may
from reviews import services
from reviews.models import PluginReview, PluginReviewRevision


class RevisionInline(RecordInline):
    model = PluginReviewRevision
    fk_name = "review"
    fields = ["created_at", "kind", "actor", "rating", "comment", "reply", "reason"]
    verbose_name_plural = "History (newest first)"


@admin.register(PluginReview)
class PluginReviewAdmin(RecordAdmin):
    list_display = ["package", "user", "rating", "hidden", "has_reply", "created_at", "updated_at"]
    list_filter = ["hidden", "rating", "created_at"]
    search_fields = ["package__name", "user__username", "comment"]
    list_select_related = ["package", "user"]
    fields = [
        "package",
        "user",
        "rating",
        "comment",
        "hidden",
        "hidden_reason",
        "hidden_by",
        "hidden_at",
        "reply",
        "replied_by",
        "replied_at",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields
    inlines = [RevisionInline]
    actions = ["hide", "unhide"]

    hide = text_action(
        services.hide_review,
        "Hide the selected reviews (asks why)",
        "Hidden",
        act="hide",
        name="hide",
        target="review",
        text="reason",
        label="Why are they hidden? (kept in their history and the audit log)",
    )
    unhide = service_action(
        services.unhide_review,
        "Show the selected reviews again",
        "Shown again",
        act="hide",
        target="review",
    )

    @admin.display(boolean=True, description="Replied")
    def has_reply(self, review: PluginReview) -> bool:
        return bool(review.reply)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a deletion would skip the recount and the history: hide instead

    def has_hide_permission(self, request) -> bool:
        return staff_may(request.user, services.HIDE_REVIEWS)


@admin.register(PluginReviewRevision)
class PluginReviewRevisionAdmin(RecordAdmin):
    """Every review's history, deleted reviews' included."""

    list_display = ["created_at", "package", "author", "kind", "rating", "actor"]
    list_filter = ["kind", "created_at"]
    search_fields = ["package__name", "author__username", "comment", "reason"]
    list_select_related = ["package", "author", "actor"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
