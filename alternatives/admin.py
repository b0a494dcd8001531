"""Organisers curate the directory here: edit, translate, reorder, publish, and moderate suggestions.

Every change to an entry is kept by django-simple-history ("History" button: who, when, what changed);
publishing, unpublishing, reviewing and moderation also go to the shared audit log.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from alternatives import services
from alternatives.forms import AlternativeForm
from alternatives.models import ATTRIBUTE_NAMES, Alternative, Suggestion, SuggestionStatus


@admin.register(Alternative)
class AlternativeAdmin(SimpleHistoryAdmin):
    form = AlternativeForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "stance", "category", "published", "needs_review", "last_reviewed", "order"]
    list_display_links = ["name"]
    # Reorder straight from the list.
    list_editable = ["order"]
    list_filter = ["published", "stance", "category", "needs_review", *ATTRIBUTE_NAMES]
    search_fields = ["name", "slug", "maker", "summary_en", "summary_fr"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at", "updated_at"]
    actions = ["publish", "unpublish", "mark_reviewed"]
    history_list_display = ["stance", "published"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "maker", "website", "category"]}),
        (
            _("Texts (French falls back to English when empty)"),
            {"fields": [("summary_en", "summary_fr"), ("body_en", "body_fr")]},
        ),
        (
            _("Attributes (leave 'Unknown' until checked)"),
            {"fields": list(ATTRIBUTE_NAMES)},
        ),
        (_("Campaign's stance"), {"fields": ["stance", ("reason_en", "reason_fr")]}),
        (
            _("Review and publishing"),
            {"fields": ["needs_review", "last_reviewed", "order", "published", "created_at", "updated_at"]},
        ),
    ]

    def save_model(self, request: HttpRequest, obj: Alternative, form, change: bool) -> None:
        services.alternative_save(
            alternative=obj, actor=request.user, creating=not change, changed=list(form.changed_data)
        )

    @admin.action(description=_("Publish the selected alternatives"))
    def publish(self, request: HttpRequest, queryset: models.QuerySet[Alternative]) -> None:
        count = services.alternatives_set_published(
            alternatives=list(queryset), published=True, actor=request.user
        )
        self.message_user(
            request, ngettext("%d alternative published.", "%d alternatives published.", count) % count
        )

    @admin.action(description=_("Unpublish the selected alternatives"))
    def unpublish(self, request: HttpRequest, queryset: models.QuerySet[Alternative]) -> None:
        count = services.alternatives_set_published(
            alternatives=list(queryset), published=False, actor=request.user
        )
        self.message_user(
            request, ngettext("%d alternative unpublished.", "%d alternatives unpublished.", count) % count
        )

    @admin.action(description=_("Mark the selected alternatives as reviewed today"))
    def mark_reviewed(self, request: HttpRequest, queryset: models.QuerySet[Alternative]) -> None:
        count = services.alternatives_mark_reviewed(alternatives=list(queryset), actor=request.user)
        self.message_user(
            request,
            ngettext("%d alternative marked as reviewed.", "%d alternatives marked as reviewed.", count)
            % count,
        )


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    """The moderation queue: new suggestions first; accepting creates an unpublished draft entry."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "website", "status", "created_at", "language", "reviewed_by", "alternative"]
    list_filter = ["status", "language", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["name", "website", "reason"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "name",
        "website",
        "reason",
        "language",
        "status",
        "created_at",
        "reviewed_by",
        "reviewed_at",
        "alternative",
    ]
    fields = readonly_fields
    actions = ["accept", "reject"]

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Suggestion]:
        return super().get_queryset(request).select_related("reviewed_by", "alternative")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Accept: create an unpublished draft entry"), permissions=["change"])
    def accept(self, request: HttpRequest, queryset: models.QuerySet[Suggestion]) -> None:
        drafts = [
            d
            for s in queryset.filter(status=SuggestionStatus.NEW)
            if (d := services.suggestion_accept(suggestion=s, actor=request.user)) is not None
        ]
        self.message_user(
            request,
            ngettext(
                "%d suggestion accepted; its draft waits unpublished in Alternatives.",
                "%d suggestions accepted; their drafts wait unpublished in Alternatives.",
                len(drafts),
            )
            % len(drafts),
            messages.SUCCESS,
        )

    @admin.action(description=_("Reject the selected suggestions"), permissions=["change"])
    def reject(self, request: HttpRequest, queryset: models.QuerySet[Suggestion]) -> None:
        count = sum(services.suggestion_reject(suggestion=s, actor=request.user) for s in queryset)
        self.message_user(
            request, ngettext("%d suggestion rejected.", "%d suggestions rejected.", count) % count
        )
