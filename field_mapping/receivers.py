"""Lead intake: records a webhook or a poll said changed are fetched (batch, across objects),
mapped to canonical leads and stored — a record that does not map is stored in an error state.
Afterwards, the mapping's labels of values are read again when a day old (field_mapping/label_services.py).

Connected to ``crm_integrations.signals.records_changed`` in ``FieldMappingConfig.ready``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

from crm_integrations.core import coalescing, registry
from crm_integrations.core.types import CrmRecord
from crm_integrations.models import EventOutcome, OrganizationIntegration
from crm_integrations.signals import Outcome

from . import label_services, selectors, services
from .mapping import MappingResult, MappingSpec, expansions, map_record, properties_by_path
from .signals import LeadChange, leads_stored

logger = logging.getLogger(__name__)


def take_in(
    connection: OrganizationIntegration,
    object_type: str,
    external_ids: Sequence[str],
    source: str,
    records: Sequence[CrmRecord] = (),
) -> dict[str, Outcome]:
    """Fetch, map and store these records; one outcome per id (never a silent drop).

    ``records``: those a change feed already returned whole (crm_integrations/intake/polling.py);
    each that carries every property the mapping reads is taken as it is, the rest are read.
    The mapping is read once for all of it, routing's part included (``selectors.mapping_read_once``)."""
    with selectors.mapping_read_once():
        return _take_in(connection, object_type, external_ids, source, records)


def _take_in(
    connection: OrganizationIntegration,
    object_type: str,
    external_ids: Sequence[str],
    source: str,
    records: Sequence[CrmRecord],
) -> dict[str, Outcome]:
    spec = _spec(connection)
    if spec is None:
        return _all(external_ids, EventOutcome.IGNORED, f"no field mapping for {connection.provider} yet")
    if object_type != spec.object_type:
        return _all(
            external_ids, EventOutcome.IGNORED, f"leads come from {spec.object_type}, not {object_type}"
        )
    given = _whole(spec, records)
    missing = [external_id for external_id in external_ids if external_id not in given]
    # All at once: the client reads records 100 a call and associations 1,000 a call (HubSpot).
    fetched = (
        registry.get_client(connection).batch_read(
            object_type,
            missing,
            properties=properties_by_path(spec).get("", ()),
            associations=expansions(spec),
        )
        if missing
        else []
    )
    records_by_id: dict[str, Any] = {**given, **{record.id: record for record in fetched}}
    outcomes: dict[str, Outcome] = {}
    mapped = [
        (records_by_id[i], map_record(spec, records_by_id[i])) for i in external_ids if i in records_by_id
    ]
    # In several parts, what the parts ask of other apps (routing's owner write-back) is handed to
    # other worker processes, not done here between the parts.
    with coalescing.handing_off() if len(mapped) > STORE_CHUNK else nullcontext():
        for start in range(0, len(mapped), STORE_CHUNK):
            outcomes.update(_store(connection, object_type, mapped[start : start + STORE_CHUNK], source))
    for external_id in external_ids:
        if external_id not in records_by_id:
            outcomes[external_id] = Outcome(EventOutcome.IGNORED, "the record no longer exists at the CRM")
    label_services.labels_refresh_if_stale(connection)
    logger.info(
        "Took in %d %s record(s) of connection %s via %s (%d read again)",
        len(records_by_id),
        object_type,
        connection.pk,
        source,
        len(fetched),
    )
    return outcomes


#: Leads stored and announced to routing at a time, out of a batch read whole. Each part's
#: transactions (the leads; routing's, under the organization's routing lock) stay short: with a
#: 1,000-lead round in two long transactions, SQLite's one writer kept webhooks waiting to be
#: recorded and a second round of the organization waiting for the routing lock; and the first
#: part's owners are written while the next is stored.
STORE_CHUNK = 200


def _store(
    connection: OrganizationIntegration,
    object_type: str,
    mapped: Sequence[tuple[CrmRecord, MappingResult]],
    source: str,
) -> dict[str, Outcome]:
    """Store these mapped records, announce them to routing; an outcome per record."""
    writes = services.leads_upsert_from_records(connection, object_type, mapped, source)
    outcomes: dict[str, Outcome] = {}
    for (record, result), write in zip(mapped, writes, strict=True):
        detail = (
            f"{write.action}, with mapping errors"
            if not result.ok
            else f"{write.action}, with warnings"
            if result.warnings
            else write.action
        )
        outcomes[record.id] = Outcome(EventOutcome.INGESTED, detail, f"lead:{write.lead.pk}")
    _announce(
        connection,
        [LeadChange(w.lead, w.action, w.previous_status, w.previous_owner) for w in writes],
        source,
    )
    return outcomes


def _whole(spec: MappingSpec, records: Sequence[CrmRecord]) -> dict[str, CrmRecord]:
    """Those of ``records`` the mapping can read as they are: of its object type, with every
    property it reads on the record itself, and no associated records to follow."""
    if not records or expansions(spec):
        return {}
    wanted = properties_by_path(spec).get("", ())
    return {
        record.id: record
        for record in records
        if record.object_type == spec.object_type and all(name in record.properties for name in wanted)
    }


def feed_properties(connection: OrganizationIntegration, object_type: str) -> tuple[str, ...] | None:
    """What a poll should ask a whole-record feed for: the properties the mapping reads on the lead
    record (``crm_integrations.signals.feed_properties_requested``); None for another object type."""
    spec = _spec(connection)
    if spec is None or spec.object_type != object_type:
        return None
    return properties_by_path(spec).get("", ())


def _announce(connection: OrganizationIntegration, changes: list[LeadChange], source: str) -> None:
    """Tell routing what was stored; its failure is logged (the leads are stored and a sweep
    routes what was missed), never turned into an intake failure that would refetch the records."""
    if not changes:
        return
    for receiver, response in leads_stored.send_robust(
        sender=OrganizationIntegration, connection=connection, changes=changes, source=source
    ):
        if isinstance(response, Exception):
            logger.error(
                "Receiver %r of leads_stored failed for connection %s: %r",
                receiver,
                connection.pk,
                response,
                exc_info=(type(response), response, response.__traceback__),
            )


def _spec(connection: OrganizationIntegration) -> MappingSpec | None:
    spec = selectors.spec_for_connection(connection)
    if spec is not None:
        return spec
    try:
        services.default_mapping_for(connection)
    except services.NoDefaultMapping:
        return None
    return selectors.spec_for_connection(connection)


def _all(external_ids: Sequence[str], outcome: str, detail: str) -> dict[str, Outcome]:
    return {external_id: Outcome(outcome, detail) for external_id in external_ids}


def on_records_changed(
    sender: Any,
    *,
    connection: OrganizationIntegration,
    object_type: str,
    external_ids: Sequence[str],
    source: str,
    records: Sequence[CrmRecord] = (),
    **kwargs: Any,
) -> dict[str, Outcome]:
    return take_in(connection, object_type, external_ids, source, records)


def on_feed_properties_requested(
    sender: Any, *, connection: OrganizationIntegration, object_type: str, **kwargs: Any
) -> tuple[str, ...] | None:
    return feed_properties(connection, object_type)
