"""Run by test_refresh_race.py as a separate OS process: ask for a usable token at a set moment.

Usage: python -m tests.crm_integrations.oauth.refresh_worker CONNECTION_ID START_AT
"""

import json
import sys
import time


def main() -> None:
    import django

    django.setup()
    from crm_integrations.core import tokens
    from crm_integrations.models import OrganizationIntegration

    connection_id, start_at = sys.argv[1], float(sys.argv[2])
    connection = OrganizationIntegration.objects.get(pk=connection_id)
    time.sleep(max(0.0, start_at - time.time()))  # both processes ask together
    print(json.dumps({"token": tokens.access_token(connection)}))


if __name__ == "__main__":
    main()
