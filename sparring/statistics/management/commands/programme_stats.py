"""Print the programme's figures, computed from the records (see sparring/statistics.py)."""

import json

from django.core.management.base import BaseCommand

from sparring.statistics.figures import programme_figures


class Command(BaseCommand):
    help = "Print the programme's figures (accepted applications, days, participants, grade, ...)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="one JSON object")

    def handle(self, *, json: bool, **options):
        figures = programme_figures()
        if json:
            self.stdout.write(_dumps(figures))
            return
        for key, value in figures.items():
            if isinstance(value, dict):
                self.stdout.write(f"{key}:")
                for name, count in value.items():
                    self.stdout.write(f"  {name}: {count}")
            else:
                self.stdout.write(f"{key}: {value}")


def _dumps(figures: dict) -> str:
    return json.dumps(figures, ensure_ascii=False, sort_keys=False)
