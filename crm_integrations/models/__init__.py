from .connections import ConnectionStatus, Environment, Integration, OrganizationIntegration
from .echoes import OwnWrite
from .http import BreakerState, ProviderApiCall, ProviderCircuitBreaker
from .organizations import Membership, Organization
from .webhooks import (
    DeliveryStatus,
    EventOutcome,
    SignatureVerdict,
    SyncCursor,
    WebhookDelivery,
    WebhookEvent,
)

__all__ = [
    "BreakerState",
    "ConnectionStatus",
    "DeliveryStatus",
    "Environment",
    "EventOutcome",
    "Integration",
    "Membership",
    "Organization",
    "OrganizationIntegration",
    "OwnWrite",
    "ProviderApiCall",
    "ProviderCircuitBreaker",
    "SignatureVerdict",
    "SyncCursor",
    "WebhookDelivery",
    "WebhookEvent",
]
