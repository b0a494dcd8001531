"""Emails owed by a request (allauth's sign-in codes, verification codes, notices): rendered in the request,
sent by a task after commit, swept if lost. The body is erased once sent (it may hold a sign-in code)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboundEmail(models.Model):
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=300)
    text = models.TextField()
    html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    # A sender claims the row with a conditional UPDATE; a claim older than outbox.services.CLAIM_TIMEOUT,
    # or whose database connection (`claimed_by`, a PostgreSQL backend pid: quitgpt.claims) is gone, is
    # given up (the worker died). `sent_at` is stamped with `WHERE sent_at IS NULL`, at the final dot.
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.PositiveIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "outbound email"
        indexes = [
            models.Index(fields=["created_at"], name="outbox_owed", condition=Q(sent_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"email #{self.pk} ({'sent' if self.sent_at else 'owed'})"
