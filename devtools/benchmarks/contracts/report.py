"""The contract benchmarks' figures and their printed tables (no Django here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from devtools.benchmarks.harness.load import percentile


@dataclass(frozen=True)
class IntakeReport:
    deals: int  # deals moved into the workflow's stage
    interval: float  # seconds between two deals reaching it (0: all at once)
    web_workers: int
    workers: int
    broker: str
    webhooks: int  # workflow requests the app stored
    contracts: int  # of the deals, those with a contract
    created: Sequence[float]  # seconds, webhook received -> contract created, per contract
    files_expected: int
    files_stored: int
    files_identical: int  # stored files whose bytes are the CRM's (the sandbox's) byte for byte
    stored: Sequence[float]  # seconds, webhook received -> the contract's last file stored
    api_calls: int  # HubSpot calls the app made for the contracts (deal reads, files, downloads)
    notes: Sequence[str] = field(default_factory=tuple)

    @property
    def lost(self) -> int:
        return self.deals - self.contracts


def _seconds(values: Sequence[float]) -> str:
    if not values:
        return "n/a"
    return ", ".join(
        f"{name} {percentile(values, share):.2f} s"
        for name, share in (("p50", 0.5), ("p95", 0.95), ("max", 1))
    )


def _pace(interval: float) -> str:
    return f"one every {interval:.2f} s" if interval else "all at once"


def report_lines(report: IntakeReport) -> list[str]:
    per_contract = report.api_calls / report.contracts if report.contracts else 0.0
    lines = [
        f"{report.deals} deals reached the workflow's stage ({_pace(report.interval)}); "
        f"gunicorn x{report.web_workers}, "
        f"Celery x{report.workers}, {report.broker}",
        f"workflow webhooks stored                {report.webhooks}",
        f"contracts created                       {report.contracts}/{report.deals}",
        f"webhook received -> contract created    {_seconds(report.created)}",
        f"files stored                            {report.files_stored}/{report.files_expected}",
        f"stored files identical to the CRM's     {report.files_identical}/{report.files_expected}",
        f"webhook received -> files stored        {_seconds(report.stored)}",
        f"HubSpot API calls per contract          {per_contract:.1f} "
        "(deal 5, file list 2, per file: signed URL + download)",
    ]
    return lines + [f"note: {note}" for note in report.notes]


@dataclass(frozen=True)
class StatusReport:
    changes: int  # status changes made (after the warm-up)
    contracts: int  # contracts they were spread over
    interval: float  # seconds between two changes (0: all at once)
    workers: int
    broker: str
    written: int  # changes whose status the deal took (the rest were overtaken before their write)
    latencies: Sequence[float]  # seconds, status change -> deal updated, per written change
    deals_final: int  # contracts whose deal ends on the contract's latest status
    first_write: float  # seconds, the warm-up change (creates the property) -> written
    api_calls: int  # HubSpot calls for the counted changes
    notes: Sequence[str] = field(default_factory=tuple)


def status_report_lines(report: StatusReport) -> list[str]:
    per_change = report.api_calls / report.changes if report.changes else 0.0
    lines = [
        f"{report.changes} status changes over {report.contracts} contracts ({_pace(report.interval)}); "
        f"Celery x{report.workers}, {report.broker}",
        f"changes written to the deal               {report.written}/{report.changes} "
        "(the rest overtaken by a newer change first)",
        f"deals ending on the latest status         {report.deals_final}/{report.contracts}",
        f"status change -> deal updated             {_seconds(report.latencies)}",
        f"first change (property created) written   {report.first_write:.2f} s",
        f"HubSpot API calls per change              {per_change:.2f}",
    ]
    return lines + [f"note: {note}" for note in report.notes]
