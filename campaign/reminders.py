"""Renewal reminders: "remind me before 14 March". One email a few days before the renewal date, then
one asking "did you?" the day after. Each is owed once (a conditional stamp), sent through the owed-email
machinery of quitgpt.optin (claim, send, stamp; the run re-sends what stayed owed)."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from campaign.models import RenewalReminder
from pledges.models import COUNTED_STATUS, Pledge, Supporter
from pledges.supporters import manage_token_for
from quitgpt.mail import send_templated_email
from quitgpt.optin import owed_pks, send_owed_email

logger = logging.getLogger(__name__)

DAYS_BEFORE = 3
LATEST = timedelta(days=400)


class ReminderDateInvalid(ValueError):
    pass


def reminder_set(
    *, supporter: Supporter, renews_on: date, language: str = "en", today: date | None = None
) -> RenewalReminder:
    """Ask for a reminder before `renews_on` (tomorrow to 400 days away). Setting a new date starts
    anew; a supporter without a confirmed pledge gets none (ValueError)."""
    today = today or timezone.localdate()
    if not (today < renews_on <= today + LATEST):
        raise ReminderDateInvalid("the renewal date must be between tomorrow and 400 days from now")
    if not Pledge.objects.filter(supporter=supporter, status=COUNTED_STATUS).exists():
        raise ValueError("only a confirmed supporter may ask for a reminder")
    reminder, created = RenewalReminder.objects.get_or_create(
        supporter=supporter, defaults={"renews_on": renews_on, "language": language}
    )
    if not created and reminder.renews_on != renews_on:
        RenewalReminder.objects.filter(pk=reminder.pk).update(
            renews_on=renews_on,
            language=language,
            before_owed_at=None,
            after_owed_at=None,
            email_owed="",
            email_owed_since=None,
            emails_sent=0,
        )
        reminder.refresh_from_db()
    return reminder


def reminder_cancel(*, supporter: Supporter) -> bool:
    return bool(RenewalReminder.objects.filter(supporter=supporter).delete()[0])


def reminders_owe_due(*, today: date | None = None) -> int:
    """Owe the "before" email from DAYS_BEFORE days ahead of the date, and the "did you?" email from the
    day after it; each once (the stamps are set by conditional updates). Returns how many were owed."""
    today = today or timezone.localdate()
    now = timezone.now()
    before = RenewalReminder.objects.filter(
        before_owed_at__isnull=True, renews_on__gt=today, renews_on__lte=today + timedelta(days=DAYS_BEFORE)
    ).update(before_owed_at=now, email_owed="before", email_owed_since=now)
    # "Did you?" once the date has passed and nothing else is waiting to be sent.
    after = RenewalReminder.objects.filter(
        after_owed_at__isnull=True, renews_on__lt=today, email_owed=""
    ).update(after_owed_at=now, email_owed="after", email_owed_since=now)
    return before + after


def _absolute(name: str, language: str, **kwargs: Any) -> str:
    with translation.override(language):
        return settings.SITE_URL + reverse(name, kwargs=kwargs or None)


def _send(reminder: RenewalReminder, kind: str, _raw: str | None) -> None:
    pledge = (
        Pledge.objects.filter(supporter_id=reminder.supporter_id).exclude(email="").order_by("pk").first()
    )
    if pledge is None:  # erased since
        return
    language = reminder.language if reminder.language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    token = manage_token_for(reminder.supporter)
    context = {
        "reminder": reminder,
        "guide_url": _absolute("alternatives:how_to_switch", language),
        "pledge_url": _absolute("pledges:pledge", language),
        "manage_url": _absolute("pledges:manage", language, token=token) if token else "",
    }
    template = "campaign/email/renewal_before" if kind == "before" else "campaign/email/renewal_after"
    send_templated_email(template=template, to=pledge.email, context=context, language=language)


def reminder_send(*, reminder_id: int) -> bool:
    return send_owed_email(RenewalReminder, pk=reminder_id, send=_send, token_kinds=())


def reminders_run(*, today: date | None = None) -> int:
    """The periodic run: owe what is due, then send everything owed. Returns how many were sent."""
    reminders_owe_due(today=today)
    sent = 0
    pks = list(RenewalReminder.objects.exclude(email_owed="").values_list("pk", flat=True)[:500])
    for pk in dict.fromkeys([*pks, *owed_pks(RenewalReminder)]):
        try:
            sent += reminder_send(reminder_id=pk)
        except Exception:
            logger.exception("renewal reminder %s could not be sent; the next run retries", pk)
    return sent
