from .connections import ConnectionStatus, Environment, Integration, OrganizationIntegration
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
    "ProviderApiCall",
    "ProviderCircuitBreaker",
    "SignatureVerdict",
    "SyncCursor",
    "WebhookDelivery",
    "WebhookEvent",
]
