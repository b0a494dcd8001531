"""Private tokens never reach the logs: a filter that redacts them from every log line.

Confirm, manage, cancel, unsubscribe and password-reset links carry a secret in their path; an access log
line or a "Not Found: /pledge/manage/<token>/" warning would hand it to anyone who reads the logs. The
filter rewrites each record's message with the secret segment replaced by `[redacted]`. It is installed
on Django's log handler (settings.LOGGING) and on gunicorn's loggers (gunicorn.conf.py, through
`GunicornLogger`). A new private link adds its path prefix to PRIVATE_PREFIXES; a test walks the URL
patterns and fails on any `token` or `key` parameter left out.
"""

from __future__ import annotations

import logging
import re

# The path before each secret segment (with or without the /fr/ prefix, which the search skips over).
PRIVATE_PREFIXES = (
    r"pledge/confirm",
    r"pledge/manage",
    r"events/rsvp/confirm",
    r"events/rsvp/\d+",  # the cancel link: /events/rsvp/<pk>/<token>/cancel/
    r"unsubscribe",
    r"audit",  # the sampled audit's re-confirmation link: /audit/<token>/
    r"accounts/password/reset/key",
    r"accounts/confirm-email",
)
REDACTED = "[redacted]"
_SECRET_RE = re.compile(r"(/(?:" + "|".join(PRIVATE_PREFIXES) + r")/)[^/?#\s\"']+")
# Private tokens carried in a query string: the thank-you page's manage token (`k`) and signed receipt.
PRIVATE_PARAMETERS = ("k", "receipt")
_PARAMETER_RE = re.compile(r"([?&](?:" + "|".join(PRIVATE_PARAMETERS) + r")=)[^&#\s\"']+")


def redact(text: str) -> str:
    """`text` with every private token in a path or a private query parameter replaced by [redacted]."""
    return _PARAMETER_RE.sub(r"\1" + REDACTED, _SECRET_RE.sub(r"\1" + REDACTED, text))


class RedactTokensFilter(logging.Filter):
    """Rewrites a record whose message carries a private token (the message is formatted once, here)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is not ours to fix; let logging report it
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # pragma: no cover - gunicorn is a main dependency
    _GunicornLogger = object  # type: ignore[assignment,misc]


class GunicornLogger(_GunicornLogger):  # type: ignore[misc,valid-type]
    """gunicorn's logger with the filter on its access and error logs (gunicorn.conf.py selects it)."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.access_log, self.error_log):
            if not any(isinstance(f, RedactTokensFilter) for f in log.filters):
                log.addFilter(RedactTokensFilter())
