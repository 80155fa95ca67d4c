"""Files v3: file metadata, expiring signed URLs served by the sandbox itself, and downloads.

Deal attachments are notes associated with the deal; ``hs_attachment_ids`` lists ``;``-separated file ids.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import Blueprint, Response, request

from .errors import not_found, validation_error
from .guard import guard, sandbox
from .http import reply
from .state import SandboxState, StoredFile
from .timeutil import iso

FILE_SCOPES = frozenset({"files", "files.read", "files.ui_hidden.read"})
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "exe": "application/x-msdownload",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "csv": "text/csv",
}
MAX_SIGNED_URL_SECONDS = 7 * 24 * 3600

blueprint = Blueprint("files", __name__)
signed_blueprint = Blueprint("signed_files", __name__)


def _file(file_id: str) -> tuple[int, StoredFile]:
    portal = guard(FILE_SCOPES).portal
    with sandbox().lock:
        found = portal.files.get(int(file_id)) if file_id.isdigit() else None
    if found is None:
        raise not_found()
    return portal.portal_id, found


def _signature(state: SandboxState, portal_id: int, file_id: int, expires: int) -> str:
    message = f"{portal_id}:{file_id}:{expires}".encode()
    return hmac.new(state.signing_key, message, hashlib.sha256).hexdigest()[:40]


def _download(stored: StoredFile) -> Response:
    content_type = CONTENT_TYPES.get(stored.extension, "application/octet-stream")
    response = Response(stored.content(), content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{stored.name}.{stored.extension}"'
    return response


@blueprint.get("/files/<file_id>")
def get_file(file_id: str) -> Response:
    stored = _file(file_id)[1]
    body: dict[str, Any] = {
        "id": str(stored.id),
        "name": stored.name,
        "extension": stored.extension,
        "type": stored.type,
        "size": stored.size,
        "access": stored.access,
        "archived": False,
        "createdAt": iso(stored.created_ms),
        "updatedAt": iso(stored.created_ms),
        "path": f"/crm-attachments/{stored.name}.{stored.extension}",
        "parentFolderId": "1",
        "url": f"{request.host_url}files/v3/files/{stored.id}/download",
        "fileMd5": stored.md5(),
        "isUsableInContent": False,
    }
    return reply(body)


@blueprint.get("/files/<file_id>/signed-url")
def signed_url(file_id: str) -> Response:
    portal_id, stored = _file(file_id)
    state = sandbox()
    seconds = request.args.get("expirationSeconds", str(state.config.signed_url_default_ttl))
    if not seconds.isdigit() or not 0 < int(seconds) <= MAX_SIGNED_URL_SECONDS:
        raise validation_error(f"expirationSeconds must be between 1 and {MAX_SIGNED_URL_SECONDS}.")
    expires = int(state.clock.time()) + int(seconds)
    signature = _signature(state, portal_id, stored.id, expires)
    url = (
        f"{request.host_url}hubfs/signed/{portal_id}/{stored.id}/{stored.name}.{stored.extension}"
        f"?Expires={expires}&Signature={signature}"
    )
    body = {
        "url": url,
        "expiresAt": iso(expires * 1000),
        "name": stored.name,
        "extension": stored.extension,
        "type": stored.type,
        "size": stored.size,
    }
    return reply(body)


@blueprint.get("/files/<file_id>/download")
def download(file_id: str) -> Response:
    return _download(_file(file_id)[1])


@signed_blueprint.get("/hubfs/signed/<int:portal_id>/<int:file_id>/<path:filename>")
def signed_download(portal_id: int, file_id: int, filename: str) -> Response:
    """Anyone holding an unexpired signed URL may fetch the bytes (no bearer token)."""
    state = sandbox()
    expires = request.args.get("Expires", "")
    given = request.args.get("Signature", "")
    valid = expires.isdigit() and hmac.compare_digest(
        given, _signature(state, portal_id, file_id, int(expires))
    )
    if not valid:
        return Response("AccessDenied: signature does not match", status=403, content_type="text/plain")
    if int(expires) < state.clock.time():
        return Response("AccessDenied: Request has expired", status=403, content_type="text/plain")
    with state.lock:
        stored = state.portals.get(portal_id) and state.portals[portal_id].files.get(file_id)
    if not stored:
        return Response("NoSuchKey", status=404, content_type="text/plain")
    return _download(stored)
