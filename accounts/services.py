"""Writes about organisers' accounts: giving and taking roles, setting another's password; audited."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.roles import ROLES
from quitgpt.audit import audit_record


def _may_change(actor: Any | None, user: Any) -> None:
    """Only a superuser changes a superuser (a command run by the operator has no actor: allowed)."""
    if actor is not None and user.is_superuser and not getattr(actor, "is_superuser", False):
        raise PermissionDenied("Only a superuser may change a superuser.")


def _role_group(role: str) -> Group:
    if role not in ROLES:
        raise ValidationError(f"Unknown role {role!r}; the roles are: {', '.join(ROLES)}.")
    group, _ = Group.objects.get_or_create(name=role)
    return group


@transaction.atomic
def role_grant(*, actor: Any | None, user: Any, role: str, reason: str = "") -> bool:
    """Give `user` the role (and staff status, without which the admin is closed). False if they had it.
    PermissionDenied if `user` is a superuser and `actor` is not."""
    _may_change(actor, user)
    group = _role_group(role)
    if user.groups.filter(pk=group.pk).exists():
        return False
    user.groups.add(group)
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    audit_record(actor=actor, action="role.grant", target=user, reason=reason, details={"role": role})
    return True


@transaction.atomic
def role_revoke(*, actor: Any | None, user: Any, role: str, reason: str = "") -> bool:
    """Take the role away. Staff status stays (other roles, or a superuser); False if they lacked it.
    PermissionDenied if `user` is a superuser and `actor` is not."""
    _may_change(actor, user)
    group = _role_group(role)
    if not user.groups.filter(pk=group.pk).exists():
        return False
    user.groups.remove(group)
    audit_record(actor=actor, action="role.revoke", target=user, reason=reason, details={"role": role})
    return True


def roles_record_change(*, actor: Any, user: Any, before: Iterable[str], after: Iterable[str]) -> None:
    """Audit a change of groups made through the user form of the admin."""
    before_set, after_set = set(before), set(after)
    for name in sorted(after_set - before_set):
        audit_record(actor=actor, action="role.grant", target=user, details={"role": name, "via": "admin"})
    for name in sorted(before_set - after_set):
        audit_record(actor=actor, action="role.revoke", target=user, details={"role": name, "via": "admin"})


def user_password_set_record(*, actor: Any, user: Any) -> None:
    """Audit that `actor` set `user`'s password in the admin (the password itself is never recorded).
    Setting one's own is recorded too: the entry says who, and whose."""
    _may_change(actor, user)
    audit_record(actor=actor, action="user.password_set", target=user, details={"own": actor.pk == user.pk})


def site_sync(*, using: str = "default") -> None:
    """Name the current Site after SITE_URL: allauth's emails say "Hello from <site name>"."""
    from urllib.parse import urlsplit

    from django.conf import settings
    from django.contrib.sites.models import Site

    domain = urlsplit(settings.SITE_URL).netloc
    Site.objects.using(using).update_or_create(
        pk=settings.SITE_ID, defaults={"domain": domain, "name": "QuitGPT"}
    )
