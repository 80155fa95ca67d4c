from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = "Contracts"

    def ready(self) -> None:
        from crm_integrations.signals import workflow_record_requested

        from .receivers import on_workflow_record_requested

        workflow_record_requested.connect(on_workflow_record_requested, dispatch_uid="contracts.deals")
