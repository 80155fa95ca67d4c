from .connections import ConnectionStatus, Environment, Integration, OrganizationIntegration
from .organizations import Membership, Organization

__all__ = [
    "ConnectionStatus",
    "Environment",
    "Integration",
    "Membership",
    "Organization",
    "OrganizationIntegration",
]
