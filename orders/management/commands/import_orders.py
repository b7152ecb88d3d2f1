"""``python manage.py import_orders FILE --merchant SLUG``"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import pluralize

from merchants.models import Merchant
from orders import importing


class Command(BaseCommand):
    help = "Import orders from a CSV file (DESIGN.md headers, or the merchant's saved mapping)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--merchant", required=True, help="The merchant's slug.")

    def handle(self, *args, file: Path, merchant: str, **options):
        owner = Merchant.objects.filter(slug=merchant).first()
        if owner is None:
            raise CommandError(f"No merchant with slug {merchant!r}.")
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from exc
        try:
            result = importing.import_csv(owner, data)
        except (importing.MappingNeeded, importing.UnreadableFile) as exc:
            raise CommandError(str(exc)) from exc
        for error in result.errors:
            self.stderr.write(f"row {error.row}: {error.reason}")
        self.stdout.write(
            f"{result.created} order{pluralize(result.created)} created, {result.updated} updated, "
            f"{len(result.errors)} row{pluralize(len(result.errors))} with errors "
            f"({result.total_rows} row{pluralize(result.total_rows)} read)."
        )
        if result.errors:
            count = len(result.errors)
            raise CommandError(
                f"{count} row{pluralize(count)} {'was' if count == 1 else 'were'} not imported "
                "(listed above)."
            )
