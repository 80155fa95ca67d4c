"""Deal attachments: notes on the deal list file ids; a signed URL fetches the bytes.

HubSpot keeps no attachment list on a deal: a file attached in the CRM is a note associated with
the deal whose ``hs_attachment_ids`` holds the file ids (HubSpot's "Notes" API guide). The Files
API's signed URL lets anyone holding it fetch the file until it expires, so it is handled as a
credential (``SignedFile``'s repr leaves it out).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, unquote, urlsplit

from crm_integrations.core.downloads import read_limited
from crm_integrations.core.environments import SANDBOX, environment_enabled
from crm_integrations.core.errors import InvalidRequest
from crm_integrations.core.http import ProviderHttpClient, build_session
from crm_integrations.core.http.outbound_urls import check_redirects, check_url

from . import normalize
from .api import HubSpotApi, hubspot_policy
from .associations import AssociationsApi
from .config import allowed_file_hosts, hubspot_settings
from .errors import parse_hubspot_error
from .objects import ObjectsApi

SIGNED_URL = "/files/v3/files/{fileId}/signed-url"
MAX_REDIRECTS = 5
NOTE_PROPERTIES = ("hs_attachment_ids", "hs_timestamp")


@dataclass(frozen=True)
class Attachment:
    """One file attached to a deal through one of its notes."""

    file_id: str
    note_id: str
    attached_at: datetime | None


@dataclass(frozen=True)
class SignedFile:
    """A URL anyone holding it may fetch until ``expires_at``: keep it out of logs."""

    file_id: str
    url: str
    expires_at: datetime | None
    name: str
    extension: str
    type: str
    size: int | None

    def __repr__(self) -> str:  # the URL is a bearer credential for the file
        return f"SignedFile(file_id={self.file_id!r}, name={self.name!r}, extension={self.extension!r})"


class FilesApi:
    def __init__(self, api: HubSpotApi, objects: ObjectsApi, associations: AssociationsApi) -> None:
        self.api = api
        self.objects = objects
        self.associations = associations

    def deal_attachments(self, deal_id: str) -> list[Attachment]:
        """Files on the deal's notes (``hs_attachment_ids``, ``;``-separated), oldest note first (2 calls)."""
        note_ids = self.associations.batch_read("deals", "notes", [str(deal_id)]).get(str(deal_id), ())
        notes = self.objects.batch_read("notes", note_ids, properties=NOTE_PROPERTIES)
        notes.sort(key=lambda note: (note.properties.get("hs_timestamp") or "", note.id))
        return [
            Attachment(
                file_id=file_id.strip(),
                note_id=note.id,
                attached_at=normalize.parse_datetime(note.properties.get("hs_timestamp")),
            )
            for note in notes
            for file_id in (note.properties.get("hs_attachment_ids") or "").split(";")
            if file_id.strip()
        ]

    def signed_url(self, file_id: str, *, expiration_seconds: int | None = None) -> SignedFile:
        params = {"expirationSeconds": expiration_seconds} if expiration_seconds else None
        body = self.api.json("GET", SIGNED_URL, path_params={"fileId": file_id}, params=params)
        size = body.get("size")
        return SignedFile(
            file_id=str(file_id),
            url=str(body["url"]),
            expires_at=normalize.parse_datetime(body.get("expiresAt")),
            name=str(body.get("name") or ""),
            extension=str(body.get("extension") or ""),
            type=str(body.get("type") or ""),
            size=int(size) if isinstance(size, int | float) else None,
        )

    def download(self, url: str, max_bytes: int) -> bytes:
        """The bytes at a signed URL, streamed; ``InvalidRequest(code="file_too_large")`` past ``max_bytes``.

        No bearer token is sent (the URL is its own credential and may point at a CDN), the file
        host gets its own circuit breaker (``<portal>:files``) and no API rate budget.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise InvalidRequest("A file URL must be an http(s) URL.", code="invalid_url")
        allowed, trusted = file_hosts()
        check_url(url, allowed_hosts=allowed, trusted_origins=trusted)
        directory, _, name = parts.path.rpartition("/")
        if quote(unquote(name), safe="") == name:  # recorded as a template, the file name left out
            endpoint, path_params = "/{fileName}", {"fileName": unquote(name)}
        else:  # sent byte for byte: re-quoting would change what the URL's signature covers
            endpoint, path_params = "/" + name.replace("{", "{{").replace("}", "}}"), None
        policy = hubspot_policy()
        session = build_session(policy.timeout)
        session.stream = True
        session.headers["Accept"] = "*/*"
        session.max_redirects = MAX_REDIRECTS
        session.hooks["response"].append(check_redirects(allowed, trusted))
        http = ProviderHttpClient(
            "hubspot",
            f"{self.api.account}:files",
            f"{parts.scheme}://{parts.netloc}{directory}",
            error_parser=parse_hubspot_error,
            policy=policy,
            session=session,
        )
        try:
            response = http.request("GET", endpoint, path_params=path_params, params=parts.query or None)
            try:
                return read_limited(response, max_bytes)
            finally:
                response.close()
        finally:
            http.close()


def file_hosts() -> tuple[list[str], list[str]]:
    """The hosts signed file URLs may point at (``HUBSPOT_FILE_HOSTS``, subdomains included), and the
    sandbox's origin when the sandbox environment is enabled (its files are served over http on
    loopback, which nothing else may be)."""
    trusted = [hubspot_settings(SANDBOX)["API_BASE_URL"]] if environment_enabled(SANDBOX) else []
    return allowed_file_hosts(), trusted
