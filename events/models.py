from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from quitgpt.models import TimeStampedModel
from quitgpt.optin import DoubleOptIn

# Paths under /events/ that a slug must not shadow (see events/api_urls.py).
RESERVED_SLUGS = {"feed", "rsvp"}


def validate_timezone(value: str) -> None:
    """An IANA zone name that zoneinfo knows (e.g. America/Los_Angeles)."""
    if value not in available_timezones():
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(
                _("%(value)s is not a known time zone (use a name like America/Los_Angeles)."),
                params={"value": value},
            ) from None


def validate_slug_not_reserved(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError(_("This address is reserved; choose another."))


class EventStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    POSTPONED = "postponed", _("Postponed")
    CANCELLED = "cancelled", _("Cancelled")


class EventQuerySet(models.QuerySet):
    def published(self) -> EventQuerySet:
        return self.filter(published=True)

    def upcoming(self, now: datetime | None = None) -> EventQuerySet:
        """Not ended yet (an event under way is still upcoming), soonest first."""
        return self.filter(ends_at__gt=now or timezone.now()).order_by("starts_at", "pk")

    def past(self, now: datetime | None = None) -> EventQuerySet:
        """Ended, most recent first."""
        return self.filter(ends_at__lte=now or timezone.now()).order_by("-starts_at", "-pk")

    def with_rsvp_counts(self) -> EventQuerySet:
        return self.annotate(
            confirmed_count=Count("rsvps", filter=Q(rsvps__status=RsvpStatus.CONFIRMED)),
            waitlist_count=Count("rsvps", filter=Q(rsvps__status=RsvpStatus.WAITLISTED)),
        )


class Event(TimeStampedModel):
    """An action. Times are stored in UTC and shown in the event's own time zone (`timezone`)."""

    title = models.CharField(_("title (English)"), max_length=200)
    title_fr = models.CharField(_("title (French)"), max_length=200, blank=True)
    slug = models.SlugField(max_length=80, unique=True, validators=[validate_slug_not_reserved])
    description = models.TextField(_("description (English)"), blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_timezone],
        help_text=_("The IANA name of the event's time zone, e.g. America/Los_Angeles."),
    )
    details_to_confirm = models.BooleanField(
        _("time and place to be confirmed"),
        default=False,
        help_text=_("Shows a public notice that the organisers have yet to confirm the time and place."),
    )
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    address = models.CharField(_("street address"), max_length=300, blank=True)
    city = models.CharField(_("city"), max_length=100)
    country = CountryField(_("country"))
    latitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    organiser_contact = models.CharField(
        _("organiser contact"), max_length=254, blank=True, help_text=_("Public: shown on the event page.")
    )
    capacity = models.PositiveIntegerField(
        _("capacity"),
        null=True,
        blank=True,
        help_text=_("Empty: no limit. Beyond it, RSVPs join a waitlist."),
    )
    status = models.CharField(max_length=16, choices=EventStatus.choices, default=EventStatus.SCHEDULED)
    published = models.BooleanField(default=False)
    # RFC 5545 SEQUENCE: bumped on every change of time, place or status, so calendars take the update.
    sequence = models.PositiveIntegerField(default=0, editable=False)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="events_event_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(status__in=EventStatus.values), name="events_event_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(
                    latitude__isnull=False,
                    longitude__isnull=False,
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                ),
                name="events_event_coordinates_valid",
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gte=1), name="events_event_capacity_positive"
            ),
            models.CheckConstraint(
                condition=~Q(slug__in=sorted(RESERVED_SLUGS)), name="events_event_slug_free"
            ),
        ]
        indexes = [models.Index(fields=["published", "ends_at"], name="events_event_published_ends")]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The event must end after it starts.")})
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError(_("Give both latitude and longitude, or neither."))

    @property
    def tz(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):  # the validator keeps this from happening
            return ZoneInfo("UTC")

    @property
    def local_starts_at(self) -> datetime:
        return self.starts_at.astimezone(self.tz)

    @property
    def local_ends_at(self) -> datetime:
        return self.ends_at.astimezone(self.tz)

    def has_ended(self, now: datetime | None = None) -> bool:
        return self.ends_at <= (now or timezone.now())

    def accepts_rsvps(self, now: datetime | None = None) -> bool:
        return self.published and self.status != EventStatus.CANCELLED and not self.has_ended(now)

    @property
    def display_title(self) -> str:
        """The title in the active language (French when given, English otherwise)."""
        if translation.get_language() == "fr" and self.title_fr:
            return self.title_fr
        return self.title

    @property
    def display_description(self) -> str:
        if translation.get_language() == "fr" and self.description_fr:
            return self.description_fr
        return self.description

    @property
    def place_line(self) -> str:
        """Venue, address, city and country on one line, whatever is known."""
        parts = [self.venue, self.address, self.city, str(self.country.name) if self.country else ""]
        return ", ".join(p for p in parts if p)


class RsvpStatus(models.TextChoices):
    PENDING = "pending", _("Pending confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    WAITLISTED = "waitlisted", _("On the waitlist")
    CANCELLED = "cancelled", _("Cancelled")


class Rsvp(TimeStampedModel, DoubleOptIn):
    """One mailbox's reply to one event. `confirmed_at` is when they confirmed (the waitlist order)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rsvps")
    email = models.EmailField(max_length=254)
    email_normalised = models.CharField(max_length=254, editable=False)
    name = models.CharField(max_length=100, blank=True)
    language = models.CharField(max_length=8, default="en")
    status = models.CharField(max_length=16, choices=RsvpStatus.choices, default=RsvpStatus.PENDING)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The event's SEQUENCE this person last heard about: each change is announced to them once.
    notified_sequence = models.PositiveIntegerField(default=0, editable=False)
    ip_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta(DoubleOptIn.Meta):
        verbose_name = "RSVP"
        verbose_name_plural = "RSVPs"
        constraints = [
            *DoubleOptIn.Meta.constraints,
            models.UniqueConstraint(fields=["event", "email_normalised"], name="events_one_rsvp_per_mailbox"),
            models.CheckConstraint(
                condition=Q(status__in=RsvpStatus.values), name="events_rsvp_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[RsvpStatus.CONFIRMED, RsvpStatus.WAITLISTED])
                | Q(confirmed_at__isnull=False),
                name="events_rsvp_confirmed_has_time",
            ),
        ]
        indexes = [
            *DoubleOptIn.Meta.indexes,
            models.Index(fields=["event", "status", "confirmed_at"], name="events_rsvp_event_status"),
            models.Index(fields=["ip_hash", "created_at"], name="events_rsvp_ip_created"),
        ]

    def __str__(self) -> str:
        return f"RSVP #{self.pk} ({self.status})"
