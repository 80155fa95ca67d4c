"""The field mapping wizard's admin pages (wired in ``FieldMappingAdmin.get_urls``); thin views.

1. ``choose_connection``: the connected connections of the user's organizations.
2. ``edit_mapping``: the lead object's (and associated objects') live properties, one row per
   canonical field, the status source and its table; "Preview" maps real sample records and lists
   the mapping's problems; "Save" runs the same preview first, refuses while validation finds
   errors, refuses a mapping that fails on the sample records unless the admin ticked "Save anyway"
   after seeing exactly those failures (``Preview.failure_digest``), else ``mapping_save`` with the
   CRM's labels of the values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from crm_integrations.core.errors import CrmError
from crm_integrations.core.registry import UnknownProvider
from crm_integrations.models import OrganizationIntegration

from .catalogue import PropertyCatalogue, property_catalogue
from .forms import MappingWizardForm
from .mapping import MappingSpec
from .models import REQUIRED_FIELDS, CanonicalField, FieldMapping
from .preview import Preview, crm_error_message, preview_mapping
from .providers import lead_object_types
from .selectors import mapping_for_connection, wizard_connections, wizard_initial_spec
from .services import mapping_save
from .validation import ERROR, Problem

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

CRM_FAILURES = (CrmError, UnknownProvider)
TEMPLATES = "admin/field_mapping/wizard"


def _check(model_admin: ModelAdmin, request: HttpRequest) -> None:
    if not (model_admin.has_change_permission(request) and model_admin.has_add_permission(request)):
        raise PermissionDenied


def _context(model_admin: ModelAdmin, request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        **extra,
    }


def choose_connection(model_admin: ModelAdmin, request: HttpRequest) -> HttpResponse:
    """Step 1: which connection's mapping to edit."""
    _check(model_admin, request)
    connections = list(wizard_connections(request.user))
    mapped = set(
        FieldMapping.objects.filter(connection__in=connections).values_list("connection_id", flat=True)
    )
    rows = [(connection, connection.pk in mapped) for connection in connections]
    context = _context(model_admin, request, "Mapping wizard: choose a connection", rows=rows)
    return render(request, f"{TEMPLATES}/choose_connection.html", context)


def edit_mapping(model_admin: ModelAdmin, request: HttpRequest, connection_id: str) -> HttpResponse:
    """Steps 2-4: map the fields, preview on real records, save."""
    _check(model_admin, request)
    connection = get_object_or_404(wizard_connections(request.user), pk=connection_id)
    if request.method == "POST":
        form = MappingWizardForm(request.POST)
        object_type = (request.POST.get("object_type") or "").strip()
        action = request.POST.get("action", "preview")
    else:
        spec = wizard_initial_spec(connection, request.GET.get("object_type") or None)
        form, object_type, action = None, spec.object_type, "show"

    page = WizardPage(model_admin, request, connection, object_type)
    try:
        page.catalogue = property_catalogue(connection, object_type) if object_type else None
    except CRM_FAILURES as error:
        page.crm_error = crm_error_message(error)
    if form is None:
        return page.render(MappingWizardForm.from_spec(spec, page.catalogue))
    if not form.is_valid():
        return page.render(form)
    spec = form.spec()
    shown = MappingWizardForm.from_spec(spec, page.catalogue)
    if page.catalogue is None:
        return page.render(shown)  # the CRM could not be read: nothing can be checked or saved
    try:
        page.preview = preview_mapping(connection, spec, fields=page.catalogue.fields)
    except CRM_FAILURES as error:
        page.crm_error = crm_error_message(error)
        return page.render(shown)  # nothing is saved on a mapping that could not be tried
    if action == "save":
        return page.save(spec, shown)
    return page.render(shown)


