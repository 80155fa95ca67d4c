"""Which opportunity stages make contracts, per connection (``connection.settings["contract_stages"]``).

An organization's administrator ticks them on the connection's "Choose contract stages" page
(crm_integrations/salesforce/stage_views.py) from the org's ``StageName`` picklist (one ``describe``
call); the client reads them (crm_integrations/salesforce/client.py), and contracts/stage_intake.py
turns opportunities at those stages into contracts. Connections that chose none fall back on
``SALESFORCE_CONTRACT_STAGES`` (crm_integrations/salesforce/config.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from crm_integrations.core.errors import InvalidRequest
from crm_integrations.core.types import FieldOption

from . import describe
from .api import SalesforceApi
from .config import CONTRACT_STAGES_SETTING, KEY, default_contract_stages
from .deals import DEALS, STAGE

if TYPE_CHECKING:
    from crm_integrations.models import OrganizationIntegration


def stage_options(connection: OrganizationIntegration) -> list[FieldOption]:
    """The org's opportunity stages, in its order (one ``describe`` call)."""
    fields = describe.list_fields(SalesforceApi(connection), DEALS, owners=())
    return next((list(field.options) for field in fields if field.name == STAGE), [])


def chosen_stages(connection: OrganizationIntegration) -> list[str]:
    """The stages the connection chose, else the deployment's default."""
    stages = (connection.settings or {}).get(CONTRACT_STAGES_SETTING)
    return [str(stage) for stage in stages] if isinstance(stages, list) else default_contract_stages()


def use_contract_stages(
    connection: OrganizationIntegration, stages: Sequence[str], options: Sequence[FieldOption]
) -> OrganizationIntegration:
    """Store ``stages`` (each one of ``options``, the org's stages) as the connection's contract stages."""
    from crm_integrations.services import upsert_organization_integration

    known = {option.value for option in options}
    unknown = [stage for stage in stages if stage not in known]
    if unknown:
        raise InvalidRequest(
            f"Salesforce has no opportunity stage “{unknown[0][:80]}”.", code="unknown_stage"
        )
    return upsert_organization_integration(
        connection.organization,
        KEY,
        connection.environment,
        settings={**(connection.settings or {}), CONTRACT_STAGES_SETTING: list(dict.fromkeys(stages))},
    )
