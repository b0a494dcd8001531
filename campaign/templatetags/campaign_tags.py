from __future__ import annotations

from typing import Any

from django import template

from campaign.conversions import referrals_counted_for
from campaign.forms import ReminderForm, SwitchForm
from campaign.models import RenewalReminder
from campaign.switches import switch_choices, switch_of
from pledges.models import COUNTED_STATUS, Pledge, Supporter
from pledges.supporters import manage_token_for

register = template.Library()


@register.inclusion_tag("campaign/includes/after_confirming.html")
def after_confirming(supporter: Supporter, done: str = "", thanks: str = "") -> dict[str, Any]:
    """After confirming (thank-you page, manage page): people who joined through one's link, "I switched
    to" and the renewal reminder. Posts to the private manage token's endpoints."""
    token = manage_token_for(supporter)
    confirmed = Pledge.objects.filter(supporter=supporter, status=COUNTED_STATUS).exists()
    reminder = RenewalReminder.objects.filter(supporter=supporter).first()
    current = switch_of(supporter.pk)
    return {
        "token": token,
        "confirmed": confirmed,
        "done": done,
        "thanks": thanks,
        "referrals": referrals_counted_for(supporter_id=supporter.pk),
        "switch_form": SwitchForm(
            initial={"alternative": current},
            choices=[(a.slug, a.name) for a in switch_choices()],
            auto_id=f"id_sw{supporter.pk}_%s",
        ),
        "switched_to": current,
        "reminder": reminder,
        "reminder_form": ReminderForm(
            initial={"renews_on": reminder.renews_on if reminder else None}, auto_id=f"id_rm{supporter.pk}_%s"
        ),
    }


@register.simple_tag
def switched_count(slug: str) -> int:
    """Counted supporters who switched to this alternative, from the published tally (never counted on
    a request)."""
    from tally.selectors import tally_entry

    return tally_entry()["payload"].get("switched", {}).get(slug, 0)


@register.inclusion_tag("campaign/includes/how_we_count.html", takes_context=True)
def how_we_count_extras(context: template.Context, tally: dict[str, Any]) -> dict[str, Any]:
    """ "How we count": the pressure estimate, the switches, the partners and the record of removals.
    Figures come from the published snapshot; names and the removals record are small reads."""
    from alternatives.models import Alternative
    from campaign.models import Partner
    from campaign.removals import removals_public

    switched = tally.get("switched", {}) or {}
    names = dict(Alternative.objects.filter(slug__in=list(switched)).values_list("slug", "name"))
    by_partner = tally.get("by_partner", {}) or {}
    partners = dict(Partner.objects.filter(code__in=list(by_partner)).values_list("code", "name"))
    return {
        "LANGUAGE_CODE": context.get("LANGUAGE_CODE", "en"),
        "estimate": tally.get("estimate"),
        "switched": sorted(
            ((names.get(s, s), n) for s, n in switched.items()), key=lambda kv: (-kv[1], kv[0])
        ),
        "partners": sorted(
            ((partners.get(c, c), n) for c, n in by_partner.items()), key=lambda kv: (-kv[1], kv[0])
        ),
        "removals": removals_public(),
    }
