"""Development acts: an organisation's account of what a sparring led to, published
with its consent and a coordinator's approval (the programme's "Tekojen tori")."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sparring import clock
from sparring.regions import Region
from sparring.validators import DateTimeField as RangedDateTimeField


class DevelopmentAct(models.Model):
    """One development act, written by the applicant after the case has closed.

    Lifecycle (``Status``): submitted → published (a coordinator approves) or
    returned (for amendment, with a comment) → submitted again; a published or
    submitted act can be withdrawn by its organisation at any time, and it then
    leaves the public page and the feed. Only what the public page shows is stored
    here: no names of people, no contact details.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("waiting for approval")
        RETURNED = "returned", _("returned for amendment")
        PUBLISHED = "published", _("published")
        WITHDRAWN = "withdrawn", _("withdrawn")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.OneToOneField(
        "sparring.Case", on_delete=models.CASCADE, related_name="development_act"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED
    )
    title = models.CharField(_("title"), max_length=120)
    what_was_done = models.TextField(_("what was done"), max_length=1500)
    what_changed = models.TextField(_("what changed"), max_length=1500)
    # A snapshot of what the act is about, so that the public page never reads the case.
    organisation_name = models.CharField(_("organisation"), max_length=200)
    region = models.CharField(_("region"), max_length=2, choices=Region.choices, blank=True)
    sector = models.ForeignKey(
        "sparring.Sector",
        verbose_name=_("sector"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    theme = models.ForeignKey(
        "sparring.Theme", verbose_name=_("theme"), on_delete=models.PROTECT, null=True
    )
    language = models.CharField(_("language of the text"), max_length=2, default="fi")
    consent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consent given by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    consent_at = RangedDateTimeField(_("consent given"), default=clock.now)
    return_comment = models.TextField(_("comment to the organisation"), blank=True)
    published_at = RangedDateTimeField(_("published"), null=True, blank=True)
    updated = RangedDateTimeField(_("updated"), default=clock.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("development act")
        verbose_name_plural = _("development acts")
        ordering = ["-published_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="act_published_idx"),
            # the feed's version (selectors.published_acts_version) read from the index alone
            models.Index(
                fields=["updated"],
                include=["id", "version"],
                condition=models.Q(status="published"),
                name="act_published_version_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class FollowUp(models.Model):
    """The follow-up impact survey of a closed case, sent some months after closing.

    ``actions`` keeps the follow-up actions the consultant recommended in the report
    (one per line of the report's "recommended follow-up"), as they were when the
    follow-up was sent, so that the answers refer to a fixed list.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    case = models.OneToOneField("sparring.Case", on_delete=models.CASCADE, related_name="follow_up")
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    language = models.CharField(_("language"), max_length=2, default="fi")
    actions = models.JSONField(_("recommended follow-up actions"), default=list)
    sent_at = RangedDateTimeField(_("sent"), default=clock.now)
    reminded_at = RangedDateTimeField(_("reminded"), null=True, blank=True)
    closes_at = RangedDateTimeField(_("closes"))

    class Meta:
        verbose_name = _("follow-up survey")
        verbose_name_plural = _("follow-up surveys")
        indexes = [models.Index(fields=["status", "closes_at"], name="followup_open_idx")]

    def __str__(self) -> str:
        return str(self.case)


class FollowUpInvitation(models.Model):
    """One person's single-use link to the follow-up: the contact person's, or the staff
    representative's (sent to the contact person to hand on: the application holds no
    e-mail address of the staff representative). Only digests of the links are kept;
    the reminder carries a second link (``reminder_digest``) and the first stays valid.
    """

    class Role(models.TextChoices):
        CONTACT = "contact", _("contact person")
        STAFF_REPRESENTATIVE = "staff_representative", _("staff representative")

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    reminder_digest = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False
    )
    answered_at = RangedDateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follow_up", "role"], name="one_invitation_per_role")
        ]

    def __str__(self) -> str:
        return f"{self.follow_up} ({self.role})"


class FollowUpAnswer(models.Model):
    """What the organisation says months later. Not anonymous: the answers belong to the
    case and are read by its coordinators and consultant."""

    class Done(models.TextChoices):
        YES = "yes", _("carried out")
        PARTLY = "partly", _("partly")
        NO = "no", _("not carried out")

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="answers")
    role = models.CharField(_("role"), max_length=24, choices=FollowUpInvitation.Role.choices)
    actions_done = models.JSONField(_("follow-up actions carried out"), default=list)
    what_changed = models.TextField(_("what changed"), max_length=2000, blank=True)
    impact = models.PositiveSmallIntegerField(_("impact (1–5)"))
    recommend = models.BooleanField(_("would recommend sparring"))
    answered_at = RangedDateTimeField(_("answered"), default=clock.now)

    class Meta:
        verbose_name = _("follow-up answer")
        verbose_name_plural = _("follow-up answers")
        constraints = [
            models.UniqueConstraint(fields=["follow_up", "role"], name="one_answer_per_role"),
            models.CheckConstraint(
                name="follow_up_impact_1_to_5", condition=models.Q(impact__gte=1, impact__lte=5)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.follow_up} ({self.role})"
