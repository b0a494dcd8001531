"""Create a campaign update from Markdown files (the same service as the admin); prints its id."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from updates.services import UpdateError, update_create


def _read(path: str | None) -> str:
    if not path:
        return ""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"Cannot read {path}: {exc}") from None


class Command(BaseCommand):
    help = "Create a campaign update (a draft) and print its id."

    def add_arguments(self, parser):
        parser.add_argument("--subject-en", required=True)
        parser.add_argument("--body-en", required=True, metavar="FILE", help="Markdown file")
        parser.add_argument("--subject-fr", default="")
        parser.add_argument("--body-fr", default="", metavar="FILE", help="Markdown file")
        parser.add_argument("--country", action="append", default=[], metavar="CC", help="repeatable")
        parser.add_argument("--kind", action="append", default=[], metavar="KIND", help="repeatable")
        parser.add_argument("--event", type=int, default=None, metavar="ID", help="only this event's RSVPs")

    def handle(self, *args, **options):
        try:
            update = update_create(
                subject_en=options["subject_en"],
                body_en=_read(options["body_en"]),
                subject_fr=options["subject_fr"],
                body_fr=_read(options["body_fr"]),
                countries=options["country"],
                kinds=options["kind"],
                event_id=options["event"],
            )
        except UpdateError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(str(update.pk))
