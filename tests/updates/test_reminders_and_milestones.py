"""The one reminder of an unconfirmed pledge, and the milestone drafts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from pledges import services as pledge_services
from pledges.models import Pledge
from quitgpt.optin import MAX_EMAILS, TOKEN_LIFETIME, request_token
from quitgpt.tokens import hash_token
from tests.factories import make_pledge
from updates import services
from updates.models import Update, UpdateStatus

pytestmark = pytest.mark.django_db


def _remind(django_capture_on_commit_callbacks, now=None) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return services.pledges_remind_unconfirmed(now=now)


def _old_pending(**kwargs) -> Pledge:
    """A pledge asked for 25 hours ago whose confirmation email went out then: its request (link and
    budget) is still live, as the sender left it."""
    pledge = make_pledge(status="pending", **kwargs)
    requested = timezone.now() - timedelta(hours=25)
    expires = requested + TOKEN_LIFETIME
    Pledge.objects.filter(pk=pledge.pk).update(
        requested_at=requested,
        emails_sent=1,
        token_expires_at=expires,
        token_hash=hash_token(request_token(Pledge, pledge.pk, expires)),
    )
    return pledge


def test_a_pledge_unconfirmed_after_a_day_gets_exactly_one_reminder(
    smtp_mailbox, django_capture_on_commit_callbacks
) -> None:
    pledge = _old_pending(email="late@example.org", language="fr")
    assert _remind(django_capture_on_commit_callbacks) == 1
    [message] = smtp_mailbox.wait_for(1)
    assert message["X-Envelope-To"] == "late@example.org"
    assert message["Subject"] == "Rappel : confirmez votre engagement QuitGPT"
    assert "/fr/pledge/confirm/" in smtp_mailbox.text_of(message)
    # The reminder carries the link of the first email, which keeps working.
    pledge.refresh_from_db()
    first_link = request_token(Pledge, pledge.pk, pledge.token_expires_at)
    assert f"/fr/pledge/confirm/{first_link}/" in smtp_mailbox.text_of(message)
    # Never more: later runs, days later, owe nothing.
    assert _remind(django_capture_on_commit_callbacks) == 0
    assert _remind(django_capture_on_commit_callbacks, now=timezone.now() + timedelta(days=3)) == 0
    assert len(smtp_mailbox.messages) == 1
    pledge.refresh_from_db()
    assert pledge.emails_sent == 2  # counted in the pledge's email budget


def test_a_fresh_pledge_a_withdrawn_one_and_a_spent_budget_get_no_reminder(
    smtp_mailbox, django_capture_on_commit_callbacks
) -> None:
    make_pledge(status="pending", email="fresh@example.org")
    withdrawn = _old_pending(email="withdrawn@example.org")
    pledge_services.pledge_withdraw(pledge=withdrawn)
    spent = _old_pending(email="spent@example.org")
    Pledge.objects.filter(pk=spent.pk).update(emails_sent=MAX_EMAILS)
    assert _remind(django_capture_on_commit_callbacks) == 0
    assert smtp_mailbox.messages == []


def test_a_mailbox_with_two_pending_kinds_gets_one_reminder(
    smtp_mailbox, django_capture_on_commit_callbacks
) -> None:
    first = _old_pending(email="two@example.org", kind="cancelled")
    _old_pending(email="two@example.org", kind="shared", supporter=first.supporter)
    assert _remind(django_capture_on_commit_callbacks) == 1
    assert len(smtp_mailbox.wait_for(1)) == 1
    assert _remind(django_capture_on_commit_callbacks) == 0


def test_crossing_a_goal_prepares_one_draft_that_is_never_sent_by_itself() -> None:
    assert services.updates_prepare_milestone(total=9_999) is None
    draft = services.updates_prepare_milestone(total=10_250)
    assert draft is not None and draft.milestone == 10_000 and draft.status == UpdateStatus.DRAFT
    assert "10K" in draft.subject_en and draft.subject_fr
    assert services.updates_prepare_milestone(total=10_400) is None  # once per goal
    assert services.updates_prepare_milestone(total=52_000).milestone == 50_000
    assert Update.objects.exclude(status=UpdateStatus.DRAFT).count() == 0
    assert draft.approved_at is None
