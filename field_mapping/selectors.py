"""Reads: a connection's mapping, its leads, and the CRM fields a mapping refers to."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models import Prefetch, QuerySet

from crm_integrations.core import registry
from crm_integrations.core.errors import InvalidRequest, NotFound
from crm_integrations.core.types import CrmField
from crm_integrations.models import ConnectionStatus, Membership, OrganizationIntegration
from crm_integrations.selectors import organizations_for_user

from .labels import LabelBook
from .mapping import MappingSpec, properties_by_object
from .models import FieldMapping, FieldRule, Lead, StatusMapping
from .providers import default_mapping, lead_object_types, provider_associations
from .validation import Problem, validate_mapping

#: The mappings read inside ``mapping_read_once`` blocks, by connection id (None outside them).
_read_once: ContextVar[dict[object, FieldMapping] | None] = ContextVar("mappings_read_once", default=None)


@contextmanager
def mapping_read_once() -> Iterator[None]:
    """Inside the block, a connection's mapping is read once, by whichever of ``mapping_for_connection``,
    ``spec_for_connection`` and ``label_book`` asks first. An intake round's parts each asked for it
    (field_mapping/receivers.py for the intake, routing's journey and owner property after it): nine
    of a lone lead's 88 queries (docs/benchmarks.md, fairness, "Twelfth pass"). One reading also
    keeps a round whole when staff save the mapping meanwhile: the next round reads the new one. A
    connection with no mapping yet is asked about again (its default mapping may be made)."""
    token = _read_once.set({})
    try:
        yield
    finally:
        _read_once.reset(token)


def mapping_for_connection(connection: OrganizationIntegration) -> FieldMapping | None:
    """The connection's mapping with its rules and status rows loaded (two queries more), or None."""
    remembered = _read_once.get()
    if remembered is not None and connection.pk in remembered:
        return remembered[connection.pk]
    mapping = (
        FieldMapping.objects.filter(connection=connection)
        .prefetch_related(
            Prefetch("rules", queryset=FieldRule.objects.order_by("canonical_field")),
            Prefetch("status_rows", queryset=StatusMapping.objects.order_by("crm_value")),
        )
        .first()
    )
    if remembered is not None and mapping is not None:
        remembered[connection.pk] = mapping
    return mapping


def spec_for_connection(connection: OrganizationIntegration) -> MappingSpec | None:
    mapping = mapping_for_connection(connection)
    return MappingSpec.from_model(mapping) if mapping is not None else None


#: Prefetch these with leads (``Lead.objects.prefetch_related(LABELS_PREFETCH)``) so that
#: ``label_book(lead.connection)`` reads no more rows per lead.
LABELS_PREFETCH = "connection__field_mapping__rules"


def label_book(connection: OrganizationIntegration) -> LabelBook:
    """The CRM's words for the values of this connection's leads (its mapping's stored labels)."""
    if _read_once.get() is not None:
        mapping = mapping_for_connection(connection)
        if mapping is None:
            return LabelBook()
    else:  # as prefetched with the leads of an admin page (LABELS_PREFETCH), or read here
        try:
            mapping = connection.field_mapping
        except FieldMapping.DoesNotExist:
            return LabelBook()
    return LabelBook(
        {rule.canonical_field: rule.value_labels for rule in mapping.rules.all() if rule.value_labels}
    )


def organization_label_book(organization_id: object) -> LabelBook:
    """The CRM's words for canonical values across all of an organization's connections, for pages
    that show values of no one connection (a rule's conditions: rules belong to the organization).
    Where two connections label one value differently, the first connection's label is kept."""
    labels: dict[str, dict[str, str]] = {}
    rules = (
        FieldRule.objects.filter(mapping__connection__organization_id=organization_id)
        .order_by("mapping__connection_id", "canonical_field")
        .values_list("canonical_field", "value_labels")
    )
    for field, value_labels in rules:
        for value, label in (value_labels or {}).items():
            labels.setdefault(field, {}).setdefault(str(value), label)
    return LabelBook(labels)


def lead_by_external_id(
    connection: OrganizationIntegration, object_type: str, external_id: str
) -> Lead | None:
    return Lead.objects.filter(
        connection=connection, object_type=object_type, external_id=str(external_id)
    ).first()


def fields_for_spec(connection: OrganizationIntegration, spec: MappingSpec) -> dict[str, list[CrmField]]:
    """The CRM's current fields of every object type ``spec`` reads (one ``list_fields`` call each).

    An object type the CRM does not know is left out (validation then reports the path);
    other CRM errors (auth, rate limits, outages) propagate.
    """
    client = registry.get_client(connection)
    fields: dict[str, list[CrmField]] = {}
    for kind in properties_by_object(spec):
        try:
            fields[kind] = client.list_fields(kind)
        except (InvalidRequest, NotFound):
            continue
    return fields


def mapping_problems(connection: OrganizationIntegration, spec: MappingSpec) -> list[Problem]:
    """``validate_mapping`` against the connection's CRM as it is now (calls the CRM)."""
    return validate_mapping(
        spec, fields_for_spec(connection, spec), associations=provider_associations(connection.provider)
    )


# -- the mapping wizard ------------------------------------------------------------------------------


def wizard_connections(user: object) -> QuerySet[OrganizationIntegration]:
    """Connected connections of the organizations the user administers (a superuser: every
    organization's): the wizard changes mappings, which a mere member may not."""
    return (
        OrganizationIntegration.objects.filter(
            status=ConnectionStatus.CONNECTED,
            organization__in=organizations_for_user(user, role=Membership.Role.ADMIN),
        )
        .select_related("organization", "integration")
        .order_by("organization__name", "integration__name", "environment")
    )


def wizard_initial_spec(connection: OrganizationIntegration, object_type: str | None = None) -> MappingSpec:
    """What the wizard starts from: the saved mapping (for that lead object), else the provider's
    default for the object, else an empty mapping of it."""
    saved = spec_for_connection(connection)
    if saved is not None and object_type in (None, saved.object_type):
        return saved
    kind = object_type or next(iter(lead_object_types(connection.provider)), "")
    return default_mapping(connection.provider, kind) or MappingSpec(object_type=kind)
