from __future__ import annotations

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import RequestLoginCodeForm as AllauthRequestLoginCodeForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from django.utils.translation import gettext_lazy as _

from accounts.selectors import account_spelling
from quitgpt.emails import clean_address


class LoginForm(AllauthLoginForm):
    """One sign-in form for both: organisers type their password; supporters, who have none, leave it
    empty and are sent a one-time code (allauth's own code flow)."""

    def _setup_password_field(self) -> None:
        # allauth drops the password field when sign-up asks for none; organisers still have one.
        password = self.fields["password"]
        password.required = False
        password.help_text = _("Organisers only. Supporters: leave it empty and we will email you a code.")

    def clean_login(self) -> str:
        # The plain spelling of the address (quotes resolved, the domain in one form), as pledges and
        # RSVPs read it: `"jane"@Example.org` signs in as jane@example.org.
        return account_spelling(clean_address(super().clean_login()))


class SignupForm(AllauthSignupForm):
    """allauth's sign-up, with the address read by the one rule (quitgpt.emails)."""

    def clean_email(self) -> str:
        self.cleaned_data["email"] = clean_address(self.cleaned_data["email"])
        return super().clean_email()


class RequestLoginCodeForm(AllauthRequestLoginCodeForm):
    """allauth's "send me a code", looking the address up in its plain spelling."""

    def clean_email(self) -> str:
        if self.cleaned_data.get("email"):
            self.cleaned_data["email"] = account_spelling(clean_address(self.cleaned_data["email"]))
        return super().clean_email()
