from __future__ import annotations

import ipaddress

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from quitgpt.models import TimeStampedModel
from quitgpt.optin import DoubleOptIn


class PledgeKind(models.TextChoices):
    CANCELLED = "cancelled", _("I cancelled my paid ChatGPT subscription")
    SHARED = "shared", _("I shared the boycott")
    # The campaign's first tier: the account itself is gone, not only the subscription. Added after the
    # first two, so existing keys and their order in the open data never change.
    DELETED = "deleted", _("I deleted my ChatGPT account")


# The order the form offers them in: the campaign's tiers, from the strongest commitment down.
PLEDGE_TIERS = (PledgeKind.DELETED, PledgeKind.CANCELLED, PledgeKind.SHARED)


class PledgeStatus(models.TextChoices):
    PENDING = "pending", _("Pending confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    SPAM = "spam", _("Spam")


# Who counts, the one rule: a pledge counts towards the public total when it is confirmed and not held as
# suspicious. `Pledge.objects.counted()` filters by it; the tally derives its Python and SQL forms from it
# (tally/rules.py).
COUNTED_STATUS = PledgeStatus.CONFIRMED


def pledge_counts(status: str, suspicious: bool) -> bool:
    """Whether a pledge with this status and flag counts towards the public total."""
    return status == COUNTED_STATUS and not suspicious


class SupporterQuerySet(models.QuerySet):
    def on_wall(self) -> SupporterQuerySet:
        """People published on the wall: consented, approved by a moderator, and counted (at least one
        pledge that counts). One entry per person, whatever kinds they pledged."""
        return self.filter(
            wall_consent=True,
            message_approved=True,
            pk__in=Pledge.objects.counted().values("supporter_id"),
        )


class Supporter(TimeStampedModel):
    """One normalised mailbox: the unit the public counter counts, whatever kinds it pledged.

    `tally_dirty` is set in the same transaction as every change that may alter whether or how this
    supporter counts; the tally job reads only dirty rows (partial index) and clears the flag.
    """

    email_normalised = models.CharField(max_length=254, unique=True)
    # The person's details, once per person whatever kinds they pledged: what the wall publishes (with
    # their consent and a moderator's approval) and how we write to them.
    first_name = models.CharField(max_length=50, blank=True)
    country = CountryField(blank=True)
    message = models.CharField(max_length=280, blank=True)
    message_approved = models.BooleanField(default=False)
    wall_consent = models.BooleanField(default=False)
    updates_consent = models.BooleanField(default=False)
    language = models.CharField(max_length=8, default="en")
    tally_dirty = models.BooleanField(default=True, editable=False)
    # The private manage link is derived from SECRET_KEY and this salt (so every email can carry it
    # without storing it); only its hash is stored, for the look-up. A new salt revokes old links.
    manage_salt = models.CharField(max_length=32, blank=True, default="", editable=False)
    manage_token_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    # The receipt (pledges.receipts): a random secret shown only to the supporter, and its commitment,
    # which is all the public log carries. Erasure deletes the secret; the commitment stays with the
    # anonymous row so that the log can still subtract it.
    receipt_secret = models.CharField(max_length=64, blank=True, default="", editable=False)
    receipt_commitment = models.CharField(max_length=64, blank=True, default="", editable=False)

    objects = SupporterQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["id"], name="pledges_supporter_dirty", condition=Q(tally_dirty=True)),
            models.Index(fields=["manage_token_hash"], name="pledges_supporter_manage"),
            models.Index(
                fields=["id"],
                name="pledges_supporter_wall",
                condition=Q(wall_consent=True, message_approved=True),
            ),
        ]

    def __str__(self) -> str:
        return f"supporter #{self.pk}"

    @property
    def publishable(self) -> bool:
        """Whether the person's entry may be published on the wall (they consented and a moderator
        approved it); the wall also requires a pledge that counts (`Supporter.objects.on_wall()`)."""
        return self.wall_consent and self.message_approved and not self.email_normalised.startswith("erased-")


class PledgeQuerySet(models.QuerySet):
    def counted(self) -> PledgeQuerySet:
        """Pledges that count towards the public total: confirmed and not held as suspicious."""
        return self.filter(status=COUNTED_STATUS, suspicious=False)

    def awaiting_confirmation(self) -> PledgeQuerySet:
        """Pledges that the owner's confirmation link confirms: pending ones, and withdrawn ones signed
        again since (they stay withdrawn until the owner confirms: an unverified signature changes no
        state)."""
        return self.filter(AWAITING_CONFIRMATION)

    def for_email(self) -> PledgeQuerySet:
        """What an email about the person's pledges lists, in one read: those awaiting confirmation
        and the confirmed ones, each annotated `awaiting` (the rule of `awaiting_confirmation`)."""
        return self.filter(AWAITING_CONFIRMATION | Q(status=PledgeStatus.CONFIRMED)).annotate(
            awaiting=models.ExpressionWrapper(AWAITING_CONFIRMATION, output_field=models.BooleanField())
        )


