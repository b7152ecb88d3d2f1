"""Re-encrypt every stored secret with the newest FIELD_ENCRYPTION_KEYS key.

Run after putting a new key first in FIELD_ENCRYPTION_KEYS; once it has run, the old keys
can be removed from the list.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from merchants import crypto


class Command(BaseCommand):
    help = "Re-encrypt every stored secret (carrier passwords, codes) with the newest key."

    def handle(self, *args, **options):
        total = 0
        for label, count in crypto.reencrypt_all().items():
            self.stdout.write(f"{label}: {count} secret(s) re-encrypted")
            total += count
        self.stdout.write(self.style.SUCCESS(f"Done: {total} secret(s) now use the newest key."))
