"""Schemathesis over the whole ``/api/v1/`` schema (issue 12): every operation, fed from the schema
the API serves, with a staff member's API token, finds no server error and answers as the schema
says (all of schemathesis' default checks: ``not_a_server_error``, status codes, content types,
response schemas, valid data accepted and invalid data refused, ...).

The app runs in this process as a WSGI server runs it (Django's WSGI handler), inside the test's
transaction: nothing outlives the test, on SQLite or on PostgreSQL (the second CI lane, where a
database error would also break every later request of the operation), and the status pushes a
PATCH queues after the commit never run. The run is deterministic (a fixed seed, derandomized, no
example database) and bounded: about 400 requests in all, about 10 s on 2 cores.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from unittest import mock

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from knox.models import AuthToken

from contracts.models import Contract, ContractFile, FileState
from contracts.tasks import push_contract_status
from crm_integrations.models import Membership, Organization

#: Cases per operation in the fuzzing phase (valid and invalid ones); the coverage phase adds the
#: boundary cases of every parameter (schemathesis runs the examples, coverage and fuzzing phases).
MAX_EXAMPLES = 60
SEED = 20260512

CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "generation": {
            "mode": "all",
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
        },
    }
)


def served_schema() -> dict:
    """The schema ``/api/v1/schema/?format=json`` serves, built here: the operations are collected
    before any database or token exists (the test below checks that the endpoint serves the same)."""
    generator = SchemaGenerator()
    return json.loads(OpenApiJsonRenderer().render(generator.get_schema(request=None, public=True)))


@pytest.fixture
def api_app() -> Iterator[None]:
    """Django's WSGI handler, without closing the database connection at each request's start and
    end (as Django's own test client does): the connection holds the test's transaction. The status
    pushes a PATCH queues are recorded, not sent."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with mock.patch.object(push_contract_status, "delay"):
            yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def staff_token(django_user_model, organization) -> str:
    """An API token of a staff user who is a member of Acme only."""
    staff = django_user_model.objects.create_user("stella", "stella@example.com", "pw", is_staff=True)
    Membership.objects.create(organization=organization, user=staff, role=Membership.Role.MEMBER)
    _, token = AuthToken.objects.create(user=staff)
    return token


@pytest.fixture
def foreign(organization) -> Contract:
    """Acme's contracts (one with a stored file) and Globex's, which the token must not reach."""
    for number in range(1, 4):
        Contract.objects.create(
            organization=organization,
            provider="hubspot",
            external_id=str(number),
            title=f"Deal {number}",
            amount=Decimal("100.00"),
            currency="USD",
        )
    ContractFile.objects.create(
        contract=Contract.objects.get(external_id="1"),
        external_id="1",
        name="contract.pdf",
        size=10,
        state=FileState.STORED,
    )
    globex = Organization.objects.create(name="Globex", slug="globex")
    return Contract.objects.create(organization=globex, provider="hubspot", external_id="9", title="G")


schema = schemathesis.openapi.from_dict(served_schema(), config=CONFIG)
schema.app = get_wsgi_application()  # every request of the run, schemathesis' own probes too


@schema.parametrize()
# One database per operation, on purpose: the contracts a PATCH changed are there for the next case.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_operation_answers_as_documented_and_never_with_a_server_error(
    case, api_app, staff_token, foreign
) -> None:
    case.call_and_validate(headers={"Authorization": f"Token {staff_token}"})
    assert Contract.objects.filter(pk=foreign.pk, status_version=0).exists()  # never another org's


def test_the_schema_served_to_a_staff_token_is_the_one_fuzzed(client, staff_token) -> None:
    response = client.get("/api/v1/schema/?format=json", HTTP_AUTHORIZATION=f"Token {staff_token}")
    assert response.status_code == 200
    assert json.loads(response.content) == served_schema()
    assert len(list(schema.get_all_operations())) == 4  # list, retrieve, PATCH; provider health
