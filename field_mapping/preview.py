"""A mapping tried before it is saved: real sample records from the CRM, mapped, and the mapping's
problems against the CRM's current properties. Reads only; nothing is stored."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
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

from .mapping import MappingError, MappingSpec, expansions, map_record, properties_by_path, split_path
from .models import CanonicalField, path_problem
from .providers import provider_associations
from .selectors import mapping_problems
from .validation import ERROR, Problem, validate_mapping

#: Sample records are taken from those changed in this window first (all time when too few).
RECENT = timedelta(days=30)
PREVIEW_SIZE = 5


@dataclass(frozen=True)
class PreviewRow:
    """One sample record: its canonical values (by canonical field) and what did not map."""

    record_id: str
    values: dict[str, Any]
    errors: list[MappingError]

    def cells(self) -> list[tuple[str, Any]]:
        """``(canonical field, value)`` in ``CanonicalField`` order (the preview table's columns)."""
        return [(name, self.values.get(name)) for name in CanonicalField.values]


@dataclass(frozen=True)
class Preview:
    rows: list[PreviewRow]
    problems: list[Problem]

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


def preview_rows(spec: MappingSpec, records: Iterable[CrmRecord]) -> list[PreviewRow]:
    rows = []
    for record in records:
        result = map_record(spec, record)
        rows.append(PreviewRow(record.id, result.values, result.errors))
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
        problems = mapping_problems(connection, spec)
    else:
        problems = validate_mapping(spec, fields, associations=provider_associations(connection.provider))
    records = sample_records(connection, spec, limit)
    return Preview(rows=preview_rows(spec, records), problems=problems)


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
