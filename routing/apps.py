from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = "Lead routing"

    def ready(self) -> None:
        from field_mapping.signals import leads_stored

        from .receivers import on_leads_stored

        leads_stored.connect(on_leads_stored, dispatch_uid="routing.intake")

        from crm_integrations import home

        from . import dashboard

        home.register("routing", home=dashboard.home_context, connections=dashboard.connection_figures)
