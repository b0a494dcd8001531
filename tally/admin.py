from __future__ import annotations

from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tally import services
from tally.models import Recount, ReportedTally, TallySnapshot


@admin.register(ReportedTally)
class ReportedTallyAdmin(admin.ModelAdmin):
    list_display = ["source", "count", "date", "kind", "verified", "active", "entered_by", "updated_at"]
    list_filter = ["verified", "active", "kind", "date"]
    search_fields = ["source", "note", "evidence_url"]
    readonly_fields = ["entered_by", "created_at", "updated_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fields = [
        "source",
        "count",
        "date",
        "kind",
        "evidence_url",
        "note",
        "verified",
        "active",
        "entered_by",
        "created_at",
        "updated_at",
    ]

    def save_model(self, request: HttpRequest, obj: ReportedTally, form, change: bool) -> None:
        # Through the service: audited, and the headline is republished after commit.
        services.reported_tally_save(reported=obj, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: ReportedTally) -> None:
        services.reported_tally_delete(reported=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for obj in queryset:
            services.reported_tally_delete(reported=obj, actor=request.user)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Recount)
class RecountAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "expected_people",
        "found_people",
        "drift",
        "mismatched_buckets",
        "mismatched_counters",
        "repaired",
        "duration_ms",
    ]
    list_filter = ["repaired"]
    date_hierarchy = "started_at"
    actions = ["run_recount"]

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.has_perm("tally.view_recount") or request.user.has_perm("tally.change_recount")

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # "Change" on recounts means running one (the whole table is read, under the tally lock): the
        # campaign admin's role (accounts.roles) and superusers. The rows themselves stay read-only.
        return obj is None and request.user.has_perm("tally.change_recount")

    @admin.action(description=_("Run a full recount now (the selection is ignored)"), permissions=["change"])
    def run_recount(self, request: HttpRequest, queryset) -> None:
        recount = services.tally_recount()
        if recount is None:
            self.message_user(
                request, _("Another tally run is in progress; try again shortly."), messages.WARNING
            )
        elif recount.matched:
            self.message_user(request, _("Recount done: no drift."), messages.SUCCESS)
        else:
            self.message_user(
                request,
                _("Recount found a drift of %(drift)s people and repaired it.") % {"drift": recount.drift},
                messages.WARNING,
            )


@admin.register(TallySnapshot)
class TallySnapshotAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "checked_at", "total", "people", "reported"]
    date_hierarchy = "created_at"
