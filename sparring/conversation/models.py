"""The case conversation's records: a message and each reader's read state.

The addressing model (rules in ``sparring/access.py``, ``message_party`` and
``visible_messages``): every message is written by one *party* of the case — the
applicant's side (any applicant of the case's organisation), the assigned
consultant, or the coordinators — and addressed to an ``Audience``. Coordinators
read every message. A party reads the messages its own side wrote and those
addressed to it or to everyone. An internal note is read by coordinators only.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sparring import clock
from sparring.validators import DateTimeField as RangedDateTimeField

BODY_MAX_LENGTH = 4000


class Party(models.TextChoices):
    """The side of the case a person writes for."""

    APPLICANT = "applicant", _("the applicant")
    CONSULTANT = "consultant", _("the consultant")
    COORDINATORS = "coordinators", _("the coordinators")


class Audience(models.TextChoices):
    """Whom a message is addressed to (coordinators read every message)."""

    EVERYONE = "everyone", _("Everyone on the case")
    APPLICANT = "applicant", _("The applicant and the coordinators")
    CONSULTANT = "consultant", _("The consultant and the coordinators")
    COORDINATORS = "coordinators", _("The coordinators")
    INTERNAL = "internal", _("Internal note (coordinators only)")


class CaseMessage(models.Model):
    """One message (or internal note) on a case's conversation. Never edited."""

    case = models.ForeignKey("sparring.Case", on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    author_party = models.CharField(_("written for"), max_length=16, choices=Party.choices)
    audience = models.CharField(_("to"), max_length=16, choices=Audience.choices)
    body = models.TextField(_("message"), max_length=BODY_MAX_LENGTH)
    created = RangedDateTimeField(_("sent"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created", "pk"]
        indexes = [models.Index(fields=["case", "created"], name="conversation_case_created")]

    def __str__(self) -> str:
        return f"{self.case}: {self.get_audience_display()}"

    @property
    def internal(self) -> bool:
        return self.audience == Audience.INTERNAL


class ReadState(models.Model):
    """How far one person has read one case's conversation (the unread marker)."""

    case = models.ForeignKey("sparring.Case", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_read = models.PositiveBigIntegerField(default=0, help_text="the newest message id read")
    read_at = RangedDateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "user"], name="one_read_state_per_reader")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.case}: {self.last_read}"
