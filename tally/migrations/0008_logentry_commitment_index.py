"""The log's commitment index without its LIKE twin.

Entries are looked up by exact commitment only (`?commitment=`, the recount's repair), but a
`CharField(db_index=True)` also gets a `varchar_pattern_ops` index on PostgreSQL. Receipt commitments are
SHA-256 hex, so every append writes each index at random places: the twin doubled that cost (about half
of the append's index writes and WAL). The equality index stays, renamed rather than rebuilt (a name that
`Meta.indexes` accepts).
"""

from django.db import migrations, models

OLD = "tally_logentry_commitment_7486474d"  # Django's name for the field's db_index
NEW = "tally_logentry_commitment"


def forwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {OLD}_like")
        schema_editor.execute(f"ALTER INDEX IF EXISTS {OLD} RENAME TO {NEW}")
    else:
        schema_editor.execute(f"DROP INDEX IF EXISTS {OLD}")
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {NEW} ON tally_logentry (commitment)")


def backwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER INDEX IF EXISTS {NEW} RENAME TO {OLD}")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {OLD}_like ON tally_logentry (commitment varchar_pattern_ops)"
        )
    else:
        schema_editor.execute(f"DROP INDEX IF EXISTS {NEW}")
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {OLD} ON tally_logentry (commitment)")


class Migration(migrations.Migration):
    dependencies = [
        ("tally", "0007_auditsamplemember_email_claimed_by"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="logentry",
                    name="commitment",
                    field=models.CharField(max_length=64),
                ),
                migrations.AddIndex(
                    model_name="logentry",
                    index=models.Index(fields=["commitment"], name=NEW),
                ),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
