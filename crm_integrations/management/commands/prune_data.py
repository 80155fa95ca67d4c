"""Apply the data retention now, or (``--dry-run``) show what each retention would remove."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from crm_integrations import pruning, rollups


class Command(BaseCommand):
    help = (
        "Prune data past its retention (DATA_RETENTION settings), in small batches; "
        "--dry-run only counts what each retention would remove."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count, change nothing")
        parser.add_argument(
            "--max-batches", type=int, default=None, help="Stop each retention after this many batches"
        )

    def handle(self, *args: Any, dry_run: bool, max_batches: int | None, **options: Any) -> None:
        if dry_run:
            for preview in pruning.preview():
                policy = preview.policy
                if preview.cutoff is None:
                    self.stdout.write(f"{policy.label}: kept for ever ({policy.setting} is 0)")
                    continue
                self.stdout.write(
                    f"{policy.label}: would {policy.verb} {preview.rows:,} row(s) older than "
                    f"{policy.days} day(s) (before {preview.cutoff:%Y-%m-%d %H:%M} UTC)"
                )
            return
        hours = rollups.roll_up()
        self.stdout.write(f"Rolled up {hours} hour(s) of provider call records.")
        for policy in pruning.all_policies():
            done = pruning.run_policy(policy, max_batches=max_batches)
            self.stdout.write(f"{policy.label}: {policy.verb}d {done:,} row(s)")
