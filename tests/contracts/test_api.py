"""The contracts REST API (contracts/api/): list, retrieve and PATCH the negotiation status under
``/api/v1/contracts/``, scoped to the caller's organizations, by token or session (CSRF), with its
OpenAPI schema at ``/api/v1/schema/``."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from contracts.models import Contract, ContractFile, FileState, NegotiationStatus, SyncState
from contracts.selectors import contracts_for_user
from contracts.tasks import push_contract_status
from crm_integrations.models import Membership, Organization

LIST = "/api/v1/contracts/"
SCHEMA = "/api/v1/schema/"
SNAPSHOT_SECRET = "snapshot-only-value-9f3a"
STORED_PATH = "contracts/1/1/file-42-storage-only-name.pdf"


def detail(contract: Contract) -> str:
    return f"{LIST}{contract.pk}/"


@pytest.fixture
def other_organization(catalogue) -> Organization:
    return Organization.objects.create(name="Globex", slug="globex")


@pytest.fixture
def member(django_user_model, organization):
    """A plain member (role "member", not staff) of Acme only."""
    user = django_user_model.objects.create_user("mia", "mia@example.com", "pw")
    Membership.objects.create(organization=organization, user=user, role=Membership.Role.MEMBER)
    return user


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "pw")


@pytest.fixture
def api(member) -> APIClient:
    client = APIClient()
    client.force_authenticate(member)
    return client


def make_contract(organization: Organization, external_id: str, **fields) -> Contract:
    values = {"provider": "hubspot", "title": f"Deal {external_id}", "currency": "USD", **fields}
    return Contract.objects.create(organization=organization, external_id=external_id, **values)


@pytest.fixture
def contract(organization) -> Contract:
    """An Acme contract with a stored file and a deal snapshot holding a value the API must not show."""
    contract = make_contract(
        organization,
        "9001",
        title="Acme - Annual plan",
        counterparty="Initech",
        amount=Decimal("12500.50"),
        deal_snapshot={"properties": {"hs_secret_note": SNAPSHOT_SECRET}},
    )
    ContractFile.objects.create(
        contract=contract,
        external_id="42",
        name="contract.pdf",
        content_type="application/pdf",
        size=1234,
        checksum="a" * 64,
        file=STORED_PATH,
        state=FileState.STORED,
    )
    return contract


@pytest.fixture
def foreign(other_organization) -> Contract:
    return make_contract(other_organization, "7001", title="Globex - Secret deal")


@pytest.fixture
def queued():
    """The status push queued after commit (``contracts.tasks.push_contract_status.delay``), recorded
    instead of sent: no broker, no CRM."""
    with mock.patch.object(push_contract_status, "delay") as delay:
        yield delay


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# --- reading -------------------------------------------------------------------------------------


def test_a_member_lists_only_their_organizations_contracts(api, contract, foreign):
    response = api.get(LIST)
    assert ids(response) == [contract.pk]
    assert response.json()["count"] == 1


def test_a_superuser_lists_every_organizations_contracts(superuser, contract, foreign):
    client = APIClient()
    client.force_authenticate(superuser)
    assert set(ids(client.get(LIST))) == {contract.pk, foreign.pk}


def test_a_member_of_two_organizations_sees_both(api, member, contract, foreign):
    Membership.objects.create(organization=foreign.organization, user=member, role=Membership.Role.ADMIN)
    assert set(ids(api.get(LIST))) == {contract.pk, foreign.pk}


def test_contracts_are_listed_newest_first(api, organization):
    now = timezone.now()
    old = make_contract(organization, "1", created_at=now - timedelta(days=2))
    new = make_contract(organization, "2", created_at=now)
    middle = make_contract(organization, "3", created_at=now - timedelta(days=1))
    twin = make_contract(organization, "4", created_at=now)  # same instant: the later row first
    assert ids(api.get(LIST)) == [twin.pk, new.pk, middle.pk, old.pk]


def test_the_representation_has_the_contract_its_files_and_sync_state(api, contract):
    Contract.objects.filter(pk=contract.pk).update(status_version=3, status_pushed_version=2)
    body = api.get(detail(contract)).json()
    assert body["organization"] == contract.organization_id
    assert body["external_id"] == "9001"
    assert body["amount"] == "12500.50"
    assert body["negotiation_status"] == "draft"
    assert body["sync_state"] == "in_sync"
    assert body["in_sync"] is False  # version 3 changed, only 2 written to the deal
    assert body["files"] == [
        {
            "id": contract.files.get().pk,
            "name": "contract.pdf",
            "content_type": "application/pdf",
            "size": 1234,
            "checksum": "a" * 64,
            "state": "stored",
            "state_reason": "",
        }
    ]


def test_neither_the_deal_snapshot_nor_a_file_path_is_ever_shown(api, contract, queued):
    responses = [
        api.get(LIST),
        api.get(detail(contract)),
        api.patch(detail(contract), {"negotiation_status": "in_review"}, format="json"),
    ]
    for response in responses:
        assert response.status_code == 200
        text = response.content.decode()
        assert SNAPSHOT_SECRET not in text
        assert "deal_snapshot" not in text
        assert "storage-only-name" not in text
        assert "/media/" not in text
    body = responses[1].json()
    assert "deal_snapshot" not in body
    assert {"file", "url", "path"}.isdisjoint(body["files"][0])


def test_another_organizations_contract_is_not_found_not_forbidden(api, foreign):
    response = api.get(detail(foreign))
    assert response.status_code == 404
    assert api.get(f"{LIST}999999/").status_code == 404  # the same answer as one that does not exist


def test_a_list_page_costs_the_same_queries_however_many_contracts_and_files(
    api, organization, django_assert_max_num_queries
):
    for number in range(10):
        contract = make_contract(organization, str(number))
        for file_number in range(3):
            ContractFile.objects.create(contract=contract, external_id=str(file_number), name="f.pdf")
    # membership check, count, contracts, their files
    with django_assert_max_num_queries(4):
        response = api.get(LIST)
    assert len(response.json()["results"]) == 10
    assert all(len(row["files"]) == 3 for row in response.json()["results"])


def test_pages_default_to_50_and_stop_at_200(api, organization):
    Contract.objects.bulk_create(
        Contract(organization=organization, provider="hubspot", external_id=str(n), title=f"D{n}")
        for n in range(201)
    )
    first = api.get(LIST).json()
    assert (first["count"], len(first["results"])) == (201, 50)
    assert "page=2" in first["next"]
    assert len(api.get(LIST, {"page_size": 1000}).json()["results"]) == 200
    assert len(api.get(LIST, {"page_size": 2, "page": 3}).json()["results"]) == 2


# --- filters ---------------------------------------------------------------------------------------


@pytest.fixture
def assorted(organization):
    return {
        "signed": make_contract(
            organization, "111", title="Signed one", negotiation_status=NegotiationStatus.SIGNED
        ),
        "failed": make_contract(organization, "222", title="Failing", sync_state=SyncState.FAILED),
        "umbrella": make_contract(organization, "333", title="Other", counterparty="Umbrella Corp"),
        "deal": make_contract(organization, "HS-98765", title="By id"),
    }


def test_filter_by_negotiation_status(api, assorted):
    assert ids(api.get(LIST, {"negotiation_status": "signed"})) == [assorted["signed"].pk]


def test_filter_by_sync_state(api, assorted):
    assert ids(api.get(LIST, {"sync_state": "failed"})) == [assorted["failed"].pk]


def test_search_matches_title_counterparty_and_deal_id(api, assorted):
    assert ids(api.get(LIST, {"q": "signed ON"})) == [assorted["signed"].pk]
    assert ids(api.get(LIST, {"q": "umbrella"})) == [assorted["umbrella"].pk]
    assert ids(api.get(LIST, {"q": "98765"})) == [assorted["deal"].pk]
    assert len(ids(api.get(LIST, {"q": ""}))) == 4


def test_filter_by_organization_never_widens_the_scope(api, member, contract, foreign):
    assert ids(api.get(LIST, {"organization": contract.organization_id})) == [contract.pk]
    assert ids(api.get(LIST, {"organization": foreign.organization_id})) == []


def test_a_superuser_filters_by_organization(superuser, contract, foreign):
    client = APIClient()
    client.force_authenticate(superuser)
    assert ids(client.get(LIST, {"organization": foreign.organization_id})) == [foreign.pk]


def test_an_unknown_filter_value_is_a_400_naming_the_parameter(api, contract):
    response = api.get(LIST, {"negotiation_status": "won"})
    assert response.status_code == 400
    assert "negotiation_status" in response.json()
    assert api.get(LIST, {"organization": "acme"}).status_code == 400
    assert api.get(LIST, {"sync_state": "synced"}).status_code == 400


LARGEST_ID = 9223372036854775807  # BigAutoField's column, on SQLite and PostgreSQL alike


@pytest.mark.parametrize(
    "value", [str(LARGEST_ID + 1), "99999999999999999999", "0", "-1", "1.0", " 1", "1e3"]
)
def test_an_organization_id_out_of_range_or_not_a_whole_number_is_a_400(api, contract, value):
    response = api.get(LIST, {"organization": value})  # 2**63 was a 500 on SQLite ("too large")
    assert response.status_code == 400
    assert list(response.json()) == ["organization"]


def test_the_largest_organization_id_the_database_holds_is_accepted(api, contract):
    assert ids(api.get(LIST, {"organization": str(LARGEST_ID)})) == []


@pytest.mark.parametrize("name", ["negotiation_status", "sync_state", "organization", "page", "page_size"])
def test_an_empty_parameter_is_a_400_not_an_ignored_filter(api, contract, foreign, name):
    response = api.get(f"{LIST}?{name}=")
    assert response.status_code == 400
    assert response.json() == {name: ["Must not be empty: leave the parameter out instead."]}


def test_a_parameter_given_twice_is_a_400(api, contract):
    response = api.get(f"{LIST}?sync_state=failed&sync_state=in_sync&q=a&q=b")
    assert response.status_code == 400
    assert response.json() == {
        "sync_state": ["Give this parameter once."],
        "q": ["Give this parameter once."],
    }


@pytest.mark.parametrize(
    ("query", "name"),
    [("page=abc", "page"), ("page=0", "page"), ("page_size=0", "page_size"), ("page_size=5.0", "page_size")],
)
def test_a_page_or_page_size_that_is_not_a_whole_number_from_1_is_a_400(api, contract, query, name):
    response = api.get(f"{LIST}?{query}")
    assert response.status_code == 400
    assert list(response.json()) == [name]


def test_a_page_past_the_last_is_a_404_in_json(api, contract):
    response = api.get(LIST, {"page": "99999999999999999999"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_a_search_with_a_nul_character_is_a_400(api, contract):
    response = api.get(LIST, {"q": "Acme\x00"})  # PostgreSQL cannot compare NUL: a 500 there
    assert response.status_code == 400
    assert list(response.json()) == ["q"]


@pytest.mark.parametrize("path", [str(LARGEST_ID + 1), "99999999999999999999", "0", "abc", "1.0", "-5"])
def test_a_contract_id_out_of_range_or_not_a_whole_number_is_a_400_in_json(api, contract, queued, path):
    for response in (
        api.get(f"{LIST}{path}/"),
        api.patch(f"{LIST}{path}/", {"negotiation_status": "signed"}, format="json"),
    ):
        assert response.status_code == 400
        assert response["Content-Type"] == "application/json"
        assert list(response.json()) == ["id"]
    queued.assert_not_called()


def test_the_largest_contract_id_the_database_holds_is_not_found(api, contract):
    response = api.get(f"{LIST}{LARGEST_ID}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Contract matches the given query."}


def test_the_selector_gives_nothing_to_anonymous_or_inactive_users(member, contract):
    from django.contrib.auth.models import AnonymousUser

    assert list(contracts_for_user(member)) == [contract]
    assert not contracts_for_user(AnonymousUser()).exists()
    member.is_active = False
    assert not contracts_for_user(member).exists()


# --- setting the status ----------------------------------------------------------------------------


def test_patch_sets_the_status_and_queues_the_push_after_the_commit(
    api, contract, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.patch(detail(contract), {"negotiation_status": "in_review"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["negotiation_status"] == "in_review"
    assert body["status_changed_by"] == "api:mia"
    assert body["sync_state"] == "pending"
    assert body["in_sync"] is False
    stored = Contract.objects.get(pk=contract.pk)
    assert stored.negotiation_status == "in_review"
    assert stored.status_version == contract.status_version + 1
    assert stored.status_changed_by == "api:mia"
    queued.assert_called_once_with(contract.pk)


def test_the_push_is_not_queued_before_the_transaction_commits(
    api, contract, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api.patch(detail(contract), {"negotiation_status": "signed"}, format="json")
    assert response.status_code == 200
    assert len(callbacks) == 1
    queued.assert_not_called()
    callbacks[0]()
    queued.assert_called_once_with(contract.pk)


def test_patch_to_the_same_status_changes_nothing(api, contract, queued, django_capture_on_commit_callbacks):
    before = Contract.objects.get(pk=contract.pk)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api.patch(detail(contract), {"negotiation_status": "draft"}, format="json")
    assert response.status_code == 200
    assert callbacks == []
    queued.assert_not_called()
    after = Contract.objects.get(pk=contract.pk)
    assert after.status_version == before.status_version
    assert after.status_changed_by == before.status_changed_by
    assert response.json()["in_sync"] is True


def test_patch_with_an_unknown_status_is_a_400_listing_the_statuses(api, contract, queued):
    response = api.patch(detail(contract), {"negotiation_status": "won"}, format="json")
    assert response.status_code == 400
    message = response.json()["negotiation_status"][0]
    assert "“won” is not a negotiation status" in message
    assert "draft, in_review, negotiating, approved, signed, rejected, cancelled" in message
    assert Contract.objects.get(pk=contract.pk).negotiation_status == "draft"
    queued.assert_not_called()


@pytest.mark.parametrize(
    "body",
    [
        {"negotiation_status": "signed", "title": "Renamed"},
        {"title": "Renamed"},
        {"negotiation_status": "signed", "deal_snapshot": {}},
        {"negotiation_status": "signed", "status_version": 99},
    ],
)
def test_patch_of_any_other_field_is_a_400_and_changes_nothing(api, contract, queued, body):
    response = api.patch(detail(contract), body, format="json")
    assert response.status_code == 400
    errors = response.json()
    for name in set(body) - {"negotiation_status"}:
        assert errors[name] == ["Cannot be changed through the API: only negotiation_status can."]
    stored = Contract.objects.get(pk=contract.pk)
    assert (stored.title, stored.negotiation_status) == ("Acme - Annual plan", "draft")
    assert stored.status_version == 0
    queued.assert_not_called()


def test_patch_without_a_status_is_a_400(api, contract):
    response = api.patch(detail(contract), {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"negotiation_status": ["This field is required."]}


def test_patch_of_another_organizations_contract_is_a_404_and_changes_nothing(api, foreign, queued):
    response = api.patch(detail(foreign), {"negotiation_status": "signed"}, format="json")
    assert response.status_code == 404
    assert Contract.objects.get(pk=foreign.pk).negotiation_status == "draft"
    queued.assert_not_called()


def test_an_organization_administrator_sets_the_status_too(django_user_model, organization, contract, queued):
    admin = django_user_model.objects.create_user("ada", "ada@example.com", "pw")
    Membership.objects.create(organization=organization, user=admin, role=Membership.Role.ADMIN)
    client = APIClient()
    client.force_authenticate(admin)
    response = client.patch(detail(contract), {"negotiation_status": "approved"}, format="json")
    assert response.status_code == 200
    assert Contract.objects.get(pk=contract.pk).status_changed_by == "api:ada"


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", LIST), ("put", "detail"), ("delete", "detail")],
)
def test_the_api_creates_replaces_and_deletes_nothing(api, contract, method, path):
    url = detail(contract) if path == "detail" else path
    response = getattr(api, method)(url, {"negotiation_status": "signed"}, format="json")
    assert response.status_code == 405
    assert Contract.objects.filter(pk=contract.pk, negotiation_status="draft").exists()


# --- authentication and permissions ------------------------------------------------------------


def test_anonymous_requests_are_401_asking_for_a_token(contract):
    client = APIClient()
    for response in (
        client.get(LIST),
        client.get(detail(contract)),
        client.patch(detail(contract), {"negotiation_status": "signed"}, format="json"),
    ):
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
    assert Contract.objects.get(pk=contract.pk).negotiation_status == "draft"


def test_a_user_of_no_organization_is_403_even_when_staff(django_user_model, contract):
    loner = django_user_model.objects.create_user("lone", "lone@example.com", "pw", is_staff=True)
    client = APIClient()
    client.force_authenticate(loner)
    assert client.get(LIST).status_code == 403
    assert client.get(detail(contract)).status_code == 403


def test_token_authentication_reads_and_writes_without_csrf(member, contract, queued):
    _, token = AuthToken.objects.create(user=member)
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert ids(client.get(LIST)) == [contract.pk]
    response = client.patch(detail(contract), {"negotiation_status": "negotiating"}, format="json")
    assert response.status_code == 200
    assert Contract.objects.get(pk=contract.pk).status_changed_by == "api:mia"


def test_an_issued_token_is_shown_once_stored_as_a_digest_and_expires(member, contract, capsys):
    call_command("create_api_token", "mia", "--days", "1")
    token = capsys.readouterr().out.strip()
    stored = AuthToken.objects.get(user=member)
    assert token.startswith("lr_") and len(token) > 40
    assert token not in (stored.digest, stored.token_key) and stored.token_key == token[:15]
    assert timedelta(hours=23) < stored.expiry - timezone.now() <= timedelta(days=1)

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert ids(client.get(LIST)) == [contract.pk]
    AuthToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))
    assert client.get(LIST).status_code == 401


def test_a_wrong_token_is_401(contract):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    assert client.get(LIST).status_code == 401


def test_a_session_reads_but_writes_only_with_the_csrf_token(member, contract, queued):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(member)
    assert ids(client.get(LIST)) == [contract.pk]

    refused = client.patch(detail(contract), {"negotiation_status": "signed"}, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert Contract.objects.get(pk=contract.pk).negotiation_status == "draft"

    client.get("/admin/login/")  # sets the CSRF cookie, as any page with a form does
    csrf = client.cookies["csrftoken"].value
    accepted = client.patch(
        detail(contract), {"negotiation_status": "signed"}, format="json", HTTP_X_CSRFTOKEN=csrf
    )
    assert accepted.status_code == 200
    assert Contract.objects.get(pk=contract.pk).negotiation_status == "signed"


# --- the OpenAPI schema ------------------------------------------------------------------------------


def test_the_schema_documents_the_contracts_endpoints_for_staff(django_user_model, client):
    staff = django_user_model.objects.create_user("staff", "staff@example.com", "pw", is_staff=True)
    client.force_login(staff)
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    listing, one = schema["paths"]["/api/v1/contracts/"], schema["paths"]["/api/v1/contracts/{id}/"]
    assert {"negotiation_status", "sync_state", "organization", "q", "page", "page_size"} <= {
        parameter["name"] for parameter in listing["get"]["parameters"]
    }
    patch = one["patch"]
    assert patch["tags"] == ["contracts"]
    assert {"200", "400", "404"} <= set(patch["responses"])
    body = patch["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    component = schema["components"]["schemas"][body]
    assert set(component["properties"]) == {"negotiation_status"}
    assert component["required"] == ["negotiation_status"]
    shown = schema["components"]["schemas"]["Contract"]["properties"]
    assert "deal_snapshot" not in shown
    assert "file" not in schema["components"]["schemas"]["ContractFile"]["properties"]


def test_the_schema_is_not_served_to_anonymous_users_or_non_staff(client, member):
    assert client.get(SCHEMA).status_code == 401  # no credentials: asked for a token
    client.force_login(member)
    assert client.get(SCHEMA).status_code == 403


def token_client(user) -> APIClient:
    _, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_the_schema_is_served_to_a_staff_members_api_token(django_user_model, member):
    staff = django_user_model.objects.create_user("stan", "stan@example.com", "pw", is_staff=True)
    response = token_client(staff).get(SCHEMA, {"format": "json"})
    assert response.status_code == 200
    assert "/api/v1/contracts/{id}/" in json.loads(response.content)["paths"]


def test_the_schema_refuses_the_api_token_of_a_non_staff_member_or_an_inactive_staff_user(
    django_user_model, member
):
    assert token_client(member).get(SCHEMA).status_code == 403
    staff = django_user_model.objects.create_user("gone", "gone@example.com", "pw", is_staff=True)
    client = token_client(staff)
    staff.is_active = False
    staff.save()
    assert client.get(SCHEMA).status_code == 401


def test_the_schema_bounds_every_parameter_and_documents_the_400s(django_user_model, client):
    staff = django_user_model.objects.create_user("staff", "staff@example.com", "pw", is_staff=True)
    client.force_login(staff)
    schema = json.loads(client.get(SCHEMA, {"format": "json"}).content)
    assert "/api/v1/schema/" not in schema["paths"]  # the schema describes the API, not itself
    listing, one = schema["paths"]["/api/v1/contracts/"]["get"], schema["paths"]["/api/v1/contracts/{id}/"]
    query = {parameter["name"]: parameter["schema"] for parameter in listing["parameters"]}
    assert (query["organization"]["minimum"], query["organization"]["maximum"]) == (1, LARGEST_ID)
    assert query["page"]["minimum"] == query["page_size"]["minimum"] == 1
    text, empty = query["q"]["oneOf"]  # text without NUL characters, or empty
    assert (text["pattern"], text["maxLength"], empty["maxLength"]) == ("^[^\\u0000]+$", 200, 0)
    assert {"400", "404"} <= set(listing["responses"])
    for operation in (one["get"], one["patch"]):
        (path_id,) = operation["parameters"]
        assert (path_id["name"], path_id["in"]) == ("id", "path")
        assert (path_id["schema"]["minimum"], path_id["schema"]["maximum"]) == (1, LARGEST_ID)
        assert "400" in operation["responses"]
    body = one["patch"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert schema["components"]["schemas"][body]["additionalProperties"] is False


def test_the_whole_projects_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/v1/contracts/{id}/" in (tmp_path / "schema.yaml").read_text()
