from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from accounts.roles import ROLES
from accounts.services import role_grant, role_revoke


class Command(BaseCommand):
    help = "Give an organiser a role (Moderator, Editor, Campaign admin), or take it away; audited."

    def add_arguments(self, parser) -> None:
        parser.add_argument("user", help="username or email address")
        parser.add_argument("role", choices=list(ROLES))
        parser.add_argument("--revoke", action="store_true", help="take the role away instead")
        parser.add_argument("--reason", default="", help="why (kept in the audit log)")

    def handle(self, *args, user: str, role: str, revoke: bool, reason: str, **options) -> None:
        users = get_user_model().objects.filter(Q(username=user) | Q(email__iexact=user))
        if users.count() != 1:
            raise CommandError(f"No single user matches {user!r}.")
        target = users.get()
        try:
            if revoke:
                changed = role_revoke(actor=None, user=target, role=role, reason=reason)
            else:
                changed = role_grant(actor=None, user=target, role=role, reason=reason)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        verb = "no longer has" if revoke else "now has"
        if not changed:
            verb = "did not have" if revoke else "already had"
        self.stdout.write(f"{target.get_username()} {verb} the role {role}.")
