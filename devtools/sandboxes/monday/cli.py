"""Command line: ``python -m devtools.sandboxes.monday --port 8101 --seed-items 200``.

The Django command ``manage.py run_sandbox monday`` takes the same options through :func:`add_arguments`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ..common import add_server_arguments, add_state_file_argument, stop_on_signals
from .config import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_API_TOKEN,
    DEFAULT_BOARD_ID,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_SIGNING_SECRET,
    SandboxConfig,
)
from .server import serve_forever

DEFAULT_PORT = 8101


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_server_arguments(parser, DEFAULT_PORT)
    parser.add_argument(
        "--seed-items", type=int, default=20, help="lead items to seed on the board (default 20)"
    )
    parser.add_argument("--account-id", type=int, default=DEFAULT_ACCOUNT_ID)
    parser.add_argument("--board-id", type=int, default=DEFAULT_BOARD_ID)
    parser.add_argument("--api-token", default=DEFAULT_API_TOKEN, help="the personal API token it accepts")
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    parser.add_argument("--signing-secret", default=DEFAULT_SIGNING_SECRET, help="signs webhook JWTs")
    parser.add_argument(
        "--redirect-uri",
        action="append",
        dest="redirect_uris",
        help="registered OAuth redirect URI (repeatable; default: any http loopback URL)",
    )
    parser.add_argument(
        "--complexity-budget", type=int, default=5_000_000, help="points per minute per account"
    )
    add_state_file_argument(parser, "items, id counters, tokens, webhook subscriptions")


def config_from_options(options: dict[str, Any]) -> SandboxConfig:
    return SandboxConfig.from_kwargs(
        seed=options["seed"],
        seed_items=options["seed_items"],
        account_id=options["account_id"],
        board_id=options["board_id"],
        api_token=options["api_token"],
        client_id=options["client_id"],
        client_secret=options["client_secret"],
        signing_secret=options["signing_secret"],
        redirect_uris=options.get("redirect_uris") or (),
        complexity_budget=options["complexity_budget"],
        state_file=options.get("state_file") or None,
    )


def run(options: dict[str, Any], announce: Callable[[str], None] = print) -> None:
    """Serve with parsed ``options`` until interrupted; prints the base URL first."""
    stop_on_signals()
    serve_forever(config_from_options(options), options["host"], options["port"], announce)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.sandboxes.monday", description=__doc__)
    add_arguments(parser)
    run(vars(parser.parse_args(argv)), lambda line: print(line, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
