"""Replay the 2021–2022 programme through the real flow (see sparring/programme.py)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sparring.demo.programme import CALL, Replay, SeedError
from sparring.models import Call
from sparring.statistics.figures import Scope, programme_figures


class Progress:
    """Prints how far the replay is and about how long it still takes (every few seconds).

    Nothing is printed while the cases are only checked (a second run): only cases
    that were driven count for the estimate.
    """

    EVERY_SECONDS = 3.0

    def __init__(self, write, started: float) -> None:
        self.write = write
        self.started = started
        self.last = started
        self.driven = 0
        self.driving_time = 0.0

    def __call__(self, done: int, total: int, driven: bool) -> None:
        now = time.monotonic()
        if driven:
            self.driven += 1
        if not self.driven or (now - self.last < self.EVERY_SECONDS and done < total):
            return
        per_case = (now - self.started) / done
        left = per_case * (total - done)
        self.write(f"  {done}/{total} cases, about {left:.0f} s left")
        self.last = now


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
        progress = Progress(self.stdout.write, started) if verbosity > 0 else None
        try:
            counts = Replay(log=log, progress=progress or (lambda *_args: None)).run()
        except SeedError as error:
            raise CommandError(str(error)) from error
        # The 2021-2022 call's figures: seed_demo's current call has cases of its own.
        call = Call.objects.filter(title=CALL["title"]).first()
        figures = programme_figures(Scope(call=call))
        self.stdout.write(
            self.style.SUCCESS(
                f"Programme 2021–2022: {counts['created']} cases driven ({counts['steps']} steps), "
                f"{counts['finished']} already done, in {time.monotonic() - started:.0f} s. "
                f"{figures['accepted_applications']} accepted, {figures['days_delivered']} days, "
                f"{figures['participants']} participants, grade {figures['average_grade']}."
            )
        )
