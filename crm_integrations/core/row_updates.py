"""Saving a batch of rows whose new values differ row by row, for little CPU.

Django's ``bulk_update`` builds one ``CASE WHEN pk = … THEN …`` expression per field and row, and
resolving those expressions in Python was the largest single cost of a burst's intake and
write-back (a fifth of the Celery workers' CPU each, measured with py-spy; docs/benchmarks.md,
"Our own cost"). ``update_each`` sends one plain ``UPDATE … WHERE pk = %s`` per row through the
driver's ``executemany`` instead: a prepared statement on SQLite, a pipeline on psycopg 3, and
a single entry in a test's captured queries.

Used by ``crm_integrations/intake/batches.py`` (the events' outcomes after a hand-over) and
``crm_integrations/intake/handover.py`` (earlier failures settled).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, router
from django.db.models import Model


def update_each(rows: Sequence[Model], fields: Sequence[str]) -> None:
    """Save ``fields`` of each row (its current attribute values) in one ``executemany``."""
    if not rows:
        return
    model = type(rows[0])
    meta = model._meta
    db = connections[router.db_for_write(model)]
    columns = [meta.get_field(name) for name in fields]
    quote = db.ops.quote_name
    assignments = ", ".join(f"{quote(column.column)} = %s" for column in columns)
    # Only the model's own quoted table and column names are formatted in; every value is a parameter.
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    params = [
        [column.get_db_prep_save(getattr(row, column.attname), db) for column in columns]
        + [meta.pk.get_db_prep_save(row.pk, db)]
        for row in rows
    ]
    with db.cursor() as cursor:
        cursor.executemany(sql, params)
