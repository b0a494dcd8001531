"""Seed: the protest outside OpenAI's headquarters in San Francisco on 3 March 2026, announced by QuitGPT.

Only what is known for certain is recorded. The start time and street address are not, so the event
carries `details_to_confirm` (a public notice on its page, in its .ics and links) and a clearly
provisional time: midday to 14:00 local time (PST, UTC-8, that day).
"""

from datetime import UTC, datetime

from django.db import migrations

SLUG = "san-francisco-protest-2026-03-03"


def seed(apps, schema_editor):
    Event = apps.get_model("events", "Event")
    Event.objects.get_or_create(
        slug=SLUG,
        defaults={
            "title": "Protest outside OpenAI's headquarters",
            "title_fr": "Manifestation devant le siège d'OpenAI",
            "description": "A protest outside OpenAI's headquarters in San Francisco, announced by QuitGPT.",
            "description_fr": "Une manifestation devant le siège d'OpenAI à San Francisco, annoncée par QuitGPT.",
            # Placeholder, shown only with the "to be confirmed" notice: 12:00-14:00 PST.
            "starts_at": datetime(2026, 3, 3, 20, 0, tzinfo=UTC),
            "ends_at": datetime(2026, 3, 3, 22, 0, tzinfo=UTC),
            "timezone": "America/Los_Angeles",
            "details_to_confirm": True,
            "venue": "OpenAI headquarters",
            "address": "",
            "city": "San Francisco",
            "country": "US",
            "organiser_contact": "",
            "capacity": None,
            "status": "scheduled",
            "published": True,
        },
    )


def unseed(apps, schema_editor):
    apps.get_model("events", "Event").objects.filter(slug=SLUG).delete()


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
