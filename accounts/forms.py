from __future__ import annotations

from allauth.account.forms import LoginForm as AllauthLoginForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AllauthLoginForm):
    """One sign-in form for both: organisers type their password; supporters, who have none, leave it
    empty and are sent a one-time code (allauth's own code flow)."""

    def _setup_password_field(self) -> None:
        # allauth drops the password field when sign-up asks for none; organisers still have one.
        password = self.fields["password"]
        password.required = False
        password.help_text = _("Organisers only. Supporters: leave it empty and we will email you a code.")
