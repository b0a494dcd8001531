"""Thin views of the campaign tools: the embeddable pledge form, and the "after confirming" actions
(I switched to, the renewal reminder) reached through the private manage token."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_http_methods, require_POST

from campaign import services
from campaign.forms import EmbedPledgeForm, ReminderForm, SwitchForm
from campaign.partners import embed_frame_ancestors, partner_by_code
from campaign.switches import switch_choices
from pledges import selectors as pledge_selectors
from pledges import services as pledge_services
from pledges.models import PledgeSettings
from quitgpt.net import client_ip
from quitgpt.security import same_origin_post


def _language(request: HttpRequest) -> str:
    lang = request.GET.get("lang") or request.POST.get("lang") or "en"
    return lang if lang in {"en", "fr"} else "en"


def _frameable(response: HttpResponse) -> HttpResponse:
    """Partners' sites may frame this page (CSP frame-ancestors from the admin's allow-list)."""
    response._csp_replace = {"frame-ancestors": embed_frame_ancestors()}  # type: ignore[attr-defined]
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@xframe_options_exempt
@same_origin_post
def embed_pledge(request: HttpRequest) -> HttpResponse:
    """The pledge form that partners embed (`?partner=CODE&lang=fr`). Served by us and posting to us, so
    the same-origin check holds inside the frame; the honeypot, limits and double opt-in are the main
    form's, through the same service."""
    language = _language(request)
    with translation.override(language):
        code = request.POST.get("partner") if request.method == "POST" else request.GET.get("partner", "")
        partner = partner_by_code(code or "")
        context = {"LANGUAGE_CODE": language, "partner": partner, "lang": language}
        if request.method != "POST":
            context["sent"] = request.GET.get("sent") == "1"
            context["paused"] = PledgeSettings.load().signing_paused
            context["form"] = EmbedPledgeForm(initial={"partner": partner.code if partner else ""})
            response = render(request, "campaign/embed_pledge.html", context)
            patch_cache_control(response, public=True, max_age=60)
            return _frameable(response)
        if PledgeSettings.load().signing_paused:
            context["paused"] = True
            return _frameable(render(request, "campaign/embed_pledge.html", context, status=503))
        form = EmbedPledgeForm(request.POST)
        if form.is_bot:  # the same answer as a real pledge; nothing saved, nothing sent
            return _frameable(_sent_redirect(partner, language))
        if not form.is_valid():
            context["form"] = form
            return _frameable(render(request, "campaign/embed_pledge.html", context, status=400))
        data = form.cleaned_data
        try:
            services.pledge_create_with_source(
                partner=partner,
                email=data["email"],
                kinds=data["kinds"],
                country=data["country"],
                first_name=data["first_name"],
                message=data["message"],
                wall_consent=data["wall_consent"],
                updates_consent=data["updates_consent"],
                language=language,
                referral_code=data["ref"],
                ip=client_ip(request),
            )
        except pledge_services.SigningPaused:
            context["paused"] = True
            return _frameable(render(request, "campaign/embed_pledge.html", context, status=503))
    return _frameable(_sent_redirect(partner, language))


def _sent_redirect(partner, language: str) -> HttpResponseRedirect:
    query = {"sent": "1", "lang": language}
    if partner:
        query["partner"] = partner.code
    return HttpResponseRedirect(reverse("campaign_embed:pledge") + "?" + urlencode(query), status=303)


def _private(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, private=True, no_store=True, max_age=0)
    response["Referrer-Policy"] = "no-referrer"
    return response


def _back(request: HttpRequest, token: str, done: str) -> HttpResponseRedirect:
    """Back to the page the form was on: the thank-you page (after confirming) or the manage page."""
    code = request.POST.get("thanks", "")
    if code and pledge_services.SHARE_CODE_RE.match(code):
        url = reverse("pledges:thanks", kwargs={"code": code}) + "?" + urlencode({"k": token, "done": done})
    else:
        url = reverse("pledges:manage", kwargs={"token": token}) + "?" + urlencode({"done": done})
    return HttpResponseRedirect(url, status=303)


def _supporter(token: str):
    supporter = pledge_selectors.supporter_by_manage_token(token)
    if supporter is None:
        raise Http404
    return supporter


@require_POST
@same_origin_post
def switch(request: HttpRequest, token: str) -> HttpResponse:
    supporter = _supporter(token)
    choices = [(a.slug, a.name) for a in switch_choices()]
    form = SwitchForm(request.POST, choices=choices)
    if not form.is_valid() or not services.switch_set(
        supporter=supporter, slug=form.cleaned_data["alternative"]
    ):
        return _private(
            render(request, "campaign/form_error.html", {"form": form, "token": token}, status=400)
        )
    return _private(_back(request, token, "switched"))


@require_POST
@same_origin_post
def reminder(request: HttpRequest, token: str) -> HttpResponse:
    supporter = _supporter(token)
    if request.POST.get("action") == "cancel":
        services.reminder_cancel(supporter=supporter)
        return _private(_back(request, token, "reminder_cancelled"))
    form = ReminderForm(request.POST)
    if form.is_valid():
        try:
            services.reminder_set(
                supporter=supporter,
                renews_on=form.cleaned_data["renews_on"],
                language=translation.get_language() or "en",
            )
        except services.ReminderDateInvalid:
            form.add_error("renews_on", _date_error())
        except ValueError:
            form.add_error(None, _unconfirmed_error())
        else:
            return _private(_back(request, token, "reminder_set"))
    return _private(render(request, "campaign/form_error.html", {"form": form, "token": token}, status=400))


def _date_error() -> str:
    from django.utils.translation import gettext

    return gettext("Enter your renewal date: from tomorrow to 400 days from now.")


def _unconfirmed_error() -> str:
    from django.utils.translation import gettext

    return gettext("Confirm your pledge first: the link is in the email we sent you.")
