"""Demo pledges for `make run`: a few confirmed, approved entries so that the wall is not empty."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.utils import timezone

from pledges.models import Pledge, Supporter

PEOPLE = [
    ("Ada", "GB", "cancelled", "Cancelled today. The military deal was the last straw."),
    ("Jules", "FR", "shared", "J'ai partagé le boycott avec toute ma famille."),
    ("Mina", "DE", "cancelled", ""),
    ("Kofi", "GH", "shared", "Shared it with my study group."),
    ("Lucía", "ES", "cancelled", "Switched to an alternative, no regrets."),
]


def load() -> str:
    now = timezone.now()
    created = 0
    for n, (name, country, kind, message) in enumerate(PEOPLE):
        address = f"demo{n}@example.org"
        supporter, _ = Supporter.objects.get_or_create(
            email_normalised=address,
            defaults={
                "first_name": name,
                "country": country,
                "message": message,
                "message_approved": True,
                "wall_consent": True,
            },
        )
        _pledge, was_created = Pledge.objects.get_or_create(
            email_normalised=address,
            kind=kind,
            defaults={
                "supporter": supporter,
                "email": address,
                "status": "confirmed",
                "confirmed_at": now - timedelta(hours=n),
                "share_code": secrets.token_urlsafe(9),
            },
        )
        created += was_created
    return f"{created} demo pledge(s)"
