# Spans kept in the database (the embedded default) and each webhook event's trace context.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm_integrations", "0018_incidents"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookevent",
            name="trace_context",
            field=models.CharField(blank=True, editable=False, max_length=55),
        ),
        migrations.CreateModel(
            name="TraceSpan",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("trace_id", models.CharField(db_index=True, max_length=32)),
                ("span_id", models.CharField(max_length=16)),
                ("parent_id", models.CharField(blank=True, max_length=16)),
                ("name", models.CharField(max_length=200)),
                ("kind", models.CharField(blank=True, max_length=12)),
                ("started_at", models.DateTimeField(db_index=True)),
                ("duration_ms", models.FloatField()),
                (
                    "status",
                    models.CharField(
                        choices=[("unset", "Done"), ("ok", "OK"), ("error", "Failed")],
                        default="unset",
                        max_length=8,
                    ),
                ),
                ("attributes", models.JSONField(blank=True, default=dict)),
                ("lead_id", models.BigIntegerField(blank=True, db_index=True, null=True)),
            ],
            options={"verbose_name": "trace span"},
        ),
        migrations.CreateModel(
            name="TraceSpanLink",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("linked_trace_id", models.CharField(db_index=True, max_length=32)),
                ("linked_span_id", models.CharField(max_length=16)),
                (
                    "span",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="links",
                        to="crm_integrations.tracespan",
                    ),
                ),
            ],
        ),
    ]
