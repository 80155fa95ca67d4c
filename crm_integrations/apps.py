from django.apps import AppConfig


class CrmIntegrationsConfig(AppConfig):
    name = "crm_integrations"
    verbose_name = "CRM integrations"

    def ready(self) -> None:
        from crm_integrations.core import registry

        registry.load_from_settings()
