"""Organisers' tools. Pledges are read-only here: every change goes through a service, which keeps the
tally consistent and records who did what and why in the audit log."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from pledges import selectors, services
from pledges.forms import InvalidationForm
from pledges.models import (
    BlockedAddress,
    BlockedDomain,
    BlockedNetwork,
    Pledge,
    PledgeSettings,
    PledgeStatus,
    ReferralVisit,
    Supporter,
)
from quitgpt.audit import audit_record
from quitgpt.emails import clean_address, normalise_email
from quitgpt.models import AuditEntry
from quitgpt.spreadsheet import formula_safe

# The person's details live on the supporter (one row per person); the CSV keeps its columns.
PERSON_FIELDS = (
    "first_name",
    "country",
    "message",
    "message_approved",
    "wall_consent",
    "updates_consent",
    "language",
)

CSV_FIELDS = [
    "id",
    "created_at",
    "confirmed_at",
    "status",
    "kind",
    "email",
    "first_name",
    "country",
    "message",
    "message_approved",
    "wall_consent",
    "updates_consent",
    "language",
    "referral_code",
    "share_code",
    "suspicious",
]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(queryset: QuerySet[Pledge]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_FIELDS)
    for pledge in queryset.select_related("supporter").order_by("pk").iterator(chunk_size=2000):
        yield writer.writerow(
            [
                formula_safe(getattr(pledge.supporter if name in PERSON_FIELDS else pledge, name))
                for name in CSV_FIELDS
            ]
        )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


def _moderation_action(
    service: Callable[..., int], name: str, description: str, *, reason_required: bool = True
) -> Callable:
    """An admin action that asks for the reason on an intermediate page, then calls the service."""

    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Pledge]):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        form.fields["reason"].required = reason_required
        if "apply" in request.POST and form.is_valid():
            done = service(pledges=list(queryset), actor=request.user, reason=form.cleaned_data["reason"])
            modeladmin.message_user(
                request, _("%(action)s: %(count)d pledge(s).") % {"action": description, "count": done}
            )
            return None
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": description,
            "opts": modeladmin.model._meta,
            "queryset": queryset[:200],
            "count": queryset.count(),
            "form": form,
            "action": name,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "selected": queryset.values_list("pk", flat=True),
        }
        return TemplateResponse(request, "admin/pledges/pledge/action_reason.html", context)

    action.__name__ = name
    return admin.action(description=description)(action)


@admin.register(Pledge)
class PledgeAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "email",
        "supporter__first_name",
        "kind",
        "status",
        "suspicious",
        "supporter__country",
        "supporter__wall_consent",
        "supporter__message_approved",
        "created_at",
        "confirmed_at",
    ]
    list_select_related = ["supporter"]
    list_filter = [
        "status",
        "kind",
        "suspicious",
        "supporter__wall_consent",
        "supporter__message_approved",
        ("created_at", admin.DateFieldListFilter),
        ("confirmed_at", admin.DateFieldListFilter),
        "supporter__country",
    ]
    search_fields = ["email", "email_normalised", "supporter__first_name", "=share_code", "=ip_hash"]
    date_hierarchy = "created_at"
    list_per_page = 100
    show_full_result_count = False
    actions = [
        _moderation_action(
            services.pledge_approve_wall, "approve_wall", _("Approve for the wall"), reason_required=False
        ),
        _moderation_action(services.pledge_hide_wall, "hide_wall", _("Hide from the wall")),
        _moderation_action(services.pledge_mark_spam, "mark_spam", _("Mark as spam")),
        _moderation_action(services.pledge_mark_duplicate, "mark_duplicate", _("Remove as duplicates")),
        _moderation_action(services.pledge_clear_suspicion, "clear_suspicion", _("Clear suspicion")),
        _moderation_action(services.pledge_restore, "restore", _("Restore (undo spam or withdrawal)")),
        "export_confirmed_csv",
        "export_all_csv",
    ]
    change_list_template = "admin/pledges/pledge/change_list.html"
    fields = [
        "status",
        "kind",
        "email",
        "email_normalised",
        "person_first_name",
        "person_country",
        "person_message",
        "person_message_approved",
        "person_wall_consent",
        "person_updates_consent",
        "person_language",
        "suspicious",
        "ip_hash",
        "referral_code",
        "share_code",
        "supporter",
        "emails_sent",
        "email_owed",
        "created_at",
        "requested_at",
        "confirmed_at",
        "withdrawn_at",
        "audit_trail",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Pledge | None = None) -> bool:
        return False

    # The person's details, shown on each of their pledges (they are the supporter's, one per person).
    @admin.display(description=_("first name"))
    def person_first_name(self, obj: Pledge) -> str:
        return obj.supporter.first_name

    @admin.display(description=_("country"))
    def person_country(self, obj: Pledge) -> str:
        return str(obj.supporter.country.name or "")

    @admin.display(description=_("message"))
    def person_message(self, obj: Pledge) -> str:
        return obj.supporter.message

    @admin.display(description=_("message approved"), boolean=True)
    def person_message_approved(self, obj: Pledge) -> bool:
        return obj.supporter.message_approved

    @admin.display(description=_("wall consent"), boolean=True)
    def person_wall_consent(self, obj: Pledge) -> bool:
        return obj.supporter.wall_consent

    @admin.display(description=_("updates consent"), boolean=True)
    def person_updates_consent(self, obj: Pledge) -> bool:
        return obj.supporter.updates_consent

    @admin.display(description=_("language"))
    def person_language(self, obj: Pledge) -> str:
        return obj.supporter.language

    @admin.display(description=_("Audit trail"))
    def audit_trail(self, obj: Pledge) -> str:
        entries = AuditEntry.objects.filter(target_type="pledges.pledge", target_id=str(obj.pk))[:50]
        if not entries:
            return "-"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} · {} · {} · {}</li>",
                ((f"{e.created_at:%Y-%m-%d %H:%M}", e.actor_label, e.action, e.reason) for e in entries),
            ),
        )

    def _export(self, request: HttpRequest, queryset: QuerySet[Pledge], scope: str) -> StreamingHttpResponse:
        audit_record(actor=request.user, action="pledges.export_csv", details={"scope": scope})
        response = StreamingHttpResponse(csv_rows(queryset), content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="pledges-{scope}-{stamp}.csv"'
        return response

    @admin.action(description=_("Export as CSV (confirmed only)"))
    def export_confirmed_csv(self, request: HttpRequest, queryset: QuerySet[Pledge]) -> StreamingHttpResponse:
        return self._export(request, queryset.filter(status=PledgeStatus.CONFIRMED), "confirmed")

    @admin.action(description=_("Export as CSV (all statuses)"))
    def export_all_csv(self, request: HttpRequest, queryset: QuerySet[Pledge]) -> StreamingHttpResponse:
        return self._export(request, queryset, "all")

    def get_urls(self) -> list:
        return [
            path(
                "invalidate/",
                self.admin_site.admin_view(self.invalidate_view),
                name="pledges_pledge_invalidate",
            ),
            *super().get_urls(),
        ]

    def invalidate_view(self, request: HttpRequest) -> HttpResponse:
        """Bulk invalidation by domain, IP hash or dates: a preview count first, then a recorded reason."""
        if not self.has_view_permission(request) or not request.user.has_perm("pledges.change_pledge"):
            return HttpResponse(status=403)
        form = InvalidationForm(request.POST or None)
        preview = None
        if request.method == "POST" and form.is_valid():
            criteria = {k: form.cleaned_data[k] for k in ("domain", "ip_hash", "since", "until")}
            preview = services.invalidation_queryset(**criteria).count()
            if "apply" in request.POST:
                reason = form.cleaned_data["reason"].strip()
                if not reason:
                    form.add_error("reason", _("Say why: the reason goes into the audit log."))
                else:
                    count = services.pledges_invalidate(actor=request.user, reason=reason, **criteria)
                    self.message_user(request, _("%(count)d pledge(s) marked as spam.") % {"count": count})
                    return HttpResponseRedirect(reverse("admin:pledges_pledge_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Invalidate pledges in bulk"),
            "opts": self.model._meta,
            "form": form,
            "preview": preview,
        }
        return TemplateResponse(request, "admin/pledges/pledge/invalidate.html", context)


@admin.register(Supporter)
class SupporterAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "email_normalised",
        "first_name",
        "country",
        "wall_consent",
        "message_approved",
        "created_at",
    ]
    list_filter = ["tally_dirty", "wall_consent", "message_approved", "updates_consent", "country"]
    search_fields = ["email_normalised", "first_name"]
    readonly_fields = [
        "email_normalised",
        *PERSON_FIELDS,
        "tally_dirty",
        "created_at",
        "updated_at",
    ]
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Supporter | None = None) -> bool:
        return False


class AuditedAdmin(admin.ModelAdmin):
    """Changes to switches and block lists are moderation too: each lands in the audit log."""

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        changed = {name: str(form.cleaned_data.get(name)) for name in form.changed_data}
        action = f"{obj._meta.model_name}.{'change' if change else 'add'}"
        audit_record(
            actor=request.user, action=action, target=obj, reason=getattr(obj, "reason", ""), details=changed
        )

    def delete_model(self, request: HttpRequest, obj) -> None:
        audit_record(actor=request.user, action=f"{obj._meta.model_name}.delete", target=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            audit_record(actor=request.user, action=f"{obj._meta.model_name}.delete", target=obj)
        super().delete_queryset(request, queryset)


@admin.register(PledgeSettings)
class PledgeSettingsAdmin(AuditedAdmin):
    list_display = ["__str__", "signing_paused", "short_limit", "short_window", "long_limit", "long_window"]

    def save_model(self, request: HttpRequest, obj: PledgeSettings, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        selectors.forget_signing_paused()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not PledgeSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: PledgeSettings | None = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        # One row: the list is the row itself, for those allowed to see it.
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        settings_row = PledgeSettings.load()
        return HttpResponseRedirect(reverse("admin:pledges_pledgesettings_change", args=[settings_row.pk]))


class BlockedDomainForm(forms.ModelForm):
    class Meta:
        model = BlockedDomain
        fields = ["domain", "reason"]

    def clean_domain(self) -> str:
        value = self.cleaned_data["domain"].strip().lower().lstrip("@").rstrip(".")
        try:
            value = value.encode("idna").decode("ascii")
        except UnicodeError:
            raise forms.ValidationError(_("Enter a domain name such as example.org.")) from None
        if "." not in value or " " in value:
            raise forms.ValidationError(_("Enter a domain name such as example.org."))
        return value


@admin.register(BlockedDomain)
class BlockedDomainAdmin(AuditedAdmin):
    form = BlockedDomainForm
    list_display = ["domain", "shipped", "reason", "created_at"]
    list_filter = ["shipped"]
    search_fields = ["domain", "reason"]


class BlockedAddressForm(forms.ModelForm):
    class Meta:
        model = BlockedAddress
        fields = ["email_normalised", "reason"]

    def clean_email_normalised(self) -> str:
        # The key of the mailbox, so that every spelling of it (quoted, tagged, dotted) is blocked.
        return normalise_email(clean_address(self.cleaned_data["email_normalised"]))


@admin.register(BlockedAddress)
class BlockedAddressAdmin(AuditedAdmin):
    form = BlockedAddressForm
    list_display = ["email_normalised", "reason", "created_at"]
    search_fields = ["email_normalised", "reason"]


@admin.register(BlockedNetwork)
class BlockedNetworkAdmin(AuditedAdmin):
    list_display = ["network", "reason", "created_at"]
    search_fields = ["network", "reason"]


@admin.register(ReferralVisit)
class ReferralVisitAdmin(admin.ModelAdmin):
    list_display = ["code", "day", "visits"]
    search_fields = ["=code"]
    date_hierarchy = "day"
    ordering = ["-day", "-visits"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ReferralVisit | None = None) -> bool:
        return False
