"""The project's SMTP email backend: it makes the moment an email counts as sent explicit.

SMTP hands a message over at the final "." of DATA (RFC 5321 §4.1.1.4 and §6.1): once the relay has
read it, the relay owns the message; if the connection drops before it, the relay discards the
transaction. The duplicate window of RFC 1047 lies between that dot and the relay's "250": a sender
that dies there has delivered the message without knowing it.

So a sender that must not send twice (`quitgpt.optin.send_owed_email`, `outbox.services.outbox_send`)
opens a `commit_point(commit=..., undo=...)` around its send. This backend sends MAIL, RCPT, DATA and the
body, then calls `commit()` (which records the email as sent, in its own short transaction) just before
it writes the final dot, then writes the dot and reads the reply:

- the worker dies before `commit()` returns: nothing is recorded and the relay never got the dot, so it
  discards the message; the row is still owed and is sent again (once).
- the worker dies after it: the email counts as sent. The relay has the whole message, or, if the death
  came between the commit and the write of the three bytes ".\\r\\n", the relay discards it: that one
  database reply and one socket write are the only window in which an email can be lost (never doubled).
- the relay answers the dot with an error, or the dot cannot be written: `undo()` owes the email again.
- no answer after the dot (timeout, disconnect): the relay may have the message, so it stays counted as
  sent and the error propagates (as an update's delivery becomes "unknown", never retried).
- `commit()` returns False (another sender took the row over): the connection is dropped before the dot,
  so the relay discards this copy, and `CommitRefused` is raised.

`commit()` must really commit, so senders run outside any transaction (tasks, the sweep); inside one
(most tests) the stamp commits with it. Without an open commit point (campaign updates, Django's own
mail) the backend is Django's. Other
backends (locmem in tests, console in development) never call `commit()`; the sender then records the
email after `send()` returns, as before.
"""

from __future__ import annotations

import logging
import re
import smtplib
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend as DjangoSMTPBackend
from django.core.mail.message import sanitize_address
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

_LEADING_DOT = re.compile(rb"(?m)^\.")


class CommitRefused(smtplib.SMTPException):
    """The commit hook declined (the row is no longer this sender's): the message was not delivered."""


@dataclass
class CommitPoint:
    """What to do when the next message reaches its final dot. `state`: pending, committed or undone."""

    commit: Callable[[], bool]
    undo: Callable[[], None]
    state: str = "pending"


_pending: ContextVar[CommitPoint | None] = ContextVar("quitgpt_smtp_commit_point", default=None)


@contextmanager
def commit_point(*, commit: Callable[[], bool], undo: Callable[[], None]) -> Iterator[CommitPoint]:
    """Around one send: the first message this backend sends inside the block calls `commit()` just
    before its final dot (False: do not deliver), and `undo()` if the relay refuses it afterwards."""
    point = CommitPoint(commit=commit, undo=undo)
    token = _pending.set(point)
    try:
        yield point
    finally:
        _pending.reset(token)


def commits_at_the_dot() -> bool:
    """True when the configured email backend calls the commit point (production's SMTP)."""
    return issubclass(import_string(settings.EMAIL_BACKEND), EmailBackend)


class EmailBackend(DjangoSMTPBackend):
    """Django's SMTP backend, with the commit point before the final dot of DATA."""

    def open(self) -> bool | None:
        if self.connection is not None and getattr(self.connection, "sock", None) is None:
            # Closed since (a refused commit point, a relay that hung up): a shared connection
            # (quitgpt.mail.one_connection) connects again rather than failing every later email.
            self.connection = None
        opened = super().open()
        if opened:
            # The message and its final dot are two writes before one read: with Nagle's algorithm the
            # dot waits for the relay's delayed ACK of the body (40 ms on Linux), every email.
            sock = getattr(self.connection, "sock", None)
            if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return opened

    def _send(self, email_message) -> bool:
        point = _pending.get()
        if point is None or point.state != "pending":
            return super()._send(email_message)
        if not email_message.recipients():
            return False
        encoding = email_message.encoding or settings.DEFAULT_CHARSET
        from_email = sanitize_address(email_message.from_email, encoding)
        recipients = [sanitize_address(addr, encoding) for addr in email_message.recipients()]
        message = email_message.message().as_bytes(linesep="\r\n")
        try:
            self._transaction(from_email, recipients, message, point)
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True

    def _transaction(
        self, from_email: str, recipients: list[str], message: bytes, point: CommitPoint
    ) -> None:
        """smtplib's sendmail(), with DATA split at the final dot."""
        smtp = self.connection
        smtp.ehlo_or_helo_if_needed()
        options = [f"size={len(message)}"] if smtp.does_esmtp and smtp.has_extn("size") else []
        code, reply = smtp.mail(from_email, options)
        if code != 250:
            _give_up(smtp, code)
            raise smtplib.SMTPSenderRefused(code, reply, from_email)
        refused = {}
        for recipient in recipients:
            code, reply = smtp.rcpt(recipient)
            if code not in (250, 251):
                refused[recipient] = (code, reply)
            if code == 421:
                smtp.close()
                raise smtplib.SMTPRecipientsRefused(refused)
        if len(refused) == len(recipients):
            _give_up(smtp, 250)
            raise smtplib.SMTPRecipientsRefused(refused)
        smtp.putcmd("data")
        code, reply = smtp.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        body = _LEADING_DOT.sub(b"..", message)
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        smtp.send(body)

        # The commit point: record the email as sent before the relay can own it.
        try:
            accepted = point.commit()
        except BaseException:
            smtp.close()  # no dot: the relay discards the transaction
            raise
        if not accepted:
            smtp.close()
            raise CommitRefused("the sender no longer holds the row; the message was not delivered")
        point.state = "committed"
        try:
            smtp.send(b".\r\n")
        except smtplib.SMTPServerDisconnected:
            # The relay was gone before the dot: it discarded the message.
            point.undo()
            point.state = "undone"
            raise
        try:
            code, reply = smtp.getreply()
        except smtplib.SMTPServerDisconnected:
            logger.warning("no reply to the final dot: the relay may have the message; counted as sent")
            raise
        if code != 250:
            point.undo()
            point.state = "undone"
            raise smtplib.SMTPDataError(code, reply)


def _give_up(smtp: smtplib.SMTP, code: int) -> None:
    """End a refused transaction as smtplib does: close on 421, else RSET (a dead relay is ignored)."""
    if code == 421:
        smtp.close()
        return
    try:
        smtp.rset()
    except smtplib.SMTPServerDisconnected:
        pass
