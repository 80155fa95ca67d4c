"""Webhook events taken in by batch (``crm_integrations.intake.batches``), against the HubSpot
sandbox: a lone delivery goes in at once; deliveries arriving while a round is under way are left
to it, and its next round (a task it queues when done) reads them together (fewer calls per lead);
a round stops at its bound and queues the next; claims keep two workers apart; a failure leaves the
events pending; a lost round is made up for by the beat."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.utils import timezone

from crm_integrations.core import registry
from crm_integrations.core.errors import RateLimited, RetryLater
from crm_integrations.intake import batches, pacing, processing
from crm_integrations.intake.tasks import take_in_pending_events
from crm_integrations.models import ProviderApiCall, WebhookDelivery, WebhookEvent
from field_mapping.models import Lead

LEAD_READS = "/crm/v3/objects/leads/batch/read"
LINK_READS = "/crm/v4/associations/leads/contacts/batch/read"


def batch_under_way(connection) -> None:
    """Another worker is taking in a batch of this connection's events."""
    cache.set(f"intake:running:{connection.pk}", 1, timeout=60)


def next_round_at(connection) -> float:
    """When the last round said the next may start (0: at once)."""
    return cache.get(f"intake:running:{connection.pk}:next") or 0.0


@pytest.fixture
def trailing():
    with mock.patch("crm_integrations.intake.tasks.take_in_pending_events.apply_async") as apply_async:
        yield apply_async


def seeded(sandbox, count: int) -> list[str]:
    made = sandbox.control.seed_leads(count)
    ids = [str(i) for i in range(int(made["firstId"]), int(made["lastId"]) + 1)]
    assert len(ids) == count
    return ids


def delivery_of(lead_ids: list[str]) -> WebhookDelivery:
    now = int(time.time() * 1000)
    events = [
        {
            "objectId": int(lead_id),
            "subscriptionType": "object.creation",
            "objectTypeId": "0-136",
            "portalId": 24000001,
            "eventId": index,
            "subscriptionId": 1,
            "occurredAt": now,
            "attemptNumber": 0,
        }
        for index, lead_id in enumerate(lead_ids)
    ]
    return WebhookDelivery.objects.create(
        provider="hubspot",
        method="POST",
        url="/api/v1/integrations/hubspot/events",
        signature="valid",
        status="queued",
        body=json.dumps(events),
    )


def calls(sandbox, path: str) -> int:
    return len(sandbox.control.requests(path_prefix=path, method="POST"))


@pytest.mark.django_db
def test_deliveries_arriving_during_a_round_are_read_together_by_the_next_round(
    hubspot_connection, hubspot_sandbox, trailing
):
    first, *rest = seeded(hubspot_sandbox, 161)
    lone = delivery_of([first])
    later = [delivery_of(rest[:80]), delivery_of(rest[80:])]

    assert processing.process(lone.pk) == {"ingested": 1}  # no round under way: at once
    batch_under_way(hubspot_connection)
    hubspot_sandbox.control.clear_requests()
    for delivery in later:
        assert processing.process(delivery.pk) == {"pending": 80}

    trailing.assert_not_called()  # no timer: the round under way looks again when it is done
    assert not calls(hubspot_sandbox, LEAD_READS)
    waiting = WebhookDelivery.objects.get(pk=later[0].pk)
    assert (waiting.status, waiting.status_detail, waiting.processed_at) == (
        "queued",
        "80 pending (taken in with the next intake batch)",
        None,
    )

    cache.delete(f"intake:running:{hubspot_connection.pk}")  # that round is done: its next one runs
    assert take_in_pending_events.run(str(hubspot_connection.pk)) == {"ingested": 160}

    assert Lead.objects.filter(external_id__in=rest).count() == 160
    assert calls(hubspot_sandbox, LEAD_READS) == 2  # 160 leads, 100 a call (one per delivery before)
    assert calls(hubspot_sandbox, LINK_READS) == 1  # their contacts' links in one call
    for delivery in later:
        delivery.refresh_from_db()
        assert (delivery.status, delivery.status_detail) == ("processed", "80 ingested")
        assert delivery.processed_at is not None
    assert take_in_pending_events.run(str(hubspot_connection.pk)) == {}  # nothing left: idempotent
    trailing.assert_not_called()


