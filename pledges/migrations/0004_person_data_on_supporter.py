"""Person data moves from each pledge to its supporter (one row per person).

Per supporter: country is that of its earliest counted pledge (the tally's rule, so every breakdown by
country is unchanged), else of its latest request; first name, message, its approval and language come
from the pledge the wall published (else the latest request); a consent given on any of its pledges stays
given. Reversing copies the supporter's details back onto each of its pledges.
"""

import django_countries.fields
from django.db import migrations, models

COUNTED = "p.status = 'confirmed' AND NOT p.suspicious"
PUBLISHED = f"({COUNTED} AND p.wall_consent AND p.message_approved)"


def _source(column: str) -> str:
    """The column of the pledge that speaks for the person: the published one, else the latest request."""
    return (
        f"(SELECT p.{column} FROM pledges_pledge p WHERE p.supporter_id = pledges_supporter.id "
        f"ORDER BY CASE WHEN {PUBLISHED} THEN 0 ELSE 1 END, CASE WHEN p.email <> '' THEN 0 ELSE 1 END, "
        "p.requested_at DESC, p.id DESC LIMIT 1)"  # nosec B608 - built from constants
    )


def _any(column: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM pledges_pledge p WHERE p.supporter_id = pledges_supporter.id AND p.{column})"  # nosec B608
    )


COUNTRY = (
    "coalesce((SELECT p.country FROM pledges_pledge p WHERE p.supporter_id = pledges_supporter.id "
    f"AND {COUNTED} ORDER BY p.confirmed_at, p.id LIMIT 1), {_source('country')}, '')"  # nosec B608
)

FORWARD = f"""
UPDATE pledges_supporter SET
    country = {COUNTRY},
    first_name = coalesce({_source("first_name")}, ''),
    message = coalesce({_source("message")}, ''),
    message_approved = coalesce({_source("message_approved")}, false),
    language = coalesce({_source("language")}, 'en'),
    wall_consent = {_any("wall_consent")},
    updates_consent = {_any("updates_consent")}
"""  # noqa: S608  # nosec B608 - built from constants

BACKWARD = """
UPDATE pledges_pledge SET
    country = s.country, first_name = s.first_name, message = s.message,
    message_approved = s.message_approved, language = s.language,
    wall_consent = s.wall_consent, updates_consent = s.updates_consent
FROM pledges_supporter s WHERE s.id = pledges_pledge.supporter_id
"""


def forward(apps, schema_editor) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(FORWARD)


def backward(apps, schema_editor) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("pledges", "0003_disposable_domains_and_settings"),
    ]

    operations = [
        migrations.AddField(
            model_name="supporter",
            name="country",
            field=django_countries.fields.CountryField(blank=True, max_length=2),
        ),
        migrations.AddField(
            model_name="supporter",
            name="first_name",
            field=models.CharField(blank=True, max_length=50),
        ),
        migrations.AddField(
            model_name="supporter",
            name="language",
            field=models.CharField(default="en", max_length=8),
        ),
        migrations.AddField(
            model_name="supporter",
            name="message",
            field=models.CharField(blank=True, max_length=280),
        ),
        migrations.AddField(
            model_name="supporter",
            name="message_approved",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="supporter",
            name="updates_consent",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="supporter",
            name="wall_consent",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(forward, backward, elidable=False),
        migrations.AddIndex(
            model_name="supporter",
            index=models.Index(
                condition=models.Q(("message_approved", True), ("wall_consent", True)),
                fields=["id"],
                name="pledges_supporter_wall",
            ),
        ),
    ]
