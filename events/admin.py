"""Organisers' admin. Times are typed in the event's own zone; saving goes through events.services so
that the people coming hear of every change of time, place or status."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import datetime
from io import StringIO

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminSplitDateTime
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events import services
from events.models import Event, EventStatus, Rsvp, validate_timezone
from events.timezones import NonexistentLocalTime, localize
from quitgpt.audit import audit_record
from quitgpt.spreadsheet import formula_safe


class EventAdminForm(forms.ModelForm):
    """Start and end as wall-clock times in the event's time zone (what organisers know), not in UTC."""

    start_local = forms.SplitDateTimeField(
        label=_("Starts (local time)"), widget=AdminSplitDateTime, help_text=_("In the event's time zone.")
    )
    end_local = forms.SplitDateTimeField(
        label=_("Ends (local time)"), widget=AdminSplitDateTime, help_text=_("In the event's time zone.")
    )

    class Meta:
        model = Event
        fields = [
            "title", "title_fr", "slug", "description", "description_fr", "timezone", "details_to_confirm",
            "venue", "address", "city", "country", "latitude", "longitude", "organiser_contact", "capacity",
            "status", "published",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Naive wall-clock values are displayed as they are (no conversion to the admin's zone).
            self.initial["start_local"] = self.instance.local_starts_at.replace(tzinfo=None)
            self.initial["end_local"] = self.instance.local_ends_at.replace(tzinfo=None)

    def _wall_clock(self, name: str) -> datetime | None:
        value = self.cleaned_data.get(name)
        # The form field made it aware in the admin's zone; keep the wall-clock digits only.
        return timezone.make_naive(value) if value is not None and timezone.is_aware(value) else value

    def clean(self) -> dict:
        cleaned = super().clean()
        tz_name = cleaned.get("timezone")
        start, end = self._wall_clock("start_local"), self._wall_clock("end_local")
        if not tz_name or start is None or end is None:
            return cleaned
        try:
            validate_timezone(tz_name)
        except forms.ValidationError:
            return cleaned  # the model's validation reports it on the time zone field
        for field, value in (("start_local", start), ("end_local", end)):
            try:
                aware = localize(value, tz_name)
            except NonexistentLocalTime:
                self.add_error(field, _("This time does not exist in this time zone (the clocks change)."))
                continue
            setattr(self.instance, "starts_at" if field == "start_local" else "ends_at", aware)
        if not self.errors and self.instance.ends_at <= self.instance.starts_at:
            self.add_error("end_local", _("The event must end after it starts."))
        return cleaned


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    form = EventAdminForm
    list_display = [
        "title",
        "local_start",
        "city",
        "country",
        "status",
        "published",
        "capacity",
        "rsvp_count",
    ]
    list_filter = ["status", "published", "country", "details_to_confirm"]
    search_fields = ["title", "title_fr", "city", "venue", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["sequence", "created_at", "updated_at"]
    actions = ["mark_postponed", "mark_cancelled", "mark_scheduled"]
    fieldsets = [
        (None, {"fields": ["title", "title_fr", "slug", "description", "description_fr"]}),
        (_("When"), {"fields": ["timezone", "start_local", "end_local", "details_to_confirm"]}),
        (_("Where"), {"fields": ["venue", "address", "city", "country", "latitude", "longitude"]}),
        (_("Organisation"), {"fields": ["organiser_contact", "capacity", "status", "published"]}),
        (_("Record"), {"fields": ["sequence", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).with_rsvp_counts()

    @admin.display(description=_("starts (local)"), ordering="starts_at")
    def local_start(self, obj: Event) -> str:
        return obj.local_starts_at.strftime("%Y-%m-%d %H:%M %Z")

    @admin.display(description=_("confirmed / waitlist"))
    def rsvp_count(self, obj: Event) -> str:
        return f"{obj.confirmed_count} / {obj.waitlist_count}"

    def save_model(self, request: HttpRequest, obj: Event, form, change: bool) -> None:
        if change:
            services.event_update(event=obj, actor=request.user)
        else:
            services.event_create(event=obj, actor=request.user)

    def _set_status(self, request: HttpRequest, queryset: Iterable[Event], status: str) -> None:
        changed = 0
        for event in queryset:
            if event.status != status:
                event.status = status
                services.event_update(event=event, actor=request.user, reason="admin action")
                changed += 1
        self.message_user(request, _("%(n)d event(s) updated; the people coming are told.") % {"n": changed})

    @admin.action(description=_("Mark as postponed (emails the people coming)"))
    def mark_postponed(self, request: HttpRequest, queryset) -> None:
        self._set_status(request, queryset, EventStatus.POSTPONED)

    @admin.action(description=_("Mark as cancelled (emails the people coming)"))
    def mark_cancelled(self, request: HttpRequest, queryset) -> None:
        self._set_status(request, queryset, EventStatus.CANCELLED)

    @admin.action(description=_("Mark as scheduled (emails the people coming)"))
    def mark_scheduled(self, request: HttpRequest, queryset) -> None:
        self._set_status(request, queryset, EventStatus.SCHEDULED)


CSV_FIELDS = ["event", "email", "name", "status", "language", "created_at", "confirmed_at", "cancelled_at"]


def rsvps_csv(rsvps: Iterable[Rsvp]) -> str:
    out = StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    for rsvp in rsvps:
        row = [
            rsvp.event.slug,
            rsvp.email,
            rsvp.name,
            rsvp.status,
            rsvp.language,
            rsvp.created_at.isoformat(),
            rsvp.confirmed_at.isoformat() if rsvp.confirmed_at else "",
            rsvp.cancelled_at.isoformat() if rsvp.cancelled_at else "",
        ]
        writer.writerow([formula_safe(cell) for cell in row])
    return out.getvalue()


@admin.register(Rsvp)
class RsvpAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "name",
        "event",
        "status",
        "confirmed_at",
        "reminded_at",
        "language",
        "created_at",
    ]
    list_filter = ["status", "event", "language"]
    search_fields = ["email", "email_normalised", "name"]
    list_select_related = ["event"]
    date_hierarchy = "created_at"
    actions = ["export_csv", "cancel_rsvps", "erase_rsvps"]
    readonly_fields = [
        "event", "email", "email_normalised", "status", "confirmed_at", "cancelled_at", "reminded_at",
        "language", "emails_sent", "email_owed", "created_at",
    ]  # fmt: skip
    fields = [*readonly_fields, "name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # RSVPs come from people, through their own confirmation

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        # A bulk delete would skip the waitlist; "Erase the selected RSVPs" goes through the service.
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Export the selected RSVPs as CSV"))
    def export_csv(self, request: HttpRequest, queryset) -> HttpResponse:
        rows = queryset.select_related("event").order_by("event__starts_at", "created_at")
        audit_record(actor=request.user, action="events.rsvp_export", details={"count": rows.count()})
        response = HttpResponse(rsvps_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="rsvps.csv"'
        return response

    @admin.action(description=_("Cancel the selected RSVPs (frees their seats)"))
    def cancel_rsvps(self, request: HttpRequest, queryset) -> None:
        for pk in queryset.values_list("pk", flat=True):
            services.rsvp_cancel(rsvp_id=pk, actor=request.user)
        self.message_user(request, _("RSVPs cancelled."))

    @admin.action(
        description=_("Erase the selected RSVPs (a person's request: cancel, then delete)"),
        permissions=["delete"],
    )
    def erase_rsvps(self, request: HttpRequest, queryset) -> None:
        # Through the service, not the admin's bulk delete: seats are freed and the waitlist promoted
        # first, and each erasure is audited.
        erased = services.rsvp_erase(rsvps=list(queryset), actor=request.user, reason="admin action")
        self.message_user(request, _("RSVPs erased: %(count)d.") % {"count": erased})
