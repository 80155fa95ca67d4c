"""The Celery app: configured from Django settings (CELERY_* names)."""

import gc
import os
from typing import Any

from celery import Celery
from celery.signals import (
    task_prerun,
    task_received,
    worker_init,
    worker_process_init,
    worker_process_shutdown,
)

from .embedded_broker import register as register_embedded_broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
register_embedded_broker()  # filesystem:// takes whole messages, each once (config/embedded_broker.py)

app = Celery("lead_routing")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The intake's tasks live in their package (crm_integrations/intake/tasks.py), not in an app's tasks.py.
app.autodiscover_tasks(["crm_integrations.intake"])


# Tracing per worker process, after the fork (crm_integrations/core/tracing/setup.py): a prefork
# child in worker_process_init; the solo and thread pools run tasks in the main process.
@worker_process_init.connect(weak=False)
def _trace_worker_process(**kwargs: Any) -> None:
    from crm_integrations.core.tracing.setup import setup_tracing

    setup_tracing("worker")
    _settle_garbage_collector()


#: The cyclic collector's first threshold in worker processes (CPython's default: 700 allocations).
WORKER_GC_THRESHOLD = int(os.environ.get("CELERY_WORKER_GC_THRESHOLD", "20000"))


def _settle_garbage_collector() -> None:
    """A prefork child freezes what it was started with (Django, the apps, the settings: never
    garbage) out of the collector's sight and collects its young generation less often. An intake
    round makes thousands of short-lived model instances; with CPython's defaults the collector
    walked the whole heap, startup included, every few hundred of them: about a tenth of a round's
    CPU (docs/benchmarks.md, "Our own cost"). The objects are freed by reference counting anyway."""
    gc.freeze()
    gc.set_threshold(WORKER_GC_THRESHOLD, *gc.get_threshold()[1:])


@worker_init.connect(weak=False)
def _trace_worker_without_children(sender: Any = None, **kwargs: Any) -> None:
    pool = getattr(sender, "pool_cls", None)  # not yet resolved here: "prefork", "solo" or a class
    pool_name = pool if isinstance(pool, str) else getattr(pool, "__module__", "")
    if not any(name in str(pool_name) for name in ("prefork", "processes")):
        from crm_integrations.core.tracing.setup import setup_tracing

        setup_tracing("worker")


@worker_init.connect(weak=False)
def _build_url_resolver(**kwargs: Any) -> None:
    """Build Django's URL resolver (the root and the admin's) in the worker's main process, before it
    forks its pool, so every child starts with it. An intake round links each lead's journey to the
    webhook debugger (``reverse`` in routing/receivers.py), and building the resolver there cost a
    new child's first task 0.15 s of its 0.55 s (docs/benchmarks.md, "Issue 15, eighth pass")."""
    from django.urls import reverse

    reverse("admin:index")


@worker_process_shutdown.connect(weak=False)
def _flush_spans(**kwargs: Any) -> None:
    from crm_integrations.core.tracing.setup import shutdown_tracing

    shutdown_tracing()  # a recycled child would lose its queued spans


@task_received.connect(weak=False)
def _note_task_received(request: Any = None, **kwargs: Any) -> None:
    """A task taken from the broker may wait in this worker for a process: noted for the long tasks
    that give way to another account's (crm_integrations/core/giving_way.py)."""
    from crm_integrations.core import giving_way

    giving_way.note_received(giving_way.queue_of(request), countdown=bool(getattr(request, "eta", None)))


@task_prerun.connect(weak=False)
def _note_task_started(task: Any = None, **kwargs: Any) -> None:
    from crm_integrations.core import giving_way

    giving_way.note_started(giving_way.queue_of(getattr(task, "request", None)))
