"""The pledge form as an inclusion tag, so that any page (the home page) can carry it."""

from __future__ import annotations

from urllib.parse import quote

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext

from pledges.forms import PledgeForm, QuickPledgeForm
from pledges.selectors import signing_paused_for_display

register = template.Library()


@register.inclusion_tag("pledges/includes/pledge_form.html", takes_context=True)
def pledge_form(context: template.Context, form: PledgeForm | None = None) -> dict:
    request = context.get("request")
    ref = request.GET.get("ref", "") if request is not None else ""
    return {
        "form": form or PledgeForm(initial={"ref": ref}),
        "paused": signing_paused_for_display(),
        "request": request,
    }


@register.inclusion_tag("pledges/includes/quick_pledge_form.html", takes_context=True)
def quick_pledge_form(context: template.Context, ref: str = "") -> dict:
    """The short form (what you did, email) that posts to the pledge page: the home page's hero."""
    return {
        "form": QuickPledgeForm(initial={"ref": ref}),
        "paused": signing_paused_for_display(),
        "request": context.get("request"),
    }


# The first three are shown as buttons, the rest behind "More" (the share sheet comes first on phones).
NETWORKS = [
    ("whatsapp", "WhatsApp", "https://wa.me/?text={text}%20{url}"),
    ("bluesky", "Bluesky", "https://bsky.app/intent/compose?text={text}%20{url}"),
    ("facebook", "Facebook", "https://www.facebook.com/sharer/sharer.php?u={url}"),
    ("mastodon", "Mastodon", "https://mastodonshare.com/?text={text}%20{url}"),
    ("x", "X", "https://x.com/intent/post?text={text}&url={url}"),
    ("linkedin", "LinkedIn", "https://www.linkedin.com/sharing/share-offsite/?url={url}"),
    ("telegram", "Telegram", "https://t.me/share/url?url={url}&text={text}"),
]
PRIORITY_SHARES = 3


def share_url(code: str, source: str = "") -> str:
    """The sharer's short link, /r/<code>: the referral landing page, in the current language. No
    tracking strings: the visit is counted by the code alone (`source` is kept for callers' symmetry)."""
    return f"{settings.SITE_URL}{reverse('referral', args=[code])}"


@register.simple_tag
def share_links(code: str) -> list[dict[str, str]]:
    """Links that open each network's own share dialog: nothing is loaded from them until clicked."""
    text = quote(gettext("I joined the QuitGPT boycott. Join me:"))
    links = []
    for key, name, pattern in NETWORKS:
        links.append(
            {
                "key": key,
                "name": name,
                "href": pattern.format(text=text, url=quote(share_url(code, key), safe="")),
            }
        )
    subject = quote(gettext("Join the QuitGPT boycott"))
    body = quote(f"{gettext('I joined the QuitGPT boycott. Join me:')} {share_url(code, 'email')}")
    links.append({"key": "email", "name": gettext("Email"), "href": f"mailto:?subject={subject}&body={body}"})
    for i, link in enumerate(links):
        link["priority"] = i < PRIORITY_SHARES
    return links


@register.simple_tag
def share_link(code: str, source: str = "copy") -> str:
    return share_url(code, source)
