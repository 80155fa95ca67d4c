"""Benchmarks run by management commands (``manage.py benchmark_webhook_intake``), against the sandboxes."""
