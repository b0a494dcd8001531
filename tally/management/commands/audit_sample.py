"""python manage.py audit_sample --size N [--head TREE_SIZE] [--days D]: the sampled re-confirmation audit."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tally import audit


class Command(BaseCommand):
    help = (
        "Draw N people counted at a signed head (its root hash is the seed, published beforehand), email each"
        " a re-confirmation link, and publish the response rate on How we count after the deadline."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", type=int, required=True, help="how many people to draw")
        parser.add_argument(
            "--head", type=int, default=None, help="tree size of the named head (default: latest)"
        )
        parser.add_argument(
            "--days", type=int, default=audit.MAX_DAYS, help=f"days until the deadline (1-{audit.MAX_DAYS})"
        )

    def handle(self, *args, size: int, head: int | None, days: int, **options) -> None:
        try:
            sample = audit.audit_sample_create(size=size, head_tree_size=head, days=days)
        except audit.AuditError as exc:
            raise CommandError(str(exc)) from None
        asked = sample.members.count()
        self.stdout.write(
            f"audit sample #{sample.pk}: seed {sample.seed} (root hash of head {sample.head_tree_size}); "
            f"{sample.population} people counted at that head; {asked} of {size} drawn emailed "
            f"(the others were erased or withdrawn since); deadline {sample.deadline.isoformat()}"
        )
