from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from quitgpt.emails import normalise_email
from quitgpt.forms import HoneypotMixin
from quitgpt.validators import clean_name


class RsvpForm(HoneypotMixin, forms.Form):
    """The RSVP form; its honeypot (`website`) comes from HoneypotMixin."""

    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    name = forms.CharField(
        label=_("Your name (optional)"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        try:
            normalise_email(email)
        except ValueError:
            raise forms.ValidationError(_("Enter a valid email address.")) from None
        return email

    def clean_name(self) -> str:
        # The same rules as a pledger's name: no control characters, HTML, links or spreadsheet formulas.
        return clean_name(self.cleaned_data["name"])
