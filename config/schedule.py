"""The one beat table. django-celery-beat's database scheduler installs these entries at start
(staff may then pause or change them in the admin, under Periodic tasks). Each entry expires
before its next run, so a backlog never stacks runs."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "poll-due-connections": {
        "task": "crm_integrations.tasks.poll_due_connections",
        "schedule": crontab(),  # every minute; each connection's own interval decides
        "options": {"expires": 50},
    },
    "take-in-stale-webhook-events": {
        "task": "crm_integrations.tasks.take_in_stale_events",
        "schedule": crontab(),  # events a lost trailing intake task left pending
        "options": {"expires": 50},
    },
    "refresh-expiring-tokens": {
        "task": "crm_integrations.tasks.refresh_expiring_tokens",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 4 * 60},
    },
    "keep-idle-connections-alive": {
        "task": "crm_integrations.tasks.keep_idle_connections_alive",
        "schedule": crontab(hour=3, minute=17),
        "options": {"expires": 60 * 60},
    },
    "roll-up-api-calls": {
        "task": "crm_integrations.tasks.roll_up_api_calls",
        "schedule": crontab(minute="*/10"),  # whole hours, once they ended 5 minutes ago
        "options": {"expires": 9 * 60},
    },
    "roll-up-recent-health": {
        "task": "crm_integrations.tasks.roll_up_recent_health",
        "schedule": crontab(),  # the provider health page's last minutes
        "options": {"expires": 50},
    },
    "prune-old-data": {
        "task": "crm_integrations.tasks.prune_old_data",
        "schedule": crontab(hour=2, minute=43),  # DATA_RETENTION, in short batches
        "options": {"expires": 60 * 60},
    },
    "forget-old-own-writes": {
        "task": "crm_integrations.tasks.forget_old_own_writes",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 14 * 60},
    },
    "evaluate-alerts": {
        "task": "crm_integrations.tasks.evaluate_alerts",
        "schedule": crontab(),  # incidents opened and resolved, their emails and Slack messages
        "options": {"expires": 50},
    },
    "flush-due-owner-writes": {
        "task": "routing.tasks.flush_due_owner_writes",
        "schedule": crontab(),  # every minute: retries whose backoff passed, rows a lost flush left
        "options": {"expires": 50},
    },
    "sweep-routing": {
        "task": "routing.tasks.sweep_routing",
        "schedule": crontab(),  # SLA re-routes, leads nobody could take, leads routing missed
        "options": {"expires": 50},
    },
    "sync-reps": {
        "task": "routing.tasks.sync_all_reps",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 14 * 60},
    },
    "reconcile-contract-statuses": {
        "task": "contracts.tasks.reconcile_contract_statuses",
        "schedule": crontab(minute="7-59/15"),  # a lost webhook's status change, within 15 minutes
        "options": {"expires": 14 * 60},
    },
    "poll-contract-deals": {
        "task": "contracts.tasks.poll_contract_deals",
        "schedule": crontab(),  # deals reaching a contract stage at CRMs whose workflows do not call us
        "options": {"expires": 50},
    },
}
