"""Celery finds every task by the name beat and queued messages use (config/celery.py discovers
them; the intake's live in crm_integrations/intake/tasks.py but keep their first names)."""

from __future__ import annotations

from config.celery import app
from config.schedule import BEAT_SCHEDULE

#: Names queued messages may carry from before a module moved: they must still resolve.
MOVED_TASK_NAMES = {
    "crm_integrations.tasks.process_webhook_delivery",
    "crm_integrations.tasks.take_in_pending_events",
    "crm_integrations.tasks.take_in_stale_events",
    "crm_integrations.tasks.poll_connection",
    "crm_integrations.tasks.poll_due_connections",
    "crm_integrations.tasks.replay_webhook_delivery",
    "crm_integrations.tasks.forget_old_own_writes",
}


def registered() -> set[str]:
    app.loader.import_default_modules()
    return set(app.tasks)


def test_every_beat_entry_names_a_registered_task():
    missing = {entry["task"] for entry in BEAT_SCHEDULE.values()} - registered()
    assert not missing


def test_moved_tasks_keep_their_names():
    assert registered() >= MOVED_TASK_NAMES
