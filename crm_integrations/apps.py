from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CrmIntegrationsConfig(AppConfig):
    name = "crm_integrations"
    verbose_name = "CRM integrations"

    def ready(self) -> None:
        from crm_integrations.core import registry

        registry.load_from_settings()
        post_migrate.connect(fill_catalogue, sender=self, dispatch_uid="crm_integrations.fill_catalogue")

        # Alerts: this app's conditions (registered at import) and the open incidents on the home.
        import crm_integrations.alerts.checks  # noqa: F401 (registers on import)
        from crm_integrations import home
        from crm_integrations.alerts import selectors

        home.register("alerts", home=selectors.home_context)


def fill_catalogue(sender: AppConfig, apps: Any = None, **kwargs: Any) -> None:
    """After ``migrate``: a catalogue row for every registered provider (crm_integrations/catalogue.py)."""
    from crm_integrations.catalogue import ensure_catalogue

    try:
        integration_model = (apps or sender.apps).get_model("crm_integrations", "Integration")
    except LookupError:  # migrated back to before the catalogue existed
        return
    ensure_catalogue(integration_model)
