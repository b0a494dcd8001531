"""Input validation for the pledge form and the self-service pages. Services decide and save."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from pledges.models import PLEDGE_TIERS, Supporter
from quitgpt.emails import clean_address
from quitgpt.forms import HoneypotMixin
from quitgpt.validators import clean_message, clean_name

_country_choices: dict[str, list[tuple[str, str]]] = {}


def country_choices() -> list[tuple[str, str]]:
    """The country list in the current language, sorted by name: built once per language and process
    (sorting some 250 translated names cost every pledge POST about a millisecond)."""
    language = get_language() or "en"
    choices = _country_choices.get(language)
    if choices is None:
        choices = [("", str(_("Choose your country"))), *((code, str(name)) for code, name in countries)]
        _country_choices[language] = choices
    return choices


class CountryField(forms.ChoiceField):
    """A country code from the list: checked against the set of codes (the same in every language)
    rather than by walking the 250 translated choices, which Django re-normalises on every access."""

    def valid_value(self, value: str) -> bool:
        return value in countries.countries


class PledgeForm(HoneypotMixin, forms.Form):
    """The pledge form; its honeypot (`website`) comes from HoneypotMixin."""

    kinds = forms.MultipleChoiceField(
        label=_("What have you done?"),
        choices=[(kind.value, kind.label) for kind in PLEDGE_TIERS],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one.")},
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        help_text=_("We send you a link to confirm. Never shown to anyone."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    first_name = forms.CharField(
        label=_("First name (optional)"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    # A callable: evaluated when validated or rendered, from the per-language list (not copied per form).
    country = CountryField(label=_("Country"), choices=country_choices)
    message = forms.CharField(
        label=_("A message for the supporters wall (optional)"),
        max_length=280,
        required=False,
        help_text=_("At most 280 characters. Shown only if you agree below and a moderator approves it."),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 280}),
    )
    wall_consent = forms.BooleanField(
        label=_("Show my first name, country and message on the supporters wall"), required=False
    )
    updates_consent = forms.BooleanField(label=_("Send me campaign updates by email"), required=False)
    ref = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_email(self) -> str:
        return clean_address(self.cleaned_data["email"])

    def clean_first_name(self) -> str:
        return clean_name(self.cleaned_data["first_name"])

    def clean_message(self) -> str:
        return clean_message(self.cleaned_data["message"])

    def clean_ref(self) -> str:
        # A broken referral code is not the visitor's fault: drop it silently.
        value = self.cleaned_data["ref"]
        return value if re.fullmatch(r"[A-Za-z0-9_-]{6,16}", value or "") else ""


class QuickPledgeForm(PledgeForm):
    """The short form of the home page and the referral landing: what you did and your email. Name,
    country, message and consents are optional later steps (the manage link in the confirmation email)."""

    quick = forms.CharField(widget=forms.HiddenInput, initial="1", required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("first_name", "country", "message", "wall_consent", "updates_consent"):
            del self.fields[name]
        self.fields["email"].help_text = _("We send you a link to confirm. Never shown.")


def pledge_form_for(data) -> PledgeForm:
    """The form that a POST to the pledge page came from: the short one (a `quick` field) or the full one."""
    return QuickPledgeForm(data) if data.get("quick") else PledgeForm(data)


class SupporterDetailsForm(forms.Form):
    """The person's details after signing: the manage page asks them all, the thank-you page only those
    still missing (`fields`, from `services.details_to_ask`). Only the fields the form has are saved."""

    first_name = forms.CharField(
        label=_("First name"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    country = forms.ChoiceField(label=_("Country"), choices=country_choices, required=False)
    message = forms.CharField(
        label=_("A message for the supporters wall (optional)"),
        max_length=280,
        required=False,
        help_text=_("At most 280 characters. Shown only if you agree below and a moderator approves it."),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 280}),
    )
    wall_consent = forms.BooleanField(
        label=_("Show my first name, country and message on the supporters wall"), required=False
    )
    updates_consent = forms.BooleanField(label=_("Send me campaign updates by email"), required=False)

    def __init__(self, *args, fields: Iterable[str] | None = None, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if fields is not None:
            for name in [name for name in self.fields if name not in fields]:
                del self.fields[name]

    @classmethod
    def of(cls, supporter: Supporter, data=None, **kwargs) -> SupporterDetailsForm:
        """The form for one supporter, filled in with what they gave (or with `data`, when posted)."""
        initial = {
            "first_name": supporter.first_name,
            "country": supporter.country.code or "",
            "message": supporter.message,
            "wall_consent": supporter.wall_consent,
            "updates_consent": supporter.updates_consent,
        }
        return cls(data, initial=initial, **kwargs)

    def clean_first_name(self) -> str:
        return clean_name(self.cleaned_data["first_name"])

    def clean_message(self) -> str:
        return clean_message(self.cleaned_data["message"])


class InvalidationForm(forms.Form):
    domain = forms.CharField(label=_("Email domain"), max_length=253, required=False)
    ip_hash = forms.CharField(label=_("IP hash"), max_length=64, required=False)
    since = forms.DateField(
        label=_("From (date)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To (date)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict:
        data = super().clean()
        if not (data.get("domain") or data.get("ip_hash") or data.get("since") or data.get("until")):
            raise ValidationError(_("Give at least one criterion: a domain, an IP hash or dates."))
        since: date | None = data.get("since")
        until: date | None = data.get("until")
        if since and until and since > until:
            raise ValidationError(_("The start date is after the end date."))
        return data
