from django.apps import AppConfig


class FieldMappingConfig(AppConfig):
    name = "field_mapping"
    verbose_name = "Field mapping and leads"

    def ready(self) -> None:
        from crm_integrations.signals import feed_properties_requested, records_changed

        from .receivers import on_feed_properties_requested, on_records_changed

        records_changed.connect(on_records_changed, dispatch_uid="field_mapping.receivers")
        feed_properties_requested.connect(on_feed_properties_requested, dispatch_uid="field_mapping.feed")
