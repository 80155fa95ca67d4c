"""``manage.py run_hubspot_sandbox``: serve the local HubSpot sandbox (same options as its CLI)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from crm_integrations.sandboxes.hubspot import cli


class Command(BaseCommand):
    help = "Run the local HubSpot sandbox (a fake HubSpot API on 127.0.0.1) until interrupted."

    def add_arguments(self, parser: CommandParser) -> None:
        cli.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        cli.run(options, self._announce)

    def _announce(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
