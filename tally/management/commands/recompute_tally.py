from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from tally import services
from tally.display import tally_display


class Command(BaseCommand):
    help = "Run the tally job now: apply pending changes and publish a snapshot (--full: a full recount)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--full", action="store_true", help="Recount from scratch and repair any drift.")
        parser.add_argument("--wait", type=float, default=30.0, help="Seconds to wait for a running job.")

    def handle(self, *args, full: bool, wait: float, **options) -> None:
        if full:
            recount = services.tally_recount(wait=wait)
            if recount is None:
                raise CommandError("another tally run holds the lock")
            self.stdout.write(
                f"recount: expected {recount.expected_people}, found {recount.found_people}, "
                f"drift {recount.drift}, repaired {recount.repaired}, {recount.duration_ms} ms"
            )
            return
        result = services.tally_recompute(wait=wait)
        if not result.ran:
            raise CommandError("another tally run holds the lock")
        from tally.models import TallySnapshot

        snapshot = TallySnapshot.objects.get(pk=result.snapshot_id)
        self.stdout.write(
            f"{result.changed} supporter(s) changed in {result.duration_ms:.0f} ms; total {snapshot.total} "
            f"({tally_display(snapshot.total)}), people {snapshot.people}, reported {snapshot.reported}"
        )
