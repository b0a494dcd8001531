"""Grok's public reason said only that the campaign advises against it: say why. Changed only if an
organiser has not already rewritten it."""

from django.db import migrations

OLD_EN = "The QuitGPT campaign advises against Grok, the chatbot built into X."
OLD_FR = "La campagne QuitGPT déconseille Grok, le chatbot intégré à X."
NEW_EN = (
    "Grok is made by xAI, the company of Elon Musk that also owns X. X uses its users' posts to train Grok "
    "unless they opt out, and Grok has published hateful content on X (in July 2025 it praised Hitler "
    "before xAI withdrew the posts)."
)
NEW_FR = (
    "Grok est fait par xAI, l'entreprise d'Elon Musk qui possède aussi X. X entraîne Grok sur les "
    "publications de ses utilisateurs sauf s'ils s'y opposent, et Grok a publié des contenus haineux sur X "
    "(en juillet 2025, il a fait l'éloge d'Hitler avant que xAI ne retire les messages)."
)


def forward(apps, schema_editor):
    Alternative = apps.get_model("alternatives", "Alternative")
    Alternative.objects.filter(slug="grok", reason_en=OLD_EN).update(reason_en=NEW_EN)
    Alternative.objects.filter(slug="grok", reason_fr=OLD_FR).update(reason_fr=NEW_FR)


def backward(apps, schema_editor):
    Alternative = apps.get_model("alternatives", "Alternative")
    Alternative.objects.filter(slug="grok", reason_en=NEW_EN).update(reason_en=OLD_EN)
    Alternative.objects.filter(slug="grok", reason_fr=NEW_FR).update(reason_fr=OLD_FR)


class Migration(migrations.Migration):
    dependencies = [("alternatives", "0002_seed_campaign_directory")]
    operations = [migrations.RunPython(forward, backward)]
