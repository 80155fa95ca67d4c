"""The sandbox's responses validated against HubSpot's OpenAPI files with openapi-core.

Files are loaded from the sandbox's ``openapi/`` folder with only the response-side relaxations documented in
``validation.py`` (any server URL; property values may be null as the reference says).
"""

from __future__ import annotations

import json

import pytest
import requests
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_core.exceptions import OpenAPIError

from devtools.sandboxes.hubspot import validation
from devtools.sandboxes.hubspot.server import start_sandbox
from devtools.sandboxes.hubspot.validation import REQUEST_VALIDATED, openapi_for, spec_file_for

from .test_oauth import CLIENT, consent, exchange


def check(response: requests.Response, status: int | None = None) -> None:
    """Validate one real response against the operation its request hit."""
    if status is not None:
        assert response.status_code == status, response.text
    spec = openapi_for(spec_file_for(response.request.path_url), False)
    spec.validate_response(RequestsOpenAPIRequest(response.request), RequestsOpenAPIResponse(response))


@pytest.fixture(autouse=True)
def generous_limits(sandbox):
    sandbox.control.configure(search_rate_per_second=10_000)


def ids(api, object_type: str, count: int) -> list[str]:
    return [r["id"] for r in api.get(f"/crm/v3/objects/{object_type}?limit={count}").json()["results"]]


def test_crm_object_responses(api):
    lead_ids = ids(api, "leads", 3)
    check(
        api.get(
            f"/crm/v3/objects/leads/{lead_ids[0]}?associations=contacts,companies&propertiesWithHistory=hs_lead_name"
        ),
        200,
    )
    check(api.get("/crm/v3/objects/contacts?limit=5&properties=email,phone,mobilephone"), 200)
    check(api.get("/crm/v3/objects/contacts/1"), 404)
    check(api.post("/crm/v3/objects/leads/batch/read", {"inputs": [{"id": i} for i in lead_ids]}), 200)
    check(api.post("/crm/v3/objects/leads/batch/read", {"inputs": [{"id": "1"}, {"id": lead_ids[0]}]}), 207)
    updates = [{"id": i, "properties": {"hs_lead_label": "WARM"}} for i in lead_ids]
    check(api.post("/crm/v3/objects/leads/batch/update", {"inputs": updates}), 200)
    check(
        api.post("/crm/v3/objects/leads/batch/update", {"inputs": [*updates, {"id": "9", "properties": {}}]}),
        207,
    )
    check(api.patch(f"/crm/v3/objects/leads/{lead_ids[0]}", {"properties": {"nope": "1"}}), 400)
    search = {
        "filterGroups": [{"filters": [{"propertyName": "hs_lead_label", "operator": "EQ", "value": "WARM"}]}],
        "sorts": [{"propertyName": "createdate", "direction": "DESCENDING"}],
        "limit": 2,
        "properties": ["hs_lead_name"],
    }
    check(api.post("/crm/v3/objects/leads/search", search), 200)
    contact = {"properties": {"email": "spec.check@example.org", "firstname": "Spec"}}
    check(api.post("/crm/v3/objects/contacts", contact), 201)


def test_multi_status_batch_create_responses(api):
    lead_id = ids(api, "leads", 1)[0]

    def task(trace: str, owner: str) -> dict:
        spec = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 647}
        return {
            "properties": {
                "hs_timestamp": "2030-01-02T09:00:00Z",
                "hs_task_subject": "Call",
                "hubspot_owner_id": owner,
            },
            "associations": [{"to": {"id": lead_id}, "types": [spec]}],
            "objectWriteTraceId": trace,
        }

    owner = api.get("/crm/v3/owners?limit=1").json()["results"][0]["id"]
    check(api.post("/crm/v3/objects/tasks/batch/create", {"inputs": [task("1", owner)]}), 201)
    check(api.post("/crm/v3/objects/tasks/batch/create", {"inputs": [task("1", owner), task("2", "9")]}), 207)