class WizardPage:
    """One rendering of the mapping page: what the CRM answered and what the checks found."""

    def __init__(
        self, model_admin: ModelAdmin, request: HttpRequest, connection: OrganizationIntegration, kind: str
    ) -> None:
        self.model_admin = model_admin
        self.request = request
        self.connection = connection
        self.object_type = kind
        self.catalogue: PropertyCatalogue | None = None
        self.crm_error = ""
        self.preview: Preview | None = None

    def save(self, spec: MappingSpec, shown: MappingWizardForm) -> HttpResponse:
        """Save after the preview: refused while validation finds an error (warnings do not block),
        and while the mapping fails on sample records unless "Save anyway" confirms those failures."""
        assert self.preview is not None
        errors = self.preview.errors
        if errors:
            messages.error(
                self.request,
                f"The mapping was not saved: {_count(len(errors), 'problem')} must be fixed first "
                "(listed below).",
            )
            return self.render(shown)
        refusal = self.failures_refusal()
        if refusal:
            messages.error(self.request, refusal)
            return self.render(shown)
        try:
            mapping = mapping_save(
                self.connection,
                spec.object_type,
                spec.rules,
                spec.status_map,
                self.request.user,
                status_source=spec.status_source,
                status_default=spec.status_default,
                value_labels=self.preview.labels,
            )
        except ValidationError as error:
            for where, texts in error.message_dict.items():
                for text in texts:
                    messages.error(self.request, f"Not saved: {where}: {text}")
            return self.render(shown)
        confirmed = self.preview.failing_records
        messages.success(
            self.request,
            f"The field mapping of {self.connection} was saved: {_count(len(spec.rules), 'field')}, "
            f"{_count(len(spec.status_map), 'status value')}."
            + (
                f" Saved anyway although it fails on {_count(confirmed, 'sample record')}."
                if confirmed
                else ""
            ),
        )
        return HttpResponseRedirect(reverse("admin:field_mapping_fieldmapping_change", args=[mapping.pk]))

    def failures_refusal(self) -> str:
        """Why saving must wait for the admin's confirmation ("" when it need not)."""
        assert self.preview is not None
        failing = self.preview.failing_records
        if not failing:
            return ""
        confirmed = self.request.POST.get("save_anyway") == "on"
        seen = self.request.POST.get("confirmed_digest", "")
        if confirmed and seen == self.preview.failure_digest:
            return ""
        sampled = len(self.preview.rows)
        if confirmed:
            return (
                "The mapping was not saved: its failures on the sample records changed since you ticked "
                "“Save anyway”. Look at them again (listed below)."
            )
        return (
            f"The mapping was not saved: it fails on {failing} of {_count(sampled, 'sample record')} "
            "(listed below). Fix it, or tick “Save anyway” to save it as it is; those leads would be "
            "stored in the “Mapping error” state."
        )

    def render(self, form: MappingWizardForm) -> HttpResponse:
        problems: list[Problem] = self.preview.problems if self.preview else []
        status_source = (form.header["status_source"].value() or "").strip()
        context = _context(
            self.model_admin,
            self.request,
            f"Mapping wizard: {self.connection}",
            connection=self.connection,
            saved=mapping_for_connection(self.connection),
            object_type=self.object_type,
            object_types=lead_object_types(self.connection.provider),
            catalogue=self.catalogue,
            choices=self.catalogue.choices() if self.catalogue else [],
            catalogue_json=self.catalogue.as_json() if self.catalogue else {},
            form=form,
            form_errors=form.error_messages if form.data is not None else [],
            rule_rows=form.rule_rows(self.catalogue, problems),
            status_rows=form.status_rows(self.catalogue),
            status_field=self.catalogue.field_at(status_source) if self.catalogue and status_source else None,
            status_problems=[problem for problem in problems if problem.field == CanonicalField.STATUS],
            crm_error=self.crm_error,
            preview=self.preview,
            problems=problems,
            error_count=sum(problem.severity == ERROR for problem in problems),
            warning_count=sum(problem.severity != ERROR for problem in problems),
            lead_unavailable=self.catalogue.unavailable.get(self.object_type, "") if self.catalogue else "",
            columns=CanonicalField.choices,
            required_fields=[str(name) for name in REQUIRED_FIELDS],
        )
        return render(self.request, f"{TEMPLATES}/edit_mapping.html", context)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"
