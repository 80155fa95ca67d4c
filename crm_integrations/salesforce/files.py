"""An opportunity's files: ``ContentDocumentLink`` -> ``ContentDocument`` -> its latest
``ContentVersion``, whose ``VersionData`` holds the bytes.

Listing costs one SOQL query (the document's title, extension, size and latest version come along
through the ``ContentDocument`` relationship). A file is named by its version id, so a new version
uploaded to the same document is a new file on the contract and the stored one never changes. The
bytes come from ``sobjects/ContentVersion/<id>/VersionData`` at the instance, with the connection's
token, streamed under the contract workflow's size cap (crm_integrations/core/downloads.py).
"""

from __future__ import annotations

from crm_integrations.core.datetimes import parse_moment
from crm_integrations.core.downloads import content_type, read_limited
from crm_integrations.core.http import ProviderHttpClient, build_session
from crm_integrations.core.types import CrmFile

from . import limits, normalize, soql
from .api import SalesforceApi
from .config import RATE_LIMIT_KEY
from .errors import parse_salesforce_error

VERSION_DATA = "/services/data/{version}/sobjects/ContentVersion/{versionId}/VersionData"
LINK_FIELDS = (
    "ContentDocumentId",
    "ContentDocument.Title",
    "ContentDocument.FileExtension",
    "ContentDocument.ContentSize",
    "ContentDocument.LatestPublishedVersionId",
)


def file_name(title: str, extension: str, version_id: str) -> str:
    """``Title.ext`` (a title that already ends with its extension keeps it once)."""
    title, extension = title.strip(), extension.strip().lstrip(".")
    if not title:
        return f"file-{version_id}.{extension}" if extension else f"file-{version_id}"
    if extension and not title.lower().endswith(f".{extension.lower()}"):
        return f"{title}.{extension}"
    return title


def _size(value: object) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class FilesApi:
    def __init__(self, api: SalesforceApi) -> None:
        self.api = api

    def of_opportunity(self, opportunity_id: str) -> list[CrmFile]:
        """The files linked to the opportunity, oldest link first, each document once."""
        where = f"LinkedEntityId = {soql.quote(opportunity_id)}" if soql.is_id(opportunity_id) else ""
        if not where:
            return []
        query = soql.select(
            soql.field_list(["Id", "SystemModstamp", *LINK_FIELDS]),
            "ContentDocumentLink",
            where,
            " ORDER BY SystemModstamp, Id",
        )
        found: dict[str, CrmFile] = {}
        for body in self.api.query(query):
            link = normalize.flatten(body)
            version_id = str(link.get("ContentDocument.LatestPublishedVersionId") or "")
            if not version_id or version_id in found:
                continue
            name = file_name(
                str(link.get("ContentDocument.Title") or ""),
                str(link.get("ContentDocument.FileExtension") or ""),
                version_id,
            )
            found[version_id] = CrmFile(
                id=version_id,
                name=name,
                content_type=content_type(name),
                size=_size(link.get("ContentDocument.ContentSize")),
                attached_at=parse_moment(link.get("SystemModstamp")),
            )
        return list(found.values())

    def download(self, file: CrmFile, max_bytes: int) -> bytes:
        """The version's bytes, streamed; ``InvalidRequest(code="file_too_large")`` past ``max_bytes``,
        ``NotFound`` for a version Salesforce no longer has, ``RetryLater`` when it fails for now."""
        policy = self.api.http.policy
        session = build_session(policy.timeout)
        session.stream = True
        session.headers["Accept"] = "*/*"
        http = ProviderHttpClient(
            "salesforce",
            self.api.account,
            self.api.http.base_url,
            auth=self.api.auth,
            rate_limit_key=RATE_LIMIT_KEY,
            error_parser=parse_salesforce_error,
            response_hook=limits.hook_for(self.api.account),
            policy=policy,
            session=session,
        )
        try:
            response = self.api.auth.call(
                lambda: http.request(
                    "GET", VERSION_DATA, path_params={"version": self.api.version, "versionId": file.id}
                )
            )
            try:
                return read_limited(response, max_bytes)
            finally:
                response.close()
        finally:
            http.close()
