"""The user admin, hardened for organisers who manage accounts without being superusers."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from accounts.roles import ROLES
from accounts.services import role_grant, roles_record_change, user_password_set_record

User = get_user_model()


def _grant_action(role: str):
    def action(modeladmin, request, queryset) -> None:
        granted = refused = 0
        for user in queryset:
            try:
                granted += role_grant(actor=request.user, user=user, role=role, reason="admin action")
            except PermissionDenied:  # a superuser, and the organiser is not one
                refused += 1
        modeladmin.message_user(request, f"{role}: given to {granted} user(s).", messages.SUCCESS)
        if refused:
            modeladmin.message_user(
                request,
                _("%(count)d superuser(s) left unchanged: only a superuser may change a superuser.")
                % {"count": refused},
                messages.WARNING,
            )

    action.__name__ = f"grant_{role.lower().replace(' ', '_')}"
    action.short_description = f"Give the {role} role (and staff status)"
    action.allowed_permissions = ("change",)
    return action


class OrganiserUserAdmin(UserAdmin):
    list_display = ["username", "email", "is_staff", "is_superuser", "is_active", "roles", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    actions = [_grant_action(role) for role in ROLES]

    @admin.display(description="roles")
    def roles(self, obj) -> str:
        return ", ".join(group.name for group in obj.groups.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # A campaign admin manages roles, not raw permissions, and cannot make anyone a superuser
            # (themselves included): that would escape every role.
            readonly += ["is_superuser", "user_permissions", "last_login", "date_joined"]
        return readonly

    def has_change_permission(self, request, obj=None) -> bool:
        # Only a superuser may edit or delete a superuser.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.filter(name__in=list(ROLES))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def user_change_password(self, request, id, form_url=""):
        user = self.get_object(request, id)
        before = user.password if user is not None else None
        response = super().user_change_password(request, id, form_url)  # checks the permission
        if request.method == "POST" and user is not None:
            user.refresh_from_db(fields=["password"])
            if user.password != before:  # set (or unset) by this request: audited
                user_password_set_record(actor=request.user, user=user)
        return response

    def save_related(self, request, form, formsets, change) -> None:
        before = set(form.instance.groups.values_list("name", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        after = set(form.instance.groups.values_list("name", flat=True))
        if before != after:
            roles_record_change(actor=request.user, user=form.instance, before=before, after=after)


admin.site.unregister(User)
admin.site.register(User, OrganiserUserAdmin)
