"""The sampled re-confirmation audit's tables (see `tally.audit`). Imported by `tally.models`."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pledges.models import Supporter
from quitgpt.optin import DoubleOptIn


class AuditSample(models.Model):
    """One draw: its public seed (the root hash of a named head), its size and its deadline."""

    created_at = models.DateTimeField(default=timezone.now)
    head_tree_size = models.BigIntegerField(help_text="The signed head whose root hash is the seed.")
    seed = models.CharField(max_length=64)
    size = models.PositiveIntegerField(help_text="How many were asked for.")
    population = models.PositiveIntegerField(help_text="People counted by the log at that head.")
    deadline = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("audit sample")
        verbose_name_plural = _("audit samples")

    def __str__(self) -> str:
        return f"audit of {self.size} at head {self.head_tree_size}"


class AuditSampleMember(DoubleOptIn):
    """One sampled person: asked by email to re-confirm; `confirmed_at` is when they did."""

    sample = models.ForeignKey(AuditSample, on_delete=models.CASCADE, related_name="members")
    supporter = models.ForeignKey(Supporter, on_delete=models.CASCADE, related_name="+")
    commitment = models.CharField(max_length=64)
    email = models.EmailField(max_length=254, blank=True)
    language = models.CharField(max_length=8, default="en")

    class Meta(DoubleOptIn.Meta):
        constraints = [
            *DoubleOptIn.Meta.constraints,
            models.UniqueConstraint(fields=["sample", "supporter"], name="tally_auditmember_once"),
        ]

    def __str__(self) -> str:
        return f"audit member #{self.pk}"
