"""Confer and Alpine were seeded as empty shells (0002): fill them in with what public sources support.

A row is changed only while it is still the empty shell the seed left (no maker, website, summary, text,
category or checked attribute): an entry an organiser has already started editing is never overwritten.
Both stay `needs_review`, so the pages keep saying that some details are still being checked.

Confer: what its maker and the press describe (checked 2 December 2026). Alpine: we could not establish
who makes it or how it works, so it says only that the campaign recommends it and that the rest is being
checked; an organiser fills in the facts once a source is found.
"""

import datetime

from django.db import migrations
from django.utils import timezone

CHECKED_ON = datetime.date(2026, 12, 2)

FILLED = {
    "confer": {
        "maker": "Moxie Marlinspike",
        "website": "https://confer.to",
        "summary_en": "An end-to-end encrypted AI assistant from Moxie Marlinspike, the founder of Signal.",
        "summary_fr": "Un assistant IA chiffré de bout en bout, créé par Moxie Marlinspike, le fondateur de Signal.",
        "body_en": (
            "Confer is an AI chat assistant launched by Moxie Marlinspike, who founded Signal. It is built so "
            "that the company running it cannot read your conversations.\n\n"
            "Privacy: your messages and the answers are encrypted on your device, with keys derived from a "
            "passkey that stays on it. The model runs on Confer's servers inside a trusted execution "
            "environment (confidential computing), whose code your device can check by remote attestation. "
            "Conversations are stored encrypted and sync between your devices. Confer publishes its code as "
            "open source.\n\n"
            "Pricing and platforms: still being checked.\n\n"
            "Sources (checked 2 December 2026): https://confer.to ; Confer's article on private inference, "
            "https://confer.to/blog/2026/01/private-inference/ ; Ars Technica's report of 13 January 2026 on "
            "Confer's launch."
        ),
        "body_fr": (
            "Confer est un assistant IA conversationnel lancé par Moxie Marlinspike, le fondateur de Signal. "
            "Il est conçu pour que l'entreprise qui le fait fonctionner ne puisse pas lire vos conversations.\n\n"
            "Confidentialité : vos messages et les réponses sont chiffrés sur votre appareil, avec des clés "
            "tirées d'une clé d'accès (passkey) qui y reste. Le modèle tourne sur les serveurs de Confer dans "
            "un environnement d'exécution de confiance (informatique confidentielle), dont votre appareil "
            "peut vérifier le code par attestation à distance. Les conversations sont stockées chiffrées et "
            "synchronisées entre vos appareils. Confer publie son code en open source.\n\n"
            "Prix et plateformes : en cours de vérification.\n\n"
            "Sources (vérifiées le 2 décembre 2026) : https://confer.to ; l'article de Confer sur l'inférence "
            "privée, https://confer.to/blog/2026/01/private-inference/ ; l'article d'Ars Technica du "
            "13 janvier 2026 sur le lancement de Confer."
        ),
        "category": "privacy",
        "end_to_end_encrypted": True,
        "open_source": True,
        "last_reviewed": CHECKED_ON,
    },
    "alpine": {
        "summary_en": "An AI assistant on the campaign's list of recommendations; its details are still being checked.",
        "summary_fr": (
            "Un assistant IA de la liste des recommandations de la campagne ; ses détails sont en cours de "
            "vérification."
        ),
        "body_en": (
            "The QuitGPT campaign recommends Alpine. We have not yet been able to confirm from a source we can "
            "cite who makes it, its website, how it treats your conversations, its price or the platforms it "
            "runs on: these details are still being checked, and will be described here once they are.\n\n"
            "Source: the QuitGPT campaign's list of recommended alternatives."
        ),
        "body_fr": (
            "La campagne QuitGPT recommande Alpine. Nous n'avons pas encore pu confirmer, par une source que "
            "nous pouvons citer, qui le fait, son site, ce qu'il fait de vos conversations, son prix ni les "
            "plateformes où il fonctionne : ces détails sont en cours de vérification et seront décrits ici "
            "dès qu'ils le seront.\n\n"
            "Source : la liste des alternatives recommandées par la campagne QuitGPT."
        ),
    },
}

# What the seed left empty: a row with any of these filled in has been edited since.
TEXT_FIELDS = ("maker", "website", "summary_en", "summary_fr", "body_en", "body_fr", "category")
ATTRIBUTE_FIELDS = (
    "open_source",
    "end_to_end_encrypted",
    "no_training_on_chats",
    "eu_based",
    "free_tier",
    "mobile_apps",
    "self_hostable",
)
REASON = "Filled in from public sources (still being checked)"


def _is_empty_shell(entry) -> bool:
    return (
        all(not getattr(entry, name) for name in TEXT_FIELDS)
        and all(getattr(entry, name) is None for name in ATTRIBUTE_FIELDS)
        and entry.last_reviewed is None
    )


def fill(apps, schema_editor):
    Alternative = apps.get_model("alternatives", "Alternative")
    Historical = apps.get_model("alternatives", "HistoricalAlternative")
    now = timezone.now()
    for slug, values in FILLED.items():
        entry = Alternative.objects.filter(slug=slug).first()
        if entry is None or not _is_empty_shell(entry):
            continue
        for name, value in values.items():
            setattr(entry, name, value)
        entry.updated_at = now
        entry.save()
        # No history signals inside migrations: record the change by hand, as the seed did.
        row = {f.attname: getattr(entry, f.attname) for f in Alternative._meta.concrete_fields}
        Historical.objects.create(**row, history_date=now, history_type="~", history_change_reason=REASON)


def unfill(apps, schema_editor):
    """Back to the empty shells, for rows still exactly as this migration wrote them."""
    Alternative = apps.get_model("alternatives", "Alternative")
    for slug, values in FILLED.items():
        blank = {
            name: (None if name in ATTRIBUTE_FIELDS or name == "last_reviewed" else "") for name in values
        }
        Alternative.objects.filter(slug=slug, **values).update(**blank)


class Migration(migrations.Migration):
    dependencies = [("alternatives", "0003_grok_reason_stated_concretely")]
    operations = [migrations.RunPython(fill, unfill)]
