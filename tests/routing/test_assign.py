"""Routing leads in the database: decisions with traces, loads and rotation under the lock, the
write-back queued, the journey written — no CRM involved (write-backs are only queued here)."""

import threading
from collections import Counter

import pytest
from django.db import connection as db_connection

from crm_integrations.core.tracing import waterfall
from crm_integrations.core.tracing.attributes import stored
from crm_integrations.models import TraceSpan
from routing import assign
from routing.assign import route_leads
from routing.models import Decision, JourneyEvent, OwnerWrite, RoutingPolicy, RoutingState

from . import factories as make


@pytest.fixture
def crm(organization):
    return make.hubspot_connection(organization)


@pytest.fixture
def trio(crm, organization):
    reps = [
        make.rep(crm, name, owner_id=owner) for name, owner in (("Ann", "71"), ("Bob", "72"), ("Cid", "73"))
    ]
    make.rule(organization, "Everyone", teams=[make.team(organization, "Sales", reps)])
    make.publish(organization)
    return reps


@pytest.mark.django_db
def test_a_new_lead_gets_a_rep_a_queued_owner_write_and_a_journey(crm, trio):
    lead = make.lead(crm, country="DE", source="WEBSITE")

    [decision] = route_leads(crm, [lead])

    assert decision.outcome == "assigned" and decision.rep == trio[0]  # rotation starts at the first
    assert decision.rule_name == "Everyone" and decision.strategy == "round_robin" and decision.via == "pool"
    assert [c["rep_id"] for c in decision.trace["candidates"]] == [str(r.pk) for r in trio]
    assert decision.trace["names"][str(trio[0].pk)] == "Ann"
    write = OwnerWrite.objects.get(decision=decision)
    assert (write.record_id, write.owner_property, write.owner_external_id, write.status) == (
        lead.external_id,
        "hubspot_owner_id",
        "71",
        "pending",
    )
    [event] = JourneyEvent.objects.filter(lead=lead)
    assert event.kind == "routed" and "routed to Ann by rule 'Everyone'" in event.summary


@pytest.mark.django_db
def test_round_robin_continues_across_batches_and_a_lead_is_routed_once(crm, trio):
    first = route_leads(crm, [make.lead(crm), make.lead(crm)])
    second = route_leads(crm, [make.lead(crm), make.lead(crm)])
    again = route_leads(crm, [first[0].lead])  # a redelivered webhook

    assert [d.rep.name for d in first + second] == ["Ann", "Bob", "Cid", "Ann"]
    assert again == []
    assert RoutingState.objects.get(organization=crm.organization).revision == 2  # nothing stored again
    assert Decision.objects.filter(lead=first[0].lead).count() == 1
    assert RoutingState.objects.get(organization=crm.organization).rotation_last


@pytest.mark.django_db
def test_a_full_rep_is_skipped_and_nobody_free_is_said_out_loud(crm, trio, organization):
    for rep in trio:
        rep.capacity = 1
        rep.save()
    decisions = route_leads(crm, [make.lead(crm) for _ in range(4)])

    assert [d.outcome for d in decisions] == ["assigned"] * 3 + ["no_eligible_rep"]
    assert len({d.rep_id for d in decisions[:3]}) == 3
    reasons = {c["reason"] for c in decisions[3].trace["candidates"]}
    assert reasons == {"full (1/1)"}
    assert (
        "nobody in rule 'Everyone' could take it" in JourneyEvent.objects.get(lead=decisions[3].lead).summary
    )


@pytest.mark.django_db
def test_an_owned_lead_is_held_by_the_owner_filter_unless_its_owner_is_a_placeholder(crm, trio, organization):
    RoutingPolicy.objects.create(organization=organization, placeholder_owner_ids="70000100")
    owned = make.lead(crm, owner_external_id="72")
    queued = make.lead(crm, owner_external_id="70000100")

    held, routed = route_leads(crm, [owned, queued])

    assert held.outcome == "held" and held.held_by == "owner" and not hasattr(held, "owner_write")
    assert routed.outcome == "assigned"
    assert "filter 'owner' held it" in JourneyEvent.objects.get(lead=owned).summary


@pytest.mark.django_db
def test_nothing_is_routed_before_rules_are_published_and_the_journey_says_so(crm, organization):
    make.rep(crm, "Ann")
    lead = make.lead(crm)

    assert route_leads(crm, [lead]) == []
    assert JourneyEvent.objects.get(lead=lead).summary == "Not routed: no rule set has been published yet"


