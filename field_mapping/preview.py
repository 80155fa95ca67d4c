"""A mapping tried before it is saved: real sample records from the CRM, mapped, and the mapping's
problems against the CRM's current properties. Reads only; nothing is stored."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from django.utils import timezone

from crm_integrations.core import registry
from crm_integrations.core.errors import (
    AuthExpired,
    AuthRevoked,
    CrmError,
    InvalidRequest,
    NotFound,
    RateLimited,
    RetryLater,
)
from crm_integrations.core.types import CrmField, CrmRecord
from crm_integrations.models import OrganizationIntegration

from .label_services import owners_for
from .labels import LabelBook, Labels, value_labels
from .mapping import MappingError, MappingSpec, expansions, map_record, properties_by_path, split_path
from .models import CanonicalField, path_problem
from .providers import provider_associations
from .selectors import fields_for_spec
from .validation import ERROR, Problem, validate_mapping

#: Sample records are taken from those changed in this window first (all time when too few).
RECENT = timedelta(days=30)
PREVIEW_SIZE = 5


@dataclass(frozen=True)
class Cell:
    """One value of the preview table: the canonical value and the CRM's label for it (if any)."""

    name: str
    value: Any
    label: str | None = None


@dataclass(frozen=True)
class PreviewRow:
    """One sample record: its canonical values (by canonical field), what did not map (errors) and
    what optional fields had nothing to read (warnings), and the CRM's labels of its values."""

    record_id: str
    values: dict[str, Any]
    errors: list[MappingError]
    warnings: list[MappingError] = field(default_factory=list)
    labels: LabelBook = field(default_factory=LabelBook)

    def cells(self) -> list[Cell]:
        """The values in ``CanonicalField`` order (the preview table's columns)."""
        return [
            Cell(name, self.values.get(name), self.labels.label(name, self.values.get(name)))
            for name in CanonicalField.values
        ]


@dataclass(frozen=True)
class Preview:
    rows: list[PreviewRow]
    problems: list[Problem]
    labels: Labels = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity != ERROR]

    @property
    def can_save(self) -> bool:
        """Errors block saving; warnings do not."""
        return not self.errors

    @property
    def record_failures(self) -> list[tuple[str, MappingError]]:
        """``(record id, error)`` for every sample record the mapping fails on (values that do not
        convert, required fields with nothing to read): saving such a mapping needs a confirmation."""
        return [(row.record_id, error) for row in self.rows for error in row.errors]

    @property
    def failing_records(self) -> int:
        return len({record_id for record_id, _ in self.record_failures})

    @property
    def failure_digest(self) -> str:
        """Names exactly these failures: a "Save anyway" confirms the failures the admin saw, and a
        mapping or records changed since then need a new look (field_mapping/wizard_views.py)."""
        text = "\n".join(sorted(f"{record_id}\t{error.message}" for record_id, error in self.record_failures))
        return hashlib.sha256(text.encode()).hexdigest()[:32] if text else ""


def fetchable(spec: MappingSpec, provider: str) -> MappingSpec:
    """``spec`` without the rules the CRM could not be asked for (a malformed path, an association
    the provider cannot follow): those are reported by validation, and mapping shows them missing."""
    graph = provider_associations(provider)

    def ok(path: str) -> bool:
        if path_problem(path):
            return False
        if graph is None:
            return True
        kind = spec.object_type
        for hop in split_path(path)[0]:
            if hop not in graph.get(kind, ()):
                return False
            kind = hop
        return True

    return replace(
        spec,
        rules=tuple(rule for rule in spec.rules if ok(rule.source_path)),
        status_source=spec.status_source if spec.status_source and ok(spec.status_source) else "",
    )


def sample_records(
    connection: OrganizationIntegration, spec: MappingSpec, limit: int = PREVIEW_SIZE
) -> list[CrmRecord]:
    """Up to ``limit`` real records of the lead object, read with everything ``spec`` needs.

    Records changed in the last 30 days first (the CRM's change feed), all time when there are
    fewer; then one batch read with the associated records (``expansions``), as the intake does.
    """
    client = registry.get_client(connection)
    wanted = fetchable(spec, connection.provider)
    since = (timezone.now() - RECENT).isoformat()
    page = client.changed_since(spec.object_type, since, limit=limit)
    if len(page.records) < limit:
        page = client.changed_since(spec.object_type, None, limit=limit)
    ids = [record.id for record in page.records][:limit]
    if not ids:
        return []
    records = client.batch_read(
        spec.object_type,
        ids,
        properties=properties_by_path(wanted).get("", ()),
        associations=expansions(wanted),
    )
    order = {record_id: index for index, record_id in enumerate(ids)}
    return sorted(records, key=lambda record: order.get(record.id, len(order)))


def preview_rows(
    spec: MappingSpec, records: Iterable[CrmRecord], labels: Labels | None = None
) -> list[PreviewRow]:
    book = LabelBook(labels)
    rows = []
    for record in records:
        result = map_record(spec, record)
        rows.append(PreviewRow(record.id, result.values, result.errors, result.warnings, book))
    return rows


def preview_mapping(
    connection: OrganizationIntegration,
    spec: MappingSpec,
    limit: int = PREVIEW_SIZE,
    *,
    fields: Mapping[str, Iterable[CrmField]] | None = None,
) -> Preview:
    """Map ``limit`` real sample records with ``spec`` and check ``spec`` against the CRM's fields.

    ``fields`` (``{object type: [CrmField]}``, e.g. from the wizard's property catalogue) saves
    listing them again. CRM errors propagate (``CrmError``; see ``crm_error_message``).
    """
    if fields is None:
        fields = fields_for_spec(connection, spec)
    problems = validate_mapping(spec, fields, associations=provider_associations(connection.provider))
    labels = value_labels(spec, fields, owners_for(connection, spec, fields))
    records = sample_records(connection, spec, limit)
    return Preview(rows=preview_rows(spec, records, labels), problems=problems, labels=labels)


def crm_error_message(error: Exception) -> str:
    """What to tell staff when the CRM call failed: what happened and what to do (never a secret:
    the contract's errors carry none)."""
    if isinstance(error, AuthRevoked):
        return (
            "The CRM no longer accepts this connection's authorization. "
            "Reconnect it on the Integrations page, then open the wizard again."
        )
    if isinstance(error, AuthExpired):
        return "The CRM rejected the connection's access token and it could not be refreshed. Try again."
    if isinstance(error, RetryLater):
        wait = max(1, math.ceil(error.retry_after))
        what = (
            "The CRM is rate limiting requests right now"
            if isinstance(error, RateLimited)
            else "The CRM is unavailable right now (server errors or timeouts)"
        )
        return f"{what}. Nothing was changed; try again in {wait} second{'s' if wait != 1 else ''}."
    if isinstance(error, NotFound | InvalidRequest):
        return f"The CRM refused the request: {error.message}"
    if isinstance(error, CrmError):
        return f"The CRM call failed: {error.message}"
    if isinstance(error, registry.UnknownProvider):
        return f"No CRM provider is registered for this connection ({error})."
    return "The CRM call failed."
