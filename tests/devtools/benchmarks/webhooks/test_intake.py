"""``manage.py benchmark_webhook_intake`` at small scale, over real HTTP (gunicorn) and the sandbox.

Batches are full (100 events) because calls per lead is a per-delivery figure: a delivery's leads
are read in one batch (5 calls: leads, lead->contact links, contacts, contact->company links,
companies), so 100 leads a delivery is what the 0.05 goal is about. No timing is asserted.
"""

import re

import pytest
from django.core.management import call_command

from crm_integrations.models import Organization, ProviderApiCall, WebhookDelivery, WebhookEvent
from devtools.benchmarks.webhooks.intake import BENCHMARK_PORTAL, BENCHMARK_SLUG
from devtools.benchmarks.webhooks.report import CALLS_PER_LEAD_GOAL
from field_mapping.models import Lead

ARGS = ["--batches", "3", "--events-per-batch", "100", "--senders", "3", "--duplicate-share", "0.34"]


def figure(out: str, name: str) -> str:
    return re.search(rf"^{re.escape(name)}\s+(.+?)(\s{{2,}}|$)", out, re.MULTILINE).group(1)


@pytest.fixture
def own_rate_limiter(settings, tmp_path):
    settings.CRM_HTTP = {
        **settings.CRM_HTTP,
        "RATE_LIMIT_STORAGE_URL": f"sqlite:///{tmp_path / 'rl.sqlite3'}",
    }


@pytest.mark.django_db(transaction=True)
def test_every_event_is_stored_or_a_duplicate_and_leads_are_read_in_batches(
    catalogue, own_rate_limiter, capsys
):
    call_command("benchmark_webhook_intake", *ARGS, "--keep")
    out = capsys.readouterr().out

    # 3 batches + 1 re-sent as HubSpot's retry: 400 events, 100 of them duplicates, 300 leads.
    events = WebhookEvent.objects.filter(account_id=str(BENCHMARK_PORTAL))
    assert events.count() == 400
    assert events.filter(outcome="duplicate").count() == 100
    assert events.filter(outcome="ingested").count() == 300
    leads = Lead.objects.filter(organization__slug=BENCHMARK_SLUG)
    assert leads.count() == leads.values("external_id").distinct().count() == 300
    # The intake's calls: from the first delivery on (the mapping's labels were read before, once a day).
    first = events.order_by("delivery__received_at").values_list("delivery__received_at", flat=True)[0]
    calls = ProviderApiCall.objects.filter(account=str(BENCHMARK_PORTAL), created_at__gte=first).count()
    assert calls / 300 <= CALLS_PER_LEAD_GOAL

    assert figure(out, "batches answered 200") == "4/4"
    assert figure(out, "events stored") == "400"
    assert figure(out, "duplicates detected") == "100"
    assert figure(out, "losses (events + leads)") == "0 + 0"
    assert figure(out, "leads taken in") == "300/300"
    assert figure(out, "HubSpot API calls") == f"{calls} (sandbox answered {calls})"
    assert float(figure(out, "API calls per lead")) == pytest.approx(calls / 300, abs=5e-5)  # 4 places
    for name in ("answer time p50", "answer time p99"):
        assert figure(out, name).endswith(" ms")
    assert re.search(r"^API calls per lead .* PASS$", out, re.MULTILINE)


@pytest.mark.django_db(transaction=True)
def test_a_run_cleans_up_after_itself_and_after_a_kept_run(catalogue, own_rate_limiter, capsys):
    call_command("benchmark_webhook_intake", "--batches", "1", "--events-per-batch", "10", "--keep")
    assert Organization.objects.filter(slug=BENCHMARK_SLUG).exists()

    call_command("benchmark_webhook_intake", "--batches", "2", "--events-per-batch", "10", "--senders", "2")

    assert "losses (events + leads)   0 + 0" in capsys.readouterr().out
    assert not Organization.objects.filter(slug=BENCHMARK_SLUG).exists()
    assert not WebhookDelivery.objects.exists()
    assert not ProviderApiCall.objects.filter(account=str(BENCHMARK_PORTAL)).exists()
