"""Read the bounce mailbox over IMAP: record each bounce and complaint, then delete what was read."""

from __future__ import annotations

import imaplib
from email import message_from_bytes

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from updates.bounces import parse_dsn
from updates.services import bounce_record


class Command(BaseCommand):
    help = (
        "Read bounces and complaints from the IMAP mailbox in UPDATES_BOUNCE_IMAP_URL; "
        "hard ones are never mailed again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--keep", action="store_true", help="leave the messages in the mailbox")

    def handle(self, *args, keep: bool = False, **options):
        from urllib.parse import unquote, urlsplit

        url = settings.UPDATES_BOUNCE_IMAP_URL
        if not url:
            raise CommandError("Set UPDATES_BOUNCE_IMAP_URL (imaps://user:password@host/INBOX) first.")
        parts = urlsplit(url)
        folder = parts.path.lstrip("/") or "INBOX"
        if parts.scheme == "imaps":
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(parts.hostname or "", parts.port or 993)
        else:
            client = imaplib.IMAP4(parts.hostname or "", parts.port or 143)
            client.starttls()
        try:
            client.login(unquote(parts.username or ""), unquote(parts.password or ""))
            client.select(folder)
            _status, data = client.search(None, "ALL")
            recorded = read = 0
            for number in (data[0] or b"").split():
                _status, fetched = client.fetch(number, "(RFC822)")
                raw = fetched[0][1] if fetched and isinstance(fetched[0], tuple) else b""
                read += 1
                for address, kind, detail in parse_dsn(message_from_bytes(raw)):
                    if bounce_record(address=address, kind=kind, source="imap", detail=detail):
                        recorded += 1
                if not keep:
                    client.store(number, "+FLAGS", "\\Deleted")
            if not keep:
                client.expunge()
        finally:
            try:
                client.logout()
            except Exception:  # noqa: S110  # nosec B110 - closing a connection that already failed
                pass
        self.stdout.write(f"read {read} message(s), recorded {recorded} bounce(s) or complaint(s)")
