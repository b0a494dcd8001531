"""Django's PostgreSQL backend, with a health check that costs no round trip when nothing is wrong.

With CONN_HEALTH_CHECKS, Django checks a persistent connection before its first use in each request by
sending `SELECT 1`: on a pledge POST, one more round trip and one more statement for PostgreSQL to run
than the signature itself. An idle connection in autocommit has nothing to read, unless the server has
hung up (a restart, a failover, `pg_terminate_backend`: PostgreSQL sends its error and closes, or the
kernel closes the socket when the backend dies) or sent a notice. So the check first asks the socket,
without waiting: nothing to read, the connection is as it was left; something to read (or a connection
not idle, or already marked broken), Django's own `SELECT 1` decides. A peer that vanished without a
word (a cable cut) is found by the first real query, as it would be by `SELECT 1`.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    _server_binding = False

    def server_binding_cursor(self):
        """Django's own cursor() (health check, connection, execute wrappers, query logging, time zone),
        with psycopg's server-side binding, so that psycopg prepares what it runs often
        (quitgpt.rows.prepared_cursor). Every other cursor keeps Django's client-side binding."""
        self._server_binding = True
        try:
            return self.cursor()
        finally:
            self._server_binding = False

    def create_cursor(self, name=None):
        if name or not self._server_binding:
            return super().create_cursor(name)
        factory = self.connection.cursor_factory
        self.connection.cursor_factory = base.ServerBindingCursor
        try:
            return super().create_cursor(name)
        finally:
            self.connection.cursor_factory = factory

    def is_usable(self) -> bool:
        if self.connection is None:
            return False
        if self.connection.closed or self.connection.pgconn.status != pq.ConnStatus.OK:
            return False
        if self.connection.info.transaction_status != pq.TransactionStatus.IDLE:
            return super().is_usable()
        try:
            readable, _, _ = select.select([self.connection.pgconn.socket], [], [], 0)
        except (OSError, ValueError):
            return False
        return True if not readable else super().is_usable()