@pytest.mark.django_db
def test_a_round_queues_the_next_for_what_arrived_while_it_ran(hubspot_connection, hubspot_sandbox, trailing):
    first, *rest = seeded(hubspot_sandbox, 121)
    recorded = []

    def meanwhile(*args, **kwargs):  # while the first round reads, 120 more events are recorded
        if not recorded:  # in two deliveries: HubSpot sends at most 100 events a request
            recorded.extend(processing.process(delivery_of(part).pk) for part in (rest[:60], rest[60:]))
        return original(*args, **kwargs)

    original = batches._hand_over
    with mock.patch.object(batches, "_hand_over", side_effect=meanwhile) as rounds:
        assert processing.process(delivery_of([first]).pk) == {"ingested": 1}

    assert rounds.call_count == 1  # one round per task: the rest is the next task's
    assert recorded == [{"pending": 60}] * 2  # left to the round under way
    trailing.assert_called_once_with((str(hubspot_connection.pk),), countdown=0.0)

    assert take_in_pending_events.run(str(hubspot_connection.pk)) == {"ingested": 120}  # in one round
    assert Lead.objects.filter(external_id__in=rest).count() == 120
    assert calls(hubspot_sandbox, LINK_READS) == 2  # one per round


@pytest.mark.django_db
def test_a_round_stops_at_its_bound_and_queues_the_next(
    hubspot_connection, hubspot_sandbox, trailing, settings
):
    settings.WEBHOOK_INTAKE_BATCH = 40
    ids = seeded(hubspot_sandbox, 100)

    assert processing.process(delivery_of(ids).pk) == {"ingested": 40, "pending": 60}
    # 60 wait, more than a full round, and nothing paces this connection: a round for each of the
    # two slots (WEBHOOK_INTAKE_PARALLEL_ROUNDS), so a second process takes the backlog on too.
    assert trailing.call_args_list == [mock.call((str(hubspot_connection.pk),), countdown=0.0)] * 2

    assert take_in_pending_events.run(str(hubspot_connection.pk)) == {"ingested": 40}
    assert take_in_pending_events.run(str(hubspot_connection.pk)) == {"ingested": 20}
    assert trailing.call_count == 3  # one after the second round (20 left: less than a full round)
    assert Lead.objects.filter(external_id__in=ids).count() == 100


@pytest.mark.django_db
def test_an_exhausted_budget_queues_the_next_round_after_the_wait_without_sleeping(
    hubspot_connection, hubspot_sandbox, trailing
):
    *ids, third = seeded(hubspot_sandbox, 3)
    limited = RateLimited("hubspot budget spent", retry_after=7.5)
    with (
        mock.patch.object(batches, "_hand_over", side_effect=limited),
        mock.patch("time.sleep", side_effect=AssertionError("a worker must not wait for the budget")),
    ):
        assert processing.process(delivery_of(ids).pk) == {"pending": 2}
        assert processing.process(delivery_of([third]).pk) == {"pending": 1}  # no second wait queued

    trailing.assert_called_once_with((str(hubspot_connection.pk),), countdown=7.5)
    assert set(WebhookEvent.objects.filter(duplicate_of=None).values_list("outcome", "claim_token")) == {
        ("pending", "")
    }
    cache.delete(f"intake:running:{hubspot_connection.pk}:later")
    assert take_in_pending_events.run(str(hubspot_connection.pk)) == {"ingested": 3}  # the wait is over


