"""The Salesforce sandbox's state as versioned JSON-ready data, and back again (``--state-file``).

Kept: every record, the id counters, access and refresh tokens (with expiry and revocation), the API
usage window and the clock offset tests set. Not kept: pending consents and authorization codes, query
cursors, faults, the request log, queued Outbound Messages (README.md).
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from ..persistence import IncompatibleState, decode_versioned
from .config import SandboxConfig
from .schema import OBJECTS
from .state import AccessToken, RefreshToken, SandboxState

FORMAT = "salesforce-sandbox-state"
FORMAT_VERSION = 1


def capture(state: SandboxState) -> dict[str, Any]:
    """Everything worth keeping, copied. Call under ``state.lock``."""
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "savedAt": state.now(),
        "clockOffsetSeconds": state.clock.offset,
        "seed": state.config.seed,
        "seedLeads": state.config.seed_leads,
        "orgId": state.config.org_id,
        "records": copy.deepcopy(state.records),
        "counters": dict(state.counters),
        "accessTokens": [dataclasses.asdict(token) for token in state.access_tokens.values()],
        "refreshTokens": [dataclasses.asdict(token) for token in state.refresh_tokens.values()],
        "usage": state.usage.saved(),
    }


@dataclasses.dataclass
class Restored:
    seed: int
    seed_leads: int
    clock_offset: float
    records: dict[str, dict[str, dict[str, Any]]]
    counters: dict[str, int]
    access_tokens: dict[str, AccessToken]
    refresh_tokens: dict[str, RefreshToken]
    usage: list[float]


def decode(data: Any, config: SandboxConfig) -> Restored:
    restored = decode_versioned(data, FORMAT, FORMAT_VERSION, _decode)
    if data["orgId"] != config.org_id:
        raise IncompatibleState(
            f"it holds org {data['orgId']}, the sandbox is configured for {config.org_id}"
        )
    return restored


def _decode(data: dict[str, Any]) -> Restored:
    records = {name: {str(k): dict(v) for k, v in data["records"].get(name, {}).items()} for name in OBJECTS}
    access = [AccessToken(**item) for item in data["accessTokens"]]
    refresh = [RefreshToken(**item) for item in data["refreshTokens"]]
    return Restored(
        seed=int(data["seed"]),
        seed_leads=int(data["seedLeads"]),
        clock_offset=float(data["clockOffsetSeconds"]),
        records=records,
        counters={str(k): int(v) for k, v in data["counters"].items()},
        access_tokens={token.token: token for token in access},
        refresh_tokens={token.token: token for token in refresh},
        usage=[float(at) for at in data["usage"]],
    )


def apply(restored: Restored, state: SandboxState) -> None:
    with state.lock:
        state.config.seed, state.config.seed_leads = restored.seed, restored.seed_leads
        state.clock.reset()
        state.clock.advance(restored.clock_offset)
        state.clear()
        state.records, state.counters = restored.records, restored.counters
        state.access_tokens, state.refresh_tokens = restored.access_tokens, restored.refresh_tokens
        state.usage.restore(restored.usage)
