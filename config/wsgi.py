"""The web process's WSGI app. gunicorn imports this module in each worker (the app is not
preloaded), so tracing is set up after the fork, before Django builds its middleware
(crm_integrations/core/tracing/setup.py)."""

import os

import django
from django.core.handlers.wsgi import WSGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
django.setup(set_prefix=False)

from crm_integrations.core.tracing.setup import setup_tracing  # noqa: E402 - needs the apps loaded

setup_tracing("web")
application = WSGIHandler()
