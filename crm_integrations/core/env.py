"""The environment reader every setting goes through: config/settings/base.py for the shared ones, each
provider's ``config`` module (crm_integrations/hubspot/config.py...) for its own.

It lives here, not in config/, so that a provider can read its own variables without importing the
settings package (config/ is above every app, pyproject.toml's import-linter layers).
"""

from __future__ import annotations

from typing import Any

import environ


class Env(environ.Env):
    """django-environ's reader, except that a variable set to an empty string takes its default.

    ``.env.example`` lists every variable, most of them empty ("use the default"): copied to
    ``.env`` as it is, ``DATABASE_URL=`` must mean the SQLite default, not a URL that fails to
    parse (``KeyError: 'ENGINE'``), and ``CELERY_BROKER_URL=`` the filesystem broker, not AMQP.
    """

    def get_value(
        self, var: str, cast: Any = None, default: Any = environ.Env.NOTSET, parse_default: bool = False
    ) -> Any:
        if default is not self.NOTSET and self.ENVIRON.get(f"{self.prefix}{var}") == "":
            return self.parse_value(default, cast) if parse_default and default is not None else default
        return super().get_value(var, cast=cast, default=default, parse_default=parse_default)


env = Env()