@pytest.mark.django_db
def test_a_claim_keeps_other_batches_off_until_it_is_stale(hubspot_connection, hubspot_sandbox):
    ids = seeded(hubspot_sandbox, 3)
    with mock.patch.object(batches, "request"):  # record the events only
        processing.process(delivery_of(ids).pk)

    mine = batches.claim(hubspot_connection.pk, 2)
    theirs = batches.claim(hubspot_connection.pk, 10)
    assert len(mine) == 2 and len(theirs) == 1
    assert not {row.pk for row in mine} & {row.pk for row in theirs}
    assert batches.claim(hubspot_connection.pk, 10) == []

    WebhookEvent.objects.filter(pk__in=[row.pk for row in mine]).update(
        claimed_at=timezone.now() - batches.CLAIM_TIMEOUT - timedelta(seconds=1)
    )
    assert {row.pk for row in batches.claim(hubspot_connection.pk, 10)} == {row.pk for row in mine}


@pytest.mark.django_db
def test_a_crm_that_fails_for_now_leaves_the_events_pending_and_unclaimed(
    hubspot_connection, hubspot_sandbox
):
    ids = seeded(hubspot_sandbox, 2)
    with mock.patch.object(batches, "request"):
        delivery = delivery_of(ids)
        processing.process(delivery.pk)
    hubspot_sandbox.control.set_faults(
        error_share=1.0, error_statuses=[503], path_prefix="/crm/v3/objects/leads"
    )

    with pytest.raises(RetryLater):
        batches.take_in_pending(hubspot_connection.pk)

    rows = WebhookEvent.objects.filter(delivery=delivery)
    assert {(row.outcome, row.claim_token) for row in rows} == {("pending", "")}
    hubspot_sandbox.control.clear_faults()
    assert batches.take_in_pending(hubspot_connection.pk) == {"ingested": 2}


@pytest.mark.django_db
def test_the_beat_takes_in_events_a_lost_round_left_pending(hubspot_connection, hubspot_sandbox, trailing):
    first, second = seeded(hubspot_sandbox, 2)
    processing.process(delivery_of([first]).pk)
    batch_under_way(hubspot_connection)
    delivery = delivery_of([second])
    processing.process(delivery.pk)  # the round under way is lost with its worker

    assert batches.take_in_stale() == 0  # not stale yet: that round may still look again
    WebhookEvent.objects.filter(delivery=delivery).update(
        created_at=timezone.now() - batches.CLAIM_TIMEOUT - timedelta(seconds=1)
    )
    assert batches.take_in_stale() == 1
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == "processed"


@pytest.mark.django_db
def test_the_next_round_waits_until_this_rounds_calls_have_refilled_the_budget(
    hubspot_connection, hubspot_sandbox, trailing, settings
):
    """With the pacing on, a round's calls decide when the next may start (their refill at a share of
    the budget's pace); a delivery within that gap leaves its events to one follow-up at the gap's end,
    which takes them in. The share is small, so the gap (six calls at 0.5 a second: 12 s) outlasts the
    test's own steps on a slow machine: at the usual 0.8 it was 0.75 s, and one CI run took longer
    between the first round's end and the second delivery."""
    share = 0.05
    settings.WEBHOOK_INTAKE_BUDGET_SHARE = share
    settings.WEBHOOK_INTAKE_BUDGET_BURST = 0.0  # no allowance: every round paced
    first, second = seeded(hubspot_sandbox, 2)
    started = time.time()
    processing.process(delivery_of([first]).pk)
    calls = ProviderApiCall.objects.filter(account=hubspot_connection.external_account_id).count()
    assert calls >= 5  # the lead, its contact and company, and their links
    per_second = registry.get_provider("hubspot").budget_capacity(1.0)  # 100 calls a 10 s
    gap = next_round_at(hubspot_connection) - started  # the round set it from its calls
    first_call = ProviderApiCall.objects.earliest("created_at").created_at.timestamp()
    assert gap == pytest.approx(first_call - started + calls / (per_second * share), abs=0.01)
    settings.WEBHOOK_INTAKE_BUDGET_SHARE = 0.0
    assert pacing.budget_spacing(hubspot_connection.pk, started) == 0.0  # pacing off

    processing.process(delivery_of([second]).pk)  # within the gap: put off, not taken in now
    assert Lead.objects.filter(external_id=second).count() == 0
    [(args, kwargs)] = [(c.args, c.kwargs) for c in trailing.call_args_list]
    assert args == ((str(hubspot_connection.pk),),) and 0 < kwargs["countdown"] <= gap
    cache.delete(f"intake:running:{hubspot_connection.pk}:next")  # the follow-up's time has come
    assert take_in_pending_events.run(str(hubspot_connection.pk)) == {"ingested": 1}


