"""Run by test_limiter.py as a separate OS process: take slots from a shared budget, print them.

Usage: python -m tests.crm_integrations.http.limiter_worker STORAGE_URL ACCOUNT CALLS START_AT [BUDGET]

BUDGET is the JSON ``[[limit, seconds], ...]`` this process holds (default ``[[5, 1]]``).
"""

from __future__ import annotations

import json
import sys
import time


def main() -> None:
    storage_url, account, calls, start_at = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    budget = json.loads(sys.argv[5]) if len(sys.argv) > 5 else [[5, 1]]
    from crm_integrations.core.http.limiter import SharedRateLimiter

    limiter = SharedRateLimiter(storage_url=storage_url, budgets={"test": budget}, max_inline_wait=30.0)
    time.sleep(max(0.0, start_at - time.time()))  # both processes start hammering together
    started, taken = time.time(), []
    for _ in range(calls):
        admission = limiter.acquire("test", account)
        taken.append({"ts": admission.timestamp_ms, "wall": time.time(), "waited": admission.waited})
    print(json.dumps({"started": started, "taken": taken}))


if __name__ == "__main__":
    main()
