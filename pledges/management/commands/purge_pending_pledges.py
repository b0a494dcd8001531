from django.core.management.base import BaseCommand

from pledges.services import pledges_purge_pending


class Command(BaseCommand):
    help = "Delete pledges left unconfirmed for 7 days (also run hourly by Celery beat)."

    def handle(self, *args, **options) -> None:
        count = pledges_purge_pending()
        self.stdout.write(f"purged {count} unconfirmed pledge(s)")
