"""Thin views: parse, call a service, render or redirect.

Public pages set no cookie (a CDN may cache them): their forms use same_origin_post instead of the CSRF
cookie, and results are shown by redirecting to a page, not by django.contrib.messages. Pages reached
through a private token (confirm, manage) are never cached and send no Referer. The signed-in "My pledges"
page is composed in accounts.views (it adds the RSVPs) and reuses `pledges.self_service`.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods, require_safe

from campaign import sources as campaign_sources
from campaign import watch as campaign_watch
from pledges import selectors, services
from pledges.forms import PledgeForm, SupporterDetailsForm, pledge_form_for
from pledges.models import Pledge, PledgeStatus, Supporter
from pledges.receipts import receipt_from_token, receipt_token
from pledges.rules import signing_rules
from pledges.self_service import SelfServicePage, details_save, self_service
from quitgpt.net import client_ip
from quitgpt.responses import json_download
from quitgpt.responses import private as _private
from quitgpt.security import same_origin_post

WALL_PAGE_SIZE = 50


@require_http_methods(["GET", "HEAD", "POST"])
@same_origin_post
def pledge(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        form = PledgeForm(initial={"ref": request.GET.get("ref", "")})
        paused = selectors.signing_paused_for_display()
        response = render(request, "pledges/pledge.html", {"form": form, "paused": paused})
        patch_cache_control(response, public=True, max_age=60)
        return response
    form = pledge_form_for(request.POST)
    if form.is_bot:  # the same answer as a real pledge; nothing saved, nothing sent
        return HttpResponseRedirect(reverse("pledges:check_email"), status=303)
    if not form.is_valid():
        if signing_rules().config.signing_paused:  # no point correcting the form
            return render(request, "pledges/pledge.html", {"paused": True}, status=503)
        return render(request, "pledges/pledge.html", {"form": form}, status=400)
    data = form.cleaned_data
    try:
        # With its source (email domain, IP prefix, country) for the fraud watch: campaign.sources.
        campaign_sources.pledge_create_with_source(
            email=data["email"],
            kinds=data["kinds"],
            country=data.get("country", ""),
            first_name=data.get("first_name", ""),
            message=data.get("message", ""),
            wall_consent=data.get("wall_consent", False),
            updates_consent=data.get("updates_consent", False),
            language=get_language() or "en",
            referral_code=data["ref"],
            ip=client_ip(request),
        )
    except services.SigningPaused:
        return render(request, "pledges/pledge.html", {"paused": True}, status=503)
    # The same answer whatever happened: new, repeated, blocked or flagged.
    return HttpResponseRedirect(reverse("pledges:check_email"), status=303)


@require_safe
@cache_control(public=True, max_age=300)
def check_email(request: HttpRequest) -> HttpResponse:
    return render(request, "pledges/check_email.html")


@require_http_methods(["GET", "HEAD", "POST"])
@same_origin_post
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what will be confirmed and a button; only the POST confirms, because mail scanners open
    links."""
    found = selectors.pledge_by_confirm_token(token)
    if found is None:
        used = selectors.pledge_by_used_confirm_token(token)
        if used is not None:
            return _already_confirmed(request, used)
        return _private(render(request, "pledges/link_invalid.html", status=404))
    pending = selectors.pending_pledges_of(found.supporter_id)
    if request.method == "POST":
        if request.POST.get("action") == "reject":
            if not pending:
                return _already_confirmed(request, found)
            services.pledge_reject(token=token)
            return _private(render(request, "pledges/rejected.html"))
        if not pending and found.status == PledgeStatus.CONFIRMED:
            return _already_confirmed(request, found)
        with transaction.atomic():
            confirmed = services.pledge_confirm(token=token)
            if confirmed is not None:
                # Held or released by the fraud watch in the same transaction (campaign.watch).
                # A suspicion that survived a withdrawal is not the per-IP flag: only first-time pledges.
                first_time = [p.pk for p in pending if p.status == PledgeStatus.PENDING]
                campaign_watch.watch_settle_confirmed(
                    supporter_id=confirmed.supporter_id, releasable_ids=first_time
                )
                confirmed.refresh_from_db()
        if confirmed is not None and confirmed.status == PledgeStatus.CONFIRMED:
            return _private(_thanks_after_confirming(confirmed))
        return _private(render(request, "pledges/link_invalid.html", status=404))
    if not pending and found.status == PledgeStatus.CONFIRMED:
        return _already_confirmed(request, found)
    if not pending:
        return _private(render(request, "pledges/link_invalid.html", status=404))
    context = {"pledges": pending, "token": token, "person": found.supporter}
    return _private(render(request, "pledges/confirm.html", context))


