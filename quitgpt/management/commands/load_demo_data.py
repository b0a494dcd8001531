"""Demo content for a fresh local site: each app's `demo.load()`, if it has one. Idempotent."""

from __future__ import annotations

from importlib import import_module

from django.core.management.base import BaseCommand

APPS = ["pledges", "tally", "alternatives", "events", "accounts"]


class Command(BaseCommand):
    help = "Load the demo data of each app (safe to run repeatedly)."

    def handle(self, *args, **options) -> None:
        for app in APPS:
            try:
                module = import_module(f"{app}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app}.demo":
                    raise
                continue
            message = module.load()
            self.stdout.write(f"{app}: {message or 'done'}")
