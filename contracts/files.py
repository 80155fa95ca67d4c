"""A contract's files: the deal's attachments downloaded, checked and stored through Django's storage.

Every file the deal has gets one ``ContractFile`` row (keyed by the CRM's file id, so the same file
twice is one row). Stored and refused files are done; a file whose download failed for now stays
pending and is tried again by the next run (``retry_in`` says when), up to
``CONTRACT_FILE_ATTEMPTS`` tries, then it is marked failed with the last error — until the deal is
sent again (``contract_files_retry_failed``), which gives failed files a fresh set of tries.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import F
from django.utils import timezone

from crm_integrations.core import registry
from crm_integrations.core.client import CrmClient
from crm_integrations.core.errors import AuthRevoked, CrmError, InvalidRequest, NotFound
from crm_integrations.core.types import CrmFile

from . import file_rules
from .models import Contract, ContractFile, FileState, file_path

DONE = (FileState.STORED, FileState.REFUSED, FileState.FAILED)
#: The longest wait between two runs for the same contract's files.
MAX_RETRY_SECONDS = 3600.0


@dataclass(frozen=True)
class FilesResult:
    states: dict[str, int]  # FileState value -> files of the contract in it
    retry_in: float | None = None  # seconds until pending files should be tried again

    def __str__(self) -> str:
        return ", ".join(f"{count} {state}" for state, count in sorted(self.states.items())) or "no files"


def contract_files_fetch(*, contract_id: int) -> FilesResult:
    """Download what the deal has and the contract does not yet (idempotent). ``RetryLater`` from
    listing the files and ``AuthRevoked`` are raised: the task waits, or staff reconnect."""
    contract = Contract.objects.select_related("connection__integration").get(pk=contract_id)
    if contract.connection is None:
        return FilesResult(_states(contract))
    client = registry.get_client(contract.connection)
    waits: list[float] = []
    for crm_file in client.deal_files(contract.external_id):
        row = _row(contract, crm_file)
        if row.state not in DONE:
            wait = _take(client, row, crm_file)
            if wait is not None:
                waits.append(wait)
    return FilesResult(_states(contract), max(waits) if waits else None)


def contract_files_retry_failed(contract_id: int) -> int:
    """Failed files get a fresh set of tries (the deal was sent again); how many. Refused files
    stay refused: their type, size or content does not change by asking again."""
    return ContractFile.objects.filter(contract_id=contract_id, state=FileState.FAILED).update(
        state=FileState.PENDING,
        state_reason="tried again: the deal was sent again",
        attempts=0,
        updated_at=timezone.now(),
    )


def _row(contract: Contract, crm_file: CrmFile) -> ContractFile:
    row, _ = ContractFile.objects.get_or_create(
        contract=contract,
        external_id=crm_file.id,
        defaults={"name": crm_file.name[:255], "content_type": crm_file.content_type, "size": crm_file.size},
    )
    return row


def _take(client: CrmClient, row: ContractFile, crm_file: CrmFile) -> float | None:
    """Check, download and store one file; the seconds to wait before trying again, if it should be."""
    refusal = file_rules.declared_refusal(crm_file.content_type, crm_file.size)
    if refusal:
        _settle(row, FileState.REFUSED, refusal)
        return None
    try:
        content = client.download_file(crm_file, settings.CONTRACT_FILE_MAX_BYTES)
    except AuthRevoked:
        raise
    except InvalidRequest as error:
        if error.code == "file_too_large":
            _settle(row, FileState.REFUSED, file_rules.too_large())
        else:
            _settle(row, FileState.FAILED, f"the CRM refused the download: {error.message}", tried=True)
        return None
    except NotFound:
        _settle(row, FileState.FAILED, "the CRM no longer has this file", tried=True)
        return None
    except CrmError as error:  # RetryLater (the file host failed for now), or an error it had not seen
        return _failed_for_now(row, error)
    refusal = file_rules.content_refusal(crm_file.content_type, content)
    if refusal:
        _settle(row, FileState.REFUSED, refusal, tried=True)
        return None
    _store(row, content)
    return None


def _failed_for_now(row: ContractFile, error: CrmError) -> float | None:
    attempts = row.attempts + 1
    reason = f"download {attempts} of {settings.CONTRACT_FILE_ATTEMPTS} failed: {error.message}"
    if attempts >= settings.CONTRACT_FILE_ATTEMPTS:
        _settle(row, FileState.FAILED, reason, tried=True)
        return None
    _settle(row, FileState.PENDING, f"{reason}; tried again later", tried=True)
    backoff = settings.CONTRACT_FILE_RETRY_SECONDS * 2 ** (attempts - 1)
    return min(MAX_RETRY_SECONDS, max(backoff, getattr(error, "retry_after", 0.0)))


def _store(row: ContractFile, content: bytes) -> None:
    """Write the bytes, then claim the row; when another worker stored it first, ours is removed."""
    storage = row.file.storage
    name = storage.save(file_path(row, row.name), ContentFile(content))
    claimed = (
        ContractFile.objects.filter(pk=row.pk)
        .exclude(state__in=DONE)
        .update(
            file=name,
            size=len(content),
            checksum=hashlib.sha256(content).hexdigest(),
            state=FileState.STORED,
            state_reason="",
            attempts=F("attempts") + 1,
            stored_at=timezone.now(),
            updated_at=timezone.now(),
        )
    )
    if not claimed:
        storage.delete(name)


def _settle(row: ContractFile, state: str, reason: str, *, tried: bool = False) -> None:
    changes: dict[str, Any] = {"state": state, "state_reason": reason, "updated_at": timezone.now()}
    if tried:
        changes["attempts"] = F("attempts") + 1
    ContractFile.objects.filter(pk=row.pk).exclude(state__in=DONE).update(**changes)


def _states(contract: Contract) -> dict[str, int]:
    states: dict[str, int] = {}
    for state in contract.files.values_list("state", flat=True):
        states[state] = states.get(state, 0) + 1
    return states
