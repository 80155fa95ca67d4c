"""Task routing (config/task_routing.py): each CRM account's pipeline tasks on one of a fixed set of
queues, every worker consuming all of them in turn, so two organizations' tasks do not share one
first-in, first-out line."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.celery import app
from config.task_routing import ACCOUNT_TASKS, account_queue_names, queue_for_account
from crm_integrations.models import WebhookDelivery
from devtools.run_banner import procfile_processes


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


def test_the_prompt_lane_is_consumed_by_every_worker_and_by_the_procfiles_prompt_worker_alone(settings):
    assert settings.CELERY_PROMPT_QUEUE in {queue.name for queue in app.conf.task_queues}
    processes = dict(procfile_processes(Path(settings.BASE_DIR) / "Procfile"))
    assert f"--queues {settings.CELERY_PROMPT_QUEUE} " in processes["prompt"]
    assert "--queues" not in processes["worker"]  # it consumes every queue, the prompt lane too


@pytest.mark.django_db
def test_a_task_queued_on_a_lane_of_its_own_keeps_it_without_a_lookup(
    hubspot_connection, settings, django_assert_num_queries
):
    delivery = WebhookDelivery.objects.create(
        provider="hubspot", account_id=hubspot_connection.external_account_id, signature="valid"
    )
    with django_assert_num_queries(0):
        routed = app.amqp.router.route(
            {"queue": settings.CELERY_PROMPT_QUEUE},
            "crm_integrations.tasks.process_webhook_delivery",
            args=(delivery.pk,),
            kwargs={"prompt": True},
        )
    assert routed["queue"].name == settings.CELERY_PROMPT_QUEUE
    assert routed_queue("crm_integrations.tasks.process_webhook_delivery", (delivery.pk,)).startswith("account-")
