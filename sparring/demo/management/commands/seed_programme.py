"""Replay the 2021–2022 programme through the real flow (see sparring/programme.py)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sparring.demo.programme import Replay, SeedError
from sparring.statistics.figures import programme_figures


class Command(BaseCommand):
    help = (
        "Build the 2021–2022 programme (72 accepted sparrings, 127 days, 1690 participants) "
        "by driving cases through the flow; safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="allow with DEBUG off")

    def handle(self, *, force: bool, verbosity: int, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Demo data is for the embedded default; use --force to insist.")
        started = time.monotonic()
        log = self.stdout.write if verbosity > 1 else (lambda _line: None)
        try:
            counts = Replay(log=log).run()
        except SeedError as error:
            raise CommandError(str(error)) from error
        figures = programme_figures()
        self.stdout.write(
            self.style.SUCCESS(
                f"Programme 2021–2022: {counts['created']} cases driven ({counts['steps']} steps), "
                f"{counts['finished']} already done, in {time.monotonic() - started:.0f} s. "
                f"{figures['accepted_applications']} accepted, {figures['days_delivered']} days, "
                f"{figures['participants']} participants, grade {figures['average_grade']}."
            )
        )
