"""Campaign updates (one email to many supporters), their deliveries, and the addresses never to mail.

A delivery row is written under a unique (update, supporter) constraint *before* its SMTP call, so that
nobody gets the same update twice, whatever crashes: see updates/sending.py for the states.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from quitgpt.models import TimeStampedModel


class UpdateStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENDING = "sending", _("Sending")
    PAUSED = "paused", _("Paused")
    SENT = "sent", _("Sent")


class Update(TimeStampedModel):
    """One campaign update: subject and Markdown body in English (and optionally French), an audience."""

    subject_en = models.CharField(_("subject (English)"), max_length=150)
    body_en = models.TextField(_("body (English, Markdown)"))
    subject_fr = models.CharField(_("subject (French)"), max_length=150, blank=True)
    body_fr = models.TextField(_("body (French, Markdown)"), blank=True)
    # The audience: every supporter who consented to updates, narrowed by these (empty: no narrowing).
    countries = models.JSONField(_("countries"), default=list, blank=True)
    kinds = models.JSONField(_("pledge kinds"), default=list, blank=True)
    event = models.ForeignKey(
        "events.Event",
        verbose_name=_("only the RSVPs of this event"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(max_length=16, choices=UpdateStatus.choices, default=UpdateStatus.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    # A draft prepared when the count crossed this goal (never sent by itself).
    milestone = models.PositiveBigIntegerField(null=True, blank=True, unique=True, editable=False)
    # Sending: recipients are read in supporter-id order after `cursor` (keyset pagination); one batch
    # task at a time holds the lease; the sweep restarts a sending update whose lease ran out.
    cursor = models.BigIntegerField(default=0, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    audience_at_start = models.PositiveIntegerField(null=True, blank=True, editable=False)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("campaign update")
        verbose_name_plural = _("campaign updates")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=UpdateStatus.values), name="updates_status_valid"),
        ]

    def __str__(self) -> str:
        return self.subject_en


class DeliveryState(models.TextChoices):
    QUEUED = "queued", _("Queued")  # recorded, not attempted yet
    SENDING = "sending", _("Sending")  # claimed, SMTP call under way
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Skipped")  # left the audience, capped or suppressed before its turn
    FAILED = "failed", _("Failed")  # the relay refused it
    UNKNOWN = "unknown", _("Unknown")  # the sender died during the SMTP call: never retried


class Delivery(models.Model):
    """One update to one supporter. No personal data: the address and language are read at send time."""

    update = models.ForeignKey(Update, on_delete=models.CASCADE, related_name="deliveries")
    supporter = models.ForeignKey("pledges.Supporter", on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=8, choices=DeliveryState.choices, default=DeliveryState.QUEUED)
    language = models.CharField(max_length=8, blank=True)
    detail = models.CharField(max_length=200, blank=True)
    attempted_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["update", "supporter"], name="updates_one_delivery_per_supporter"
            ),
            models.CheckConstraint(
                condition=Q(state__in=DeliveryState.values), name="updates_delivery_state"
            ),
        ]
        indexes = [
            models.Index(fields=["update", "state"], name="updates_delivery_state_idx"),
            models.Index(
                fields=["supporter", "sent_at"], name="updates_delivery_recent", condition=Q(state="sent")
            ),
        ]

    def __str__(self) -> str:
        return f"update #{self.update_id} to supporter #{self.supporter_id}: {self.state}"


class SuppressionReason(models.TextChoices):
    HARD_BOUNCE = "bounce", _("Hard bounce")
    COMPLAINT = "complaint", _("Spam complaint")


class Suppression(TimeStampedModel):
    """A normalised address the site never mails again (a hard bounce or a complaint)."""

    email_normalised = models.CharField(_("address (normalised)"), max_length=254, unique=True)
    reason = models.CharField(_("reason"), max_length=16, choices=SuppressionReason.choices)
    source = models.CharField(_("source"), max_length=32, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")

    def __str__(self) -> str:
        return self.email_normalised


class BounceKind(models.TextChoices):
    HARD = "hard", _("Hard bounce")
    SOFT = "soft", _("Soft bounce")
    COMPLAINT = "complaint", _("Complaint")


class Bounce(models.Model):
    """Every bounce and complaint received, as recorded (a hard one also adds a Suppression)."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    email_normalised = models.CharField(max_length=254, db_index=True)
    kind = models.CharField(max_length=16, choices=BounceKind.choices)
    source = models.CharField(max_length=32)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("bounce or complaint")
        verbose_name_plural = _("bounces and complaints")

    def __str__(self) -> str:
        return f"{self.kind} {self.email_normalised}"


class PledgeReminder(models.Model):
    """The one reminder a pledge left unconfirmed gets: the unique pledge makes "exactly one" a fact."""

    pledge = models.OneToOneField("pledges.Pledge", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"reminder for pledge #{self.pledge_id}"
