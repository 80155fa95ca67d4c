"""Test settings: the same as base, with fixed test keys and a fast password hasher.

DATABASE_URL, CELERY_BROKER_URL and CACHE_URL still come from the environment, so the same
suite runs on SQLite (``make test``) and on PostgreSQL + Redis (the second CI lane).
"""

import os

from config.test_workers import redis_url_for_worker

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
_RUN_FOLDER = os.path.join(os.path.dirname(__file__), "..", "..", "var", "test", f"run-{os.getpid()}")
os.environ.setdefault("VAR_DIR", _RUN_FOLDER)
# `make test` runs the suite in parallel processes (pytest-xdist). Each inherits the controller's
# environment, so each takes a folder and Redis databases of its own here, once: the processes its
# tests start inherit the variables (and the marker) and so share their own worker's, not another's.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _WORKER and os.environ.get("TEST_WORKER_ISOLATED") != _WORKER:
    os.environ["TEST_WORKER_ISOLATED"] = _WORKER
    os.environ["VAR_DIR"] = _RUN_FOLDER
    for _variable in ("CELERY_BROKER_URL", "CACHE_URL", "RATE_LIMIT_STORAGE_URL", "REDIS_URL"):
        if _variable in os.environ:
            os.environ[_variable] = redis_url_for_worker(os.environ[_variable], _WORKER)

from .base import *  # noqa: E402 - after the environment above, which base reads

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