@pytest.mark.django_db
def test_a_burst_allowance_lets_the_first_rounds_go_back_to_back_then_paces_them(
    hubspot_connection, settings
):
    """The bucket holds 15 of HubSpot's 100 calls: after a quiet spell a round of six calls leaves no
    gap and neither does the next (a burst's second round starts at once); the third spends what is
    left, and from then on each waits for its calls to refill at 0.8 of the budget's pace.

    The rounds' calls are recorded back to back rather than made by real rounds: on a slow machine a
    real round took longer than its six calls take to refill (0.75 s), so the bucket never ran dry.
    That a round's own calls set the next round's time is the test above."""
    settings.WEBHOOK_INTAKE_BUDGET_SHARE = 0.8
    settings.WEBHOOK_INTAKE_BUDGET_BURST = 0.15
    per_second = registry.get_provider("hubspot").budget_capacity(1.0) * 0.8
    gaps = []
    for _ in range(4):
        started = time.time()
        calls_made(hubspot_connection, 6, at=time.time())
        gaps.append(pacing.budget_spacing(hubspot_connection.pk, started))

    assert gaps[:2] == [0.0, 0.0]  # 15 - 6 - 6: still in the allowance
    assert 0 < gaps[2] < gaps[3]  # in debt, and deeper with each round
    assert gaps[3] <= 6 * 2 / per_second  # at most about two rounds' calls behind


#: Seconds a wait may differ from its bounds (timestamps stored to the microsecond, float sums).
CLOCK_SLACK = 0.05


def assert_waits_until(wait: float, moment: float, before: float, after: float) -> None:
    """``wait`` runs until ``moment`` from when the code looked at the clock, some time between the
    test's readings ``before`` and ``after``: bounds, not a tolerance around one reading, which a
    slow CI machine exceeded (0.06 and 0.6 s between the readings)."""
    earliest, latest = moment - after - CLOCK_SLACK, moment - before + CLOCK_SLACK
    assert earliest <= wait <= latest, (wait, earliest, latest)


def calls_made(connection, count: int, at: float) -> None:
    """``count`` one-unit calls of the connection's account, recorded at ``at`` (a timestamp)."""
    moment = datetime.fromtimestamp(at, tz=UTC)
    ProviderApiCall.objects.bulk_create(
        ProviderApiCall(
            provider="hubspot",
            account=connection.external_account_id,
            method="POST",
            endpoint=LEAD_READS,
            status_code=200,
            units=1,
            created_at=moment,
        )
        for _ in range(count)
    )


