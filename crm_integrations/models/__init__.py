from .connections import ConnectionStatus, Environment, Integration, OrganizationIntegration
from .http import BreakerState, ProviderApiCall, ProviderCircuitBreaker
from .organizations import Membership, Organization

__all__ = [
    "BreakerState",
    "ConnectionStatus",
    "Environment",
    "Integration",
    "Membership",
    "Organization",
    "OrganizationIntegration",
    "ProviderApiCall",
    "ProviderCircuitBreaker",
]
