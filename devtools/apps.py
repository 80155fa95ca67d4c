from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Registered so that Django finds the dev-only management commands in ``devtools/management/``."""

    name = "devtools"
    verbose_name = "Development tools"
