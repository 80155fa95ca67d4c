# The lead's trace context on its owner write, for the write-back batch's span links.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("routing", "0004_labels_in_words"),
    ]

    operations = [
        migrations.AddField(
            model_name="ownerwrite",
            name="trace_context",
            field=models.CharField(blank=True, editable=False, max_length=55),
        ),
    ]
