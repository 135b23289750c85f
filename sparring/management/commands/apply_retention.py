"""Apply the retention periods now (beat does it daily): see sparring/retention.py."""

from dataclasses import asdict

from django.core.management.base import BaseCommand

from sparring.retention import apply_retention


class Command(BaseCommand):
    help = "Remove personal data past its retention period (the privacy notice's periods)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would change, change nothing"
        )

    def handle(self, *, dry_run: bool, **options):
        result = apply_retention(dry_run=dry_run)
        prefix = "would change" if dry_run else "changed"
        for key, value in asdict(result).items():
            self.stdout.write(f"{prefix} {key}: {value}")
