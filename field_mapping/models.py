"""The field mapping of one connection, and the canonical leads it produces.

A ``FieldMapping`` says, for one organization's connection, which CRM object is the lead
(HubSpot ``leads`` or ``contacts``, monday ``items``), which CRM property feeds each canonical
field (``FieldRule``) and how the CRM's status values become an outcome (``StatusMapping``).
A ``Lead`` is one CRM record seen through that mapping: the canonical columns, the raw record as
fetched, the mapping errors (a required field did not map, or a value did not convert: state
"mapping error") and warnings (an optional field had nothing to read), if any (the record is stored
either way, never dropped).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from crm_integrations.models import Organization, OrganizationIntegration


class CanonicalField(models.TextChoices):
    SOURCE = "source", "Source"
    OWNER = "owner", "Owner"
    AMOUNT = "amount", "Amount"
    INDUSTRY = "industry", "Industry"
    STATUS = "status", "Status"
    NAME = "name", "Name"
    EMAIL = "email", "Email"
    COMPANY = "company", "Company"
    COUNTRY = "country", "Country"
    LEAD_TYPE = "lead_type", "Lead type"


#: Fields a mapping must feed before leads can be routed: the status says whether the lead is open,
#: the owner whether it already has one, the source whether a routing filter excludes it
#: (routing/engine/filters.py). A value that cannot be read or converted in one of them is a
#: mapping error and routing holds the lead (routing/routable.py).
REQUIRED_FIELDS = (CanonicalField.SOURCE, CanonicalField.OWNER, CanonicalField.STATUS)
#: Every other field is optional: name and email identify the lead for people, company, country,
#: industry, amount and lead type refine rules. Nothing to read there (a contact with no company, so
#: no industry) is a warning on the lead; the lead is routed with the field empty.
OPTIONAL_FIELDS = tuple(name for name in CanonicalField if name not in REQUIRED_FIELDS)


class Transform(models.TextChoices):
    AS_IS = "as_is", "As is"
    LOWER = "lower", "Lower case"
    NUMBER = "number", "Number"
    DATE = "date", "Date"
    VALUE_MAP = "value_map", "Value map"
    DEFAULT = "default", "Default when empty"


class Outcome(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"
    EXCLUDED = "excluded", "Excluded"


class LeadState(models.TextChoices):
    OK = "ok", "OK"
    MAPPING_ERROR = "mapping_error", "Mapping error"


class ReceivedVia(models.TextChoices):
    WEBHOOK = "webhook", "Webhook"
    POLL = "poll", "Poll"
    BACKFILL = "backfill", "Backfill"
    REPLAY = "replay", "Replay"


#: "property", "assoc.property" or "assoc.assoc.property": at most two association hops.
MAX_ASSOCIATION_HOPS = 2
_SEGMENT = re.compile(r"^[A-Za-z0-9_\-]+$")


def path_problem(path: str) -> str | None:
    """Why ``path`` is not a usable source path, or None when it is."""
    if not path:
        return "the path is empty"
    segments = path.split(".")
    if any(not _SEGMENT.match(segment) for segment in segments):
        return f"'{path}' is not a property path (names of letters, digits, _ and -, joined by dots)"
    if len(segments) - 1 > MAX_ASSOCIATION_HOPS:
        return f"'{path}' goes through {len(segments) - 1} associations (at most {MAX_ASSOCIATION_HOPS})"
    return None


def validate_source_path(path: str) -> None:
    problem = path_problem(path)
    if problem:
        raise ValidationError(problem, code="invalid_path")


class FieldMapping(models.Model):
    """Which CRM object is the lead and how its properties feed the canonical lead (one per connection)."""

    connection = models.OneToOneField(
        OrganizationIntegration, on_delete=models.CASCADE, related_name="field_mapping"
    )
    object_type = models.CharField(
        max_length=60,
        default="leads",
        help_text='The CRM object that is the lead (e.g. "leads", "contacts", "items")',
    )
    status_source = models.CharField(
        max_length=255,
        blank=True,
        verbose_name="status property",
        validators=[validate_source_path],
        help_text='Path of the property the status mapping reads, e.g. "hs_pipeline_stage"',
    )
    status_default = models.CharField(
        max_length=20,
        choices=Outcome.choices,
        blank=True,
        verbose_name="outcome of any other value",
        help_text="Outcome for a status value with no row; blank: such a value is a mapping error",
    )
    labels_read_at = models.DateTimeField(
        null=True,
        blank=True,
        verbose_name="labels read at",
        help_text="When the CRM's option labels and owner names were last read (once a day at most)",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Mapping of {self.connection} ({self.object_type})"


class FieldRule(models.Model):
    """One canonical field fed by one CRM property (possibly on an associated record), transformed.

    ``options`` by transform: value_map ``{"map": {crm value: canonical value}, "fallback": value}``
    (no fallback: an unmapped value is an error), default ``{"default": value}``, date
    ``{"format": "%d/%m/%Y"}`` (optional; ISO and epoch milliseconds are always understood).
    Status is not a rule: it is ``FieldMapping.status_source`` read through the ``StatusMapping`` rows.
    """

    mapping = models.ForeignKey(FieldMapping, on_delete=models.CASCADE, related_name="rules")
    canonical_field = models.CharField(max_length=20, choices=CanonicalField.choices)
    source_path = models.CharField(
        max_length=255,
        validators=[validate_source_path],
        help_text='"property", "association.property" or "association.association.property"',
    )
    transform = models.CharField(max_length=20, choices=Transform.choices, default=Transform.AS_IS)
    options = models.JSONField(
        default=dict,
        blank=True,
        help_text="The transform's settings: a value map, a default or a date format",
    )
    value_labels = models.JSONField(
        default=dict,
        blank=True,
        verbose_name="labels of the values",
        help_text="Canonical value -> the CRM's label for it (option labels, owner names), shown to staff",
    )

    class Meta:
        ordering = ["mapping", "canonical_field"]
        constraints = [
            models.UniqueConstraint(fields=["mapping", "canonical_field"], name="unique_rule_per_field"),
        ]

    def __str__(self) -> str:
        return f"{self.canonical_field} ← {self.source_path} ({self.transform})"

    def clean(self) -> None:
        if self.canonical_field == CanonicalField.STATUS:
            raise ValidationError(
                {
                    "canonical_field": "Status is read from the mapping's status source through the "
                    "status mapping rows, not from a field rule."
                }
            )
        if not isinstance(self.options, dict):
            raise ValidationError({"options": "Options must be a JSON object."})
        if self.transform == Transform.VALUE_MAP and not isinstance(self.options.get("map"), dict):
            raise ValidationError({"options": 'A value map needs {"map": {crm value: canonical value}}.'})
        if self.transform == Transform.DEFAULT and "default" not in self.options:
            raise ValidationError({"options": 'A default needs {"default": value}.'})
        if self.transform == Transform.DATE and not isinstance(self.options.get("format", ""), str):
            raise ValidationError({"options": "A date format must be a string such as %d/%m/%Y."})


class StatusMapping(models.Model):
    """One CRM status value (a HubSpot stage id, a monday label) and the outcome it means."""

    mapping = models.ForeignKey(FieldMapping, on_delete=models.CASCADE, related_name="status_rows")
    crm_value = models.CharField(
        max_length=255,
        verbose_name="CRM value",
        help_text="A status value as the CRM stores it (a stage id, a status label)",
    )
    outcome = models.CharField(
        max_length=20, choices=Outcome.choices, help_text="What the value means for routing"
    )

    class Meta:
        ordering = ["mapping", "crm_value"]
        constraints = [
            models.UniqueConstraint(fields=["mapping", "crm_value"], name="unique_status_value"),
        ]

    def __str__(self) -> str:
        return f"{self.crm_value} → {self.outcome}"


class Lead(models.Model):
    """The canonical lead: one per CRM record of one connection.

    ``connection`` is RESTRICT: deleting a connection that still has leads is refused (disconnect
    keeps the row, so leads survive a disconnect/reconnect), which keeps routing history from
    vanishing through an admin click; deleting the whole organization still removes its
    connections and leads together (RESTRICT, unlike PROTECT, allows that cascade).
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="leads")
    connection = models.ForeignKey(OrganizationIntegration, on_delete=models.RESTRICT, related_name="leads")
    object_type = models.CharField(max_length=60)
    external_id = models.CharField(
        max_length=100, verbose_name="CRM record id", help_text="The record's id in the CRM"
    )

    name = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=254, blank=True, help_text="Lower-cased")
    company = models.CharField(max_length=255, blank=True)
    country = models.CharField(max_length=100, blank=True)
    source = models.CharField(max_length=255, blank=True)
    owner_external_id = models.CharField(
        max_length=100, blank=True, verbose_name="owner", help_text="The CRM owner/user id"
    )
    amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    industry = models.CharField(max_length=255, blank=True)
    # NULL until a status is mapped: "no outcome yet" is not an outcome, and never the empty string.
    status = models.CharField(max_length=20, choices=Outcome.choices, null=True, blank=True)  # noqa: DJ001
    lead_type = models.CharField(max_length=100, blank=True)

    raw = models.JSONField(
        default=dict, encoder=DjangoJSONEncoder, help_text="The record as fetched, with associated records"
    )
    mapping_errors = models.JSONField(
        default=list, blank=True, help_text="What did not map: [{field, message}]; the lead is in error"
    )
    mapping_warnings = models.JSONField(
        default=list,
        blank=True,
        help_text="Optional fields with nothing to read (e.g. a contact with no company): [{field, message}]",
    )
    state = models.CharField(max_length=20, choices=LeadState.choices, default=LeadState.OK)
    crm_updated_at = models.DateTimeField(
        null=True,
        blank=True,
        verbose_name="last changed in the CRM",
        help_text="The CRM's last-modified time of the data held here",
    )
    crm_created_at = models.DateTimeField(
        "created in the CRM",
        null=True,
        blank=True,
        help_text="When the CRM made the record: where created → owner written starts",
    )
    received_via = models.CharField(max_length=20, choices=ReceivedVia.choices)
    first_received_at = models.DateTimeField(default=timezone.now)
    last_received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "object_type", "external_id"], name="unique_lead_per_record"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "email"], name="lead_org_email"),
            models.Index(fields=["external_id"], name="lead_external_id"),
            models.Index(fields=["organization", "state"], name="lead_org_state"),
        ]

    def __str__(self) -> str:
        who = self.name or self.email or "(no name)"
        flag = " [mapping error]" if self.state == LeadState.MAPPING_ERROR else ""
        status = self.get_status_display() if self.status else "no status"
        return f"{who} · {self.object_type} {self.external_id} · {status}{flag}"
