"""Re-encrypting stored values to the newest key: batch by batch, resumable, never lossy."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.apps import apps
from django.db import models, transaction

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

    Each batch commits on its own, and each row is written with a conditional UPDATE (only if
    it still holds the ciphertext we read), so stopping at any point loses nothing and a value
    the application changed meanwhile is left alone (it is already under the newest key).
    """
    rewritten = 0
    for batch in _batches(column, batch_size):
        with transaction.atomic():
            for pk, old in batch:
                new = envelope.reencrypt(
                    old,
                    aad=envelope.associated_data(column.model._meta.db_table, pk, column.field.name),
                    where=f"{column.label} of row {pk}",
                )
                rewritten += column.model._default_manager.filter(pk=pk, **{column.field.name: old}).update(
                    **{column.field.name: new}
                )
        if on_batch:
            on_batch(len(batch))
    return rewritten


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
