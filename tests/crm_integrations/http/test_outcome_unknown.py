"""A write whose answer never came is "outcome unknown", not retried; one that never left is retried.

The errors are the ones ``requests`` raises for each case: a connect timeout, a refused connection
(``MaxRetryError`` over ``NewConnectionError``: nothing sent), a read timeout and a connection reset
while reading the answer (``ProtocolError``: sent).
"""

from __future__ import annotations

import pytest
import requests
import responses
from urllib3.connection import HTTPConnection
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from crm_integrations.core.errors import OutcomeUnknown, ProviderUnavailable
from crm_integrations.core.http import HttpPolicy
from crm_integrations.core.http.session import may_have_been_sent
from crm_integrations.models import ProviderApiCall

from .support import BASE_URL, make_policy

BATCH_UPDATE = "/crm/v3/objects/{objectType}/batch/update"
URL = f"{BASE_URL}/crm/v3/objects/leads/batch/update"


def refused() -> requests.ConnectionError:
    """What requests raises when the connection is refused: nothing was sent."""
    reason = NewConnectionError(HTTPConnection("api.hubapi.com"), "[Errno 111] Connection refused")
    return requests.ConnectionError(MaxRetryError(None, URL, reason))


def reset_after_sending() -> requests.ConnectionError:
    """What requests raises when the connection is reset while the answer is awaited."""
    return requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError(104, "reset")))


def post(client, **kwargs):
    return client.request(
        "POST", BATCH_UPDATE, path_params={"objectType": "leads"}, json={"inputs": []}, **kwargs
    )


@pytest.mark.parametrize(
    ("error", "sent"),
    [
        (requests.ConnectTimeout("connect"), False),
        (refused(), False),
        (requests.ReadTimeout("read"), True),
        (reset_after_sending(), True),
        (requests.exceptions.ChunkedEncodingError("cut mid-body"), True),
    ],
)
def test_what_may_have_reached_the_provider(error, sent):
    assert may_have_been_sent(error) is sent


@pytest.mark.parametrize("error", [requests.ReadTimeout("read"), reset_after_sending()])
@responses.activate
def test_a_post_whose_answer_never_came_is_outcome_unknown_and_sent_once(make_client, fake_sleep, error):
    responses.add(responses.POST, URL, body=error)
    responses.add(responses.POST, URL, json={"results": []})

    with pytest.raises(OutcomeUnknown) as raised:
        post(make_client())

    assert len(responses.calls) == 1  # not repeated: it may have been applied
    assert fake_sleep.calls == []
    assert "may have been applied" in str(raised.value)
    assert ProviderApiCall.objects.get().error_kind in {"timeout", "connection_error"}


@pytest.mark.parametrize("error", [requests.ConnectTimeout("connect"), refused()])
@responses.activate
def test_a_post_that_never_left_is_retried(make_client, fake_sleep, error):
    responses.add(responses.POST, URL, body=error)
    responses.add(responses.POST, URL, json={"results": []})

    assert post(make_client()).json() == {"results": []}
    assert len(responses.calls) == 2


@responses.activate
def test_a_read_timeout_on_an_idempotent_call_is_retried_and_not_outcome_unknown(make_client, fake_sleep):
    for _ in range(3):
        responses.add(responses.POST, URL, body=requests.ReadTimeout("read"))

    with pytest.raises(ProviderUnavailable) as raised:
        post(make_client(), idempotent=True)

    assert not isinstance(raised.value, OutcomeUnknown)
    assert len(responses.calls) == 3


@responses.activate
def test_a_batch_write_gets_the_shorter_write_read_timeout(make_client):
    responses.add(responses.POST, URL, json={"results": []})
    responses.add(responses.POST, URL, json={"results": []})
    client = make_client(policy=make_policy(read_timeout=30.0, write_read_timeout=2.0))

    post(client, write=True)
    post(client)

    assert [call.request.req_kwargs["timeout"] for call in responses.calls] == [(1.5, 2.0), (1.5, 30.0)]


def test_the_write_read_timeout_comes_from_settings(settings):
    settings.CRM_HTTP = {**settings.CRM_HTTP, "WRITE_READ_TIMEOUT": 3.5, "CONNECT_TIMEOUT": 2.0}

    assert HttpPolicy.from_settings().write_timeout == (2.0, 3.5)
