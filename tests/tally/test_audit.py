"""The sampled re-confirmation audit: a public seed, a draw anyone can redo, emails through the owed
mechanism, and the response rate published after the deadline."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from pledges.models import Supporter
from pledges.privacy import supporter_erase
from tally.audit_models import AuditSample, AuditSampleMember
from tally.services import tally_recompute
from tests.tally.conftest import confirm, make_pledge

pytestmark = pytest.mark.django_db

POST = {"HTTP_SEC_FETCH_SITE": "same-origin"}


@pytest.fixture
def counted() -> None:
    for i in range(12):
        confirm(make_pledge(f"p{i}@example.org"))
    tally_recompute()


def _redo_the_draw_from_public_data(client, size: int) -> set[str]:
    head = client.get("/api/log/head").json()
    entries = client.get("/api/log/entries", {"start": 0, "end": head["tree_size"]}).json()["entries"]
    sums: dict[str, int] = {}
    for e in entries:
        sums[e["leaf"]["commitment"]] = sums.get(e["leaf"]["commitment"], 0) + e["leaf"]["delta"]
    population = [c for c, s in sums.items() if s == 1]

    def rank(c: str) -> str:
        return hashlib.sha256(f"quitgpt-audit-v1:{head['root_hash']}:{c}".encode()).hexdigest()

    return set(sorted(population, key=rank)[:size])


def test_the_draw_is_seeded_by_a_signed_head_and_anyone_can_redo_it(
    client, counted, django_capture_on_commit_callbacks
) -> None:
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        call_command("audit_sample", "--size", "4")
    sample = AuditSample.objects.get()
    assert sample.seed == client.get("/api/log/head").json()["root_hash"]
    assert sample.population == 12
    drawn = set(AuditSampleMember.objects.values_list("commitment", flat=True))
    assert drawn == _redo_the_draw_from_public_data(client, 4)
    assert len(mail.outbox) == 4  # sent through the owed mechanism, each stamped
    assert not AuditSampleMember.objects.exclude(email_owed="").exists()
    assert set(AuditSampleMember.objects.values_list("emails_sent", flat=True)) == {1}
    owners = set(
        Supporter.objects.filter(receipt_commitment__in=drawn).values_list("email_normalised", flat=True)
    )
    assert {m.to[0] for m in mail.outbox} == owners


def test_an_answer_needs_the_button_and_the_rate_is_published_only_after_the_deadline(
    client, counted, django_capture_on_commit_callbacks
) -> None:
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        call_command("audit_sample", "--size", "3", "--days", "2")
    paths = [re.search(r"https?://[^/\s]+(/audit/[^\s]+/)", m.body).group(1) for m in mail.outbox]
    assert client.get(paths[0]).status_code == 200  # a mail scanner opening the link answers nothing
    assert not AuditSampleMember.objects.exclude(confirmed_at=None).exists()
    assert client.post(paths[0], **POST).status_code == 200
    assert client.post(paths[1], **POST).status_code == 200
    assert client.post(paths[1], **POST).status_code == 200  # twice is harmless
    assert AuditSampleMember.objects.exclude(confirmed_at=None).count() == 2
    page = client.get("/how-we-count/").content.decode()
    assert "3 people asked; the result is published after" in page and "confirmed again" not in page
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        assert client.post(paths[2], **POST).status_code == 200  # recorded, but after the deadline
        page = client.get("/how-we-count/").content.decode()
    assert AuditSampleMember.objects.exclude(confirmed_at=None).count() == 3
    assert "2 of 3 people asked confirmed again (66.7%)" in page


def test_erased_people_are_not_emailed_and_bad_arguments_are_refused(
    counted, django_capture_on_commit_callbacks
) -> None:
    for supporter in Supporter.objects.all()[:12]:
        supporter_erase(supporter=supporter)
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        call_command("audit_sample", "--size", "5", "--head", "12")  # the head from before the erasures
    assert AuditSample.objects.get().population == 12
    assert AuditSampleMember.objects.count() == 0 and mail.outbox == []
    with pytest.raises(CommandError, match="at least 1"):
        call_command("audit_sample", "--size", "0")
    with pytest.raises(CommandError, match="no signed head"):
        call_command("audit_sample", "--size", "3", "--head", "999")
    with pytest.raises(CommandError, match="days"):
        call_command("audit_sample", "--size", "3", "--days", "30")
    assert AuditSample.objects.count() == 1


def test_an_unknown_audit_link_is_a_plain_404(client) -> None:
    response = client.post("/audit/not-a-token/", **POST)
    assert response.status_code == 404 and "unknown or has expired" in response.content.decode()
