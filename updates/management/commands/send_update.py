"""Show an update's audience; with --yes, send it (or resume it): the same services as the admin."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from updates.models import Update
from updates.selectors import audience_by_language, audience_size, update_progress
from updates.services import UpdateError, update_run, update_start


class Command(BaseCommand):
    help = "Show the audience of update ID; with --yes, send or resume it (nobody gets it twice)."

    def add_arguments(self, parser):
        parser.add_argument("id", type=int)
        parser.add_argument("--yes", action="store_true", help="send (or resume) now")
        parser.add_argument(
            "--inline", action="store_true", help="send from this process instead of the Celery workers"
        )

    def handle(self, *args, **options):
        update = Update.objects.filter(pk=options["id"]).first()
        if update is None:
            raise CommandError(f"No update with id {options['id']}.")
        self.stdout.write(f"Update #{update.pk}: {update.subject_en!r} ({update.get_status_display()})")
        languages = (
            ", ".join(f"{k}: {v}" for k, v in sorted(audience_by_language(update).items())) or "nobody"
        )
        self.stdout.write(f"Audience now: {audience_size(update)} ({languages})")
        progress = update_progress(update)
        self.stdout.write("Deliveries: " + ", ".join(f"{k} {v}" for k, v in progress.items()))
        if not options["yes"]:
            self.stdout.write("Nothing sent. Run again with --yes to send (or resume).")
            return
        try:
            update_start(update=update, actor=None, enqueue=not options["inline"])
        except UpdateError as exc:
            raise CommandError(str(exc)) from None
        if options["inline"]:
            outcome = update_run(update_id=update.pk)
            self.stdout.write(f"Sending: {outcome}.")
        else:
            self.stdout.write(
                "Sending in the background (Celery); progress in the admin or with this command."
            )