def test_association_responses(api):
    lead_ids = ids(api, "leads", 2)
    check(api.get(f"/crm/v4/objects/leads/{lead_ids[0]}/associations/contacts"), 200)
    check(
        api.post(
            "/crm/v4/associations/leads/companies/batch/read", {"inputs": [{"id": i} for i in lead_ids]}
        ),
        200,
    )
    check(api.post("/crm/v4/associations/leads/companies/batch/read", {"inputs": [{"id": "3"}]}), 207)
    deal_id, contact_id = ids(api, "deals", 1)[0], ids(api, "contacts", 1)[0]
    check(api.call("PUT", f"/crm/v4/objects/deals/{deal_id}/associations/default/contacts/{contact_id}"), 200)
    labelled = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}]
    check(
        api.call("PUT", f"/crm/v4/objects/deals/{deal_id}/associations/contacts/{contact_id}", json=labelled),
        201,
    )


def test_owner_property_and_pipeline_responses(api):
    owners = api.get("/crm/v3/owners?limit=3")
    check(owners, 200)
    check(api.get(f"/crm/v3/owners/{owners.json()['results'][0]['id']}"), 200)
    check(api.get("/crm/v3/properties/leads"), 200)
    check(api.get("/crm/v3/properties/deals/dealstage"), 200)
    check(api.get("/crm/v3/properties/contacts/groups"), 200)
    check(api.get("/crm/v3/pipelines/deals"), 200)
    check(api.get("/crm/v3/pipelines/leads/lead-pipeline-id"), 200)


def test_file_responses(api):
    notes = api.post("/crm/v3/objects/notes/search", {"limit": 5, "properties": ["hs_attachment_ids"]}).json()
    file_id = notes["results"][0]["properties"]["hs_attachment_ids"].split(";")[0]
    check(api.get(f"/files/v3/files/{file_id}"), 200)
    check(api.get(f"/files/v3/files/{file_id}/signed-url?expirationSeconds=30"), 200)


@pytest.mark.parametrize("path", ["/oauth/v1/token", "/oauth/v3/token", "/oauth/2026-03/token"])
def test_oauth_token_responses(sandbox, path):
    tokens = exchange(sandbox.base_url, path, code=consent(sandbox.base_url)["code"])
    check(tokens, 200)
    refreshed = requests.post(
        sandbox.base_url + path,
        data={**CLIENT, "grant_type": "refresh_token", "refresh_token": tokens.json()["refresh_token"]},
        timeout=10,
    )
    check(refreshed, 200)


def test_oauth_introspection_responses(sandbox):
    tokens = exchange(sandbox.base_url, code=consent(sandbox.base_url)["code"]).json()
    for token in (tokens["access_token"], tokens["refresh_token"]):
        check(
            requests.post(
                sandbox.base_url + "/oauth/v3/token/introspect", data={**CLIENT, "token": token}, timeout=10
            ),
            200,
        )
    check(
        requests.get(f"{sandbox.base_url}/oauth/v1/access-tokens/{tokens['access_token']}", timeout=10), 200
    )
    check(
        requests.get(f"{sandbox.base_url}/oauth/v1/refresh-tokens/{tokens['refresh_token']}", timeout=10), 200
    )


def test_the_check_is_not_vacuous(api):
    """A real response with a required field removed must fail validation."""
    response = api.get(f"/crm/v3/objects/leads/{ids(api, 'leads', 1)[0]}")
    body = response.json()
    del body["createdAt"]
    response._content = json.dumps(body).encode()
    with pytest.raises(OpenAPIError):
        check(response)


def test_the_request_validators_are_built_when_the_sandbox_starts(monkeypatch):
    """Not by its first request: HubSpot's first answer on an API is no slower than the next, and
    built on first use the validators made a benchmark's first lead wait about 0.2 s more
    (docs/benchmarks.md, fairness, "Twelfth pass")."""
    built: list[str] = []

    def recording(name: str, for_requests: bool):
        built.append(name)
        return openapi_for(name, for_requests)

    monkeypatch.setattr(validation, "openapi_for", recording)
    start_sandbox(port=0, seed_leads=0).stop()
    assert set(built) == set(REQUEST_VALIDATED)
