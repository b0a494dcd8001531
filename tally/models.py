"""The tally's own tables. Pledges' tables are never altered here: the *applied* state lives here.

- `SupporterTally`: for each supporter, the state last applied to the aggregates (counted or not, the
  kinds, country and day it counts under, and its held pledges by state). The job diffs it against the
  state derived from the pledges and applies the difference.
- `TallyBucket`: people counted, per (day, country, kinds). One person is in exactly one bucket, so the
  buckets partition the people: their sum is the headline's `people`.
- `TallyCounter`: running totals (people, per kind, per country, held pledges per state), so that a
  snapshot reads a few hundred rows, whatever the number of pledges.
- `TallySnapshot`: the figures as published, with the time they were computed and last confirmed.
- `ReportedTally`: numbers entered by organisers (source, evidence, who), added to the headline.
- `Recount`: each full recount, what it expected and found, and whether it repaired.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pledges.models import PledgeKind, Supporter
from quitgpt.models import TimeStampedModel


class HeldState(models.TextChoices):
    """Pledges that do not count, shown apart on "How we count"."""

    PENDING = "pending", _("Waiting for email confirmation")
    SUSPICIOUS = "suspicious", _("Held for review as suspicious")
    WITHDRAWN = "withdrawn", _("Withdrawn by the supporter")
    REMOVED = "removed", _("Removed (spam or invalid)")


class SupporterTally(models.Model):
    """What the aggregates currently hold for one supporter (the *applied* state)."""

    supporter = models.OneToOneField(
        # PROTECT: supporters ever counted are never deleted (erasure anonymises them), so the job can
        # always subtract what it once added.
        Supporter,
        primary_key=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    counted = models.BooleanField(default=False)
    day = models.DateField(null=True, blank=True)
    country = models.CharField(max_length=2, blank=True, default="")
    kinds = models.CharField(max_length=64, blank=True, default="")
    pending = models.PositiveIntegerField(default=0)
    suspicious = models.PositiveIntegerField(default=0)
    withdrawn = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(counted=False, day__isnull=True, kinds="")
                | Q(counted=True, day__isnull=False) & ~Q(kinds=""),
                name="tally_supportertally_counted_has_day_and_kinds",
            ),
        ]

    def __str__(self) -> str:
        return f"tally of supporter #{self.supporter_id}"


class TallyBucket(models.Model):
    """People counted whose first counted confirmation fell on `day`, from `country`, with `kinds`."""

    day = models.DateField()
    country = models.CharField(max_length=2, blank=True, default="")
    # The supporter's counted kinds, sorted and joined by "+": "cancelled", "shared", "cancelled+shared".
    kinds = models.CharField(max_length=64)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "country", "kinds"], name="tally_bucket_unique"),
            models.CheckConstraint(condition=Q(count__gte=0), name="tally_bucket_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.country or '--'} {self.kinds}: {self.count}"


class TallyCounter(models.Model):
    """A running total: "people", "kind:<kind>", "country:<code>" or "held:<state>"."""

    key = models.CharField(max_length=40, primary_key=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="tally_counter_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class TallySnapshot(models.Model):
    """The published figures. A new row when they change; `checked_at` moves on every run."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    checked_at = models.DateTimeField(default=timezone.now)
    total = models.BigIntegerField()
    people = models.BigIntegerField()
    reported = models.BigIntegerField()
    data = models.JSONField(default=dict, help_text="Breakdowns: by kind, country, source; held pledges.")

    class Meta:
        ordering = ["-id"]
        get_latest_by = "id"
        constraints = [
            models.CheckConstraint(
                condition=Q(total=models.F("people") + models.F("reported")), name="tally_snapshot_total_sum"
            ),
        ]

    def __str__(self) -> str:
        return f"snapshot #{self.pk}: {self.total} at {self.created_at:%Y-%m-%d %H:%M:%S}"


class ReportedTally(TimeStampedModel):
    """A number counted elsewhere, entered by an organiser: e.g. cancellations announced on social media."""

    source = models.CharField(_("source"), max_length=200, help_text=_("Who counted, and where."))
    count = models.PositiveBigIntegerField(_("count"))
    date = models.DateField(_("date"), help_text=_("When this number was counted or announced."))
    kind = models.CharField(
        _("kind"), max_length=16, choices=PledgeKind.choices, blank=True, help_text=_("Blank if mixed.")
    )
    evidence_url = models.URLField(_("evidence link"), max_length=500, blank=True)
    note = models.TextField(_("note"), blank=True)
    verified = models.BooleanField(
        _("verified"), default=False, help_text=_("Tick only when an organiser checked the evidence.")
    )
    active = models.BooleanField(
        _("counted in the headline"), default=True, help_text=_("Untick to retract without deleting.")
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        verbose_name=_("entered by"),
    )

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("reported tally")
        verbose_name_plural = _("reported tallies")

    def __str__(self) -> str:
        return f"{self.source}: {self.count}"


class Recount(models.Model):
    """One full recount: the aggregates as found against the same computed from the pledges."""

    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expected_people = models.BigIntegerField(help_text="Computed from scratch from the pledges.")
    found_people = models.BigIntegerField(help_text="What the incremental aggregates held.")
    drift = models.BigIntegerField(help_text="found - expected, for the headline's people.")
    mismatched_buckets = models.PositiveIntegerField(default=0)
    mismatched_counters = models.PositiveIntegerField(default=0)
    repaired = models.BooleanField(default=False)
    duration_ms = models.PositiveIntegerField(default=0)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"recount {self.started_at:%Y-%m-%d %H:%M}: drift {self.drift}"

    @property
    def matched(self) -> bool:
        """Every bucket and counter held what the recount computed (named apart from Model.clean, which
        full_clean() calls)."""
        return self.mismatched_buckets == 0 and self.mismatched_counters == 0
