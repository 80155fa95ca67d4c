"""gunicorn's settings, one place for `make run` (Procfile) and the benchmarks' web server
(devtools/benchmarks/harness/web_server.py); production passes its own on the command line.

Threads: HubSpot keeps up to 10 webhook requests in flight per installing account
(../shared/reference/hubspot-api.md), so with 2 single-threaded workers one portal's burst held both
and another organization's webhook waited behind it (the fairness benchmark, docs/benchmarks.md).
Requests mostly wait on the database and the broker, so threads, not processes, add the room.
"""

import os

workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "8"))
graceful_timeout = 5
logger_class = "config.gunicorn_logging.RedactingLogger"
