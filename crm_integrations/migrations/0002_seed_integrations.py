from django.db import migrations

CATALOGUE = [
    ("hubspot", "HubSpot", True),
    ("monday", "Monday.com", True),
    ("salesforce", "Salesforce", False),
]


def seed(apps, schema_editor):
    Integration = apps.get_model("crm_integrations", "Integration")
    for provider, name, enabled in CATALOGUE:
        Integration.objects.update_or_create(provider=provider, defaults={"name": name, "enabled": enabled})


def unseed(apps, schema_editor):
    apps.get_model("crm_integrations", "Integration").objects.filter(
        provider__in=[provider for provider, _, _ in CATALOGUE]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("crm_integrations", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
