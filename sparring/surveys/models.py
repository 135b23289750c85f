"""The participants' anonymous feedback survey of a case."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from sparring import clock
from sparring.validators import DateTimeField as RangedDateTimeField


def new_survey_token() -> str:
    import secrets

    return secrets.token_urlsafe(18)


class Survey(models.Model):
    """The participants' feedback survey of one case, open for the feedback period."""

    case = models.OneToOneField("sparring.Case", on_delete=models.CASCADE, related_name="survey")
    token = models.CharField(max_length=40, unique=True, default=new_survey_token)
    opened_at = RangedDateTimeField(default=clock.now, editable=False)
    closes_at = RangedDateTimeField(_("closes"))
    closed = models.BooleanField(default=False)

    class Meta:
        db_table = "sparring_survey"  # the tables kept their names when the models moved here
        verbose_name = _("feedback survey")
        verbose_name_plural = _("feedback surveys")

    def __str__(self) -> str:
        return str(self.case)

    def is_open(self) -> bool:

        return not self.closed and clock.now() < self.closes_at


class SurveyLink(models.Model):
    """A personal link sent to one participant: one answer, reminders until used.

    Nothing links the answer to the link: ``answered`` is only a flag.
    """

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="links")
    token = models.CharField(max_length=40, unique=True, default=new_survey_token)
    email = models.EmailField()
    answered = models.BooleanField(default=False)
    reminded_at = RangedDateTimeField(null=True, blank=True)

    class Meta:
        db_table = "sparring_surveylink"
        constraints = [
            models.UniqueConstraint(fields=["survey", "email"], name="one_link_per_address")
        ]

    def __str__(self) -> str:
        return self.email


GRADE_CHOICES = [(n, str(n)) for n in range(1, 6)]


class SurveyAnswer(models.Model):
    """One anonymous answer: no person, link, token, address or time of day is stored."""

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
