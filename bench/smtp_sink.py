"""A local SMTP sink for the benchmarks and fault scenarios: accepts every message and appends one line
per recipient (`<recipient>\t<subject>\t<first link>`) to a file, so a harness can count emails per address.

    python bench/smtp_sink.py PORT OUTFILE [DELAY]

DELAY (seconds): wait that long after recording a message before answering "250 OK", so that a fault
scenario can kill the sender in the middle of a send (the message accepted, the sender not yet told).
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

LINK = re.compile(rb"https?://[^\s\"<>]+")


class Sink:
    def __init__(self, path: str, delay: float = 0.0) -> None:
        self.delay = delay
        self.out = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - lives as long as the process
        self.lock = threading.Lock()

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
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 OK"


def main() -> None:
    port, path = int(sys.argv[1]), sys.argv[2]
    delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    controller = Controller(Sink(path, delay), hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"smtp sink on 127.0.0.1:{port} -> {path}", flush=True)
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
