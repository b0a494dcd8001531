"""Receipts: a random secret per supporter and its commitment (pledges.receipts), backfilled for existing
supporters (erased ones get a commitment only: their secret is discarded at once)."""

import hashlib
import secrets

from django.db import migrations, models

PREFIX = "quitgpt-receipt-v1:"


def backfill(apps, schema_editor):
    Supporter = apps.get_model("pledges", "Supporter")
    if schema_editor.connection.vendor == "postgresql":
        table = Supporter._meta.db_table
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                f"""UPDATE {table} SET receipt_secret = x.s,
                       receipt_commitment = encode(sha256(convert_to(%s || x.s, 'UTF8')), 'hex')
                    FROM (SELECT id, replace(gen_random_uuid()::text, '-', '')
                                     || replace(gen_random_uuid()::text, '-', '') AS s
                          FROM {table} WHERE receipt_commitment = '') x
                    WHERE {table}.id = x.id""",  # noqa: S608  # nosec B608
                [PREFIX],
            )
            # Erased people keep a commitment (the log may have to subtract it), never a secret.
            cursor.execute(f"UPDATE {table} SET receipt_secret = '' WHERE email_normalised LIKE 'erased-%%'")  # noqa: S608  # nosec B608
        return
    for supporter in Supporter.objects.filter(receipt_commitment="").only("id").iterator(chunk_size=2000):
        secret = secrets.token_hex(32)
        commitment = hashlib.sha256((PREFIX + secret).encode()).hexdigest()
        Supporter.objects.filter(pk=supporter.pk).update(receipt_secret=secret, receipt_commitment=commitment)
    Supporter.objects.filter(email_normalised__startswith="erased-").update(receipt_secret="")  # nosec B106 - clearing


class Migration(migrations.Migration):
    dependencies = [
        ("pledges", "0007_spam_tombstone"),
    ]

    operations = [
        migrations.AddField(
            model_name="supporter",
            name="receipt_commitment",
            field=models.CharField(blank=True, default="", editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="supporter",
            name="receipt_secret",
            field=models.CharField(blank=True, default="", editable=False, max_length=64),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
