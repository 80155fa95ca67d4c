from django.db import migrations

from crm_integrations.catalogue import CATALOGUE, ensure_catalogue


def seed(apps, schema_editor):
    ensure_catalogue(apps.get_model("crm_integrations", "Integration"))


def unseed(apps, schema_editor):
    apps.get_model("crm_integrations", "Integration").objects.filter(
        provider__in=[provider for provider, _, _ in CATALOGUE]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("crm_integrations", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
