"""Ship the disposable-mail block list (pledges/data/disposable_domains.txt) and the settings row."""

from pathlib import Path

from django.db import migrations

LIST = Path(__file__).resolve().parent.parent / "data" / "disposable_domains.txt"


def load(apps, schema_editor):
    BlockedDomain = apps.get_model("pledges", "BlockedDomain")
    PledgeSettings = apps.get_model("pledges", "PledgeSettings")
    PledgeSettings.objects.get_or_create(pk=1)
    domains = {
        line.strip().lower()
        for line in LIST.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    BlockedDomain.objects.bulk_create(
        [BlockedDomain(domain=d, shipped=True, reason="disposable email") for d in sorted(domains)],
        ignore_conflicts=True,
    )


def unload(apps, schema_editor):
    apps.get_model("pledges", "BlockedDomain").objects.filter(shipped=True).delete()


class Migration(migrations.Migration):
    dependencies = [("pledges", "0002_pledges_abuse_settings_referrals")]

    operations = [migrations.RunPython(load, unload)]