@pytest.mark.django_db
def test_overlapping_rounds_take_each_call_out_of_the_bucket_once(hubspot_connection, settings):
    """Two rounds under way at once share the account's calls: the first to end takes them out of the
    bucket, the other adds nothing for them (each used to take out every call since its own start,
    which put the next round off twice as long); calls made between rounds (owner write-backs) are
    taken out by the next round to end."""
    settings.WEBHOOK_INTAKE_BUDGET_SHARE = 0.8
    settings.WEBHOOK_INTAKE_BUDGET_BURST = 0.15  # 15 of 100 calls per 10 s, refilled 8 a second
    per_second = registry.get_provider("hubspot").budget_capacity(1.0) * 0.8
    now = time.time()
    first_started, beside_started, reads_at = now - 1.0, now - 0.8, now - 0.7
    calls_made(hubspot_connection, 35, at=reads_at)  # both rounds' reads

    beside_ends = beside_started + pacing.budget_spacing(hubspot_connection.pk, beside_started)
    assert beside_ends == pytest.approx(reads_at + (35 - 15) / per_second, abs=0.01)
    first_ends = first_started + pacing.budget_spacing(hubspot_connection.pk, first_started)
    assert first_ends == pytest.approx(beside_ends, abs=0.01)  # the same calls: not taken out again

    calls_made(hubspot_connection, 8, at=time.time())  # write-backs after both rounds
    next_started = time.time()
    next_ends = next_started + pacing.budget_spacing(hubspot_connection.pk, next_started)
    assert next_ends == pytest.approx(beside_ends + 8 / per_second, abs=0.01)


COST_KEY = "intake:cost-per-record:{}"


@pytest.mark.django_db
def test_a_round_keeps_what_a_record_cost(hubspot_connection, hubspot_sandbox, settings):
    """A round's calls per record taken in are kept for ``budget_not_binding``: a lead with its
    contact and company costs about five reads and a write."""
    settings.WEBHOOK_INTAKE_BUDGET_SHARE = 0.8
    settings.WEBHOOK_INTAKE_BUDGET_BURST = 0.15
    processing.process(delivery_of(seeded(hubspot_sandbox, 2)).pk)
    calls = ProviderApiCall.objects.filter(account=hubspot_connection.external_account_id).count()
    assert cache.get(COST_KEY.format(hubspot_connection.pk)) == pytest.approx(calls / 2, abs=0.5)


@pytest.mark.django_db
def test_a_second_round_overlaps_only_when_a_whole_batch_waits(hubspot_connection, hubspot_sandbox, settings):
    """While a round is under way a delivery's events are left to it, unless a whole batch waits:
    then a second round (``WEBHOOK_INTAKE_PARALLEL_ROUNDS``) takes them in beside it, a short one
    (``WEBHOOK_INTAKE_BESIDE_BATCH``)."""
    settings.WEBHOOK_INTAKE_BATCH = 4
    settings.WEBHOOK_INTAKE_BESIDE_BATCH = 3
    settings.WEBHOOK_INTAKE_PARALLEL_ROUNDS = 2
    batch_under_way(hubspot_connection)
    try:
        with mock.patch("crm_integrations.intake.tasks.take_in_pending_events.apply_async"):
            processing.process(delivery_of(seeded(hubspot_sandbox, 3)).pk)
            assert Lead.objects.count() == 0  # three of a batch of four: left to the round under way
            assert not batches.full_batch_pending(hubspot_connection.pk)
            processing.process(delivery_of(seeded(hubspot_sandbox, 2)).pk)
            assert Lead.objects.count() == 3  # five wait: a short round of three went in beside it
    finally:
        cache.delete(f"intake:running:{hubspot_connection.pk}")


@pytest.mark.django_db
def test_no_second_round_while_the_budget_is_the_bound(hubspot_connection, hubspot_sandbox, settings):
    """A whole batch waits, but with 90 of the window's 95 calls spent the backlog does not fit it: the
    events stay for the round under way. Once the window is clear, a second round takes them in."""
    settings.WEBHOOK_INTAKE_BATCH = 4
    settings.WEBHOOK_INTAKE_BESIDE_BATCH = 3
    settings.WEBHOOK_INTAKE_PARALLEL_ROUNDS = 2
    settings.WEBHOOK_INTAKE_BUDGET_SHARE = 0.8
    settings.WEBHOOK_INTAKE_BUDGET_BURST = 0.15
    cache.set(COST_KEY.format(hubspot_connection.pk), 6.0)  # a lead, its contact and company, its write
    calls_made(hubspot_connection, 90, at=time.time() - 1.0)
    batch_under_way(hubspot_connection)
    try:
        with mock.patch("crm_integrations.intake.tasks.take_in_pending_events.apply_async"):
            processing.process(delivery_of(seeded(hubspot_sandbox, 5)).pk)
            assert Lead.objects.count() == 0  # 5 x 6 calls do not fit the 5 left
            ProviderApiCall.objects.all().delete()
            processing.process(delivery_of(seeded(hubspot_sandbox, 1)).pk)
            assert Lead.objects.count() == 3  # 6 x 6 fit an empty window: a round of three beside
    finally:
        cache.delete(f"intake:running:{hubspot_connection.pk}")


