"""Re-encrypting stored values to the newest key: batch by batch, resumable, never lossy."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.apps import apps
from django.db import connections, models, router, transaction
from django.db.models import Case, F, Q, Value, When

from . import envelope
from .fields import EncryptedTextField
from .keyring import get_keyring


@dataclass(frozen=True)
class EncryptedColumn:
    model: type[models.Model]
    field: EncryptedTextField

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field.name}"


def encrypted_columns() -> list[EncryptedColumn]:
    """Every EncryptedTextField of every installed model."""
    return [
        EncryptedColumn(model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


def stale_rows(column: EncryptedColumn) -> models.QuerySet:
    """Rows whose value is set and not yet under the primary key."""
    name = column.field.name
    primary_prefix = envelope.envelope_prefix(get_keyring().primary_id)
    return (
        column.model._default_manager.exclude(**{name: ""})
        .exclude(**{f"{name}__isnull": True})
        .exclude(**{f"{name}__startswith": primary_prefix})
    )


def rotate_column(
    column: EncryptedColumn, *, batch_size: int = 500, on_batch: Callable[[int], None] | None = None
) -> int:
    """Re-encrypt every stale value of one column; returns how many rows were rewritten.

    Each batch commits on its own, and its rows are written by conditional UPDATEs (a row only if it
    still holds the ciphertext we read), so stopping at any point loses nothing and a value the
    application changed meanwhile is left alone (it is already under the newest key). A batch is one
    UPDATE per ``_swap`` chunk, not one per row (20,000 values were 20,000 UPDATEs before).
    """
    rewritten = 0
    chunk = _swap_chunk(column)
    for batch in _batches(column, batch_size):
        swaps = [
            (
                pk,
                old,
                envelope.reencrypt(
                    old,
                    aad=envelope.associated_data(column.model._meta.db_table, pk, column.field.name),
                    where=f"{column.label} of row {pk}",
                ),
            )
            for pk, old in batch
        ]
        with transaction.atomic():
            for start in range(0, len(swaps), chunk):
                rewritten += _swap(column, swaps[start : start + chunk])
        if on_batch:
            on_batch(len(batch))
    return rewritten


def _swap(column: EncryptedColumn, swaps: list[tuple[object, str, str]]) -> int:
    """One compare-and-swap UPDATE: each row whose value is still ``old`` gets ``new``; returns how
    many rows matched."""
    name = column.field.name
    still_old = Q()
    for pk, old, _new in swaps:
        still_old |= Q(pk=pk, **{name: old})
    new_value = Case(
        *(When(pk=pk, then=Value(new, output_field=column.field)) for pk, _old, new in swaps),
        default=F(name),
        output_field=column.field,
    )
    return column.model._default_manager.filter(still_old).update(**{name: new_value})


def _swap_chunk(column: EncryptedColumn) -> int:
    """Rows per UPDATE within the database's limit on query parameters (SQLite's is counted as 999
    by Django); each row takes four: its key and old value in WHERE, its key and new value in CASE."""
    limit = connections[router.db_for_write(column.model)].features.max_query_params
    return max(1, limit // 4) if limit else 1_000


def _batches(column: EncryptedColumn, batch_size: int) -> Iterator[list[tuple[object, str]]]:
    last_pk = None
    while True:
        queryset = stale_rows(column).order_by("pk")
        if last_pk is not None:
            queryset = queryset.filter(pk__gt=last_pk)
        batch = list(queryset.values_list("pk", column.field.name)[:batch_size])
        if not batch:
            return
        last_pk = batch[-1][0]
        yield batch
