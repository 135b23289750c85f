"""E-mail backend of the embedded default: every message to the console and to a file."""

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.core.mail.backends.filebased import EmailBackend as FileBackend


class ConsoleAndFileBackend(BaseEmailBackend):
    """Print each message and keep a copy under ``EMAIL_FILE_PATH`` (var/mail/)."""

    def __init__(self, fail_silently: bool = False, **kwargs) -> None:
        super().__init__(fail_silently=fail_silently)
        self._backends = [
            ConsoleBackend(fail_silently=fail_silently, **kwargs),
            FileBackend(fail_silently=fail_silently, **kwargs),
        ]

    def send_messages(self, email_messages) -> int:
        sent = 0
        for backend in self._backends:
            sent = backend.send_messages(email_messages) or sent
        return sent
