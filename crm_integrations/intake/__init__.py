"""The intake pipeline: how a CRM's change becomes a canonical lead that routing can take.

The map, in the order a change travels (each step names its module in this package)::

    CRM webhook ─► views ─► webhooks / workflows ─► deliveries ─► processing ─► events ─► batches ─► handover
    CRM poll (celery-beat) ─► tasks ─► polling ─────────────────────────────────────────────────────► handover

1. **Request** (``views``): the body is read under the size cap, in memory; nothing is stored yet.
2. **Verdict** (``webhooks`` for app webhook batches, ``workflows`` for a CRM workflow asking for
   one record, with ``workflow_secrets``): the signature is checked by the provider; a refused
   request is answered at once and costs little (``refusals`` caps how many are even recorded).
3. **Delivery** (``deliveries``): the request is stored (whole when correctly signed, before it
   is processed) and answered; processing is queued once the transaction commits.
4. **Events** (``processing`` in Celery, ``events``): the stored body is parsed into events,
   deduplicated across deliveries, our own writes coming back recognised (``echoes``), each given
   a first outcome (pending, ignored, rejected). The webhook debugger (``admin``) shows and
   replays deliveries.
5. **Batch** (``batches``): pending events of one connection are taken in together after a short
   coalescing window, by one claimed trailing task.
6. **Hand-over** (``handover``): the changed records go to the apps above through the
   ``records_changed`` / ``workflow_record_requested`` signals (crm_integrations/signals.py);
   polling (``polling``) hands over the same way.
7. **Canonical lead**: field_mapping/receivers.py fetches the records in batches and maps them
   (field_mapping/mapping.py) into ``Lead`` rows.
8. **Routing**: routing/receivers.py routes every new, well-mapped lead at once; contracts/receivers.py
   takes deals in as contracts.

The records the pipeline keeps are in crm_integrations/models/intake.py; the providers' part
(signature checks, parsing, fetching) is behind the contract in crm_integrations/core/provider.py.
"""
