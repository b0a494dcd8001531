"""Organisers' side of the campaign tools: settings (plan price, embed, watch thresholds), partners with
their counts, the fraud watch dashboard and its alerts, referral conversions, the removals record."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaign import conversions, services, watch
from campaign.models import CampaignSettings, Partner, PledgeSource, RemovalBatch, WatchAlert
from pledges.models import Pledge


@admin.register(CampaignSettings)
class CampaignSettingsAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["__str__", "plan_monthly_price", "plan_currency", "embed_any_origin", "updated_at"]
    fieldsets = [
        (_("Pressure estimate"), {"fields": ["plan_monthly_price", "plan_currency", "plan_price_source"]}),
        (_("Embeddable pledge form"), {"fields": ["embed_any_origin"]}),
        (
            _("Fraud watch"),
            {
                "fields": [
                    "watch_domain_threshold",
                    "watch_ip_prefix_threshold",
                    "watch_country_threshold",
                    "watch_hourly_factor",
                    "watch_hourly_minimum",
                    "watch_trusted_domains",
                ]
            },
        ),
    ]

    def save_model(self, request: HttpRequest, obj: CampaignSettings, form, change: bool) -> None:
        services.campaign_settings_save(config=obj, actor=request.user, changed=list(form.changed_data))

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One row, created on first use (CampaignSettings.load): never added by hand.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: CampaignSettings | None = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        row = CampaignSettings.load()
        return HttpResponseRedirect(reverse("admin:campaign_campaignsettings_change", args=[row.pk]))


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "active", "people", "confirmed", "counted"]
    search_fields = ["name", "code"]
    list_filter = ["active"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Partner]:
        self._counts = {row["partner"].pk: row for row in conversions.conversions_by_partner()}
        return super().get_queryset(request)

    def _count(self, obj: Partner, key: str) -> int:
        return getattr(self, "_counts", {}).get(obj.pk, {}).get(key, 0)

    @admin.display(description=_("pledged"))
    def people(self, obj: Partner) -> int:
        return self._count(obj, "people")

    @admin.display(description=_("confirmed"))
    def confirmed(self, obj: Partner) -> int:
        return self._count(obj, "confirmed")

    @admin.display(description=_("counted"))
    def counted(self, obj: Partner) -> int:
        return self._count(obj, "counted")

    def save_model(self, request: HttpRequest, obj: Partner, form, change: bool) -> None:
        services.partner_save(partner=obj, actor=request.user, changed=list(form.changed_data))

    def has_delete_permission(self, request: HttpRequest, obj: Partner | None = None) -> bool:
        return False  # its pledges keep pointing at it; untick "active" instead


@admin.register(RemovalBatch)
class RemovalBatchAdmin(admin.ModelAdmin):
    list_display = ["created_at", "category", "people", "pledges"]
    list_filter = ["category"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: RemovalBatch | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: RemovalBatch | None = None) -> bool:
        return False


@admin.register(WatchAlert)
class WatchAlertAdmin(admin.ModelAdmin):
    list_display = ["opened_at", "kind", "key", "count", "threshold", "closed_at", "notified_at"]
    list_filter = ["kind"]
    change_list_template = "admin/campaign/watchalert/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: WatchAlert | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: WatchAlert | None = None) -> bool:
        return False

    def get_urls(self) -> list:
        return [
            path(
                "dashboard/", self.admin_site.admin_view(self.dashboard_view), name="campaign_watch_dashboard"
            ),
            path(
                "conversions/",
                self.admin_site.admin_view(self.conversions_view),
                name="campaign_watch_conversions",
            ),
            *super().get_urls(),
        ]

    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        """Concentrations of the last 24 hours, each with a bulk invalidation (pledges_invalidate)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        data = watch.watch_dashboard()
        since = timezone.localdate() - timedelta(days=1)
        # For an IP prefix, the full-address hashes within it (the invalidation works on those).
        prefix_hashes = {}
        for row in data["ip_prefixes"]:
            ids = PledgeSource.objects.filter(ip_prefix_hash=row.key, created_at__gte=data["since"]).values(
                "pledge_id"
            )
            prefix_hashes[row.key] = list(
                Pledge.objects.filter(pk__in=ids)
                .exclude(ip_hash="")
                .values_list("ip_hash", flat=True)
                .distinct()[:5]
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Fraud watch"),
            "opts": self.model._meta,
            "data": data,
            "since_date": since.isoformat(),
            "prefix_rows": [(row, prefix_hashes.get(row.key, [])) for row in data["ip_prefixes"]],
            "can_invalidate": request.user.has_perm("pledges.change_pledge"),
        }
        return TemplateResponse(request, "admin/campaign/watchalert/dashboard.html", context)

    def conversions_view(self, request: HttpRequest) -> HttpResponse:
        """Referral conversions per share code and per partner (visits, pledged, confirmed, counted)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": _("Referral conversions"),
            "opts": self.model._meta,
            "by_code": conversions.conversions_by_share_code(),
            "by_partner": conversions.conversions_by_partner(),
        }
        return TemplateResponse(request, "admin/campaign/watchalert/conversions.html", context)
