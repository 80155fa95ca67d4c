from .connections import ConnectionStatus, Environment, Integration, OrganizationIntegration
from .echoes import OwnWrite
from .http import BreakerState, ProviderApiCall, ProviderCircuitBreaker
from .organizations import Membership, Organization
from .rollups import ApiCallRollup, ApiCallRollupCursor, BucketSize, StatusClass
from .webhooks import (
    DeliveryStatus,
    EventOutcome,
    SignatureVerdict,
    SyncCursor,
    WebhookDelivery,
    WebhookEvent,
)

__all__ = [
    "ApiCallRollup",
    "ApiCallRollupCursor",
    "BreakerState",
    "BucketSize",
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
    "StatusClass",
    "SyncCursor",
    "WebhookDelivery",
    "WebhookEvent",
]
