"""The embedded defaults have no broker and no beat: a daemon thread in the web process runs the tally
job every TALLY_RECOMPUTE_SECONDS, so that the counter moves within a minute of a confirmation without
ever counting on a request.

It starts on the first request served (so only in a process that serves requests, never in a
management command or a test run) and only when TALLY_INPROCESS_SCHEDULER is on (default: no REDIS_URL).
"""

from __future__ import annotations

import logging
import sys
import threading

from django.conf import settings
from django.db import close_old_connections, connections

logger = logging.getLogger(__name__)

_SERVERS = {"runserver", "gunicorn", "uwsgi", "uvicorn", "daphne", "hypercorn", "waitress-serve"}
_started = threading.Event()
_start_lock = threading.Lock()


class Scheduler:
    def __init__(self, period: float) -> None:
        self.period = period
        self.stopped = threading.Event()
        self.runs = 0
        self.thread = threading.Thread(target=self._loop, name="tally-scheduler", daemon=True)

    def start(self) -> Scheduler:
        self.thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.stopped.set()
        self.thread.join(timeout)

    def _loop(self) -> None:
        from tally.services import tally_recompute

        # Run at once (catch up after a restart), then every period.
        while not self.stopped.is_set():
            try:
                tally_recompute()
            except Exception:
                logger.exception("tally: in-process recompute failed")
            finally:
                close_old_connections()
                self.runs += 1
            self.stopped.wait(self.period)
        # This thread's own connection would otherwise stay open until the process ends.
        connections.close_all()


def is_server_process(argv: list[str] | None = None) -> bool:
    argv = sys.argv if argv is None else argv
    names = {part.rsplit("/", 1)[-1] for part in argv[:2]}
    return bool(names & _SERVERS)


def start_on_first_request(**kwargs) -> None:
    """`request_started` receiver: start the scheduler once per process."""
    if _started.is_set():
        return
    with _start_lock:
        if _started.is_set():
            return
        _started.set()
    logger.info(
        "tally: no broker, running the tally job in-process every %s s", settings.TALLY_RECOMPUTE_SECONDS
    )
    Scheduler(settings.TALLY_RECOMPUTE_SECONDS).start()
