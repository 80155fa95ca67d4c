"""The Celery app: configured from Django settings (CELERY_* names)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("lead_routing")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The intake's tasks live in their package (crm_integrations/intake/tasks.py), not in an app's tasks.py.
app.autodiscover_tasks(["crm_integrations.intake"])