@pytest.mark.django_db
def test_a_providers_full_round_sets_when_rounds_may_overlap(
    hubspot_connection, hubspot_sandbox, monkeypatch
):
    """A provider whose reads cost no more per lead at a smaller round (Salesforce: 200 a SOQL query
    and a Collections write) lets a second round overlap once that many wait, not a whole batch."""
    provider = type(registry.get_provider("hubspot"))
    seeded_ids = seeded(hubspot_sandbox, 2)
    batch_under_way(hubspot_connection)
    try:
        with mock.patch("crm_integrations.intake.tasks.take_in_pending_events.apply_async"):
            processing.process(delivery_of(seeded_ids).pk)
            assert not batches.full_batch_pending(hubspot_connection.pk)  # 2 of the batch of 1,000
            monkeypatch.setattr(provider, "full_intake_round", 2)
            assert batches.full_batch_pending(hubspot_connection.pk)
    finally:
        cache.delete(f"intake:running:{hubspot_connection.pk}")
    assert registry.get_provider("salesforce").full_intake_round == 200


@pytest.mark.django_db
def test_a_second_round_overlaps_only_when_the_budget_is_not_the_bound(hubspot_connection, settings):
    """A round beside another helps only when the whole backlog fits the budget's window now: 2,000
    records at 0.042 calls each (84) fit an empty window of 95, not one with 40 calls spent. Without a
    round yet to go by there is no second round; without pacing, always."""
    settings.WEBHOOK_INTAKE_BUDGET_SHARE = 0.8
    settings.WEBHOOK_INTAKE_BUDGET_BURST = 0.15
    assert not pacing.budget_not_binding(hubspot_connection.pk, 2000)  # no cost known yet
    cache.set(COST_KEY.format(hubspot_connection.pk), 0.042)
    assert pacing.budget_not_binding(hubspot_connection.pk, 2000)
    calls_made(hubspot_connection, 40, at=time.time() - 1.0)
    assert not pacing.budget_not_binding(hubspot_connection.pk, 2000)
    assert pacing.budget_not_binding(hubspot_connection.pk, 1000)  # 42 + 40 fit
    settings.WEBHOOK_INTAKE_BUDGET_SHARE = 0.0
    assert pacing.budget_not_binding(hubspot_connection.pk, 2000)


