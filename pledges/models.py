from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from quitgpt.models import TimeStampedModel
from quitgpt.optin import DoubleOptIn


class PledgeKind(models.TextChoices):
    CANCELLED = "cancelled", _("I cancelled my paid ChatGPT subscription")
    SHARED = "shared", _("I shared the boycott")


class PledgeStatus(models.TextChoices):
    PENDING = "pending", _("Pending confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    SPAM = "spam", _("Spam")


class Supporter(TimeStampedModel):
    """One normalised mailbox: the unit the public counter counts, whatever kinds it pledged.

    `tally_dirty` is set in the same transaction as every change that may alter whether or how this
    supporter counts; the tally job reads only dirty rows (partial index) and clears the flag.
    """

    email_normalised = models.CharField(max_length=254, unique=True)
    tally_dirty = models.BooleanField(default=True, editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["id"], name="pledges_supporter_dirty", condition=Q(tally_dirty=True)),
        ]

    def __str__(self) -> str:
        return f"supporter #{self.pk}"


class PledgeQuerySet(models.QuerySet):
    def counted(self) -> PledgeQuerySet:
        """Pledges that count towards the public total: confirmed and not held as suspicious."""
        return self.filter(status=PledgeStatus.CONFIRMED, suspicious=False)


class Pledge(TimeStampedModel, DoubleOptIn):
    supporter = models.ForeignKey(Supporter, on_delete=models.PROTECT, related_name="pledges")
    kind = models.CharField(max_length=16, choices=PledgeKind.choices)
    email = models.EmailField(max_length=254)
    email_normalised = models.CharField(max_length=254, editable=False)
    first_name = models.CharField(max_length=50, blank=True)
    country = CountryField(blank=True)
    message = models.CharField(max_length=280, blank=True)
    message_approved = models.BooleanField(default=False)
    wall_consent = models.BooleanField(default=False)
    updates_consent = models.BooleanField(default=False)
    language = models.CharField(max_length=8, default="en")
    referral_code = models.CharField(max_length=16, blank=True, help_text=_("The code that brought them."))
    share_code = models.CharField(max_length=16, unique=True, editable=False)
    status = models.CharField(max_length=16, choices=PledgeStatus.choices, default=PledgeStatus.PENDING)
    suspicious = models.BooleanField(default=False)
    ip_hash = models.CharField(max_length=64, blank=True, editable=False)
    manage_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = PledgeQuerySet.as_manager()

    class Meta(DoubleOptIn.Meta):
        constraints = [
            *DoubleOptIn.Meta.constraints,
            models.UniqueConstraint(
                fields=["email_normalised", "kind"], name="pledges_one_per_kind_per_mailbox"
            ),
            models.CheckConstraint(condition=Q(kind__in=PledgeKind.values), name="pledges_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=PledgeStatus.values), name="pledges_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=PledgeStatus.CONFIRMED) | Q(confirmed_at__isnull=False),
                name="pledges_confirmed_has_time",
            ),
        ]
        indexes = [
            *DoubleOptIn.Meta.indexes,
            models.Index(fields=["status", "created_at"], name="pledges_status_created"),
            models.Index(fields=["manage_token_hash"], name="pledges_manage_token"),
            models.Index(fields=["ip_hash", "created_at"], name="pledges_ip_created"),
        ]

    def __str__(self) -> str:
        return f"pledge #{self.pk} ({self.kind}, {self.status})"
