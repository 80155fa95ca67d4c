import io
import logging

import pytest

from crm_integrations.core.redaction import MASK, redact_mapping, redact_text

SECRET = "pat-na1-9f8e7d6c-SECRET"


@pytest.fixture
def console_output():
    """What the configured console handler (with its redaction filter) actually writes."""
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(type(f).__name__ == "RedactSecretsFilter" for f in h.filters)
    )
    stream = io.StringIO()
    original = handler.setStream(stream)
    yield stream
    handler.setStream(original)


@pytest.mark.parametrize(
    "message",
    [
        f"calling with Authorization: Bearer {SECRET}",
        f"POST /oauth/v3/token body=grant_type=refresh_token&refresh_token={SECRET}&client_secret={SECRET}",
        f'token response {{"access_token": "{SECRET}", "expires_in": 1800}}',
        f"GET /x?access_token={SECRET}&limit=10",
        f"stored enc1$k1${SECRET.replace('-', '_')}",
    ],
)
def test_secrets_never_reach_the_log_output(console_output, message):
    logging.getLogger("crm_integrations.anything").warning("%s", message)
    written = console_output.getvalue()
    assert MASK in written
    assert "SECRET" not in written


def test_exceptions_in_logs_are_redacted_too(console_output):
    try:
        raise RuntimeError(f"refresh failed for refresh_token={SECRET}")
    except RuntimeError:
        logging.getLogger("crm_integrations").exception("boom")
    assert "SECRET" not in console_output.getvalue()
    assert "RuntimeError" in console_output.getvalue()


def test_redact_mapping_masks_secret_keys_recursively_and_keeps_the_rest():
    data = {"Authorization": "Bearer x", "nested": {"client_secret": "s", "portal": 42}, "note": "ok"}
    assert redact_mapping(data) == {
        "Authorization": MASK,
        "nested": {"client_secret": MASK, "portal": 42},
        "note": "ok",
    }


def test_plain_text_is_left_alone():
    assert redact_text("lead 42 routed to rep 7") == "lead 42 routed to rep 7"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("GET /callback?code=na1-2f0c-77aa&state=s", "GET /callback?code=[redacted]&state=s"),
        ("code=4f1c9e0b2d7a4c6e8f0a1b2c3d4e5f60", "code=[redacted]"),
        (
            "HubSpot said no (code=rate_limited, status=429)",
            "HubSpot said no (code=rate_limited, status=429)",
        ),
        (
            "InvalidRequest: The file URL was refused. code=unsafe_url",
            "InvalidRequest: The file URL was refused. code=unsafe_url",
        ),
    ],
)
def test_oauth_codes_are_masked_but_our_error_codes_stay_readable(text, shown):
    assert redact_text(text) == shown


def test_credentials_in_a_urls_userinfo_are_masked():
    assert redact_text("Error 111 connecting to redis://app:s3cr3t@cache:6379/2.") == (
        "Error 111 connecting to redis://[redacted]@cache:6379/2."
    )
