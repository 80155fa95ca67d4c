"""Run by test_refresh_race.py as a separate OS process: ask for a usable token at a set moment.

Usage: python -m tests.crm_integrations.oauth.refresh_worker CONNECTION_ID START_AT WORKER

Prints the token it got, when it asked and got it (``asked``), and when it was refreshing under
the lease (``refreshed``: ``crm_integrations.core.tokens._refresh``; empty for a process that
waited for another's refresh), as wall-clock seconds that the test compares across processes.
"""

import json
import sys
import time
from dataclasses import asdict
from unittest import mock


def main() -> None:
    import django

    django.setup()
    from crm_integrations.core import tokens
    from crm_integrations.models import OrganizationIntegration
    from tests.windows import Window, recorded

    connection_id, start_at, worker = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    connection = OrganizationIntegration.objects.get(pk=connection_id)
    asked: list[Window] = []
    refreshed: list[Window] = []
    real_refresh = tokens._refresh

    def refresh_recorded(row: OrganizationIntegration) -> OrganizationIntegration:
        with recorded(refreshed, worker, time.time):
            return real_refresh(row)

    time.sleep(max(0.0, start_at - time.time()))  # both processes ask together
    with (
        mock.patch.object(tokens, "_refresh", side_effect=refresh_recorded),
        recorded(asked, worker, time.time),
    ):
        token = tokens.access_token(connection)
    windows = {"asked": [asdict(w) for w in asked], "refreshed": [asdict(w) for w in refreshed]}
    print(json.dumps({"token": token, **windows}))


if __name__ == "__main__":
    main()
