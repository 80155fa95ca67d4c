"""``manage.py run_sandbox <provider>``: serve a local CRM sandbox with the options of its own CLI
(``python -m devtools.sandboxes.<provider> --help``); each provider's ``cli`` module declares them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from devtools.sandboxes.hubspot import cli as hubspot_cli
from devtools.sandboxes.monday import cli as monday_cli

CLIS = {"hubspot": hubspot_cli, "monday": monday_cli}
SUMMARIES = {"hubspot": "a fake HubSpot API", "monday": "a fake monday.com GraphQL API"}


class Command(BaseCommand):
    help = "Run a local CRM sandbox (a fake CRM API on 127.0.0.1) until interrupted."

    def add_arguments(self, parser: CommandParser) -> None:
        providers = parser.add_subparsers(dest="provider", required=True, metavar="{" + ",".join(CLIS) + "}")
        for name, cli in CLIS.items():
            cli.add_arguments(providers.add_parser(name, help=SUMMARIES[name]))

    def handle(self, *args: Any, provider: str, **options: Any) -> None:
        CLIS[provider].run(options, self._announce)

    def _announce(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
