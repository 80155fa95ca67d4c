"""Keeping the CRM's words for canonical values current on the mapping (``FieldRule.value_labels``).

The wizard stores them when it saves (it has the CRM's properties at hand); a mapping created
from a provider's default, or one whose labels are a day old, has them read again by the intake
after a batch is stored (``labels_refresh_if_stale``, field_mapping/receivers.py): one
``list_fields`` call per object type the mapping reads, plus ``list_owners`` when it maps an owner
property. Lead pages then show labels from the database without calling the CRM.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from crm_integrations.core import registry
from crm_integrations.core.errors import CrmError
from crm_integrations.core.types import CrmField, CrmOwner, FieldType
from crm_integrations.models import OrganizationIntegration

from .labels import Labels, field_at, value_labels
from .mapping import MappingSpec
from .models import FieldMapping, FieldRule
from .selectors import fields_for_spec, mapping_for_connection

logger = logging.getLogger(__name__)

#: Labels are read again when older than this; after a failed read, again after ``RETRY_AFTER``.
MAX_AGE = timedelta(days=1)
RETRY_AFTER = timedelta(hours=1)


def labels_are_stale(mapping: FieldMapping, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return mapping.labels_read_at is None or now - mapping.labels_read_at >= MAX_AGE


def owners_for(
    connection: OrganizationIntegration, spec: MappingSpec, fields: Mapping[str, Iterable[CrmField]]
) -> list[CrmOwner]:
    """The CRM's owners when ``spec`` maps an owner property (to name them), else none (no call).
    A CRM that will not list them leaves the owner ids shown as they are."""
    maps_an_owner = any(
        (crm_field := field_at(spec, fields, rule.source_path)) is not None
        and crm_field.type == FieldType.OWNER
        for rule in spec.rules
    )
    if not maps_an_owner:
        return []
    try:
        return registry.get_client(connection).list_owners()
    except CrmError:
        logger.warning("Could not list the owners of connection %s", connection.pk, exc_info=True)
        return []


def crm_value_labels(connection: OrganizationIntegration, spec: MappingSpec) -> Labels:
    """The labels of ``spec``'s values as the CRM names them now (calls the CRM; errors listing the
    fields propagate)."""
    fields = fields_for_spec(connection, spec)
    return value_labels(spec, fields, owners_for(connection, spec, fields))


def mapping_labels_store(mapping: FieldMapping, labels: Labels) -> None:
    """Write ``labels`` on the mapping's rules and note when they were read."""
    with transaction.atomic():
        rules = list(FieldRule.objects.select_for_update().filter(mapping=mapping))
        for rule in rules:
            rule.value_labels = labels.get(rule.canonical_field, {})
        FieldRule.objects.bulk_update(rules, ["value_labels"])
        FieldMapping.objects.filter(pk=mapping.pk).update(labels_read_at=timezone.now())


def labels_refresh_if_stale(connection: OrganizationIntegration) -> bool:
    """Read the labels again when the connection's mapping has none or day-old ones; True when read.

    Never raises: the labels only dress values for people, so a CRM that does not answer leaves the
    old ones (or the plain values) and the read is tried again in an hour.
    """
    mapping = mapping_for_connection(connection)  # the intake round's reading (selectors.mapping_read_once)
    if mapping is None or not labels_are_stale(mapping):
        return False
    try:
        mapping_labels_store(mapping, crm_value_labels(connection, MappingSpec.from_model(mapping)))
    except Exception:  # any failure: keep the intake going, try again later
        logger.warning("Could not read the CRM's labels for connection %s", connection.pk, exc_info=True)
        retry_at = timezone.now() - MAX_AGE + RETRY_AFTER
        FieldMapping.objects.filter(pk=mapping.pk).update(labels_read_at=retry_at)
        return False
    return True
