"""The reliability drills (``manage.py run_drills``): the faults the product was attacked with,
replayed against a HubSpot sandbox, gunicorn and Celery workers, each counted from creation at the
CRM to the owner written there (docs/reliability.md). ``runner.run_drills`` is the entry point."""
