"""Campaign tools' tables. Pledges' and the tally's tables are never altered here; rows point at them."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from quitgpt.models import TimeStampedModel
from quitgpt.optin import DoubleOptIn

PARTNER_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,31}$")
ORIGIN_RE = re.compile(r"^https?://[a-z0-9.-]+(:[0-9]{1,5})?$")


def validate_partner_code(value: str) -> None:
    if not PARTNER_CODE_RE.match(value or ""):
        raise ValidationError(_("2 to 32 lower-case letters, digits or hyphens, e.g. digital-rights-fr."))


def validate_origins(value: str) -> None:
    for line in (value or "").split():
        if not ORIGIN_RE.match(line):
            raise ValidationError(
                _(
                    "“%(origin)s” is not an origin: write the scheme and host only, e.g. https://partner.example."
                ),
                params={"origin": line},
            )


class CampaignSettings(models.Model):
    """The organisers' campaign-wide switches (pk=1), edited in the admin, audited."""

    embed_any_origin = models.BooleanField(
        _("any site may frame the pledge form"),
        default=False,
        help_text=_("Off: only the origins of active partners may frame /embed/pledge/."),
    )
    plan_monthly_price = models.DecimalField(
        _("monthly price of the paid plan"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Blank: no estimate is shown."),
    )
    plan_currency = models.CharField(_("currency"), max_length=3, default="USD")
    plan_price_source = models.URLField(
        _("source of the price"), max_length=500, blank=True, help_text=_("Where the price is published.")
    )
    # Fraud watch thresholds: see campaign.watch.
    watch_domain_threshold = models.PositiveIntegerField(
        _("people per small email domain in 24 hours before holding"), default=20
    )
    watch_ip_prefix_threshold = models.PositiveIntegerField(
        _("pledges per IP prefix in 24 hours before alerting"), default=300
    )
    watch_country_threshold = models.PositiveIntegerField(
        _("pledges per country in an hour before alerting"), default=500
    )
    watch_hourly_factor = models.PositiveIntegerField(
        _("alert when an hour has this many times the usual rate"), default=5
    )
    watch_hourly_minimum = models.PositiveIntegerField(_("and at least this many pledges"), default=100)
    watch_trusted_domains = models.TextField(
        _("trusted email domains"),
        blank=True,
        help_text=_("One per line: never held for concentration (e.g. a university whose students sign)."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("campaign settings")
        verbose_name_plural = _("campaign settings")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="campaign_settings_singleton"),
            models.CheckConstraint(
                condition=Q(plan_monthly_price__isnull=True) | Q(plan_monthly_price__gte=0),
                name="campaign_settings_price_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(plan_monthly_price__isnull=True) | ~Q(plan_price_source=""),
                name="campaign_settings_price_has_source",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Campaign settings"))

    @classmethod
    def load(cls) -> CampaignSettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj

    def trusted_domains(self) -> set[str]:
        return {
            line.strip().lower().lstrip("@") for line in self.watch_trusted_domains.split() if line.strip()
        }


class Partner(TimeStampedModel):
    """An organisation that embeds the pledge form on its site (`/embed/pledge/?partner=<code>`)."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[validate_partner_code])
    name = models.CharField(_("name"), max_length=100)
    origins = models.TextField(
        _("allowed origins"),
        blank=True,
        validators=[validate_origins],
        help_text=_("One per line, e.g. https://partner.example: the sites allowed to frame the form."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")

    def __str__(self) -> str:
        return self.name

    def origin_list(self) -> list[str]:
        return [line.strip() for line in self.origins.split() if line.strip()]


class PledgeSource(models.Model):
    """Where one pledge came from, written with it: its partner, email domain, IP prefix (a keyed hash of
    the /24 or /48, never the address) and country. The fraud watch and per-partner counts read it."""

    pledge = models.OneToOneField(
        "pledges.Pledge", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    supporter = models.ForeignKey("pledges.Supporter", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="sources"
    )
    domain = models.CharField(max_length=253, blank=True)
    ip_prefix_hash = models.CharField(max_length=64, blank=True)
    country = models.CharField(max_length=2, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["domain", "created_at"], name="campaign_source_domain"),
            models.Index(fields=["ip_prefix_hash", "created_at"], name="campaign_source_prefix"),
            models.Index(fields=["created_at"], name="campaign_source_created"),
            models.Index(
                fields=["partner"], name="campaign_source_partner", condition=Q(partner__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"source of pledge #{self.pledge_id}"


class Switch(TimeStampedModel):
    """ "I switched to": the alternative one supporter says they moved to (one per supporter)."""

    supporter = models.OneToOneField(
        "pledges.Supporter", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    alternative = models.ForeignKey("alternatives.Alternative", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("switch")
        verbose_name_plural = _("switches")
        indexes = [models.Index(fields=["alternative"], name="campaign_switch_alternative")]

    def __str__(self) -> str:
        return f"supporter #{self.supporter_id} -> {self.alternative_id}"


class RenewalReminder(TimeStampedModel, DoubleOptIn):
    """ "Remind me before my renewal": one email a few days before `renews_on`, then one asking "did
    you?" after it. Each is owed once (its `*_owed_at` stamp), then sent through quitgpt.optin."""

    supporter = models.OneToOneField("pledges.Supporter", on_delete=models.CASCADE, related_name="+")
    renews_on = models.DateField()
    language = models.CharField(max_length=8, default="en")
    before_owed_at = models.DateTimeField(null=True, blank=True)
    after_owed_at = models.DateTimeField(null=True, blank=True)

    class Meta(DoubleOptIn.Meta):
        verbose_name = _("renewal reminder")
        verbose_name_plural = _("renewal reminders")
        indexes = [
            *DoubleOptIn.Meta.indexes,
            models.Index(
                fields=["renews_on"], name="campaign_reminder_due", condition=Q(after_owed_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"reminder of supporter #{self.supporter_id} for {self.renews_on}"


class RemovalCategory(models.TextChoices):
    SPAM = "spam", _("spam")
    DUPLICATES = "duplicates", _("duplicates")
    INVALIDATION = "invalidation", _("bulk invalidation")
    ERASURE = "erasure", _("erasure at the person's request")


class RemovalBatch(models.Model):
    """One batch of people removed from the count, for the public record on "How we count"."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    category = models.CharField(max_length=16, choices=RemovalCategory.choices)
    people = models.PositiveIntegerField(help_text="Counted people who stopped counting.")
    pledges = models.PositiveIntegerField(help_text="Pledges changed.")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("removal from the count")
        verbose_name_plural = _("removals from the count")
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=RemovalCategory.values), name="campaign_removal_category"
            ),
            models.CheckConstraint(condition=Q(people__gt=0), name="campaign_removal_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d}: {self.people} ({self.category})"


class WatchKind(models.TextChoices):
    DOMAIN = "domain", _("small email domain")
    IP_PREFIX = "ip_prefix", _("IP prefix")
    COUNTRY = "country", _("country")
    HOURLY = "hourly", _("hourly rate")


class WatchAlert(models.Model):
    """One crossing of a fraud-watch threshold: open while above it, emailed once to campaign admins."""

    kind = models.CharField(max_length=16, choices=WatchKind.choices)
    key = models.CharField(max_length=253)
    count = models.PositiveIntegerField(default=0)
    threshold = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("fraud-watch alert")
        verbose_name_plural = _("fraud-watch alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key"], condition=Q(closed_at__isnull=True), name="campaign_alert_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}: {self.count}"


class CampaignFigures(models.Model):
    """The published figures that need a pass over the counted supporters (switched, by partner): one row
    (pk=1), refreshed every couple of minutes by `campaign.tasks.refresh_campaign_figures`, so that the
    tally job reads one row instead of joining the whole applied state on every run."""

    computed_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="campaign_figures_singleton")]

    def __str__(self) -> str:
        return f"campaign figures at {self.computed_at:%Y-%m-%d %H:%M:%S}"
