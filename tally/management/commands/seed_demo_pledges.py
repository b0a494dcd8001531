from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from tally import services


class Command(BaseCommand):
    help = (
        "Create N synthetic confirmed pledges (addresses @demo.quitgpt.invalid) for demos and benchmarks, "
        "and bring the tally up to date. Refuses a database holding real pledges unless --force."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--count", type=int, required=True, help="How many pledges to create.")
        parser.add_argument("--days", type=int, default=30, help="Spread them over the last N days.")
        parser.add_argument("--force", action="store_true", help="Seed even if real pledges exist.")

    def handle(self, *args, count: int, days: int, force: bool, **options) -> None:
        if count < 1:
            raise CommandError("--count must be at least 1")
        if days < 1:
            raise CommandError("--days must be at least 1")
        try:
            result = services.demo_pledges_seed(count=count, force=force, days=days)
        except services.RealPledgesPresent as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"created {result.created} demo pledge(s) in {result.seconds:.1f} s; "
                f"the total is now {result.total}"
            )
        )
