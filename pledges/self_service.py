"""The self-service handler shared by the private manage link (pledges.views.manage) and the signed-in
"My pledges" page (accounts.views.mine): one place that checks ownership and acts, so a rule is never
written twice. A library for views, not a view module: other apps import it, never pledges.views."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from pledges import services
from pledges.forms import SupporterDetailsForm
from pledges.models import Pledge, PledgeStatus, Supporter
from pledges.supporters import UNDO_WINDOW


@dataclass(frozen=True)
class SelfServicePage:
    """Where the self-service is shown: the private manage link (cookie-free, same_origin_post) or the
    signed-in "My pledges" page of the accounts app, which adds its own sections around the pledges."""

    here: str
    export_url: str
    template: str = "pledges/manage.html"
    # Only the signed-in page uses the CSRF cookie; the manage link stays cookie-free.
    use_csrf: bool = False
    extra_context: dict[str, Any] = field(default_factory=dict)


def self_service(request: HttpRequest, *, supporters: list[Supporter], page: SelfServicePage) -> HttpResponse:
    """GET shows the pledges of `supporters`; a POST acts on one of them (update, withdraw, erase). A POST
    naming a supporter or pledge outside `supporters` is a 400: nobody acts on someone else's pledges."""
    own = {s.pk: s for s in supporters}
    if request.method == "POST":
        action = request.POST.get("action", "")
        supporter = own.get(_int(request.POST.get("supporter")))
        if supporter is None:
            return HttpResponse(status=400)
        if action == "update":
            form = details_save(request, supporter=supporter)
            if form is not None:
                return render_self_service(request, supporters, page, errors={supporter.pk: form}, status=400)
            return HttpResponseRedirect(f"{page.here}?done=updated", status=303)
        if action == "unsubscribe":  # from campaign updates: the updates consent, withdrawn
            services.supporter_update(supporter=supporter, updates_consent=False)
            return HttpResponseRedirect(f"{page.here}?done=unsubscribed", status=303)
        if action in ("withdraw", "undo_withdraw"):
            target = Pledge.objects.filter(supporter=supporter, pk=_int(request.POST.get("pledge"))).first()
            if target is None:
                return HttpResponse(status=400)
            if action == "undo_withdraw":
                done = "restored" if services.pledge_undo_withdraw(pledge=target) else "too_late"
                return HttpResponseRedirect(f"{page.here}?done={done}", status=303)
            if request.POST.get("confirm_withdraw") != "yes":
                # Ask first (a second form on the page, no JavaScript): it takes one out of the count.
                return render_self_service(request, supporters, page, withdraw_asked=target.pk)
            services.pledge_withdraw(pledge=target)
            return HttpResponseRedirect(f"{page.here}?done=withdrawn", status=303)
        if action == "erase":
            if request.POST.get("confirm_erase") != "yes":
                return render_self_service(
                    request, supporters, page, erase_unconfirmed=supporter.pk, status=400
                )
            services.supporter_erase(supporter=supporter)
            return HttpResponseRedirect(reverse("pledges:erased"), status=303)
        return HttpResponse(status=400)
    return render_self_service(request, supporters, page)


def details_save(
    request: HttpRequest, *, supporter: Supporter, fields: tuple[str, ...] | None = None
) -> SupporterDetailsForm | None:
    """Save the posted details form of `supporter` (only `fields` when given: the thank-you page asks
    only what is missing) through `services.supporter_update`. None once saved, else the form with its
    errors. The caller has checked that `supporter` is the visitor's own."""
    form = SupporterDetailsForm.of(supporter, request.POST, fields=fields)
    if not form.is_valid():
        return form
    services.supporter_update(supporter=supporter, **form.cleaned_data)
    return None


def render_self_service(
    request: HttpRequest,
    supporters: list[Supporter],
    page: SelfServicePage,
    *,
    errors: dict[int, SupporterDetailsForm] | None = None,
    erase_unconfirmed: int | None = None,
    withdraw_asked: int | None = None,
    status: int = 200,
) -> HttpResponse:
    """The page itself (also for a page that adds its own actions, e.g. to re-show it with an error)."""
    entries = []
    undo_since = timezone.now() - UNDO_WINDOW
    for supporter in supporters:
        pledges = [p for p in supporter.pledges.all() if p.email]
        if not pledges:
            continue
        form = (errors or {}).get(supporter.pk) or SupporterDetailsForm.of(
            supporter, auto_id=f"id_s{supporter.pk}_%s"
        )
        entries.append(
            {
                "supporter": supporter,
                "pledges": pledges,
                "form": form,
                "erase_error": erase_unconfirmed == supporter.pk,
                "undoable": {
                    p.pk
                    for p in pledges
                    if p.status == PledgeStatus.WITHDRAWN and p.withdrawn_at and p.withdrawn_at >= undo_since
                },
            }
        )
    context = {
        **page.extra_context,
        "entries": entries,
        "export_url": page.export_url,
        "done": request.GET.get("done", ""),
        "withdraw_asked": withdraw_asked,
        "use_csrf": page.use_csrf,
    }
    return render(request, page.template, context, status=status)


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None
