"""Test settings: the same as base, with fixed test keys and a fast password hasher.

DATABASE_URL, CELERY_BROKER_URL and CACHE_URL still come from the environment, so the same
suite runs on SQLite (``make test``) and on PostgreSQL + Redis (the second CI lane).
"""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault(
    "ENCRYPTION_KEYS",
    "test-2:hRpGazyEkwz5jAgAFERThgHyw4YWmR64WY93fxarCxM=,test-1:fUI6YcnwL1cRxX9XFtWqesnYLNuC_mtfzGLj4ro6JPk=",
)
# The local sandboxes are on. Their apps get secrets of the tests' own (tests/conftest.py sets each
# provider's variables): the sandboxes' public defaults count only with DEBUG on
# (crm_integrations/core/environments.py), and tests run with DEBUG off.
os.environ.setdefault("CRM_SANDBOXES_ENABLED", "true")
# A folder per test run (database, file broker, cache), so that two runs on one machine never share
# a database; processes a test starts inherit VAR_DIR from the environment and so find this run's.
os.environ.setdefault(
    "VAR_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "var", "test", f"run-{os.getpid()}")
)

from .base import *

# A provider that lives only in tests/ (tests/providers/minicrm/): its folder and this one line are all
# it takes (tests/crm_integrations/test_minimal_provider.py walks it to a routed lead).
CRM_PROVIDERS = [*CRM_PROVIDERS, "tests.providers.minicrm.provider.MiniCrmProvider"]

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
if IS_SQLITE:
    # A file, not ":memory:", so that tests which start other OS processes share the database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
# The live server serves admin CSS/JS straight from the apps (no collectstatic in tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Intake rounds run whenever asked: tests call the intake's task back to back and count its rounds.
# The budget pacing (crm_integrations/intake/batches.py) has tests of its own that turn it on.
WEBHOOK_INTAKE_BUDGET_SHARE = 0.0
