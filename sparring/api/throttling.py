"""Rate limits of the API, read from settings at each request (so that tests and
operators can change them): ``SPARRING_API_RATES = {"anon": "60/minute", "user": "600/minute"}``."""

from django.conf import settings
from rest_framework import throttling


class _SettingsRate:
    def get_rate(self):
        return settings.SPARRING_API_RATES[self.scope]


class AnonRateThrottle(_SettingsRate, throttling.AnonRateThrottle):
    """Requests without credentials, counted per client address."""


class UserRateThrottle(_SettingsRate, throttling.UserRateThrottle):
    """Requests of a logged-in person or a token, counted per person (all their tokens together)."""
