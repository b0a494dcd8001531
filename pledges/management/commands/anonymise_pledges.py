from django.core.management.base import BaseCommand, CommandError

from pledges.services import pledges_anonymise_all


class Command(BaseCommand):
    help = (
        "When the campaign ends: erase the personal data of every pledge (addresses, names, messages, IP "
        "hashes, consents), keeping every count. Irreversible: pass --yes."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--yes", action="store_true", help="confirm that you mean it")

    def handle(self, *args, **options) -> None:
        if not options["yes"]:
            raise CommandError("This erases the personal data of every pledge for good. Re-run with --yes.")
        count = pledges_anonymise_all()
        self.stdout.write(f"anonymised {count} pledge(s); counts kept")
