"""The person data now live on the supporter (0004 copied them): drop them from the pledge rows.

A separate migration (so a separate transaction): PostgreSQL refuses to alter a table with pending
trigger events from the data copy."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("pledges", "0004_person_data_on_supporter"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="pledge",
            name="pledges_wall",
        ),
        migrations.RemoveField(
            model_name="pledge",
            name="country",
        ),
        migrations.RemoveField(
            model_name="pledge",
            name="first_name",
        ),
        migrations.RemoveField(
            model_name="pledge",
            name="language",
        ),
        migrations.RemoveField(
            model_name="pledge",
            name="message",
        ),
        migrations.RemoveField(
            model_name="pledge",
            name="message_approved",
        ),
        migrations.RemoveField(
            model_name="pledge",
            name="updates_consent",
        ),
        migrations.RemoveField(
            model_name="pledge",
            name="wall_consent",
        ),
    ]
