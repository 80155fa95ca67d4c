from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = "Contracts"

    def ready(self) -> None:
        from crm_integrations.signals import records_changed, workflow_record_requested

        from .receivers import on_records_changed, on_workflow_record_requested

        workflow_record_requested.connect(on_workflow_record_requested, dispatch_uid="contracts.deals")
        records_changed.connect(on_records_changed, dispatch_uid="contracts.deal_changes")
