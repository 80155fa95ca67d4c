from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from crm_integrations.core.crypto.keyring import get_keyring
from crm_integrations.core.crypto.rotation import encrypted_columns, rotate_column, stale_rows


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted value with the newest key in ENCRYPTION_KEYS (the first one). "
        "Safe to stop and run again: finished batches stay done, nothing is lost."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        keyring = get_keyring()
        columns = encrypted_columns()
        total = sum(stale_rows(column).count() for column in columns)
        self.stdout.write(f"Re-encrypting {total} value(s) to key '{keyring.primary_id}'.")
        rewritten = 0
        with tqdm(total=total, unit="value", disable=options["verbosity"] == 0) as progress:
            for column in columns:
                progress.set_description(column.label)
                rewritten += rotate_column(column, batch_size=batch_size, on_batch=progress.update)
        left = sum(stale_rows(column).count() for column in columns)
        self.stdout.write(
            self.style.SUCCESS(f"Done: {rewritten} value(s) re-encrypted, {left} left on older keys.")
        )
