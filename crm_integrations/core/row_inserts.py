"""Inserting a batch of new rows, as ``bulk_create`` does, for a fraction of its CPU.

Django's ``bulk_create`` compiles every value of every row on its own (``field_as_sql``,
``pre_save_val``, placeholders assembled per value): for the 1,000-lead intake round, storing the
leads, decisions, owner writes and journey events spent two fifths of the round's CPU there
(cProfile of ``crm_integrations/intake/batches.py``'s ``take_in_pending``; docs/benchmarks.md,
"Issue 15, fourth pass"). ``insert_all`` works out a model's columns once per process, prepares each
value with its field's own ``get_db_prep_save`` (the same conversion ``bulk_create`` applies) and
sends a multi-row ``INSERT … VALUES (…), (…)``, batched by the database's parameter limit, with
``RETURNING`` the primary key where the database can (SQLite 3.35+, PostgreSQL), so the rows get
their ids as with ``bulk_create``.

What it does not cover, it leaves to ``bulk_create`` itself: values that are expressions (a
database default, ``F()``), and a mix of rows with and without primary keys. No signals are sent,
as with ``bulk_create``.

Used by the hot path's inserts: ``field_mapping/services.py`` (leads), ``routing/assign.py``
(decisions, owner writes), ``routing/journey.py``, ``crm_integrations/intake/events.py`` (webhook
events), ``crm_integrations/intake/echoes.py``, ``crm_integrations/core/tracing/store.py`` and the record of
every CRM call (``crm_integrations/core/http/recording.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model


@dataclass(frozen=True)
class _Plan:
    """A model's insert, worked out once: the columns written and how each value is read."""

    table: str
    fields: tuple[Field, ...]
    columns: str
    #: Per field: reads the row's value (``_reader``).
    readers: tuple[Callable[[Model], Any], ...]


def insert_all(rows: Sequence[Model]) -> None:
    """Insert ``rows``, new instances of one model, setting their primary keys (as ``bulk_create``)."""
    if not rows:
        return
    model = type(rows[0])
    meta = model._meta
    db = connections[router.db_for_write(model)]
    for row in rows:
        row._prepare_related_fields_for_save(operation_name="bulk_create")
    with_pk = {row.pk is not None for row in rows}
    if len(with_pk) > 1:
        model._default_manager.bulk_create(rows)
        return
    generate_pk = meta.auto_field is not None and with_pk == {False}
    plan = _plan(model, db.alias, generate_pk)
    returning = generate_pk and db.features.can_return_rows_from_bulk_insert
    if generate_pk and not returning:
        model._default_manager.bulk_create(rows)
        return
    values = [[read(row) for read in plan.readers] for row in rows]
    if any(hasattr(value, "resolve_expression") for row_values in values for value in row_values):
        model._default_manager.bulk_create(rows)
        return
    prepare = [_preparer(field) for field in plan.fields]
    size = max(db.ops.bulk_batch_size(list(plan.fields), rows), 1)
    placeholders = "(" + ", ".join(["%s"] * len(plan.fields)) + ")"
    suffix = f" RETURNING {db.ops.quote_name(meta.pk.column)}" if returning else ""
    with db.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = values[start : start + size]
            params = [
                value if type(value) in plain else convert(value, db)
                for row_values in batch
                for (plain, convert), value in zip(prepare, row_values, strict=True)
            ]
            # Only the model's own quoted table and column names are formatted in; values are parameters.
            sql = (
                f"INSERT INTO {plan.table} ({plan.columns}) VALUES "  # noqa: S608
                + ", ".join([placeholders] * len(batch))
                + suffix
            )
            cursor.execute(sql, params)
            if returning:
                _set_pks(rows[start : start + size], cursor.fetchall(), db, meta.pk)
    for row in rows:
        row._state.adding = False
        row._state.db = db.alias


def _set_pks(
    rows: Sequence[Model], returned: Sequence[Sequence[Any]], db: BaseDatabaseWrapper, pk: Field
) -> None:
    if len(returned) != len(rows):  # never expected: the database returned a row per inserted row
        raise RuntimeError(f"INSERT returned {len(returned)} keys for {len(rows)} rows")
    converters = pk.get_db_converters(db)
    for row, (value,) in zip(rows, returned, strict=True):
        for convert in converters:
            value = convert(value, pk, db)
        setattr(row, pk.attname, value)


@cache
def _plan(model: type[Model], alias: str, generate_pk: bool) -> _Plan:
    meta = model._meta
    quote = connections[alias].ops.quote_name
    fields = tuple(
        field
        for field in meta.concrete_fields
        if not field.generated and not (generate_pk and field is meta.auto_field)
    )
    return _Plan(
        table=quote(meta.db_table),
        fields=fields,
        columns=", ".join(quote(field.column) for field in fields),
        readers=tuple(_reader(field) for field in fields),
    )


#: Fields whose ``get_db_prep_save`` gives a value of these exact types back unchanged on SQLite and
#: PostgreSQL, the databases this project runs on (``get_prep_value`` is ``to_python``, ``int()`` or
#: ``float()`` of it, and neither adapts it further). Exact classes only: a subclass may convert
#: differently. ``bool`` is not an ``int`` here (``type(True) is bool``), so an integer column never
#: gets a boolean unconverted.
_PLAIN_TYPES: dict[type[Field], frozenset[type]] = {
    **dict.fromkeys((models.CharField, models.TextField, models.EmailField), frozenset({str, type(None)})),
    **dict.fromkeys(
        (
            models.IntegerField,
            models.BigIntegerField,
            models.SmallIntegerField,
            models.PositiveIntegerField,
            models.PositiveBigIntegerField,
            models.PositiveSmallIntegerField,
            models.AutoField,
            models.BigAutoField,
        ),
        frozenset({int, type(None)}),
    ),
    models.FloatField: frozenset({float, type(None)}),
    models.BooleanField: frozenset({bool, type(None)}),
}
#: Relations whose ``get_db_prep_save`` is their target field's.
_RELATIONS = (models.ForeignKey, models.OneToOneField)


@cache
def _preparer(field: Field) -> tuple[frozenset[type], Callable[[Any, BaseDatabaseWrapper], Any]]:
    """The value types ``field`` passes through as they are, and its ``get_db_prep_save`` for the
    rest (what ``bulk_create`` applies to every value). Three calls deep per value, that conversion
    was a third of a span batch's insert (crm_integrations/core/tracing/store.py) and a large part
    of an intake round's inserts, nearly all plain strings and numbers (docs/benchmarks.md, the
    seventeenth pass)."""
    target = field.target_field if type(field) in _RELATIONS else field
    return _PLAIN_TYPES.get(type(target), frozenset()), field.get_db_prep_save


def _reader(field: Field) -> Callable[[Model], Any]:
    """A field whose class overrides ``pre_save`` (``auto_now``, ``auto_now_add``, a custom field)
    gets it called, as ``bulk_create`` does; for the others that is a plain attribute read."""
    if type(field).pre_save is not Field.pre_save:
        return lambda row: field.pre_save(row, add=True)
    attname = field.attname
    return lambda row: getattr(row, attname)
