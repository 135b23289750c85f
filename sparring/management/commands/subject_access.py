"""Export everything held about one person as JSON (a subject access request, GDPR Art. 15)."""

import json

from django.core.management.base import BaseCommand
from django.db import transaction

from sparring.audit import AuditAction, audit_record
from sparring.retention import subject_access


class Command(BaseCommand):
    help = "Print (or write to --output) all data held about the person with this e-mail, as JSON."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--output", help="a file to write (default: standard output)")

    def handle(self, *, email: str, output: str | None, **options):
        with transaction.atomic():
            data = subject_access(email=email)
            counts = {key: len(value) for key, value in data.items() if isinstance(value, list)}
            # the audit row names no one: it records that an export was made, and its size
            audit_record(
                actor=None,
                action=AuditAction.SUBJECT_ACCESS_EXPORTED,
                subject="subject_access",
                data=counts,
            )
        text = json.dumps(data, ensure_ascii=False, indent=2)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
        else:
            self.stdout.write(text)
