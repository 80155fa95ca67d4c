"""A CRM call's spans (crm_integrations/core/http/tracing.py): one per attempt, with provider,
account, method, endpoint template, attempt and status; the wait for the rate-limit budget inside
it; never the URL, query, headers or body, and no raw-URL span of the requests instrumentation."""

import responses
from opentelemetry.trace import SpanKind, StatusCode

from tests.crm_integrations.http.conftest import fake_sleep, limiter_url, make_client  # noqa: F401 - fixtures
from tests.crm_integrations.http.support import PATH_PARAMS, TEMPLATE, URL

TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"


def bearer(prepared):
    prepared.headers["Authorization"] = f"Bearer {TOKEN}"
    return prepared


@responses.activate
def test_each_attempt_is_a_span_with_safe_attributes_only(make_client, spans):  # noqa: F811
    responses.add(responses.GET, URL, status=429, headers={"Retry-After": "1"})
    responses.add(responses.GET, URL, json={"id": "7", "secret": TOKEN})

    make_client(auth=bearer).request("GET", TEMPLATE, path_params=PATH_PARAMS, params={"api_key": TOKEN})

    finished = spans.get_finished_spans()
    calls = sorted((s for s in finished if s.name == "crm.call"), key=lambda s: s.attributes["crm.attempt"])
    assert [dict(s.attributes) for s in calls] == [
        {
            "crm.provider": "hubspot",
            "crm.account": "12345",
            "http.request.method": "GET",
            "crm.endpoint": TEMPLATE,
            "crm.attempt": attempt,
            "http.response.status_code": status,
            **({"crm.error_kind": "rate_limited"} if status == 429 else {}),
        }
        for attempt, status in ((1, 429), (2, 200))
    ]
    assert [s.status.status_code for s in calls] == [StatusCode.ERROR, StatusCode.UNSET]
    waits = [s for s in finished if s.name == "crm.rate_limit_wait"]
    assert [w.parent.span_id for w in waits] == [c.context.span_id for c in calls]
    assert not [s for s in finished if s.kind is SpanKind.CLIENT]  # requests' own span: suppressed
    assert not [s for s in finished for value in s.attributes.values() if TOKEN in str(value)]
