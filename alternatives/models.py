"""The curated directory of alternatives and the suggestions supporters send in.

Attributes are facts that may be unknown, so each is a nullable boolean: yes, no, or not checked yet
(null). Filters match only "yes", so an unchecked fact never puts an entry in a filtered list.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from quitgpt.models import TimeStampedModel

# Paths under /alternatives/ that a slug must not shadow.
RESERVED_SLUGS = ("compare", "how-to-switch", "suggest")


class Category(models.TextChoices):
    PRIVACY = "privacy", _("Privacy-focused")
    OPEN_SOURCE = "open_source", _("Open source")
    MAINSTREAM = "mainstream", _("Mainstream")


class Stance(models.TextChoices):
    RECOMMENDED = "recommended", _("Recommended")
    LISTED = "listed", _("Listed")
    AVOID = "avoid", _("Avoid")


# (field name, public label) for every filterable attribute, in display order. The field names are also
# the values of the `attr` query parameter and the keys of the JSON API: keep them stable.
ATTRIBUTES: tuple[tuple[str, str], ...] = (
    ("open_source", _("Open source")),
    ("end_to_end_encrypted", _("End-to-end encrypted")),
    ("no_training_on_chats", _("Says it does not train on your chats")),
    ("eu_based", _("EU-based")),
    ("free_tier", _("Free tier")),
    ("mobile_apps", _("Mobile apps")),
    ("self_hostable", _("Self-hostable")),
)
ATTRIBUTE_NAMES = tuple(name for name, _label in ATTRIBUTES)


def _localised(obj: models.Model, field: str) -> str:
    """The `<field>_<language>` text for the active language, falling back to English when empty."""
    language = (get_language() or "en").split("-")[0]
    value = getattr(obj, f"{field}_{language}", "") if language != "en" else ""
    return value or getattr(obj, f"{field}_en")


class AlternativeQuerySet(models.QuerySet):
    def published(self) -> AlternativeQuerySet:
        return self.filter(published=True).order_by("order", "name")


class Alternative(TimeStampedModel):
    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(
        _("slug"),
        max_length=80,
        unique=True,
        help_text=_("The last part of its address, e.g. /alternatives/lumo/."),
    )
    maker = models.CharField(
        _("maker"), max_length=120, blank=True, help_text=_("Leave empty if not verified.")
    )
    website = models.URLField(_("website"), blank=True, help_text=_("Leave empty if not verified."))
    summary_en = models.CharField(_("short description (English)"), max_length=200, blank=True)
    summary_fr = models.CharField(_("short description (French)"), max_length=200, blank=True)
    body_en = models.TextField(_("longer text (English)"), blank=True)
    body_fr = models.TextField(_("longer text (French)"), blank=True)
    category = models.CharField(
        _("category"),
        max_length=20,
        choices=Category.choices,
        blank=True,
        help_text=_("Empty: not classified yet."),
    )

    open_source = models.BooleanField(_("open source"), null=True, blank=True)
    end_to_end_encrypted = models.BooleanField(_("end-to-end encrypted"), null=True, blank=True)
    no_training_on_chats = models.BooleanField(
        _("says it does not train on your chats"), null=True, blank=True
    )
    eu_based = models.BooleanField(_("EU-based"), null=True, blank=True)
    free_tier = models.BooleanField(_("free tier"), null=True, blank=True)
    mobile_apps = models.BooleanField(_("mobile apps"), null=True, blank=True)
    self_hostable = models.BooleanField(_("self-hostable"), null=True, blank=True)

    stance = models.CharField(
        _("campaign's stance"), max_length=20, choices=Stance.choices, default=Stance.LISTED
    )
    reason_en = models.TextField(
        _("public reason (English)"),
        blank=True,
        help_text=_("Required when the stance is 'avoid'. Shown publicly."),
    )
    reason_fr = models.TextField(_("public reason (French)"), blank=True)
    needs_review = models.BooleanField(
        _("details still being checked"),
        default=True,
        help_text=_("Shows a public notice that the details are not verified yet."),
    )
    last_reviewed = models.DateField(_("last reviewed"), null=True, blank=True)
    order = models.PositiveIntegerField(_("order"), default=100, help_text=_("Smaller comes first."))
    published = models.BooleanField(_("published"), default=False)

    history = HistoricalRecords()
    objects = AlternativeQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("alternative")
        verbose_name_plural = _("alternatives")
        constraints = [
            models.CheckConstraint(
                # At least one non-blank character: spaces and newlines alone are no reason.
                condition=~Q(stance=Stance.AVOID) | Q(reason_en__regex=r"\S"),
                name="alternatives_avoid_has_reason",
                violation_error_code="avoid_without_reason",
                violation_error_message=_("An entry the campaign advises to avoid needs a public reason."),
            ),
            models.CheckConstraint(condition=Q(stance__in=Stance.values), name="alternatives_stance_valid"),
            models.CheckConstraint(
                condition=Q(category__in=[*Category.values, ""]), name="alternatives_category_valid"
            ),
            models.CheckConstraint(
                condition=~Q(slug__in=RESERVED_SLUGS),
                name="alternatives_slug_not_reserved",
                violation_error_message=_("This slug is reserved for another page."),
            ),
            models.CheckConstraint(condition=~Q(slug=""), name="alternatives_slug_not_empty"),
            models.CheckConstraint(condition=~Q(name=""), name="alternatives_name_not_empty"),
        ]
        indexes = [models.Index(fields=["published", "order", "name"], name="alternatives_published_order")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("alternatives:detail", args=[self.slug])

    @property
    def summary(self) -> str:
        return _localised(self, "summary")

    @property
    def body(self) -> str:
        return _localised(self, "body")

    @property
    def reason(self) -> str:
        return _localised(self, "reason")

    @property
    def is_avoid(self) -> bool:
        return self.stance == Stance.AVOID

    def attribute_values(self) -> list[tuple[str, str, bool | None]]:
        """(name, label, yes/no/unknown) for every attribute, in display order."""
        return [(name, label, getattr(self, name)) for name, label in ATTRIBUTES]


class SuggestionStatus(models.TextChoices):
    NEW = "new", _("New")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class Suggestion(TimeStampedModel):
    """An alternative a supporter suggests; it waits in the moderation queue, never shown publicly."""

    name = models.CharField(_("name"), max_length=80)
    website = models.URLField(_("website"), max_length=200, blank=True)
    reason = models.TextField(_("why"), max_length=1000, blank=True)
    language = models.CharField(max_length=8, default="en", editable=False)
    ip_hash = models.CharField(max_length=64, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=SuggestionStatus.choices, default=SuggestionStatus.NEW
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    alternative = models.ForeignKey(
        Alternative,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="suggestions",
        help_text=_("The draft entry created when it was accepted."),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=SuggestionStatus.values), name="alternatives_suggestion_status_valid"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="alternatives_suggestion_name_not_empty"),
            models.CheckConstraint(
                condition=Q(status=SuggestionStatus.NEW) | Q(reviewed_at__isnull=False),
                name="alternatives_suggestion_reviewed_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="alternatives_suggestion_queue"),
            models.Index(fields=["ip_hash", "created_at"], name="alternatives_suggestion_ip"),
        ]

    def __str__(self) -> str:
        return self.name
