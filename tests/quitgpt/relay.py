"""A real SMTP listener (aiosmtpd) that can stall or refuse: before answering DATA with 354 (the sender is
inside DATA, no dot sent), or after reading the final dot and before answering it (RFC 1047's window).
Used by the commit-point tests and the worker-kill tests."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from tests.conftest import free_port


class Relay:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.reply = "250 OK"
        # Seconds to stall, once per recipient listed in the set, at each point.
        self.stall_before_354: dict[str, float] = {}
        self.stall_after_dot: dict[str, float] = {}
        self.stalling: list[tuple[str, str]] = []  # (point, recipient), appended when a stall begins
        self.on_dot: Callable[[Message], None] | None = None  # runs in a thread, after the dot
        self.lock = threading.Condition()

    def received_by(self, address: str) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if m["X-Envelope-To"] == address]

    def wait(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        with self.lock:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}")
                self.lock.wait(min(left, 0.1))

    async def _stall(self, point: str, stalls: dict[str, float], recipients: list[str]) -> None:
        for rcpt in recipients:
            seconds = stalls.pop(rcpt, 0)
            if seconds:
                with self.lock:
                    self.stalling.append((point, rcpt))
                    self.lock.notify_all()
                await asyncio.sleep(seconds)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook, after the dot
        message = message_from_bytes(envelope.original_content or envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        message["X-Relay-Connection"] = f"{session.peer[0]}:{session.peer[1]}"  # one per connection
        if self.on_dot is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.on_dot, message)
        with self.lock:
            self.messages.append(message)
            self.lock.notify_all()
        await self._stall("after the dot", self.stall_after_dot, envelope.rcpt_tos)
        return self.reply


class _StallingSMTP(SMTP):
    async def smtp_DATA(self, arg: str) -> None:
        relay: Relay = self.event_handler
        if self.envelope.rcpt_tos:
            await relay._stall("before 354", relay.stall_before_354, self.envelope.rcpt_tos)
        await super().smtp_DATA(arg)


class _Controller(Controller):
    def factory(self) -> SMTP:
        return _StallingSMTP(self.handler, **self.SMTP_kwargs)


def start_relay() -> tuple[Relay, int, Controller]:
    relay = Relay()
    port = free_port()
    controller = _Controller(relay, hostname="127.0.0.1", port=port)
    controller.start()
    return relay, port, controller
