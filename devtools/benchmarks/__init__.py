"""Benchmarks and reliability drills, one sub-package per subject (``webhooks``, ``routing``,
``contracts``, ``drills``), on one shared ``harness`` (gunicorn and Celery processes, the sandbox
portal, signed webhook load, command options and reports). Run by ``manage.py benchmark_*`` and
``manage.py run_drills`` (devtools/management/commands/)."""
