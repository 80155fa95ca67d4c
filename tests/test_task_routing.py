"""Task routing (config/task_routing.py): each CRM account's pipeline tasks on one of a fixed set of
queues, every worker consuming all of them in turn, so two organizations' tasks do not share one
first-in, first-out line."""

from __future__ import annotations

import pytest

from config.celery import app
from config.task_routing import ACCOUNT_TASKS, account_queue_names, queue_for_account
from crm_integrations.models import WebhookDelivery


def routed_queue(name: str, args: tuple) -> str:
    return app.amqp.router.route({}, name, args=args, kwargs={})["queue"].name


def test_every_account_queue_is_consumed_by_a_worker_started_without_q(settings):
    declared = {queue.name for queue in app.conf.task_queues}
    assert set(account_queue_names(settings.CELERY_ACCOUNT_QUEUES)) <= declared


def test_the_queue_of_an_account_is_stable_and_spreads_accounts():
    assert queue_for_account("crm:1", 8) == queue_for_account("crm:1", 8)
    assert len({queue_for_account(f"crm:{n}", 8) for n in range(64)}) == 8


@pytest.mark.django_db
def test_two_organizations_tasks_go_to_their_own_queues(hubspot_connection, settings):
    settings.CELERY_ACCOUNT_QUEUES = 4096  # two portals on one queue is a 1 in N chance: make it nil
    other = WebhookDelivery.objects.create(provider="hubspot", account_id="99000001", signature="valid")
    own = WebhookDelivery.objects.create(
        provider="hubspot", account_id=hubspot_connection.external_account_id, signature="valid"
    )
    delivery_task, intake_task = (
        "crm_integrations.tasks.process_webhook_delivery",
        "crm_integrations.tasks.take_in_pending_events",
    )

    own_queue = routed_queue(delivery_task, (own.pk,))
    assert own_queue.startswith("account-")
    assert routed_queue(intake_task, (str(hubspot_connection.pk),)) == own_queue  # one account, one line
    assert routed_queue("routing.tasks.flush_owner_writes", (str(hubspot_connection.pk),)) == own_queue
    assert routed_queue(delivery_task, (other.pk,)) != own_queue


def test_other_tasks_stay_on_the_default_queue():
    assert "routing.tasks.sweep_routing" not in ACCOUNT_TASKS
    assert routed_queue("routing.tasks.sweep_routing", ()) == "celery"


@pytest.mark.django_db
def test_a_new_delivery_goes_to_the_queue_of_the_account_its_events_name(hubspot_connection, settings):
    settings.CELERY_ACCOUNT_QUEUES = 4096
    unsigned_account = WebhookDelivery.objects.create(provider="hubspot", signature="valid")  # events name it
    account = f"hubspot:{hubspot_connection.external_account_id}"
    routed = app.amqp.router.route(
        {"headers": {"crm_account": account}},
        "crm_integrations.tasks.process_webhook_delivery",
        args=(unsigned_account.pk,),
        kwargs={},
    )
    assert routed["queue"].name == routed_queue(
        "routing.tasks.flush_owner_writes", (str(hubspot_connection.pk),)
    )
