"""``manage.py run_monday_sandbox``: serve the local monday sandbox (same options as its CLI)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from crm_integrations.sandboxes.monday import cli


class Command(BaseCommand):
    help = "Run the local monday.com sandbox (a fake monday GraphQL API on 127.0.0.1) until interrupted."

    def add_arguments(self, parser: CommandParser) -> None:
        cli.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        cli.run(options, self._announce)

    def _announce(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
