"""Export everything held about one person as JSON (a subject access request, GDPR Art. 15)."""

from django.core.management.base import BaseCommand

from sparring.retention import subject_access_export


class Command(BaseCommand):
    help = "Print (or write to --output) all data held about the person with this e-mail, as JSON."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--output", help="a file to write (default: standard output)")

    def handle(self, *, email: str, output: str | None, **options):
        # the audit row names no one: it records that an export was made, and its size
        _data, text = subject_access_export(actor=None, email=email)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
        else:
            self.stdout.write(text)
