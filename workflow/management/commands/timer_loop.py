"""Fire due workflow timers and reconcile pending work every minute: the embedded
default's stand-in for Celery beat."""

import time

from django.core.management.base import BaseCommand

from sparring.outcomes.followup import follow_up_sweep
from workflow.tasks import fire_workflow_timers, requeue_pending


class Command(BaseCommand):
    help = "Fire due workflow timers in a loop (the embedded default has no Celery beat)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=60.0, help="seconds between sweeps")
        parser.add_argument("--once", action="store_true", help="sweep once and exit")

    def handle(self, *, interval: float, once: bool, **options):
        while True:
            fired = fire_workflow_timers()
            if any(fired.values()):
                self.stdout.write(f"timer sweep: {fired}")
            followed = follow_up_sweep().total()
            if followed:
                self.stdout.write(f"follow-up surveys moved: {followed}")
            requeued = requeue_pending()
            if requeued["jobs"] or requeued["emails"] or requeued["reports"]:
                self.stdout.write(f"queued again: {requeued}")
            if once:
                return
            time.sleep(interval)
