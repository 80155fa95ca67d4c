"""Downloads from signed URLs: size limits while streaming, no bearer token, the URL sent byte for byte."""

from __future__ import annotations

import io

import pytest
import responses

from crm_integrations.core.errors import InvalidRequest
from crm_integrations.core.http import outbound_urls
from crm_integrations.models import ProviderApiCall

from .conftest import OFFLINE_API

CDN = "https://cdn2.hubspotusercontent-na1.net/hubfs/101/attachments"
#: What the file hosts resolve to here (no DNS in tests): a public address, unless a test says otherwise.
PUBLIC_ADDRESS = "93.184.216.34"


@pytest.fixture(autouse=True)
def resolved(monkeypatch):
    """Host -> addresses as the download's SSRF check sees them (core/http/outbound_urls.py)."""
    addresses: dict[str, list[str]] = {}
    monkeypatch.setattr(outbound_urls, "_resolve", lambda host, port: addresses.get(host, [PUBLIC_ADDRESS]))
    return addresses


def test_a_small_file_is_returned_without_sending_the_bearer_token(offline_client, mocked):
    query = "Expires=1767225600&Signature=ab%2Fcd%2B%3D&Key-Pair-Id=K1"
    mocked.get(f"{CDN}/Signed-order-form.pdf", body=b"%PDF-1.4 tiny", content_type="application/pdf")

    content = offline_client.download(f"{CDN}/Signed-order-form.pdf?{query}", max_bytes=1000)

    assert content == b"%PDF-1.4 tiny"
    request = mocked.calls[0].request
    assert "Authorization" not in request.headers
    assert request.url == f"{CDN}/Signed-order-form.pdf?{query}"  # the signature's bytes untouched
    call = ProviderApiCall.objects.get()
    assert (call.account, call.endpoint) == ("101:files", "/{fileName}")  # no file name, no signature


def test_a_file_name_that_would_be_requoted_is_sent_as_it_is(offline_client, mocked):
    url = f"{CDN}/Quote%20(v2).pdf?Signature=x"
    mocked.get(f"{CDN}/Quote%20(v2).pdf", body=b"quote")

    assert offline_client.download(url, max_bytes=100) == b"quote"
    assert mocked.calls[0].request.url == url


def test_a_declared_size_over_the_limit_is_refused_before_reading(offline_client, mocked):
    mocked.get(f"{CDN}/big.pdf", body=b"x" * 5000, headers={"Content-Length": "5000"})

    with pytest.raises(InvalidRequest) as raised:
        offline_client.download(f"{CDN}/big.pdf", max_bytes=4999)

    assert raised.value.code == "file_too_large"


class EndlessBytes(io.RawIOBase):
    """A body of ``size`` bytes that counts how many were actually read."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = min(len(buffer), self.left)
        buffer[:count] = b"y" * count
        self.left -= count
        self.served += count
        return count


def test_an_undeclared_size_is_counted_while_streaming_and_reading_stops(offline_client, mocked):
    body = EndlessBytes(50_000_000)
    mocked.get(f"{CDN}/streamed.bin", body=io.BufferedReader(body), auto_calculate_content_length=False)

    with pytest.raises(InvalidRequest) as raised:
        offline_client.download(f"{CDN}/streamed.bin", max_bytes=120_000)

    assert raised.value.code == "file_too_large"
    assert body.served < 1_000_000  # stopped soon after the limit, not after 50 MB


def test_an_expired_signed_url_is_an_invalid_request(offline_client, mocked):
    mocked.get(f"{CDN}/old.pdf", status=403, body="AccessDenied: Request has expired")

    with pytest.raises(InvalidRequest) as raised:
        offline_client.download(f"{CDN}/old.pdf?Signature=x", max_bytes=100)

    assert raised.value.status == 403 and "Signature" not in str(raised.value)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://cdn/x", "/files/v3/files/1/download"])
def test_only_http_urls_are_fetched(offline_client, url):
    with pytest.raises(InvalidRequest, match="http"):
        offline_client.download(url, max_bytes=100)


def test_a_signed_url_names_the_file_and_its_expiry(offline_client, mocked):
    mocked.get(
        f"{OFFLINE_API}/files/v3/files/77/signed-url",
        match=[responses.matchers.query_param_matcher({"expirationSeconds": "300"})],
        json={
            "url": f"{CDN}/a.pdf?Signature=s",
            "expiresAt": "2026-01-01T00:05:00.000Z",
            "name": "a",
            "extension": "pdf",
            "type": "DOCUMENT",
            "size": 12,
        },
    )

    signed = offline_client.file_signed_url("77", expiration_seconds=300)

    assert (signed.name, signed.extension, signed.size) == ("a", "pdf", 12)
    assert signed.expires_at.isoformat() == "2026-01-01T00:05:00+00:00"
    assert signed.url not in repr(signed)


# --- no request to our own network (SSRF) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://cdn2.hubspotusercontent-na1.net/hubfs/a.pdf", "only https"),
        ("https://attacker.example/a.pdf", "not one of the CRM's file hosts"),
        ("https://hubspotusercontent-na1.net.attacker.example/a.pdf", "not one of the CRM's file hosts"),
        ("https://user:pw@cdn2.hubspotusercontent-na1.net/a.pdf", "carries credentials"),
    ],
)
def test_a_url_off_the_crms_file_hosts_is_refused_before_any_request(offline_client, mocked, url, reason):
    with pytest.raises(InvalidRequest, match=reason) as raised:
        offline_client.download(url, max_bytes=100)
    assert raised.value.code == "unsafe_url" and not mocked.calls


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.1.2.3", "172.16.0.5", "192.168.1.1", "169.254.169.254", "::1", "224.0.0.1",
                "::ffff:127.0.0.1", "0.0.0.0", "fd00::1"],  # noqa: S104
)  # fmt: skip
def test_a_file_host_resolving_to_a_private_address_is_refused(offline_client, mocked, resolved, address):
    resolved["cdn2.hubspotusercontent-na1.net"] = [PUBLIC_ADDRESS, address]
    with pytest.raises(InvalidRequest, match="non-public address") as raised:
        offline_client.download(f"{CDN}/a.pdf", max_bytes=100)
    assert raised.value.code == "unsafe_url" and not mocked.calls


def test_a_redirect_is_checked_at_every_hop(offline_client, mocked, resolved):
    resolved["evil.hubspotusercontent-na1.net"] = ["169.254.169.254"]
    mocked.get(
        f"{CDN}/a.pdf", status=302, headers={"Location": "https://cdn2.hubspotusercontent-na1.net/b.pdf"}
    )
    mocked.get(
        "https://cdn2.hubspotusercontent-na1.net/b.pdf",
        status=302,
        headers={"Location": "https://evil.hubspotusercontent-na1.net/meta"},
    )

    with pytest.raises(InvalidRequest, match="non-public address"):
        offline_client.download(f"{CDN}/a.pdf", max_bytes=100)
    assert [call.request.url for call in mocked.calls] == [
        f"{CDN}/a.pdf",
        "https://cdn2.hubspotusercontent-na1.net/b.pdf",
    ]


def test_a_redirect_to_another_file_host_is_followed(offline_client, mocked):
    mocked.get(f"{CDN}/a.pdf", status=301, headers={"Location": "https://f.hubspotusercontent-eu1.net/a.pdf"})
    mocked.get("https://f.hubspotusercontent-eu1.net/a.pdf", body=b"%PDF moved")
    assert offline_client.download(f"{CDN}/a.pdf", max_bytes=100) == b"%PDF moved"
