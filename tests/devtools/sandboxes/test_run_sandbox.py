"""``manage.py run_sandbox <provider>`` (devtools/management/commands/run_sandbox.py): one command for
every sandbox, taking the options of the provider's own CLI."""

import argparse

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
        call_command("run_sandbox", "pipedrive")


def test_all_starts_the_sandbox_of_every_registered_provider_that_has_one_as_its_settings_say(
    settings, monkeypatch
):
    """``run_sandbox --all`` (the Procfile's ``sandboxes`` line) launches ``python -m <package>`` with the
    provider's arguments, which its own CLI accepts: the port of the "sandbox" app's URL, its secret."""
    from crm_integrations.hubspot.config import hubspot_apps
    from devtools.management.commands.run_sandbox import launch_command, sandbox_cli, sandboxed_providers

    monkeypatch.setenv("WEB_PORT", "8765")
    settings.HUBSPOT = {
        **hubspot_apps(),
        "sandbox": {**hubspot_apps()["sandbox"], "API_BASE_URL": "http://127.0.0.1:9100"},
    }
    settings.MONDAY = {"sandbox": {"AUTH_URL": "http://127.0.0.1:9101", "SIGNING_SECRET": "s" * 32}}
    providers = sandboxed_providers()
    assert [provider.key for provider in providers] == ["hubspot", "monday", "salesforce"]
    options = {}
    for provider in providers:
        command = launch_command(provider)
        assert command[1:3] == ["-m", provider.sandbox]
        parser = argparse.ArgumentParser()
        sandbox_cli(provider).add_arguments(parser)
        options[provider.key] = vars(parser.parse_args(command[3:]))
    assert options["hubspot"]["port"] == 9100 and options["hubspot"]["seed_leads"] == 300
    assert options["hubspot"]["client_secret"] == hubspot_apps()["sandbox"]["CLIENT_SECRET"]
    assert (
        options["hubspot"]["webhook_target_url"] == "http://127.0.0.1:8765/api/v1/integrations/hubspot/events"
    )
    assert options["hubspot"]["state_file"] == str(settings.VAR_DIR / "hubspot-sandbox.json")
    assert (options["monday"]["port"], options["monday"]["signing_secret"]) == (9101, "s" * 32)
    assert options["monday"]["state_file"] == str(settings.VAR_DIR / "monday-sandbox.json")
    assert options["salesforce"]["outbound_url"] == (
        "http://127.0.0.1:8765/api/v1/integrations/salesforce/outbound"
    )
    assert options["salesforce"]["state_file"] == str(settings.VAR_DIR / "salesforce-sandbox.json")


def test_a_generated_secret_starting_with_a_dash_reaches_each_sandbox(settings):
    """scripts/bootstrap_env.py writes random URL-safe secrets, one in 64 of which starts with "-":
    each sandbox's CLI must take it as the value, not as an option (a CI run's ``make run`` stopped
    with "--client-secret: expected one argument")."""
    from crm_integrations.hubspot.config import hubspot_apps
    from devtools.management.commands.run_sandbox import launch_command, sandbox_cli, sandboxed_providers

    secret = "-fFJds4R3A1PKDIpVTdB-QMyfDCUp_GXRPYaMhrmnwg"
    settings.HUBSPOT = {**hubspot_apps(), "sandbox": {**hubspot_apps()["sandbox"], "CLIENT_SECRET": secret}}
    settings.MONDAY = {"sandbox": {"SIGNING_SECRET": secret}}
    settings.SALESFORCE = {"sandbox": {"CLIENT_SECRET": secret}}
    parsed = {}
    for provider in sandboxed_providers():
        parser = argparse.ArgumentParser()
        sandbox_cli(provider).add_arguments(parser)
        parsed[provider.key] = vars(parser.parse_args(launch_command(provider)[3:]))
    assert parsed["hubspot"]["client_secret"] == secret
    assert parsed["monday"]["signing_secret"] == secret
    assert parsed["salesforce"]["client_secret"] == secret


def test_neither_a_provider_nor_all_is_refused():
    with pytest.raises(CommandError, match="--all"):
        call_command("run_sandbox")
