from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("field_mapping", "0003_optional_fields_warnings_and_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="lead",
            name="crm_created_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When the CRM made the record: where created → owner written starts",
                null=True,
                verbose_name="created in the CRM",
            ),
        ),
    ]
