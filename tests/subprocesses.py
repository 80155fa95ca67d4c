"""What a separate OS process (a worker, a second client) needs to share this test's database."""

import os

from django.db import connection as db


def database_url() -> str:
    """The test database, as a URL the other process can open."""
    conf = db.settings_dict
    if db.vendor == "sqlite":
        return f"sqlite:///{conf['NAME']}"
    return f"postgres://{conf['USER']}@{conf['HOST']}:{conf['PORT']}/{conf['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment (VAR_DIR, broker, cache), pointed at the test settings and database."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        **extra,
    }
