from .connections import ConnectionStatus, Environment, Integration, OrganizationIntegration
from .http import BreakerState, ProviderApiCall, ProviderCircuitBreaker
from .intake import (
    DeliveryStatus,
    EventOutcome,
    OwnWrite,
    SignatureVerdict,
    SyncCursor,
    WebhookDelivery,
    WebhookEvent,
)
from .organizations import Membership, Organization
from .rollups import ApiCallRollup, ApiCallRollupCursor, BucketSize, StatusClass

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