# The one statement of which pledges a confirmation link confirms (PledgeQuerySet.awaiting_confirmation).
AWAITING_CONFIRMATION = Q(status=PledgeStatus.PENDING) | Q(
    status=PledgeStatus.WITHDRAWN, withdrawn_at__lt=models.F("requested_at")
)


class Pledge(TimeStampedModel, DoubleOptIn):
    supporter = models.ForeignKey(Supporter, on_delete=models.PROTECT, related_name="pledges")
    kind = models.CharField(max_length=16, choices=PledgeKind.choices)
    email = models.EmailField(max_length=254)
    email_normalised = models.CharField(max_length=254, editable=False)
    referral_code = models.CharField(max_length=16, blank=True, help_text=_("The code that brought them."))
    share_code = models.CharField(max_length=16, unique=True, editable=False)
    status = models.CharField(max_length=16, choices=PledgeStatus.choices, default=PledgeStatus.PENDING)
    suspicious = models.BooleanField(default=False)
    ip_hash = models.CharField(max_length=64, blank=True, editable=False)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # When the current request to confirm was made (a withdrawn pledge signed again starts anew):
    # unconfirmed pledges are purged 7 days after it.
    requested_at = models.DateTimeField(default=timezone.now, editable=False)

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
            models.Index(fields=["ip_hash", "created_at"], name="pledges_ip_created"),
        ]

    def __str__(self) -> str:
        return f"pledge #{self.pk} ({self.kind}, {self.status})"


class PledgeSettings(models.Model):
    """The organisers' switches, one row (pk=1), edited in the admin: no deploy needed."""

    signing_paused = models.BooleanField(
        _("signing paused"), default=False, help_text=_("Stops new pledges at once; confirmations go on.")
    )
    short_limit = models.PositiveIntegerField(_("pledges per IP in the short window"), default=1)
    short_window = models.PositiveIntegerField(_("short window (seconds)"), default=60)
    long_limit = models.PositiveIntegerField(_("pledges per IP in the long window"), default=5)
    long_window = models.PositiveIntegerField(_("long window (seconds)"), default=300)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("pledge settings")
        verbose_name_plural = _("pledge settings")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="pledges_settings_singleton"),
            models.CheckConstraint(
                condition=Q(short_window__gte=1, long_window__gte=1), name="pledges_settings_windows_positive"
            ),
        ]

    def __str__(self) -> str:
        return str(_("Pledge settings"))

    @classmethod
    def load(cls) -> PledgeSettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class BlockedDomain(TimeStampedModel):
    """Pledges from this domain (or a subdomain of it) are silently dropped."""

    domain = models.CharField(_("domain"), max_length=253, unique=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    shipped = models.BooleanField(
        _("shipped list"), default=False, help_text=_("From the disposable-mail list shipped with the site.")
    )

    class Meta:
        ordering = ["domain"]
        verbose_name = _("blocked email domain")
        verbose_name_plural = _("blocked email domains")
        constraints = [
            models.CheckConstraint(condition=Q(domain=Lower("domain")), name="pledges_domain_lower"),
        ]

    def __str__(self) -> str:
        return self.domain


class BlockedAddress(TimeStampedModel):
    """One blocked mailbox, matched on the normalised address."""

    email_normalised = models.CharField(_("address (normalised)"), max_length=254, unique=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["email_normalised"]
        verbose_name = _("blocked address")
        verbose_name_plural = _("blocked addresses")

    def __str__(self) -> str:
        return self.email_normalised


def validate_network(value: str) -> None:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValidationError(
            _("Enter an IP address or range, e.g. 203.0.113.0/24 or 2001:db8::/32.")
        ) from None


class BlockedNetwork(TimeStampedModel):
    """An IP address or range whose submissions are silently dropped (checked against the live IP)."""

    network = models.CharField(_("IP range"), max_length=64, unique=True, validators=[validate_network])
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["network"]
        verbose_name = _("blocked IP range")
        verbose_name_plural = _("blocked IP ranges")

    def __str__(self) -> str:
        return self.network


class SpamTombstone(models.Model):
    """A mailbox marked as spam and then erased: only a keyed hash of its key is kept (no address), so
    that erasing and signing again does not undo the spam marking: new signatures are held as
    suspicious until a moderator clears them."""

    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("spam tombstone")
        verbose_name_plural = _("spam tombstones")

    def __str__(self) -> str:
        return f"tombstone {self.key_hash[:12]}"


class ReferralVisit(models.Model):
    """Visits through one share code on one day: a counter, no cookie and no visitor data."""

    code = models.CharField(max_length=16)
    day = models.DateField()
    visits = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("referral visits")
        verbose_name_plural = _("referral visits")
        constraints = [models.UniqueConstraint(fields=["code", "day"], name="pledges_referral_code_day")]

    def __str__(self) -> str:
        return f"{self.code} {self.day}: {self.visits}"
