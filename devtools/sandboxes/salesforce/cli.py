"""Command line: ``python -m devtools.sandboxes.salesforce --port 8102 --seed-leads 40``.

The Django command ``manage.py run_sandbox salesforce`` takes the same options through :func:`add_arguments`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ..common import add_server_arguments, add_state_file_argument, stop_on_signals
from .config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, INTROSPECTION_MODES, SandboxConfig
from .server import serve_forever

DEFAULT_PORT = 8102


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_server_arguments(parser, DEFAULT_PORT)
    parser.add_argument("--seed-leads", type=int, default=20, help="leads to seed (default 20)")
    parser.add_argument(
        "--client-id", default=DEFAULT_CLIENT_ID, help="the External Client App's consumer key"
    )
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET, help="its consumer secret")
    parser.add_argument(
        "--redirect-uri",
        action="append",
        dest="redirect_uris",
        help="registered callback URL (repeatable; default: any http loopback URL)",
    )
    parser.add_argument("--outbound-url", help="where Outbound Messages are sent (default: none are sent)")
    parser.add_argument("--access-token-ttl", type=int, default=7200, help="session timeout in seconds")
    parser.add_argument(
        "--refresh-token-rotation", action="store_true", help="each refresh returns a new refresh token"
    )
    parser.add_argument(
        "--introspection",
        choices=INTROSPECTION_MODES,
        default=INTROSPECTION_MODES[0],
        help="token introspection answers (allowed), says every token is inactive, or refuses with 403",
    )
    parser.add_argument("--daily-api-limit", type=int, default=100_000, help="rolling 24-hour API allocation")
    parser.add_argument(
        "--no-assignment-rule", action="store_true", help="no active lead assignment rule (default: one is)"
    )
    add_state_file_argument(parser, "records, id counters, tokens, API usage")


def config_from_options(options: dict[str, Any]) -> SandboxConfig:
    return SandboxConfig.from_kwargs(
        seed=options["seed"],
        seed_leads=options["seed_leads"],
        client_id=options["client_id"],
        client_secret=options["client_secret"],
        redirect_uris=options.get("redirect_uris") or (),
        outbound_url=options.get("outbound_url") or None,
        access_token_ttl=options["access_token_ttl"],
        refresh_token_rotation=bool(options.get("refresh_token_rotation")),
        introspection=options.get("introspection") or INTROSPECTION_MODES[0],
        daily_api_limit=options["daily_api_limit"],
        assignment_rule=not options.get("no_assignment_rule"),
        state_file=options.get("state_file") or None,
    )


def run(options: dict[str, Any], announce: Callable[[str], None] = print) -> None:
    """Serve with parsed ``options`` until interrupted; prints the base URL first."""
    stop_on_signals()
    serve_forever(config_from_options(options), options["host"], options["port"], announce)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.sandboxes.salesforce", description=__doc__)
    add_arguments(parser)
    run(vars(parser.parse_args(argv)), lambda line: print(line, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
