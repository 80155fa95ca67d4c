"""``manage.py run_sandbox <provider>`` (devtools/management/commands/run_sandbox.py): one command for
every sandbox, taking the options of the provider's own CLI."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from devtools.management.commands.run_sandbox import Command
from devtools.sandboxes.hubspot import cli as hubspot_cli
from devtools.sandboxes.monday import cli as monday_cli


def test_each_provider_takes_the_options_of_its_own_cli():
    parser = Command().create_parser("manage.py", "run_sandbox")
    hubspot = vars(parser.parse_args(["hubspot", "--seed-leads", "7", "--portal-id", "5"]))
    assert hubspot["provider"] == "hubspot"
    assert hubspot_cli.config_from_options(hubspot).portal_ids == (5,)
    monday = vars(parser.parse_args(["monday", "--seed-items", "9", "--board-id", "42"]))
    config = monday_cli.config_from_options(monday)
    assert (config.seed_items, config.board_id) == (9, 42)


@pytest.mark.parametrize(
    ("provider", "cli", "option"),
    [("hubspot", hubspot_cli, "seed_leads"), ("monday", monday_cli, "seed_items")],
)
def test_the_command_runs_the_chosen_providers_sandbox(monkeypatch, provider, cli, option):
    served = []
    monkeypatch.setattr(cli, "run", lambda options, announce: served.append(options))
    call_command("run_sandbox", provider, "--port", "0", f"--{option.replace('_', '-')}", "3")
    assert len(served) == 1 and served[0]["port"] == 0 and served[0][option] == 3


def test_an_unknown_provider_is_refused():
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("run_sandbox", "salesforce")
