"""The campaign's own directory: its five recommendations and Grok, which it advises to avoid.

Only facts we are sure of are filled in; everything else is left empty (attributes: "not checked") and
every entry is marked `needs_review`, so that the public pages say the details are still being checked
until an organiser verifies them in the admin.
"""

from django.db import migrations
from django.utils import timezone

ENTRIES = [
    {
        "slug": "confer",
        "name": "Confer",
        "stance": "recommended",
        "order": 10,
    },
    {
        "slug": "alpine",
        "name": "Alpine",
        "stance": "recommended",
        "order": 20,
    },
    {
        "slug": "lumo",
        "name": "Lumo",
        "maker": "Proton AG",
        "website": "https://lumo.proton.me",
        "summary_en": "Proton's AI assistant.",
        "summary_fr": "L'assistant IA de Proton.",
        "category": "privacy",
        # Proton is based in Switzerland, which is not in the EU.
        "eu_based": False,
        "stance": "recommended",
        "order": 30,
    },
    {
        "slug": "gemini",
        "name": "Google Gemini",
        "maker": "Google",
        "website": "https://gemini.google.com",
        "summary_en": "Google's AI assistant.",
        "summary_fr": "L'assistant IA de Google.",
        "category": "mainstream",
        "eu_based": False,
        "free_tier": True,
        "mobile_apps": True,
        "stance": "recommended",
        "order": 40,
    },
    {
        "slug": "claude",
        "name": "Claude",
        "maker": "Anthropic",
        "website": "https://claude.ai",
        "summary_en": "Anthropic's AI assistant.",
        "summary_fr": "L'assistant IA d'Anthropic.",
        "category": "mainstream",
        "eu_based": False,
        "free_tier": True,
        "mobile_apps": True,
        "stance": "recommended",
        "order": 50,
    },
    {
        "slug": "grok",
        "name": "Grok",
        "maker": "xAI",
        "summary_en": "xAI's chatbot, built into X.",
        "summary_fr": "Le chatbot de xAI, intégré à X.",
        "category": "mainstream",
        "eu_based": False,
        "stance": "avoid",
        "reason_en": "The QuitGPT campaign advises against Grok, the chatbot built into X.",
        "reason_fr": "La campagne QuitGPT déconseille Grok, le chatbot intégré à X.",
        "order": 60,
    },
]


def seed(apps, schema_editor):
    Alternative = apps.get_model("alternatives", "Alternative")
    Historical = apps.get_model("alternatives", "HistoricalAlternative")
    now = timezone.now()
    for entry in ENTRIES:
        if Alternative.objects.filter(slug=entry["slug"]).exists():
            continue
        alternative = Alternative.objects.create(needs_review=True, published=True, created_at=now, **entry)
        # Historical models get no signals inside migrations: record the creation by hand, so the
        # admin's history starts with where each entry came from.
        values = {f.attname: getattr(alternative, f.attname) for f in Alternative._meta.concrete_fields}
        Historical.objects.create(
            **values,
            history_date=now,
            history_type="+",
            history_change_reason="Seeded from the campaign's own list",
        )


def unseed(apps, schema_editor):
    Alternative = apps.get_model("alternatives", "Alternative")
    Alternative.objects.filter(slug__in=[e["slug"] for e in ENTRIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("alternatives", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
