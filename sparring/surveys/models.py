"""The participants' anonymous feedback survey of a case."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from sparring import clock
from sparring.validators import DateTimeField as RangedDateTimeField


def new_survey_token() -> str:
    """Kept for the migrations before 0004 (links were tokens in URLs then)."""
    import secrets

    return secrets.token_urlsafe(18)


CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off paper
CODE_LENGTH = 12  # 60 bits: not guessed within any rate limit


def new_code() -> str:
    """A one-time survey code as printed and mailed: ``ABCD-EFGH-JKLM``."""
    import secrets

    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_code(code: str) -> str:
    """The code as typed, in any letter case, with or without dashes or spaces."""
    return "".join(ch for ch in (code or "").upper() if ch not in " -\t\n")


def code_hash(code: str) -> str:
    """The only form in which a code is stored (SHA-256 of the normalised code)."""
    import hashlib

    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


class Survey(models.Model):
    """The participants' feedback survey of one case, open for the feedback period.

    It has no shared link: every participant answers with a one-time code
    (``SurveyLink``), mailed or printed on a sheet (issue 13)."""

    case = models.OneToOneField("sparring.Case", on_delete=models.CASCADE, related_name="survey")
    opened_at = RangedDateTimeField(default=clock.now, editable=False)
    closes_at = RangedDateTimeField(_("closes"))
    closed = models.BooleanField(default=False)
    # When reminders were last sent (the survey's, not a person's): at most one round a day.
    reminded_at = RangedDateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "sparring_survey"  # the tables kept their names when the models moved here
        verbose_name = _("feedback survey")
        verbose_name_plural = _("feedback surveys")

    def __str__(self) -> str:
        return str(self.case)

    def is_open(self) -> bool:

        return not self.closed and clock.now() < self.closes_at


class SurveyLink(models.Model):
    """One participant's right to answer once: mailed to ``email``, or printed on a
    sheet of codes (``email`` empty). Its codes are stored only as hashes
    (``SurveyCode``); a reminder adds a new code, the earlier ones keep working.

    Nothing links the answer to the link: ``answered`` is only a flag, read by the
    system to remind those who have not answered, and shown to no one.
    """

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="links")
    email = models.EmailField(blank=True)
    answered = models.BooleanField(default=False)

    class Meta:
        db_table = "sparring_surveylink"
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "email"],
                name="one_link_per_address",
                condition=~models.Q(email=""),
            )
        ]

    def __str__(self) -> str:
        return self.email or "—"


class SurveyCode(models.Model):
    """A one-time code of a ``SurveyLink``, as its SHA-256 hash only."""

    link = models.ForeignKey(SurveyLink, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = "survey code"
        verbose_name_plural = "survey codes"

    def __str__(self) -> str:
        return self.code_hash[:8]


GRADE_CHOICES = [(n, str(n)) for n in range(1, 6)]


class SurveyAnswer(models.Model):
    """One anonymous answer: no person, link, token, address or time is stored, and its
    key is random (UUID), so the order of the answers cannot be recovered."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="answers")
    overall = models.PositiveSmallIntegerField(_("overall grade"), choices=GRADE_CHOICES)
    goal_reached = models.PositiveSmallIntegerField(
        _("how well the goal was reached"), choices=GRADE_CHOICES, null=True, blank=True
    )
    facilitation = models.PositiveSmallIntegerField(
        _("facilitation"), choices=GRADE_CHOICES, null=True, blank=True
    )
    usefulness = models.PositiveSmallIntegerField(
        _("usefulness"), choices=GRADE_CHOICES, null=True, blank=True
    )
    best = models.TextField(_("what was best"), max_length=2000, blank=True)
    improve = models.TextField(_("what to improve"), max_length=2000, blank=True)

    class Meta:
        db_table = "sparring_surveyanswer"
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        constraints = [
            models.CheckConstraint(
                name="overall_grade_1_to_5", condition=models.Q(overall__gte=1, overall__lte=5)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey}: {self.overall}"


class SurveyFormUse(models.Model):
    """A survey answer form that has been sent: its one-time token, so that the same
    form sent again (the connection dropped before the thanks page) is not a second
    answer. Nothing links it to the answer, a person or a personal link."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    token = models.UUIDField(unique=True, editable=False)

    class Meta:
        verbose_name = "survey form use"
        verbose_name_plural = "survey form uses"

    def __str__(self) -> str:
        return str(self.token)