@pytest.mark.django_db
def test_a_delivery_settled_by_a_round_before_its_task_ends_stays_processed(
    hubspot_connection, hubspot_sandbox
):
    """The webhook request records the events; a round under way takes them in and settles the
    delivery while the delivery's task is between handing over (it found the round under way) and
    settling: the task must not write back the "queued" it saw."""
    delivery = delivery_of(seeded(hubspot_sandbox, 2))
    real_request = batches.request

    def round_under_way_takes_them(connection_id):  # the task found a round under way: left to it
        batches.take_in_pending(connection_id)  # ... which takes them in and settles the delivery
        return real_request(connection_id)

    with mock.patch.object(batches, "request", side_effect=round_under_way_takes_them):
        processing.process(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "processed" and delivery.status_detail == "2 ingested"
    assert delivery.organization_id == hubspot_connection.organization_id


ROUND_UNITS_KEY = "intake:round-units:{}"


@pytest.mark.django_db
def test_a_round_keeps_the_units_of_its_own_calls_only(hubspot_connection, hubspot_sandbox, settings):
    """What a round cost is counted by the calls it made itself, not from the account's call records,
    which also hold the write-backs and other rounds running beside it."""
    settings.WEBHOOK_INTAKE_BUDGET_SHARE = 0.8
    settings.WEBHOOK_INTAKE_BUDGET_BURST = 0.15
    ids = seeded(hubspot_sandbox, 2)
    calls_made(hubspot_connection, 40, at=time.time() - 1.0)  # another process's calls meanwhile
    processing.process(delivery_of(ids).pk)
    every = ProviderApiCall.objects.filter(account=hubspot_connection.external_account_id)
    kept = cache.get(ROUND_UNITS_KEY.format(hubspot_connection.pk))
    assert kept == sum(every.values_list("units", flat=True)) - 40
    assert kept >= 5  # the leads, their contacts and companies, and the links between them


@pytest.mark.django_db
def test_a_round_waits_until_the_window_has_room_for_it_less_what_may_wait_inline(
    hubspot_connection, settings
):
    """A round that would meet our limiter mid-way, longer than a call may wait there, was refused
    and queued again with its reads spent for nothing: it now waits before it claims anything."""
    settings.WEBHOOK_INTAKE_BUDGET_SHARE = 0.8
    settings.WEBHOOK_INTAKE_BUDGET_BURST = 0.15  # the intake's room: 95 of HubSpot's 100 per 10 s
    settings.CRM_HTTP = {**settings.CRM_HTTP, "MAX_INLINE_WAIT": 1.0}
    assert pacing.room_wait(hubspot_connection.pk) == 0.0  # no round yet to go by
    pacing.keep_round_units(hubspot_connection.pk, 30)
    spent_at = time.time() - 4.0
    calls_made(hubspot_connection, 50, at=spent_at)
    assert pacing.room_wait(hubspot_connection.pk) == 0.0  # 50 + 30 fit the 95
    calls_made(hubspot_connection, 30, at=time.time())
    # 80 + 30 exceed 95 by 15: room once the first 50 leave the window, 6 s from now, less 0.8 s inline
    before = time.time()
    wait = pacing.room_wait(hubspot_connection.pk)
    assert_waits_until(wait, spent_at + 10 - 0.8, before, time.time())
    settings.WEBHOOK_INTAKE_BUDGET_SHARE = 0.0
    assert pacing.room_wait(hubspot_connection.pk) == 0.0  # pacing off


@pytest.mark.django_db
def test_a_round_without_room_claims_nothing_and_comes_back_when_there_is(
    hubspot_connection, hubspot_sandbox, trailing, settings
):
    settings.WEBHOOK_INTAKE_BUDGET_SHARE = 0.8
    settings.WEBHOOK_INTAKE_BUDGET_BURST = 0.15
    settings.CRM_HTTP = {**settings.CRM_HTTP, "MAX_INLINE_WAIT": 1.0}
    pacing.keep_round_units(hubspot_connection.pk, 30)
    spent_at = time.time() - 2.0
    calls_made(hubspot_connection, 90, at=spent_at)
    ids = seeded(hubspot_sandbox, 2)

    before = time.time()
    assert processing.process(delivery_of(ids).pk) == {"pending": 2}
    after = time.time()

    assert set(WebhookEvent.objects.values_list("outcome", "claim_token")) == {("pending", "")}
    [(args, kwargs)] = [(c.args, c.kwargs) for c in trailing.call_args_list]
    assert args == ((str(hubspot_connection.pk),),)
    # the 90 calls leave the window 10 s after they were made, less the 0.8 s a call may wait inline
    assert_waits_until(kwargs["countdown"], spent_at + 10 - 0.8, before, after)
    ProviderApiCall.objects.all().delete()  # the window has cleared
    cache.delete(f"intake:running:{hubspot_connection.pk}:later")
    assert take_in_pending_events.run(str(hubspot_connection.pk)) == {"ingested": 2}
