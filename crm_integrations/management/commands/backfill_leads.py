from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from crm_integrations import selectors
from crm_integrations.intake import polling
from crm_integrations.models import OrganizationIntegration


class Command(BaseCommand):
    help = "Take in the leads changed in the last N days for one connection (with a progress bar)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("connection", help="The connection's id (see the admin)")
        parser.add_argument("--days", type=int, default=7)
        parser.add_argument("--object-type", default="", help="Default: the connection's lead object")

    def handle(self, *args: Any, connection: str, days: int, object_type: str, **options: Any) -> None:
        try:
            row = OrganizationIntegration.objects.select_related("integration", "organization").get(
                pk=connection
            )
        except (OrganizationIntegration.DoesNotExist, ValueError):
            raise CommandError(f"No connection {connection}.") from None
        object_type = object_type or selectors.lead_object_type(row)
        since = timezone.now() - timedelta(days=days)
        with tqdm(unit="record", desc=f"{row} {object_type}", disable=options["verbosity"] == 0) as progress:
            try:
                result = polling.poll(
                    row,
                    object_type,
                    since=since,
                    source="backfill",
                    max_pages=10_000,
                    on_page=progress.update,
                )
            except polling.NonUrgentPaused as paused:  # a backfill can wait; new leads keep the calls
                stopped = f"Stopped after {paused.records} record(s): {paused.reason}"
                raise CommandError(f"{stopped} Run it again once usage falls.") from None
        self.stdout.write(
            self.style.SUCCESS(f"Took in {result.records} record(s) in {result.pages} page(s).")
        )
