"""A provider's default field mapping as plain data: where a new connection's mapping starts.

The provider describes it (``CrmProvider.default_mappings``, e.g. crm_integrations/hubspot/mapping.py);
field_mapping/providers.py reads it through the registry and turns it into a ``MappingSpec``. The
values are field_mapping's vocabulary spelled as plain strings (this package sits below
field_mapping, so it cannot import its choices): canonical fields ``name``, ``email``, ``company``,
``country``, ``source``, ``owner``, ``amount``, ``industry``, ``lead_type``; transforms ``as_is``,
``lower``, ``number``, ``date``, ``value_map``, ``default``; outcomes ``open``, ``won``, ``lost``,
``excluded``. field_mapping refuses any other value when it reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DefaultRule:
    """Which CRM property (``source_path``, e.g. ``contacts.email``) feeds one canonical field."""

    canonical_field: str
    source_path: str
    transform: str = "as_is"
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DefaultMapping:
    """The default mapping of one lead object type: its rules and how its status reads as an outcome."""

    object_type: str
    rules: tuple[DefaultRule, ...] = ()
    status_source: str = ""
    status_map: Mapping[str, str] = field(default_factory=dict)