@pytest.mark.django_db
def test_rules_are_tried_in_order_and_the_trace_says_why_earlier_ones_failed(crm, organization):
    ann, bob = make.rep(crm, "Ann"), make.rep(crm, "Bob")
    make.rule(organization, "DACH", reps=[ann], conditions=[("country", "in", "DE, AT, CH")])
    make.rule(organization, "Rest", reps=[bob])
    make.publish(organization)

    german, french = route_leads(crm, [make.lead(crm, country="de"), make.lead(crm, country="FR")])

    assert (german.rep, german.rule_name) == (ann, "DACH")
    assert (french.rep, french.rule_name) == (bob, "Rest")
    dach, rest = french.trace["rules"]
    assert not dach["matched"] and "FR" in dach["reasons"][0] and rest["matched"]


@pytest.fixture
def decided_before_the_lock(monkeypatch):
    """Batches decided with no lock held, then stored under it (SQLite's way, whatever this run's
    database: ``assign.decides_under_lock``)."""
    monkeypatch.setattr(assign, "decides_under_lock", lambda: False)


@pytest.fixture
def another_batch_stored_while_deciding(crm, monkeypatch, decided_before_the_lock):
    """``decide_batch`` spied on: while the first batch is being decided (before the lock), another
    batch of ``interloper`` leads is routed and stored, as a second worker would."""
    calls: list[int] = []
    interloper: list = []
    real = assign.decide_batch

    def spy(job, state, **options):
        calls.append(len(job.leads))
        batch = real(job, state, **options)
        if len(calls) == 1 and interloper:
            route_leads(crm, interloper)
        return batch

    monkeypatch.setattr(assign, "decide_batch", spy)
    return calls, interloper


@pytest.mark.django_db
def test_a_batch_decided_while_another_was_stored_is_decided_again_from_the_new_rotation(
    crm, trio, another_batch_stored_while_deciding
):
    calls, interloper = another_batch_stored_while_deciding
    interloper.append(make.lead(crm))
    revision = RoutingState.objects.get_or_create(organization=crm.organization)[0].revision

    mine = route_leads(crm, [make.lead(crm), make.lead(crm)])

    [theirs] = Decision.objects.filter(lead=interloper[0])
    assert theirs.rep.name == "Ann"  # stored first, from the start of the rotation
    assert [d.rep.name for d in mine] == ["Bob", "Cid"]  # not Ann and Bob, as first decided
    assert calls == [2, 1, 2]  # mine, theirs (no conflict), mine again under the lock
    assert RoutingState.objects.get(organization=crm.organization).revision == revision + 2
    assert Decision.objects.count() == 3 and JourneyEvent.objects.filter(kind="routed").count() == 3


@pytest.mark.django_db
def test_a_lead_decided_again_says_so_in_its_trace_and_waterfall(
    crm, trio, another_batch_stored_while_deciding, spans
):
    _, interloper = another_batch_stored_while_deciding
    interloper.append(make.lead(crm))
    lead = make.lead(crm)

    route_leads(crm, [lead])

    decided = [span for span in spans.get_finished_spans() if span.name == "routing.decide"]
    mine = [dict(span.attributes) for span in decided if span.attributes["lead.id"] == lead.pk]
    assert mine == [{"lead.id": lead.pk}, {"lead.id": lead.pk, "routing.decided_again": True}]
    theirs = [span for span in decided if span.attributes["lead.id"] == interloper[0].pk]
    assert [span.attributes.get("routing.decided_again") for span in theirs] == [None]
    rows = [
        waterfall.label(TraceSpan(name="routing.decide", attributes=stored(span.attributes)))
        for span in decided
    ]
    assert rows.count("Routing decision: rules, candidates, rep chosen") == 2
    assert (
        "Routing decision made again: another batch was stored meanwhile, the earlier one set aside" in rows
    )


@pytest.mark.django_db
def test_a_rep_filled_by_a_batch_stored_meanwhile_is_not_given_more(
    crm, trio, another_batch_stored_while_deciding
):
    calls, interloper = another_batch_stored_while_deciding
    for rep in trio:
        rep.capacity = 1
        rep.save()
    interloper.extend([make.lead(crm), make.lead(crm)])

    mine = route_leads(crm, [make.lead(crm), make.lead(crm)])

    assert [d.outcome for d in mine] == ["assigned", "no_eligible_rep"]  # first decided: two assigned
    assert calls == [2, 2, 2]
    loads = Counter(d.rep_id for d in Decision.objects.filter(outcome="assigned"))
    assert sorted(loads.values()) == [1, 1, 1]


