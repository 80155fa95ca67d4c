"""The query side of the REST API: ``query`` / ``queryAll`` with ``nextRecordsUrl`` paging (the frozen
result kept as a cursor that lives ``cursor_ttl``) and Get Updated. rest.py has the rest."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from . import soql, soql_run
from .errors import SfError, malformed_query
from .guard import api_version as _version
from .guard import sandbox
from .ids import QUERY_LOCATOR_PREFIX, make_id
from .records import object_or_404
from .state import Cursor, SandboxState, sf_datetime

blueprint = Blueprint("salesforce_rest_query", __name__)


# --- query ---------------------------------------------------------------------------------------------
@blueprint.get("/services/data/v<version>/query", strict_slashes=False)
@blueprint.get("/services/data/v<version>/queryAll", strict_slashes=False, endpoint="query_all")
def query(version: str) -> Response:
    text = request.args.get("q")
    if not text:
        raise malformed_query("A query string (q) is required")
    parsed = soql.parse(text)
    state = sandbox()
    include_deleted = request.path.rstrip("/").endswith("queryAll")
    with state.lock:
        total, rows = soql_run.run(state, parsed, _version(), include_deleted=include_deleted)
        return jsonify(_page(state, total, rows, _batch_size(state)))


def _batch_size(state: SandboxState) -> int:
    """The org's batch, lowered (never raised) by ``Sforce-Query-Options: batchSize=N`` (200..2000)."""
    batch = state.config.query_batch_size
    option = request.headers.get("Sforce-Query-Options", "")
    for part in option.split(","):
        key, _, value = part.strip().partition("=")
        if key == "batchSize" and value.isdigit():
            batch = min(batch, max(200, min(int(value), 2000)))
    return batch


def _page(state: SandboxState, total: int, rows: list[dict[str, Any]], batch: int) -> dict[str, Any]:
    if len(rows) <= batch:
        return {"totalSize": total, "done": True, "records": rows}
    state.counters[QUERY_LOCATOR_PREFIX] = state.counters.get(QUERY_LOCATOR_PREFIX, 0) + 1
    locator = make_id(QUERY_LOCATOR_PREFIX, state.counters[QUERY_LOCATOR_PREFIX])
    state.cursors[locator] = Cursor(rows, batch, state.clock.time() + state.config.cursor_ttl)
    return {
        "totalSize": total,
        "done": False,
        "nextRecordsUrl": f"/services/data/v{_version()}/query/{locator}-{batch}",
        "records": rows[:batch],
    }


@blueprint.get("/services/data/v<version>/query/<locator>", strict_slashes=False)
@blueprint.get(
    "/services/data/v<version>/queryAll/<locator>", strict_slashes=False, endpoint="query_all_more"
)
def query_more(version: str, locator: str) -> Response:
    key, _, offset_text = locator.partition("-")
    state = sandbox()
    with state.lock:
        cursor = state.cursors.get(key)
        if cursor is None or not offset_text.isdigit() or cursor.expires <= state.clock.time():
            raise SfError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        offset = int(offset_text)
        page = cursor.rows[offset : offset + cursor.batch]
        body: dict[str, Any] = {
            "totalSize": len(cursor.rows),
            "done": offset + cursor.batch >= len(cursor.rows),
        }
        if not body["done"]:
            body["nextRecordsUrl"] = f"/services/data/v{_version()}/query/{key}-{offset + cursor.batch}"
        else:
            state.cursors.pop(key, None)
        body["records"] = page
        return jsonify(body)


@blueprint.get("/services/data/v<version>/sobjects/<name>/updated", strict_slashes=False)
def get_updated(version: str, name: str) -> Response:
    """Get Updated: ids whose ``SystemModstamp`` is in ``[start, end)`` (seconds ignored), the last 30
    days only."""
    obj = object_or_404(name)
    state = sandbox()
    try:
        start, end = (soql.datetime_ms(request.args[key]) // 60_000 * 60_000 for key in ("start", "end"))
    except (KeyError, ValueError):
        raise SfError(400, "MISSING_ARGUMENT", "start and end must be ISO-8601 datetimes") from None
    if end <= start or start < state.clock.now_ms() - 30 * 86_400_000:
        raise SfError(400, "INVALID_REPLICATION_DATE", "start must be before end and within the last 30 days")
    with state.lock:
        ids = [
            record["Id"]
            for record in state.records[obj.name].values()
            if not record.get("IsDeleted") and start <= soql.datetime_ms(record["SystemModstamp"]) < end
        ]
    return jsonify({"ids": ids, "latestDateCovered": sf_datetime(end)})
