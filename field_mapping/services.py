"""Writes: saving a mapping, a connection's default mapping, and storing a mapped record as a ``Lead``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from crm_integrations.core.row_inserts import insert_all
from crm_integrations.core.types import CrmRecord
from crm_integrations.models import OrganizationIntegration
from crm_integrations.selectors import lead_object_type

from .mapping import MappingResult, RuleSpec, record_to_raw, rule_specs
from .models import (
    CanonicalField,
    FieldMapping,
    FieldRule,
    Lead,
    LeadState,
    ReceivedVia,
    StatusMapping,
)
from .providers import default_mapping

# -- mappings ---------------------------------------------------------------------------------------

StatusRows = Mapping[str, str] | Iterable[tuple[str, str]]


def mapping_save(
    connection: OrganizationIntegration,
    object_type: str,
    rules: Iterable[RuleSpec | Mapping[str, Any]],
    status_rows: StatusRows,
    user: Any = None,
    *,
    status_source: str = "",
    status_default: str = "",
    value_labels: Mapping[str, Mapping[str, str]] | None = None,
) -> FieldMapping:
    """Create or replace the connection's mapping: its rules and status rows are exactly those given.

    Atomic, and every row is ``full_clean``-ed first: on a ``ValidationError`` (keys
    ``"mapping"``, ``"rules.<field>"``, ``"status.<crm value>"``) nothing is written.
    ``value_labels`` (``labels.value_labels``: the CRM's words per canonical field) are kept on the
    rules; given, they count as read now, else the intake reads them (``mapping_labels_refresh``).
    """
    specs = rule_specs(rules)
    rows = list(status_rows.items() if isinstance(status_rows, Mapping) else status_rows)
    errors: dict[str, list[str]] = {}

    with transaction.atomic():
        mapping = FieldMapping.objects.select_for_update().filter(connection=connection).first()
        if mapping is None:
            mapping = FieldMapping(connection=connection)
        mapping.object_type = object_type
        mapping.status_source = status_source
        mapping.status_default = status_default
        mapping.updated_by = user if getattr(user, "pk", None) else None
        mapping.labels_read_at = timezone.now() if value_labels is not None else None
        _collect(errors, "mapping", lambda: mapping.full_clean(exclude=["connection"], validate_unique=False))

        new_rules, seen = [], set()
        for spec in specs:
            key = f"rules.{spec.canonical_field}"
            if spec.canonical_field in seen:
                errors.setdefault(key, []).append(f"{spec.canonical_field} is mapped more than once.")
                continue
            seen.add(spec.canonical_field)
            rule = FieldRule(
                mapping=mapping,
                canonical_field=spec.canonical_field,
                source_path=spec.source_path,
                transform=spec.transform,
                options=dict(spec.options),
                value_labels=dict((value_labels or {}).get(spec.canonical_field, {})),
            )
            _collect(
                errors, key, lambda rule=rule: rule.full_clean(exclude=["mapping"], validate_unique=False)
            )
            new_rules.append(rule)

        new_rows, values = [], set()
        for crm_value, outcome in rows:
            key = f"status.{crm_value}"
            if crm_value in values:
                errors.setdefault(key, []).append(f"{crm_value!r} has more than one outcome.")
                continue
            values.add(crm_value)
            row = StatusMapping(mapping=mapping, crm_value=crm_value, outcome=outcome)
            _collect(errors, key, lambda row=row: row.full_clean(exclude=["mapping"], validate_unique=False))
            new_rows.append(row)

        if errors:
            raise ValidationError(errors)
        mapping = _save_mapping(mapping)
        mapping.rules.all().delete()
        mapping.status_rows.all().delete()
        for item in (*new_rules, *new_rows):
            item.mapping = mapping
        FieldRule.objects.bulk_create(new_rules)
        StatusMapping.objects.bulk_create(new_rows)
    return mapping


def _collect(errors: dict[str, list[str]], key: str, check: Any) -> None:
    try:
        check()
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for name, messages in error.message_dict.items():
                errors.setdefault(key, []).extend(f"{name}: {message}" for message in messages)
        else:
            errors.setdefault(key, []).extend(error.messages)


def _save_mapping(mapping: FieldMapping) -> FieldMapping:
    """Save; when another process created the connection's mapping meanwhile, update theirs instead."""
    if mapping.pk is not None:
        mapping.save()
        return mapping
    try:
        with transaction.atomic():
            mapping.save(force_insert=True)
            return mapping
    except IntegrityError:
        theirs = FieldMapping.objects.select_for_update().get(connection=mapping.connection)
        for name in ("object_type", "status_source", "status_default", "updated_by", "labels_read_at"):
            setattr(theirs, name, getattr(mapping, name))
        theirs.save()
        return theirs


class NoDefaultMapping(LookupError):
    """There is no default mapping for this provider and object type."""


def default_mapping_for(
    connection: OrganizationIntegration, *, object_type: str | None = None, user: Any = None
) -> FieldMapping:
    """The connection's mapping, created from the provider's default when it has none yet.

    ``object_type`` defaults to the connection's lead object (HubSpot ``leads``, monday ``items``).
    An existing mapping is returned untouched (never overwrites what staff configured).
    """
    object_type = object_type or lead_object_type(connection)
    spec = default_mapping(connection.provider, object_type)
    if spec is None:
        raise NoDefaultMapping(f"No default {object_type} mapping for {connection.provider}.")
    existing = FieldMapping.objects.filter(connection=connection).first()
    if existing is not None:
        return existing
    return mapping_save(
        connection,
        spec.object_type,
        spec.rules,
        spec.status_map,
        user,
        status_source=spec.status_source,
        status_default=spec.status_default,
    )


# -- leads ------------------------------------------------------------------------------------------

#: Canonical field -> ``Lead`` column.
COLUMNS = {
    CanonicalField.NAME: "name",
    CanonicalField.EMAIL: "email",
    CanonicalField.COMPANY: "company",
    CanonicalField.COUNTRY: "country",
    CanonicalField.SOURCE: "source",
    CanonicalField.OWNER: "owner_external_id",
    CanonicalField.AMOUNT: "amount",
    CanonicalField.INDUSTRY: "industry",
    CanonicalField.STATUS: "status",
    CanonicalField.LEAD_TYPE: "lead_type",
}
NULLABLE_COLUMNS = frozenset({"amount", "status"})
#: Every column ``_fill`` writes (what a bulk update sends).
FILLED_FIELDS = [
    *COLUMNS.values(),
    "raw",
    "mapping_errors",
    "mapping_warnings",
    "state",
    "crm_updated_at",
    "crm_created_at",
    "received_via",
    "last_received_at",
]


@dataclass(frozen=True)
class LeadWrite:
    """What ``lead_upsert_from_record`` did: "created", "updated", or "stale" (an older version, ignored)."""

    lead: Lead
    action: str
    previous_status: str | None = None
    previous_owner: str = ""

    @property
    def applied(self) -> bool:
        return self.action != "stale"


def lead_upsert_from_record(
    connection: OrganizationIntegration,
    object_type: str,
    record: CrmRecord,
    result: MappingResult,
    received_via: str,
) -> LeadWrite:
    """Store ``record`` mapped as ``result`` as the connection's ``Lead`` for it: insert or update.

    Always stores the raw record, the mapping errors (``state`` mapping_error) and warnings (an
    optional field with nothing to read; ``state`` stays ok): a malformed record is kept, never
    dropped. Never rolls back: when the stored ``crm_updated_at`` is newer
    than the record's (an out-of-order event), or the record has no timestamp while the stored one
    does, nothing is written and the action is "stale". The same timestamp applies again
    (a redelivery, or a replay after the mapping changed).

    Concurrency: the existing row is locked (``select_for_update``) while compared and written; two
    first inserts race on the unique constraint and the loser updates the winner's row.
    """
    if received_via not in ReceivedVia.values:
        raise ValueError(f"received_via must be one of {', '.join(ReceivedVia.values)}, not {received_via!r}")
    key = {"connection": connection, "object_type": object_type, "external_id": str(record.id)}
    incoming = _aware(record.updated_at)
    with transaction.atomic():
        lead = Lead.objects.select_for_update().filter(**key).first()
        if lead is None:
            try:
                with transaction.atomic():
                    lead = Lead(organization_id=connection.organization_id, **key)
                    _fill(lead, record, incoming, result, received_via)
                    lead.first_received_at = lead.last_received_at
                    lead.save(force_insert=True)
                    return LeadWrite(lead, "created")
            except IntegrityError:
                # Another process stored this record between our read and our insert.
                lead = Lead.objects.select_for_update().get(**key)
        if _is_stale(lead.crm_updated_at, incoming):
            return LeadWrite(lead, "stale", lead.status, lead.owner_external_id)
        previous_status, previous_owner = lead.status, lead.owner_external_id
        _fill(lead, record, incoming, result, received_via)
        lead.save()
    return LeadWrite(lead, "updated", previous_status, previous_owner)


def leads_upsert_from_records(
    connection: OrganizationIntegration,
    object_type: str,
    mapped: Sequence[tuple[CrmRecord, MappingResult]],
    received_via: str,
) -> list[LeadWrite]:
    """``lead_upsert_from_record`` for a batch, in a few statements: the existing rows are read
    and locked at once, new ones bulk-inserted, changed ones bulk-updated (same rules: never a
    roll back, a record stored with its errors). One write per item, in order.

    When another process inserts one of these records between our read and our insert, the bulk
    insert breaks on the unique constraint and the new records are stored one by one instead.
    """
    if received_via not in ReceivedVia.values:
        raise ValueError(f"received_via must be one of {', '.join(ReceivedVia.values)}, not {received_via!r}")
    ids = [str(record.id) for record, _ in mapped]
    with transaction.atomic():
        existing = {
            lead.external_id: lead
            for lead in Lead.objects.select_for_update().filter(
                connection=connection, object_type=object_type, external_id__in=ids
            )
        }
        writes: list[LeadWrite] = []
        new: list[tuple[int, CrmRecord, MappingResult]] = []
        changed: list[Lead] = []
        for position, (record, result) in enumerate(mapped):
            lead, incoming = existing.get(str(record.id)), _aware(record.updated_at)
            if lead is None:
                new.append((position, record, result))
                writes.append(LeadWrite(Lead(), "created"))  # filled below
            elif _is_stale(lead.crm_updated_at, incoming):
                writes.append(LeadWrite(lead, "stale", lead.status, lead.owner_external_id))
            else:
                writes.append(LeadWrite(lead, "updated", lead.status, lead.owner_external_id))
                _fill(lead, record, incoming, result, received_via)
                changed.append(lead)
        if changed:
            Lead.objects.bulk_update(changed, FILLED_FIELDS)
        created = [
            _new_lead(connection, object_type, record, result, received_via) for _, record, result in new
        ]
        try:
            with transaction.atomic():
                insert_all(created)
        except IntegrityError:
            created = []
        for index, (position, record, result) in enumerate(new):
            writes[position] = (
                LeadWrite(created[index], "created")
                if created
                else lead_upsert_from_record(connection, object_type, record, result, received_via)
            )
    return writes


def _new_lead(
    connection: OrganizationIntegration,
    object_type: str,
    record: CrmRecord,
    result: MappingResult,
    received_via: str,
) -> Lead:
    lead = Lead(
        organization_id=connection.organization_id,
        connection=connection,
        object_type=object_type,
        external_id=str(record.id),
    )
    _fill(lead, record, _aware(record.updated_at), result, received_via)
    lead.first_received_at = lead.last_received_at
    return lead


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and timezone.is_naive(moment):
        return moment.replace(tzinfo=UTC)
    return moment


def _is_stale(stored: datetime | None, incoming: datetime | None) -> bool:
    if stored is None:
        return False
    return incoming is None or incoming < stored


def _fill(
    lead: Lead, record: CrmRecord, incoming: datetime | None, result: MappingResult, received_via: str
) -> None:
    for canonical, column in COLUMNS.items():
        value = result.values.get(canonical)
        if column in NULLABLE_COLUMNS:
            setattr(lead, column, value if value not in ("", None) else None)
        else:
            text = "" if value is None else str(value)
            setattr(lead, column, text[: Lead._meta.get_field(column).max_length])
    lead.raw = record_to_raw(record)
    lead.mapping_errors = [error.as_dict() for error in result.errors]
    lead.mapping_warnings = [warning.as_dict() for warning in result.warnings]
    lead.state = LeadState.MAPPING_ERROR if result.errors else LeadState.OK
    lead.crm_updated_at = incoming
    lead.crm_created_at = record.created_at or lead.crm_created_at
    lead.received_via = received_via
    lead.last_received_at = timezone.now()
