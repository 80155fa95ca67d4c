"""(connect, read) timeouts reach requests on every call."""

from __future__ import annotations

import responses
from django.test import override_settings

from crm_integrations.core.http import HttpPolicy, ProviderHttpClient, build_session

from .support import BASE_URL, PATH_PARAMS, TEMPLATE, URL


@responses.activate
def test_the_client_passes_connect_and_read_timeouts(make_client):
    responses.add(responses.GET, URL, json={})
    make_client().request("GET", TEMPLATE, path_params=PATH_PARAMS)
    assert responses.calls[0].request.req_kwargs["timeout"] == (1.5, 7.0)


@responses.activate
def test_timeouts_come_from_settings_by_default(db):
    crm_http = {"CONNECT_TIMEOUT": 2.5, "READ_TIMEOUT": 12.0, "MAX_INLINE_WAIT": 10.0}
    responses.add(responses.GET, URL, json={})
    with override_settings(CRM_HTTP=crm_http):
        policy = HttpPolicy.from_settings()
        client = ProviderHttpClient("hubspot", "12345", BASE_URL)  # no rate limit key: no limiter
        client.request("GET", TEMPLATE, path_params=PATH_PARAMS)
    assert policy.timeout == (2.5, 12.0)
    assert responses.calls[0].request.req_kwargs["timeout"] == (2.5, 12.0)


@responses.activate
def test_the_session_applies_its_timeouts_to_direct_use():
    responses.add(responses.GET, URL, json={})
    build_session((1.0, 4.0)).get(URL)
    assert responses.calls[0].request.req_kwargs["timeout"] == (1.0, 4.0)
