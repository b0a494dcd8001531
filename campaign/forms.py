"""Input validation for the campaign tools' forms. Services decide and save."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from campaign.models import PARTNER_CODE_RE
from pledges.forms import PledgeForm


class EmbedPledgeForm(PledgeForm):
    """The pledge form as partners embed it: the same fields and checks, plus the partner's code."""

    partner = forms.CharField(required=False, max_length=32, widget=forms.HiddenInput)

    def clean_partner(self) -> str:
        value = self.cleaned_data["partner"]
        return value if PARTNER_CODE_RE.match(value or "") else ""


class SwitchForm(forms.Form):
    alternative = forms.ChoiceField(label=_("I switched to"), required=False, choices=())

    def __init__(self, *args, choices: list[tuple[str, str]], **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["alternative"].choices = [("", _("Not yet, or I'd rather not say")), *choices]


class ReminderForm(forms.Form):
    renews_on = forms.DateField(
        label=_("My subscription renews on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter a date, e.g. 2027-03-14."), "required": _("Enter the date.")},
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
