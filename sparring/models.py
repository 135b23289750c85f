"""People, organisations and the audit trail."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import clock
from .cases.states import CaseStatus
from .regions import Region
from .validators import BusinessIdField, business_id_taken
from .validators import DateField as RangedDateField
from .validators import DateTimeField as RangedDateTimeField


def localized_name(name_fi: str, name_sv: str, language: str | None = None) -> str:
    """``name_sv`` for a Swedish reader when recorded, otherwise ``name_fi``.

    ``language`` defaults to the active one (a page's reader, an e-mail's recipient
    or a PDF's case, whichever the caller has activated).
    """
    from django.utils.translation import get_language

    language = (language or get_language() or "fi")[:2]
    if language == "sv" and name_sv:
        return name_sv
    return name_fi


def business_id_normalised(value: str) -> str:
    """The canonical form of a Business ID, or ``value`` unchanged when it is not valid."""
    from stdnum.exceptions import ValidationError as StdnumError

    from .validators import normalise_business_id

    try:
        return normalise_business_id(value or "")
    except StdnumError:  # an invalid value is reported by its validator
        return value


class Organisation(models.Model):
    """A municipal organisation that may apply for sparring."""

    class Kind(models.TextChoices):
        MUNICIPALITY = "municipality", _("Municipality")
        JOINT_AUTHORITY = "joint_authority", _("Joint municipal authority")
        WELLBEING_COUNTY = "wellbeing_county", _("Wellbeing services county")
        MUNICIPAL_COMPANY = "municipal_company", _("Municipal company")

    name_fi = models.CharField(_("name in Finnish"), max_length=200)
    name_sv = models.CharField(_("name in Swedish"), max_length=200, blank=True)
    business_id = BusinessIdField(
        _("Business ID"),
        unique=True,
        help_text=_("Y-tunnus, for example 0201256-6."),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    municipality_code = models.CharField(
        _("municipality code"),
        max_length=3,
        blank=True,
        validators=[RegexValidator(r"^\d{3}$", _("A municipality code has three digits."))],
    )
    region = models.CharField(
        _("region"),
        max_length=2,
        choices=Region.choices,
        blank=True,
        help_text=_("Consultants who serve the region, or work remotely, can be called off."),
    )
    created = RangedDateTimeField(_("created"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name_fi"]

    def __str__(self) -> str:
        return self.display_name()

    def unique_error_message(self, model_class, unique_check):
        if tuple(unique_check) == ("business_id",):
            return business_id_taken(model_class, self)
        return super().unique_error_message(model_class, unique_check)

    def display_name(self, language: str | None = None) -> str:
        """The official name in ``language`` (the active language by default).

        Bilingual municipalities have a Swedish official name (Espoo/Esbo,
        Raasepori/Raseborg); a Swedish reader gets it, everyone else the Finnish one.
        """
        return localized_name(self.name_fi, self.name_sv, language)

    def clean(self) -> None:
        """Keep the Business ID in its one normalised form, 1234567-8."""
        self.business_id = business_id_normalised(self.business_id)


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

    created = RangedDateTimeField(_("when"), default=clock.now, editable=False, db_index=True)
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
    case = models.ForeignKey(
        "Case",
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="events",
        help_text=_("The case whose timeline shows this event."),
    )
    comment = models.TextField(_("why"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["created", "pk"]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.created):%Y-%m-%d %H:%M} {self.action} {self.subject}"


class OutboundEmail(models.Model):
    """An e-mail the product sends, kept until it is delivered (the outbox).

    The message is rendered in the recipient's language when it is queued; a
    Celery task delivers it after the transaction commits. Delivery is
    idempotent: a message already sent is never sent again.
    """

    created = RangedDateTimeField(default=clock.now, editable=False)
    to = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    attachments = models.JSONField(
        default=list, blank=True, help_text="[{filename, content, mimetype}] with text content"
    )
    template = models.CharField(max_length=100, help_text="the template the message was made from")
    language = models.CharField(max_length=2, choices=settings.LANGUAGES, default="fi")
    sent_at = RangedDateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # After a failed attempt: not retried before this time (the backoff; see
    # sparring.email_delivery.email_deliver). Empty: due now.
    next_attempt_at = RangedDateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("e-mail")
        verbose_name_plural = _("e-mails")
        ordering = ["-created"]
        indexes = [
            # the reconciliation sweep and the coordinators' page look for unsent rows
            models.Index(fields=["created"], condition=models.Q(sent_at=None), name="outbox_unsent")
        ]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


class ReferenceData(models.Model):
    """A classification with names in the three languages, editable by coordinators."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name_fi = models.CharField(_("name in Finnish"), max_length=200)
    name_sv = models.CharField(_("name in Swedish"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        abstract = True
        ordering = ["position", "name_fi"]

    def __str__(self) -> str:
        return self.name()

    def name(self, language: str | None = None) -> str:
        """The name in ``language`` (the active language by default)."""
        from django.utils.translation import get_language

        language = (language or get_language() or "fi")[:2]
        return getattr(self, f"name_{language}", None) or self.name_fi


class Sector(ReferenceData):
    """Toimiala: the part of the organisation the sparring concerns."""

    class Meta(ReferenceData.Meta):
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")


class Theme(ReferenceData):
    """Teema: what the development need is about."""

    class Meta(ReferenceData.Meta):
        verbose_name = _("theme")
        verbose_name_plural = _("themes")


class Call(models.Model):
    """A call for applications, with the period in which its sparrings are delivered."""

    title = models.CharField(_("title in Finnish"), max_length=200)
    title_sv = models.CharField(_("title in Swedish"), max_length=200, blank=True)
    title_en = models.CharField(_("title in English"), max_length=200, blank=True)
    description = models.TextField(_("description in Finnish"), blank=True)
    description_sv = models.TextField(_("description in Swedish"), blank=True)
    description_en = models.TextField(_("description in English"), blank=True)
    opens_at = RangedDateTimeField(_("applications open"))
    closes_at = RangedDateTimeField(_("applications close"))
    delivery_starts = RangedDateField(_("delivery period starts"))
    delivery_ends = RangedDateField(_("delivery period ends"))
    day_budget = models.PositiveIntegerField(
        _("total day budget"), help_text=_("Sparring days the call can approve in all.")
    )
    agreement = models.ForeignKey(
        "procurement.FrameworkAgreement",
        verbose_name=_("framework agreement"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="calls",
        help_text=_(
            "Consultants are called off under this agreement. Empty: the agreement in force "
            "on the day of the call-off."
        ),
    )
    themes = models.ManyToManyField(
        Theme,
        verbose_name=_("themes offered"),
        blank=True,
        related_name="calls",
        help_text=_("Applicants choose one of these. None chosen: every active theme."),
    )

    class Meta:
        verbose_name = _("call for applications")
        verbose_name_plural = _("calls for applications")
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(
                name="call_closes_after_opening",
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                violation_error_message=_("A call must close after it opens."),
            ),
            models.CheckConstraint(
                name="call_delivery_period_in_order",
                condition=models.Q(delivery_ends__gte=models.F("delivery_starts")),
                violation_error_message=_("The delivery period must end after it starts."),
            ),
        ]

    def __str__(self) -> str:
        return self.display_title

    def localized(self, field: str, language: str | None = None) -> str:
        """``title`` or ``description`` in ``language`` (default: the active one); the
        Finnish text where the call has none in that language."""
        from django.utils.translation import get_language

        language = (language or get_language() or "fi")[:2]
        if language in ("sv", "en"):
            return getattr(self, f"{field}_{language}") or getattr(self, field)
        return getattr(self, field)

    @property
    def display_title(self) -> str:
        """The title in the reader's (active) language."""
        return self.localized("title")

    @property
    def display_description(self) -> str:
        """The description in the reader's (active) language."""
        return self.localized("description")

    def is_open(self, at=None) -> bool:
        """Whether applications are accepted at ``at`` (default: now by the product's clock)."""
        at = at or clock.now()
        return self.opens_at <= at < self.closes_at


class Case(models.Model):
    """An application for sparring and, once submitted, the case it becomes."""

    # The statuses, their named sets and the allowed moves live in sparring.cases.states.
    Status = CaseStatus

    class Language(models.TextChoices):
        FINNISH = "fi", _("Finnish")
        SWEDISH = "sv", _("Swedish")
        ENGLISH = "en", _("English")

    reference = models.CharField(_("reference"), max_length=20, unique=True, null=True, blank=True)
    call = models.ForeignKey(
        Call, verbose_name=_("call"), on_delete=models.PROTECT, related_name="cases"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="cases"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    version = models.PositiveIntegerField(
        default=1, help_text="Raised on every change; a form sent from an older page is refused."
    )
    submission_token = models.UUIDField(
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text="Set by the application form, so that a form sent twice makes one case.",
    )
    process = models.OneToOneField(
        "workflow.CaseProcess",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="case",
    )

    unit = models.CharField(
        _("unit"), max_length=200, blank=True, help_text=_("The unit or team the sparring is for.")
    )
    whole_organisation = models.BooleanField(_("concerns the whole organisation"), default=False)
    sector = models.ForeignKey(
        Sector, verbose_name=_("sector"), on_delete=models.PROTECT, null=True, blank=True
    )
    # A draft saves with any subset of the fields; cases.services.application.missing_to_submit
    # says which are needed before the application is sent (issue 14, item 7).
    theme = models.ForeignKey(
        Theme, verbose_name=_("theme"), on_delete=models.PROTECT, null=True, blank=True
    )
    development_need = models.TextField(_("development need"), max_length=4000, blank=True)
    goal = models.TextField(_("goal"), max_length=4000, blank=True)
    target_group = models.TextField(_("target group"), max_length=2000, blank=True)
    estimated_participants = models.PositiveIntegerField(
        _("estimated participants"), null=True, blank=True
    )
    requested_days = models.PositiveSmallIntegerField(
        _("requested days"), choices=[(1, "1"), (2, "2")], null=True, blank=True
    )
    approved_days = models.PositiveSmallIntegerField(
        _("approved days"), choices=[(1, "1"), (2, "2")], null=True, blank=True
    )
    preferred_period = models.CharField(_("preferred period"), max_length=200, blank=True)
    language = models.CharField(
        _("language of the sparring"), max_length=2, choices=Language.choices, default="fi"
    )
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    staff_representative = models.CharField(
        _("staff representative"),
        max_length=200,
        blank=True,
        help_text=_("Name and role of the staff representative taking part (co-development)."),
    )
    consultant = models.ForeignKey(
        "procurement.Consultant",
        verbose_name=_("consultant"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    agreed_day_price = models.DecimalField(
        _("agreed day price (EUR, VAT 0%)"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_(
            "Set at call-off: the supplier's day price, or the price of the winning tender."
        ),
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="handled_cases",
        help_text=_("The coordinator who has taken the case; others see it in the queue."),
    )

    created = RangedDateTimeField(_("created"), default=clock.now, editable=False)
    submitted_at = RangedDateTimeField(_("submitted"), null=True, blank=True)
    decided_at = RangedDateTimeField(_("decided"), null=True, blank=True)
    closed_at = RangedDateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created"]
        indexes = [
            models.Index(fields=["status", "call"]),
            # every case list's order, newest first (issue 17): a page reads 50 index entries
            models.Index(fields=["-created", "-id"], name="case_newest_first"),
            # an organisation's and a consultant's cases newest first (the case list of an
            # applicant, a consultant, a coordinator's filter, and the API's case list, which
            # pages and counts from these alone; issue 17)
            models.Index(fields=["organisation", "-created", "-id"], name="case_org_newest_first"),
            models.Index(
                fields=["consultant", "-created", "-id"], name="case_consultant_newest_first"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="case_sector_or_whole_organisation",
                condition=models.Q(whole_organisation=True, sector__isnull=True)
                | models.Q(whole_organisation=False),
                violation_error_message=_(
                    "A case concerning the whole organisation has no sector."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.reference or gettext("Draft application %(pk)s") % {"pk": self.pk}

    def get_status_display(self) -> str:
        """The status's label in the active language (an unknown value as it is stored).

        Replaces Django's generated method, which builds a dictionary of every choice,
        translating each label, on every call: 16 translations per row of a case list
        (issue 17).
        """
        try:
            return str(CaseStatus(self.status).label)
        except ValueError:
            return self.status

    @property
    def days(self) -> int:
        return self.approved_days or self.requested_days

    def sector_label(self) -> str:
        if self.whole_organisation:
            return gettext("Whole organisation")
        return self.sector.name() if self.sector_id else ""


ALLOWED_ATTACHMENT_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".txt": "text/plain",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS_PER_CASE = 5


def attachment_path(instance: "Attachment", filename: str) -> str:
    import uuid

    return f"cases/{instance.case_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file the applicant adds to an application; served only through a checked view."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created = RangedDateTimeField(default=clock.now, editable=False)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created"]

    def __str__(self) -> str:
        return self.original_name


class SessionDay(models.Model):
    """One sparring day: proposed by the consultant, confirmed, then held or cancelled."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")  # the applicant has not confirmed yet
        CONFIRMED = "confirmed", _("Confirmed")  # agreed; invitation sent
        HELD = "held", _("Held")  # took place, participants recorded
        CANCELLED = "cancelled", _("Cancelled")  # will not take place (a new day replaces it)

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="days_planned")
    date = RangedDateField(_("date"))
    start_time = models.TimeField(_("starts"))
    end_time = models.TimeField(_("ends"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    remote_link = models.URLField(_("remote link"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PROPOSED
    )
    participants = models.PositiveIntegerField(_("participants"), null=True, blank=True)
    sequence = models.PositiveIntegerField(
        default=0, help_text="iCalendar SEQUENCE: raised on each change."
    )
    created = RangedDateTimeField(default=clock.now, editable=False)

    class Meta:
        verbose_name = _("sparring day")
        verbose_name_plural = _("sparring days")
        ordering = ["date", "start_time", "pk"]
        # the invoicing basis reads one month's held days (procurement/reports.invoicing_rows)
        indexes = [models.Index(fields=["date", "status"], name="sessionday_date_status")]
        constraints = [
            models.CheckConstraint(
                name="session_day_ends_after_start",
                condition=models.Q(end_time__gt=models.F("start_time")),
                violation_error_message=_("A day must end after it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%d.%m.%Y} {self.start_time:%H.%M}–{self.end_time:%H.%M}"


class StepDeadlineQuerySet(models.QuerySet):
    def open(self):
        """The deadlines of the steps still waiting: their task is neither done nor cancelled
        (``finished`` is null; read from the partial indexes of the open rows)."""
        return self.filter(finished__isnull=True)


class StepDeadline(models.Model):
    """The deadline of one waiting step of a case (issue 14): one row per flow task of a step.

    Made when the step starts waiting (its first deadline timer is armed), from the
    step's rule (``cases.steps.STEPS[...].deadline``, numbers in
    ``settings.SPARRING_STEP_DEADLINES``). Each notice (reminder, second reminder,
    escalation) is sent once: its ``*_at`` field is set by a conditional update
    (``cases.services.deadlines.step_deadline_notice``). The step is done when its task
    is finished (done or cancelled): ``finished`` is a copy of the task's, kept by the
    database triggers of ``cases.deadline_triggers`` on every path that finishes a task
    (a step taken, a case withdrawn or cancelled, viewflow's own cancel), so that the
    late-cases lists page the open rows by an index of their own (issue 17).
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="step_deadlines")
    step = models.CharField(_("step"), max_length=40)
    task = models.OneToOneField(
        "viewflow.Task", on_delete=models.CASCADE, related_name="step_deadline"
    )
    since = RangedDateTimeField(_("waiting since"))
    due = RangedDateTimeField(_("due"))
    reminded_at = RangedDateTimeField(null=True, blank=True)
    second_reminded_at = RangedDateTimeField(null=True, blank=True)
    escalated_at = RangedDateTimeField(null=True, blank=True)
    # The step's task's ``finished`` (done or cancelled), copied by a trigger: never
    # written by the product's code.
    finished = RangedDateTimeField(_("finished"), null=True, blank=True, editable=False)

    objects = StepDeadlineQuerySet.as_manager()

    class Meta:
        verbose_name = _("step deadline")
        verbose_name_plural = _("step deadlines")
        indexes = [
            models.Index(fields=["due"]),
            # The open steps by due date and by waiting time (the late-cases page and API;
            # with the case, so that their counts read the index alone), and by case (a
            # case's open step, its late mark).
            models.Index(
                fields=["due", "id", "case"],
                name="stepdeadline_open_due",
                condition=models.Q(finished__isnull=True),
            ),
            models.Index(
                fields=["since", "id", "case"],
                name="stepdeadline_open_since",
                condition=models.Q(finished__isnull=True),
            ),
            models.Index(
                fields=["case", "due", "id"],
                name="stepdeadline_open_case",
                condition=models.Q(finished__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.step} {self.due:%Y-%m-%d}"

    @property
    def is_late(self) -> bool:
        """Past the due date by the product's clock."""
        return self.due < clock.now()

    @property
    def late_days(self) -> int:
        """Calendar days (Helsinki) since the due date, at least 1 once late; 0 when not late."""
        if not self.is_late:
            return 0
        return max(1, (clock.today() - timezone.localdate(self.due)).days)