def _already_confirmed(request: HttpRequest, pledge: Pledge) -> HttpResponse:
    """A used confirmation link: it says so and leads to the thank-you page."""
    return _private(render(request, "pledges/already_confirmed.html", {"share_code": pledge.share_code}))


def _thanks_after_confirming(pledge: Pledge) -> HttpResponse:
    """The thank-you page, carrying the signed receipt token (`receipt`, shown once) and the private manage
    token (`k`) so that it can offer what comes after
    confirming ("I switched to", the renewal reminder). Sent with no Referer, never stored."""
    url = reverse("pledges:thanks", kwargs={"code": pledge.share_code})
    query = {"receipt": receipt_token(pledge.supporter_id)}  # the thank-you page shows the receipt once
    token = services.manage_token_for(pledge.supporter)
    if token:
        query["k"] = token
    return HttpResponseRedirect(f"{url}?{urlencode(query)}")


@require_http_methods(["GET", "HEAD", "POST"])
@same_origin_post
def thanks(request: HttpRequest, code: str) -> HttpResponse:
    if not services.SHARE_CODE_RE.match(code):
        raise Http404
    pledge = Pledge.objects.filter(share_code=code, status=PledgeStatus.CONFIRMED).first()
    if pledge is None:
        raise Http404
    # `receipt` (a signed token, from the confirmation) shows the receipt; `k` (the manage token) offers
    # what comes after confirming: the details still missing, the switch, the reminder. Either makes the
    # page private to this visitor; without `k` it shows nobody's data and no form.
    receipt = receipt_from_token(request.GET.get("receipt"))
    key = (request.POST if request.method == "POST" else request.GET).get("k", "")
    supporter = selectors.supporter_by_manage_token(key) if key else None
    owner = supporter if supporter is not None and supporter.pk == pledge.supporter_id else None
    if request.method == "POST":
        if owner is None:  # only the person who confirmed, through their own manage token
            return HttpResponse(status=400)
        form = details_save(request, supporter=owner, fields=services.details_to_ask(owner))
        if form is None:
            here = reverse("pledges:thanks", kwargs={"code": code})
            return HttpResponseRedirect(f"{here}?{urlencode({'k': key, 'done': 'details'})}", status=303)
        return _private(_render_thanks(request, code, receipt, owner, key, form=form, status=400))
    if owner is not None:
        return _private(_render_thanks(request, code, receipt, owner, key))
    response = _render_thanks(request, code, receipt)
    if receipt:  # reached from the confirmation: the receipt is for this visitor alone
        return _private(response)
    patch_cache_control(response, public=True, max_age=300)
    return response


def _render_thanks(
    request: HttpRequest,
    code: str,
    receipt: dict[str, str] | None,
    owner: Supporter | None = None,
    key: str = "",
    *,
    form: SupporterDetailsForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The thank-you page; for its owner (`owner`, through `key`) it also asks the details still missing
    (not once they were just saved) and shows what comes after confirming."""
    context = {"share_code": code, "receipt": receipt}
    if owner is not None:
        done = request.GET.get("done", "")
        if form is None and done != "details":
            asked = services.details_to_ask(owner)
            form = SupporterDetailsForm.of(owner, fields=asked) if asked else None
        context.update(panel_supporter=owner, done=done, key=key, details_form=form)
    return render(request, "pledges/thanks.html", context, status=status)


@require_safe
@cache_control(public=True, max_age=60)
def supporters(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(selectors.wall_supporters(), WALL_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "pledges/supporters.html", {"page": page})


def _supporter_or_404(token: str) -> Supporter:
    supporter = selectors.supporter_by_manage_token(token)
    if supporter is None:
        raise Http404
    return selectors.supporter_with_pledges(supporter)


@require_http_methods(["GET", "HEAD", "POST"])
@same_origin_post
def manage(request: HttpRequest, token: str) -> HttpResponse:
    supporter = selectors.supporter_by_manage_token(token)
    if supporter is None:
        return _private(render(request, "pledges/link_invalid.html", status=404))
    supporter = selectors.supporter_with_pledges(supporter)
    here = reverse("pledges:manage", kwargs={"token": token})
    export_url = reverse("pledges:manage_export", kwargs={"token": token})
    page = SelfServicePage(here=here, export_url=export_url)
    return _private(self_service(request, supporters=[supporter], page=page))


@require_safe
def manage_export(request: HttpRequest, token: str) -> HttpResponse:
    return json_download(services.supporter_export(supporter=_supporter_or_404(token)))


@require_safe
def erased(request: HttpRequest) -> HttpResponse:
    return render(request, "pledges/erased.html")
