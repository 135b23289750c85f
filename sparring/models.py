"""People, organisations and the audit trail."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .validators import validate_business_id


class Organisation(models.Model):
    """A municipal organisation that may apply for sparring."""

    class Kind(models.TextChoices):
        MUNICIPALITY = "municipality", _("Municipality")
        JOINT_AUTHORITY = "joint_authority", _("Joint municipal authority")
        WELLBEING_COUNTY = "wellbeing_county", _("Wellbeing services county")
        MUNICIPAL_COMPANY = "municipal_company", _("Municipal company")

    name_fi = models.CharField(_("name in Finnish"), max_length=200)
    name_sv = models.CharField(_("name in Swedish"), max_length=200, blank=True)
    business_id = models.CharField(
        _("Business ID"),
        max_length=9,
        unique=True,
        validators=[validate_business_id],
        help_text=_("Y-tunnus, for example 0201256-6."),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    municipality_code = models.CharField(
        _("municipality code"),
        max_length=3,
        blank=True,
        validators=[RegexValidator(r"^\d{3}$", _("A municipality code has three digits."))],
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name_fi"]

    def __str__(self) -> str:
        return self.name_fi

    def display_name(self, language: str | None = None) -> str:
        """The name in the reader's language where one is recorded."""
        if language == "sv" and self.name_sv:
            return self.name_sv
        return self.name_fi


class User(AbstractUser):
    """A person who logs in. What they may see follows from ``role`` (see access.py)."""

    class Role(models.TextChoices):
        APPLICANT = "applicant", _("Applicant")
        COORDINATOR = "coordinator", _("Coordinator")
        CONSULTANT = "consultant", _("Consultant")
        STEERING = "steering", _("Steering group member")

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        help_text=_("Applicants act for exactly one organisation."),
    )
    language = models.CharField(
        _("language"),
        max_length=2,
        choices=settings.LANGUAGES,
        default="fi",
        help_text=_("The language of the e-mails this person receives."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                name="applicant_has_organisation",
                condition=~models.Q(role="applicant") | models.Q(organisation__isnull=False),
                violation_error_message=_("An applicant must belong to an organisation."),
            ),
            models.CheckConstraint(
                name="only_applicants_have_organisation",
                condition=models.Q(role="applicant") | models.Q(organisation__isnull=True),
                violation_error_message=_("Only applicants belong to an organisation."),
            ),
        ]


class AuditEvent(models.Model):
    """One recorded change: who did what, to which record, when and why.

    Rows are only ever added. ``subject`` names the changed record as
    ``app_label.model:pk`` so that any record can be audited without a
    foreign key to every table.
    """

    created = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("what"), max_length=64)
    subject = models.CharField(_("record"), max_length=100, db_index=True)
    comment = models.TextField(_("why"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["created", "pk"]

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M} {self.action} {self.subject}"


class OutboundEmail(models.Model):
    """An e-mail the product sends, kept until it is delivered (the outbox).

    The message is rendered in the recipient's language when it is queued; a
    Celery task delivers it after the transaction commits. Delivery is
    idempotent: a message already sent is never sent again.
    """

    created = models.DateTimeField(auto_now_add=True)
    to = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    attachments = models.JSONField(
        default=list, blank=True, help_text="[{filename, content, mimetype}] with text content"
    )
    template = models.CharField(max_length=100, help_text="the template the message was made from")
    language = models.CharField(max_length=2, choices=settings.LANGUAGES, default="fi")
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("e-mail")
        verbose_name_plural = _("e-mails")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"
