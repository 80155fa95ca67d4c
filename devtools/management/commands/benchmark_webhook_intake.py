"""``manage.py benchmark_webhook_intake``: HubSpot webhook batches in, over real HTTP, against the sandbox.

1. Starts a HubSpot sandbox on a free port with a portal of its own (``BENCHMARK_PORTAL``), seeds
   one lead (with contact and company) per event, and connects a dedicated organization to it.
2. Serves the app with gunicorn (2 sync workers, as ``make run``) and posts ``--batches`` v3-signed
   batches of ``--events-per-batch`` lead events from ``--senders`` threads, plus
   ``--duplicate-share`` of them re-sent as HubSpot retries, timing every answer.
3. Processes the stored deliveries in this process (what the Celery task does), which takes the
   leads in through the field mapping with batch reads from the sandbox.
4. Prints the figures against the issue's goals. Exits 1 when anything was lost (a correctness
   failure); a missed performance goal is a figure, not an error. The benchmark's organization,
   deliveries and API call records are deleted afterwards unless ``--keep``.

Answer times are measured by the senders, from writing the request to reading the answer: what
HubSpot waits for (verify, store, enqueue, plus queueing for a free worker).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.urls import reverse
from django.utils import timezone

from devtools.benchmarks.harness.command import BenchmarkCommand
from devtools.benchmarks.harness.load import Batch, lead_batches, send_all, with_retries
from devtools.benchmarks.harness.portal import (
    benchmark_connection,
    pointed_at,
    remove_benchmark_data,
    sandbox_app,
    start_portal_sandbox,
)
from devtools.benchmarks.harness.web_server import serve_app
from devtools.benchmarks.webhooks.intake import (
    BENCHMARK_PORTAL,
    BENCHMARK_SLUG,
    process_deliveries,
    seed_lead_ids,
    tally,
)
from devtools.benchmarks.webhooks.report import Report, report_lines
from devtools.sandboxes.hubspot import RunningSandbox
from field_mapping.label_services import labels_refresh_if_stale
from field_mapping.services import default_mapping_for

#: Empty signed batches sent first, concurrently, and not timed: every gunicorn worker has loaded
#: the webhook path once (imports, URL resolver), as in a server that has been up for a while.
WARM_UP = 8


class Command(BenchmarkCommand):
    help = (
        "Send signed HubSpot webhook batches to the app over HTTP and report answer times, losses, API calls."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batches", type=int, default=100, help="Batches to send (100).")
        parser.add_argument("--events-per-batch", type=int, default=100, help="Events a batch, at most 100.")
        parser.add_argument("--senders", type=int, default=10, help="Concurrent sender threads (10).")
        parser.add_argument(
            "--duplicate-share", type=float, default=0.1, help="Share of batches re-sent as retries (0.1)."
        )
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2, as make run).")
        parser.add_argument(
            "--keep", action="store_true", help="Keep the benchmark organization, leads and deliveries."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not 1 <= options["events_per_batch"] <= 100 or options["batches"] < 1 or options["senders"] < 1:
            raise CommandError("Use at least 1 batch and sender, and 1 to 100 events a batch.")
        sandbox = start_portal_sandbox(BENCHMARK_PORTAL)
        delivery_ids: list[int] = []
        try:
            report = self._run(sandbox, options, delivery_ids)
        finally:
            sandbox.stop()
            if not options["keep"]:
                remove_benchmark_data(delivery_ids, slug=BENCHMARK_SLUG, portal_id=BENCHMARK_PORTAL)
        self._print(report, options)
        if report.losses:
            raise CommandError(f"{report.losses} event(s) or lead(s) lost.")

    def _run(self, sandbox: RunningSandbox, options: dict[str, Any], delivery_ids: list[int]) -> Report:
        connection = benchmark_connection(
            sandbox, slug=BENCHMARK_SLUG, portal_id=BENCHMARK_PORTAL, name="Webhook intake benchmark"
        )
        with pointed_at(sandbox):  # as staff leave a connection: its mapping saved with the CRM's labels
            labels_refresh_if_stale(default_mapping_for(connection).connection)  # once a day, not per lead
        per_batch = options["events_per_batch"]
        lead_ids = seed_lead_ids(sandbox, options["batches"] * per_batch)
        originals = lead_batches(BENCHMARK_PORTAL, lead_ids, per_batch, sandbox.state.config.app_id)
        batches = with_retries(originals, options["duplicate_share"])
        path = reverse("crm_integrations:webhook_events", args=["hubspot"])
        self.stdout.write(f"Sending {len(batches)} batches from {options['senders']} senders ...")
        secret = sandbox_app()["CLIENT_SECRET"]
        with serve_app(options["workers"], ready_path=path) as base_url:
            warm_up = send_all(base_url + path, [Batch(0, ())] * WARM_UP, senders=WARM_UP, secret=secret)
            delivery_ids.extend(answer.delivery_id for answer in warm_up if answer.delivery_id)
            started = time.perf_counter()
            answers = send_all(base_url + path, batches, senders=options["senders"], secret=secret)
            send_seconds = time.perf_counter() - started
        sent_ids = [answer.delivery_id for answer in answers if answer.delivery_id]
        delivery_ids.extend(sent_ids)
        self.stdout.write(f"Processing {len(sent_ids)} deliveries (the intake reads the sandbox) ...")
        sandbox.control.clear_requests()
        since, started = timezone.now(), time.perf_counter()
        with pointed_at(sandbox):
            process_deliveries(sent_ids)
        process_seconds = time.perf_counter() - started
        return Report(
            batches=batches,
            answers=answers,
            tally=tally(connection, answers, since),
            sandbox_calls=len(sandbox.control.requests()),
            send_seconds=send_seconds,
            process_seconds=process_seconds,
        )

    def _print(self, report: Report, options: dict[str, Any]) -> None:
        retries = sum(1 for batch in report.batches if batch.retry_of is not None)
        self.stdout.write(
            f"\nWebhook intake: {len(report.batches) - retries} batches + {retries} re-sent, "
            f"{options['events_per_batch']} events each, {options['senders']} senders, "
            f"gunicorn with {options['workers']} workers"
        )
        self.write_lines(report_lines(report))
        if options["keep"]:
            self.stdout.write(
                f"Kept the organization '{BENCHMARK_SLUG}' and its deliveries (webhook debugger)."
            )
