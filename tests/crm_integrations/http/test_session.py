"""(connect, read) timeouts reach requests on every call."""

from __future__ import annotations

import requests
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


def test_the_environment_is_read_once_per_scheme_and_host_and_still_applies(monkeypatch):
    """requests reads proxies and ``no_proxy`` from the environment on every call; the session reads
    them once per scheme and host, with the same outcome."""
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "internal.example")
    reads: list[str] = []
    real = requests.sessions.get_environ_proxies

    def counted(url: str, no_proxy: str | None = None) -> dict[str, str]:
        reads.append(url)
        return real(url, no_proxy=no_proxy)

    monkeypatch.setattr(requests.sessions, "get_environ_proxies", counted)
    session = build_session((1.0, 4.0))

    def merged(url: str, verify: bool | None = None) -> dict:
        return session.merge_environment_settings(url, {}, None, verify, None)

    first = merged("https://api.hubapi.com/crm/v3/objects/leads/batch/read")
    again = merged("https://api.hubapi.com/crm/v4/associations/leads/contacts/batch/read")
    inside = merged("https://internal.example/hook")

    assert first["proxies"]["https"] == again["proxies"]["https"] == "http://proxy.example:3128"
    assert "https" not in inside["proxies"]  # no_proxy still bypasses the proxy
    assert len(reads) == 2  # once for each host, not once a call
    first["proxies"]["https"] = "http://changed.example"  # a caller's copy, not the session's
    assert merged("https://api.hubapi.com/other")["proxies"]["https"] == "http://proxy.example:3128"
    assert merged("https://api.hubapi.com/other", verify=False)["verify"] is False  # given: as requests
    assert len(reads) == 3  # an explicit argument is merged afresh
