"""A fast stand-in for celery-beat while the drills run: the beat table (config/schedule.py) runs
its recovery jobs every minute, which would make each drill last minutes; here they are sent every
few seconds, into the private broker of the drills' Celery worker (devtools/benchmarks/webhooks/
worker.py), so what the real jobs do (retry due owner writes, sweep routing, take in events a lost
task left, poll the connection) is what recovers the leads."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from celery import current_app as app
from django.conf import settings
from kombu import Connection

#: The beat jobs that bring a lead to its owner after a fault (config/schedule.py).
RECOVERY_TASKS = (
    "routing.tasks.flush_due_owner_writes",
    "routing.tasks.sweep_routing",
    "crm_integrations.tasks.take_in_stale_events",
)
POLL_TASK = "crm_integrations.tasks.poll_connection"


def broker_options(var_dir: Path) -> dict[str, Any]:
    """The filesystem broker's options of a process whose ``VAR_DIR`` is ``var_dir`` (the layout
    config/settings/base.py gives it)."""
    folder = var_dir / "broker"
    return {
        **(getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}),
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
    }


class FastBeat:
    """Every ``interval`` seconds: the recovery jobs, and with ``polling`` set, a poll of the
    connection's leads (what ``poll_due_connections`` starts when its interval is due)."""

    def __init__(self, var_dir: Path, connection_id: str, interval: float) -> None:
        self.connection_id = connection_id
        self.interval = interval
        self.polling = threading.Event()
        self._broker = Connection("filesystem://", transport_options=broker_options(var_dir))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="drills-fast-beat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._broker.release()

    def tick(self) -> None:
        for name in RECOVERY_TASKS:
            app.send_task(name, connection=self._broker, expires=self.interval * 5)
        if self.polling.is_set():
            app.send_task(
                POLL_TASK,
                args=[self.connection_id, "leads"],
                connection=self._broker,
                expires=self.interval * 5,
            )

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.tick()
