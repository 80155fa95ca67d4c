"""Command line: ``python -m devtools.sandboxes.hubspot --port 8100 --seed-leads 300``.

The Django command ``manage.py run_sandbox hubspot`` takes the same options through :func:`add_arguments`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ..common import add_server_arguments, add_state_file_argument, stop_on_signals
from .config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_PORTAL_ID, SandboxConfig
from .server import serve_forever

DEFAULT_PORT = 8100


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_server_arguments(parser, DEFAULT_PORT)
    parser.add_argument("--seed-leads", type=int, default=20, help="leads (with contacts/companies) to seed")
    parser.add_argument(
        "--portal-id",
        type=int,
        action="append",
        dest="portal_ids",
        help=f"portal (hub) id; repeat for several portals (default {DEFAULT_PORTAL_ID})",
    )
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    parser.add_argument(
        "--redirect-uri",
        action="append",
        dest="redirect_uris",
        help="registered redirect URI (repeatable; default: any http loopback URL)",
    )
    parser.add_argument("--webhook-url", dest="webhook_target_url", help="app webhook target URL")
    parser.add_argument("--access-token-ttl", type=int, default=1800, help="expires_in of access tokens (s)")
    parser.add_argument(
        "--rotate-refresh-tokens", action="store_true", help="hand out a new refresh token on refresh"
    )
    parser.add_argument(
        "--rate-limit", type=int, default=110, dest="rate_limit_max", help="requests per 10 s"
    )
    parser.add_argument(
        "--no-validation",
        action="store_false",
        dest="validate_requests",
        help="skip OpenAPI request validation",
    )
    add_state_file_argument(parser, "records, tokens, settings")


def config_from_options(options: dict[str, Any]) -> SandboxConfig:
    return SandboxConfig.from_kwargs(
        portal_ids=options.get("portal_ids") or (DEFAULT_PORTAL_ID,),
        seed=options["seed"],
        seed_leads=options["seed_leads"],
        client_id=options["client_id"],
        client_secret=options["client_secret"],
        redirect_uris=options.get("redirect_uris") or (),
        webhook_target_url=options.get("webhook_target_url"),
        access_token_ttl=options["access_token_ttl"],
        rotate_refresh_tokens=options["rotate_refresh_tokens"],
        rate_limit_max=options["rate_limit_max"],
        validate_requests=options["validate_requests"],
        state_file=options.get("state_file") or None,
    )


def run(options: dict[str, Any], announce: Callable[[str], None] = print) -> None:
    """Serve with parsed ``options`` until interrupted; prints the base URL first."""
    stop_on_signals()
    serve_forever(config_from_options(options), options["host"], options["port"], announce)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.sandboxes.hubspot", description=__doc__)
    add_arguments(parser)
    options = vars(parser.parse_args(argv))
    run(options, lambda line: print(line, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
