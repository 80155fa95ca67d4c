from .connections import ConnectionStatus, Environment, Integration, OrganizationIntegration
from .http import BreakerState, CircuitBreakerTransition, ProviderApiCall, ProviderCircuitBreaker
from .incidents import (
    AlertSettings,
    Incident,
    IncidentKind,
    IncidentNotice,
    NoticeChannel,
    NoticeEvent,
    NoticeStatus,
)
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
from .rollups import ApiCallRollup, ApiCallRollupCursor, BucketSize, StatusClass, WebhookRollup
from .tracing import SpanStatus, TraceSpan, TraceSpanLink

__all__ = [
    "AlertSettings",
    "ApiCallRollup",
    "ApiCallRollupCursor",
    "BreakerState",
    "BucketSize",
    "CircuitBreakerTransition",
    "ConnectionStatus",
    "DeliveryStatus",
    "Environment",
    "EventOutcome",
    "Incident",
    "IncidentKind",
    "IncidentNotice",
    "Integration",
    "Membership",
    "NoticeChannel",
    "NoticeEvent",
    "NoticeStatus",
    "Organization",
    "OrganizationIntegration",
    "OwnWrite",
    "ProviderApiCall",
    "ProviderCircuitBreaker",
    "SignatureVerdict",
    "SpanStatus",
    "StatusClass",
    "SyncCursor",
    "TraceSpan",
    "TraceSpanLink",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookRollup",
]
