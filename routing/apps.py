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

        from crm_integrations import health_hooks

        from . import timing_rollups

        health_hooks.register(
            "routing", lead_figures=timing_rollups.lead_figures, roll_up=timing_rollups.roll_up_recent
        )

        from . import alert_conditions

        alert_conditions.register()
