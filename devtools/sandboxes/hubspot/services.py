"""Background machinery around the state: webhook deliverer, app webhooks, workflow actions, state file."""

from __future__ import annotations

from dataclasses import dataclass

from ..persistence import Persistence
from .delivery import Deliverer
from .persistence import open_state_file
from .state import SandboxState
from .webhooks import AppWebhooks
from .workflows import Workflows


@dataclass
class Services:
    state: SandboxState
    deliverer: Deliverer
    webhooks: AppWebhooks
    workflows: Workflows
    persistence: Persistence | None = None  # with ``config.state_file`` only

    @classmethod
    def build(cls, state: SandboxState) -> Services:
        config = state.config
        deliverer = Deliverer(config.webhook_max_concurrent, lambda: config.retry_time_scale, config.seed)
        webhooks, workflows = AppWebhooks(state, deliverer), Workflows(state, deliverer)
        persistence = (
            open_state_file(config.state_file, state, webhooks, workflows) if config.state_file else None
        )
        return cls(state, deliverer, webhooks, workflows, persistence)

    def start(self) -> None:
        self.deliverer.start()
        self.webhooks.start()
        if self.persistence is not None:
            self.persistence.start()

    def stop(self) -> None:
        self.state.stop_event.set()
        self.webhooks.stop()
        self.deliverer.stop()
        if self.persistence is not None:
            self.persistence.stop()  # saves a last time
