"""Form pieces shared by the public forms (pledge, RSVP, suggestion)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class HoneypotMixin(forms.Form):
    """A field hidden from people (CSS `.hp-field` and `aria-hidden`, out of the tab order) that naive
    bots fill in. Render it with `{% include "includes/honeypot.html" %}`.

    A view checks `form.is_bot` *before* validating and then answers exactly as for a real submission
    while saving and sending nothing, so the bot learns nothing. The field is named `website` unless the
    form has a real field of that name (set `honeypot_name`)."""

    honeypot_name = "website"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields[self.honeypot_name] = forms.CharField(
            label=_("Leave this field empty"),
            required=False,
            widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        )

    @property
    def honeypot(self) -> forms.BoundField:
        return self[self.honeypot_name]

    @property
    def is_bot(self) -> bool:
        """True when the hidden field came back filled in (read from the raw data: valid or not)."""
        return bool(str(self.data.get(self.add_prefix(self.honeypot_name), "")).strip())
