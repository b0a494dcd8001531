"""A local SMTP sink for the benchmarks and fault scenarios: accepts every message and appends one line
per recipient (`<recipient>\t<subject>\t<first link>`) to a file, so a harness can count emails per address.

    python bench/smtp_sink.py PORT OUTFILE [DELAY]

DELAY (seconds): stall that long, once per recipient, for the recipients a fault scenario marks, so that
it can kill the sender at that point of a send:
- a local part starting "stall-dot-": after reading the final dot (the message is recorded, the relay
  owns it) and before answering "250" (RFC 1047's window);
- a local part starting "stall-data-": after the DATA command and before answering "354", so the
  sender is inside DATA and has not sent the final dot (a relay discards such a transaction). The
  sender is held there rather than mid-body: a body of a few KB fits in the socket buffers, so a relay
  that reads it slowly would not hold the sender before its dot.
Each stall appends `<point>\t<recipient>` to OUTFILE.stalls when it begins.
"""

from __future__ import annotations

import asyncio
import re
import signal
import sys
import threading
from email import message_from_bytes
from email.policy import default

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

LINK = re.compile(rb"https?://[^\s\"<>]+")


class Sink:
    def __init__(self, path: str, delay: float = 0.0) -> None:
        self.delay = delay
        self.out = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - lives as long as the process
        self.stalls = open(f"{path}.stalls", "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - idem
        self.lock = threading.Lock()
        self.stalled: set[tuple[str, str]] = set()

    async def stall(self, point: str, prefix: str, recipients: list[str]) -> None:
        """Stall once per marked recipient at `point`."""
        for rcpt in recipients:
            if not self.delay or not rcpt.lower().startswith(prefix) or (point, rcpt) in self.stalled:
                continue
            self.stalled.add((point, rcpt))
            with self.lock:
                self.stalls.write(f"{point}\t{rcpt.lower()}\n")
            await asyncio.sleep(self.delay)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        message = message_from_bytes(envelope.content, policy=default)
        body = b""
        part = message.get_body(preferencelist=("plain", "html"))
        if part is not None:
            body = part.get_content().encode()
        links = [m.decode() for m in LINK.findall(body) if b"/confirm/" in m]
        subject = str(message.get("Subject", "")).replace("\t", " ").replace("\n", " ")
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.out.write(f"{rcpt.lower()}\t{subject}\t{links[0] if links else ''}\n")
        await self.stall("after the dot", "stall-dot-", envelope.rcpt_tos)
        return "250 OK"


class StallingSMTP(SMTP):
    async def smtp_DATA(self, arg: str) -> None:
        await self.event_handler.stall("before 354", "stall-data-", self.envelope.rcpt_tos or [])
        await super().smtp_DATA(arg)


class StallingController(Controller):
    def factory(self) -> SMTP:
        return StallingSMTP(self.handler, **self.SMTP_kwargs)


def main() -> None:
    port, path = int(sys.argv[1]), sys.argv[2]
    delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    controller = StallingController(Sink(path, delay), hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"smtp sink on 127.0.0.1:{port} -> {path}", flush=True)
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
