"""Model rows written without the ORM's per-call compilation, for the hottest writes (the pledge POST).

`bulk_create` compiles its INSERT anew on every call, which costs a signature more than the statement
itself. Here each model's column list is built once per process from its concrete fields, and every
value still goes through its field's `pre_save` (auto_now stamps) and `get_db_prep_save`, as the ORM's
own INSERT does, so a field added to a model is written with no change here. The instances are not
refreshed (no primary key is read back): for rows whose key the caller already knows, or does not need.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Sequence
from typing import Any

from django.db import connection, models
from django.db.models.fields import AutoFieldMixin


@functools.cache
def insert_shape(model: type[models.Model], *, skip: frozenset[str] = frozenset()) -> tuple[list, list, str]:
    """The fields written on insert (every concrete field but an automatic primary key and those named in
    `skip`), the ones stamped on insert (auto_now, auto_now_add), and their quoted column names."""
    written = [
        f
        for f in model._meta.concrete_fields
        if not (f.primary_key and isinstance(f, AutoFieldMixin)) and f.name not in skip
    ]
    stamped = [f for f in written if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    return written, stamped, ", ".join(connection.ops.quote_name(f.column) for f in written)


def prepared_values(instance: models.Model, *, skip: frozenset[str] = frozenset()) -> list[Any]:
    """The instance's values for `insert_shape`'s fields, as the ORM would send them."""
    written, stamped, _names = insert_shape(type(instance), skip=skip)
    for f in stamped:
        f.pre_save(instance, add=True)
    return [f.get_db_prep_save(getattr(instance, f.attname), connection) for f in written]


def insert_rows(instances: Sequence[models.Model], *, ignore_conflicts: bool = False) -> None:
    """One multi-row INSERT of `instances` (all of one model), optionally ON CONFLICT DO NOTHING."""
    if not instances:
        return
    model = type(instances[0])
    written, _stamped, names = insert_shape(model)
    row = "(" + ", ".join(["%s"] * len(written)) + ")"
    sql = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({names}) VALUES "  # noqa: S608  # nosec B608
    sql += ", ".join([row] * len(instances))
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    params = [value for instance in instances for value in prepared_values(instance)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@contextlib.contextmanager
def prepared_cursor() -> Iterator[Any]:
    """A cursor (Django's wrapper: execute wrappers and query logging apply) whose statements PostgreSQL
    parses and plans once per connection, not once per call: psycopg's server-side binding, with its
    automatic prepared statements (DATABASES OPTIONS prepare_threshold). For the few statements every
    signature runs; elsewhere the default client-side binding stays."""
    # quitgpt.postgres (the engine settings pick for PostgreSQL) has it; another database: a plain cursor.
    make_cursor = getattr(connection, "server_binding_cursor", connection.cursor)
    with make_cursor() as cursor:
        yield cursor
