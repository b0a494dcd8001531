from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from alternatives.models import ATTRIBUTE_NAMES, Alternative, Stance
from quitgpt.forms import HoneypotMixin
from quitgpt.validators import clean_message

# Anything that looks like a link: spam's favourite payload. Only the website field may hold one.
# Names such as "Character.ai" stay allowed: only explicit links are refused.
LINK_RE = re.compile(r"(?:[a-z][a-z0-9+.-]*://|\bwww\.|\[url|<a\s)", re.I)


class AlternativeForm(forms.ModelForm):
    """The admin's form: the database refuses an "avoid" without a reason; this says so on the field."""

    # Django 5 warns unless the scheme assumed for a bare domain is explicit.
    website = Alternative._meta.get_field("website").formfield(assume_scheme="https")

    class Meta:
        model = Alternative
        fields = [
            "name",
            "slug",
            "maker",
            "website",
            "category",
            "summary_en",
            "summary_fr",
            "body_en",
            "body_fr",
            *ATTRIBUTE_NAMES,
            "stance",
            "reason_en",
            "reason_fr",
            "needs_review",
            "last_reviewed",
            "order",
            "published",
        ]

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("stance") == Stance.AVOID and not (cleaned.get("reason_en") or "").strip():
            self.add_error(
                "reason_en",
                _("An entry the campaign advises to avoid needs a public reason, in English at least."),
            )
        return cleaned


def _no_links(value: str) -> str:
    if LINK_RE.search(value):
        raise ValidationError(
            _("Please leave out links here; put the website in its own field."), code="link"
        )
    return value


class SuggestionForm(HoneypotMixin, forms.Form):
    honeypot_name = "nickname"  # `website` is a real field here

    name = forms.CharField(
        label=_("Name of the alternative"), max_length=80, validators=[_no_links], strip=True
    )
    website = forms.URLField(
        label=_("Its website (optional)"), max_length=200, required=False, assume_scheme="https"
    )
    reason = forms.CharField(
        label=_("Why do you suggest it? (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        validators=[_no_links],
        help_text=_("At most 1,000 characters, no links."),
    )

    def clean_name(self) -> str:
        # No control characters or HTML (links are refused by the field's validator).
        return clean_message(self.cleaned_data["name"])

    def clean_reason(self) -> str:
        return clean_message(self.cleaned_data["reason"])

    def clean_website(self) -> str:
        website = self.cleaned_data["website"]
        if website and not website.lower().startswith(("https://", "http://")):
            raise ValidationError(_("Enter a web address starting with https://."), code="scheme")
        return website