@pytest.mark.django_db
def test_a_batch_that_loses_the_race_again_is_decided_under_the_lock(
    crm, trio, monkeypatch, decided_before_the_lock
):
    """Each time the two leads are decided with no lock held, another worker stores a lead."""
    real, mine, theirs = assign.decide_batch, [], []

    def spy(job, state, **options):
        batch = real(job, state, **options)
        if len(job.leads) == 2:
            mine.append(options.get("again", False))
            if len(mine) <= assign.DECIDED_UNLOCKED:  # the last decision is under the lock: none can
                theirs.extend(route_leads(crm, [make.lead(crm)]))
        return batch

    monkeypatch.setattr(assign, "decide_batch", spy)

    decided = route_leads(crm, [make.lead(crm), make.lead(crm)])

    assert mine == [False, True, True]  # first, again with no lock held, again under the lock
    assert [d.rep.name for d in theirs] == ["Ann", "Bob"]
    assert [d.rep.name for d in decided] == ["Cid", "Ann"]  # the rotation goes on from theirs
    assert RoutingState.objects.get(organization=crm.organization).revision == 3


@pytest.mark.django_db
def test_a_batch_nobody_raced_is_decided_once(crm, trio, another_batch_stored_while_deciding):
    calls, _ = another_batch_stored_while_deciding

    route_leads(crm, [make.lead(crm) for _ in range(3)])
    route_leads(crm, [make.lead(crm)])

    assert calls == [3, 1]
    assert RoutingState.objects.get(organization=crm.organization).revision == 2


@pytest.mark.django_db
def test_on_postgresql_a_batch_is_decided_once_holding_the_lock(crm, trio, monkeypatch):
    """The lock is the state's row there: it holds up only this organization's routing."""
    monkeypatch.setattr(assign, "decides_under_lock", lambda: True)
    real, inside = assign.decide_batch, []

    def spy(job, state, **options):
        inside.append(bool(db_connection.savepoint_ids))  # route_leads' transaction, in the test's
        return real(job, state, **options)

    monkeypatch.setattr(assign, "decide_batch", spy)

    decided = route_leads(crm, [make.lead(crm), make.lead(crm)])
    again = route_leads(crm, [decided[0].lead])  # a redelivery: decided, nothing stored

    assert inside == [True, True]
    assert [d.rep.name for d in decided] == ["Ann", "Bob"] and again == []
    assert RoutingState.objects.get(organization=crm.organization).revision == 1


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("under_lock", [True, False], ids=["decided-under-the-lock", "decided-first"])
def test_two_workers_routing_at_once_keep_capacity_and_the_round_robin(
    crm, organization, monkeypatch, under_lock
):
    monkeypatch.setattr(assign, "decides_under_lock", lambda: under_lock)
    reps = [make.rep(crm, name, capacity=7) for name in ("Ann", "Bob", "Cid")]
    make.rule(organization, "Everyone", reps=reps)
    make.publish(organization)
    batches = [[make.lead(crm) for _ in range(12)] for _ in range(2)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(leads):
        try:
            barrier.wait()
            for lead in leads:  # one lead per transaction: the two workers interleave
                route_leads(crm, [lead])
        except BaseException as error:
            errors.append(error)
        finally:
            db_connection.close()

    workers = [threading.Thread(target=work, args=(batch,)) for batch in batches]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    decisions = list(Decision.objects.order_by("decided_at", "id"))
    loads = Counter(d.rep_id for d in decisions if d.outcome == "assigned")
    assert sorted(loads.values()) == [7, 7, 7]  # 21 places for 24 leads: nobody over capacity
    assert Counter(d.outcome for d in decisions) == {"assigned": 21, "no_eligible_rep": 3}
    order = [d.rep_id for d in decisions if d.outcome == "assigned"]
    assert all(order[i] != order[i + 1] for i in range(len(order) - 1))  # the rotation never repeats


@pytest.mark.django_db
def test_an_organization_with_routing_history_can_still_be_deleted_whole(crm, trio, organization):
    route_leads(crm, [make.lead(crm), make.lead(crm)])

    organization.delete()

    assert not Decision.objects.exists() and not OwnerWrite.objects.exists()
