"""Organisers compose, preview, test, approve, send, pause and resume campaign updates here. Every
action goes through updates.services (audited)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django_countries import countries

from pledges.models import PledgeKind
from updates import selectors, services
from updates.models import Bounce, Suppression, Update, UpdateStatus


class UpdateForm(forms.ModelForm):
    countries = forms.MultipleChoiceField(
        choices=list(countries), required=False, help_text="Empty: every country."
    )
    kinds = forms.MultipleChoiceField(
        choices=PledgeKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Empty: every kind.",
    )

    class Meta:
        model = Update
        fields = ["subject_en", "body_en", "subject_fr", "body_fr", "countries", "kinds", "event"]

    def clean(self):
        data = super().clean()
        if bool((data.get("subject_fr") or "").strip()) != bool((data.get("body_fr") or "").strip()):
            raise forms.ValidationError("Give both the French subject and the French body, or neither.")
        for name in ("subject_en", "subject_fr"):
            if any(c in (data.get(name) or "") for c in "\r\n"):
                self.add_error(name, "A subject is one line.")
        return data


@admin.register(Update)
class UpdateAdmin(admin.ModelAdmin):
    form = UpdateForm
    list_display = ["subject_en", "status", "audience", "progress", "approved_by", "created_at"]
    list_filter = ["status"]
    readonly_fields = [
        "status",
        "created_by",
        "approved_by",
        "approved_at",
        "audience",
        "progress",
        "previews",
    ]
    actions = ["approve", "send", "pause", "test_send"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if obj is not None and obj.status != UpdateStatus.DRAFT:
            fields += ["subject_en", "body_en", "subject_fr", "body_fr", "countries", "kinds", "event"]
        return fields

    @admin.display(description="audience now")
    def audience(self, obj: Update) -> str:
        if obj.pk is None:
            return "-"
        if obj.status == UpdateStatus.SENT:
            return str(obj.audience_at_start or 0)
        return str(selectors.audience_size(obj))

    @admin.display(description="progress")
    def progress(self, obj: Update) -> str:
        if obj.pk is None or obj.status == UpdateStatus.DRAFT:
            return "-"
        p = selectors.update_progress(obj)
        return (
            f"{p['sent']} sent of {obj.audience_at_start or 0}; {p['skipped']} skipped, "
            f"{p['failed']} failed, {p['unknown']} unknown, {p['queued'] + p['sending']} in progress"
        )

    @admin.display(description="previews")
    def previews(self, obj: Update) -> str:
        if obj.pk is None:
            return "-"
        en = reverse("admin:updates_update_preview", args=[obj.pk, "en"])
        fr = reverse("admin:updates_update_preview", args=[obj.pk, "fr"])
        return format_html('<a href="{}">English</a> · <a href="{}">French</a>', en, fr)

    def get_urls(self):
        urls = super().get_urls()
        custom = [
            path(
                "<int:pk>/preview/<str:language>/",
                self.admin_site.admin_view(self.preview_view),
                name="updates_update_preview",
            )
        ]
        return custom + urls

    def preview_view(self, request: HttpRequest, pk: int, language: str) -> HttpResponse:
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        update = get_object_or_404(Update, pk=pk)
        language = language if language in {"en", "fr"} else "en"
        message = services.build_update_message(
            update, to=request.user.email or "you@example.invalid", language=language, supporter=None
        )
        html = next(content for content, mimetype in message.alternatives if mimetype == "text/html")
        response = HttpResponse(html)
        response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
        return response

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            super().save_model(request, obj, form, change)
            from quitgpt.audit import audit_record

            audit_record(actor=request.user, action="update.create", target=obj)
            return
        if obj.status != UpdateStatus.DRAFT:
            self.message_user(request, "Only a draft can be changed.", messages.ERROR)
            return
        super().save_model(request, obj, form, change)
        services.update_edited(update=obj, actor=request.user)

    def _each(self, request, queryset: QuerySet[Update], call, done: str) -> None:
        for update in queryset:
            try:
                call(update)
            except services.UpdateError as exc:
                self.message_user(request, f"{update}: {exc}", messages.ERROR)
            else:
                self.message_user(request, f"{update}: {done}", messages.SUCCESS)

    @admin.action(description="Approve the selected updates (a second organiser)", permissions=["change"])
    def approve(self, request, queryset):
        self._each(
            request, queryset, lambda u: services.update_approve(update=u, actor=request.user), "approved."
        )

    @admin.action(description="Send or resume the selected updates", permissions=["change"])
    def send(self, request, queryset):
        self._each(
            request, queryset, lambda u: services.update_start(update=u, actor=request.user), "sending."
        )

    @admin.action(description="Pause the selected updates", permissions=["change"])
    def pause(self, request, queryset):
        self._each(
            request, queryset, lambda u: services.update_pause(update=u, actor=request.user), "paused."
        )

    @admin.action(description="Send me a test of the selected updates (each language)", permissions=["view"])
    def test_send(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda u: services.update_test_send(update=u, actor=request.user, to=request.user.email),
            f"test sent to {request.user.email}.",
        )

    def response_post_save_change(self, request, obj):
        return HttpResponseRedirect(reverse("admin:updates_update_change", args=[obj.pk]))


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["email_normalised", "reason", "source", "created_at"]
    list_filter = ["reason", "source"]
    search_fields = ["email_normalised"]


@admin.register(Bounce)
class BounceAdmin(admin.ModelAdmin):
    list_display = ["email_normalised", "kind", "source", "detail", "created_at"]
    list_filter = ["kind", "source"]
    search_fields = ["email_normalised"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
