"""The reliability drills (``manage.py run_drills``): the faults the product was attacked with,
replayed against a HubSpot sandbox, gunicorn and Celery workers, each counted from creation at the
CRM to the owner written there (issue 12 §8). ``runner.run_drills`` is the entry point."""
