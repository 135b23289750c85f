"""Print the current second-factor code of a demo login (the demo only; not in production).

For someone trying the demo without an authenticator app: ``python manage.py demo_code
koordinaattori`` prints the six digits the app would show now (valid for 30 seconds).
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sparring.accounts import twofactor
from sparring.accounts.models import SecondFactor


class Command(BaseCommand):
    help = "Print the current authenticator code of a demo login (e.g. koordinaattori)."

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", default="koordinaattori")

    def handle(self, *, username: str, **options):
        if not settings.DEBUG:
            raise CommandError("demo_code is for the embedded demo (DEBUG on) only.")
        factor = SecondFactor.objects.filter(
            user__username__iexact=username, confirmed_at__isnull=False
        ).first()
        if factor is None:
            raise CommandError(f"{username} has no authenticator; run seed_demo first.")
        self.stdout.write(twofactor.current_code(factor.secret))
