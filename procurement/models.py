"""Suppliers of the framework agreement and their consultants."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sparring import clock
from sparring.validators import BusinessIdField, business_id_taken
from sparring.validators import DateField as RangedDateField
from sparring.validators import DateTimeField as RangedDateTimeField


class FrameworkAgreement(models.Model):
    """The tendered framework agreement under which consultants are called off."""

    class Method(models.TextChoices):
        RANKING = (
            "ranking",
            _("Ranking order"),
        )  # the best-ranked supplier's eligible consultant first
        ROTATION = "rotation", _("Rotation")  # turns weighted by each supplier's planned share
        MINI_COMPETITION = (
            "mini_competition",
            _("Mini-competition"),
        )  # suppliers offer; award on criteria

    notice_reference = models.CharField(
        _("notice reference"), max_length=100, help_text=_("E.g. the Hilma notice number.")
    )
    title = models.CharField(_("title"), max_length=200)
    valid_from = RangedDateField(_("valid from"))
    valid_until = RangedDateField(_("valid until"))
    method = models.CharField(
        _("call-off method"), max_length=20, choices=Method.choices, default=Method.RANKING
    )
    budget = models.DecimalField(
        _("budget (EUR, VAT 0%)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    default_day_price = models.DecimalField(
        _("default day price (EUR, VAT 0%)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("framework agreement")
        verbose_name_plural = _("framework agreements")
        ordering = ["-valid_from"]
        constraints = [
            models.CheckConstraint(
                name="agreement_period_in_order",
                condition=models.Q(valid_until__gte=models.F("valid_from")),
                violation_error_message=_("The agreement must end after it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.notice_reference})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.valid_from and self.valid_until:
            try:
                limit = self.valid_from.replace(year=self.valid_from.year + 4)
            except ValueError:  # 29 February
                limit = self.valid_from.replace(year=self.valid_from.year + 4, day=28)
            if self.valid_until > limit:
                raise ValidationError(
                    {
                        "valid_until": _(
                            "A framework agreement may last at most four years (Act on Public Procurement 1397/2016, section 42)."
                        )
                    }
                )

    def covers(self, start, end) -> bool:
        return self.valid_from <= start and end <= self.valid_until


class Supplier(models.Model):
    """A supplier organisation party to the framework agreement."""

    name = models.CharField(_("name in Finnish"), max_length=200)
    name_sv = models.CharField(
        _("name in Swedish"),
        max_length=200,
        blank=True,
        help_text=_("The official Swedish name, where the supplier has one."),
    )
    business_id = BusinessIdField(_("Business ID"), unique=True)
    ranking_position = models.PositiveSmallIntegerField(
        _("ranking position"), help_text=_("1 is the best-ranked supplier of the tender.")
    )
    day_price = models.DecimalField(
        _("day price (EUR, VAT 0%)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    agreement = models.ForeignKey(
        FrameworkAgreement,
        verbose_name=_("framework agreement"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="suppliers",
    )
    planned_share = models.PositiveSmallIntegerField(
        _("planned share (weight)"),
        default=1,
        validators=[MinValueValidator(1)],
        help_text=_("Rotation gives each supplier turns in proportion to this weight."),
    )

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["ranking_position", "name"]

    def __str__(self) -> str:
        return self.display_name()

    def display_name(self, language: str | None = None) -> str:
        """The official name in ``language`` (default: the active one); Finnish when the
        supplier has no Swedish name."""
        from sparring.models import localized_name

        return localized_name(self.name, self.name_sv, language)

    def unique_error_message(self, model_class, unique_check):
        if tuple(unique_check) == ("business_id",):
            return business_id_taken(model_class, self)
        return super().unique_error_message(model_class, unique_check)


class Consultant(models.Model):
    """A person of a supplier who delivers sparring; logs in as a consultant."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="consultant",
    )
    supplier = models.ForeignKey(
        Supplier, verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="consultants"
    )
    active = models.BooleanField(_("active"), default=True)
    themes = models.ManyToManyField(
        "sparring.Theme",
        verbose_name=_("themes of expertise"),
        blank=True,
        related_name="consultants",
    )
    languages = models.JSONField(
        _("languages"),
        default=list,
        blank=True,
        help_text=_("Language codes the consultant works in: fi, sv, en."),
    )
    regions = models.JSONField(
        _("regions served"),
        default=list,
        blank=True,
        help_text=_("Region codes (maakunta) the consultant travels to."),
    )
    works_remotely = models.BooleanField(_("works remotely"), default=False)
    capacity_per_month = models.PositiveSmallIntegerField(_("capacity, days per month"), default=4)
    capacity_total = models.PositiveSmallIntegerField(
        _("capacity, days over the agreement"), default=40
    )

    class Meta:
        verbose_name = _("consultant")
        verbose_name_plural = _("consultants")
        ordering = ["user__last_name", "user__first_name"]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


class Offer(models.Model):
    """A case offered to one consultant, who accepts or declines by the deadline.

    The call-off engine (framework agreement issue) records why this consultant
    was chosen; until then a coordinator chooses among the active consultants.
    """

    class Status(models.TextChoices):
        OFFERED = "offered", _("Waiting for an answer")  # the consultant has not answered
        ACCEPTED = "accepted", _("Accepted")  # the consultant takes the case
        DECLINED = "declined", _("Declined")  # the consultant said no
        EXPIRED = "expired", _("Expired")  # no answer by the deadline: counts as declined
        WITHDRAWN = "withdrawn", _("Withdrawn")  # the case was withdrawn or cancelled meanwhile

    case = models.ForeignKey("sparring.Case", on_delete=models.CASCADE, related_name="offers")
    consultant = models.ForeignKey(Consultant, on_delete=models.PROTECT, related_name="offers")
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OFFERED
    )
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    offered_at = RangedDateTimeField(_("offered"), default=clock.now, editable=False)
    deadline = RangedDateTimeField(_("answer by"))
    answered_at = RangedDateTimeField(_("answered"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["-offered_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status="offered"),
                name="one_open_offer_per_case",
                violation_error_message=_("The case already has an offer waiting for an answer."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} → {self.consultant}"


class Unavailability(models.Model):
    """A period when a consultant takes no sparring days (holiday, other work)."""

    consultant = models.ForeignKey(
        Consultant,
        verbose_name=_("consultant"),
        on_delete=models.CASCADE,
        related_name="unavailable_periods",
    )
    starts = RangedDateField(_("from"))
    ends = RangedDateField(_("until"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("unavailable period")
        verbose_name_plural = _("unavailable periods")
        ordering = ["starts"]
        constraints = [
            models.CheckConstraint(
                name="unavailability_in_order",
                condition=models.Q(ends__gte=models.F("starts")),
                violation_error_message=_("The period must end after it starts."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.consultant}: {self.starts:%d.%m.%Y}–{self.ends:%d.%m.%Y}"


class CalendarFeed(models.Model):
    """A consultant's personal calendar feed: an iCalendar address with a secret in it.

    Only the SHA-256 of the secret is kept; the address is shown once, when it is
    made. Making a new one replaces the old (whose address stops working); revoking
    deletes the row. Services: ``sparring.cases.services.calendar_feed``.
    """

    consultant = models.OneToOneField(
        Consultant, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created = RangedDateTimeField(_("created"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"{self.consultant}: {self.created:%d.%m.%Y}"


class ConflictOfInterest(models.Model):
    """A consultant who must not be called off for an organisation (esteellisyys)."""

    consultant = models.ForeignKey(
        Consultant,
        verbose_name=_("consultant"),
        on_delete=models.CASCADE,
        related_name="conflicts",
    )
    organisation = models.ForeignKey(
        "sparring.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="conflicts",
    )
    reason = models.CharField(_("reason"), max_length=300)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
    )
    created = RangedDateTimeField(_("created"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflicts of interest")
        constraints = [
            models.UniqueConstraint(
                fields=["consultant", "organisation"], name="one_conflict_per_pair"
            )
        ]

    def __str__(self) -> str:
        return f"{self.consultant} – {self.organisation}"


class CallOff(models.Model):
    """The decision record of one call-off: who could have got the case, and why this one did.

    ``candidates`` lists every consultant of the agreement at the moment of the
    decision, in the method's order: ``[{"consultant": id, "name", "supplier",
    "rank", "eligible", "reasons": [...]}]``.
    """

    case = models.ForeignKey("sparring.Case", on_delete=models.CASCADE, related_name="call_offs")
    agreement = models.ForeignKey(
        FrameworkAgreement, on_delete=models.PROTECT, related_name="call_offs"
    )
    method = models.CharField(_("method"), max_length=20, choices=FrameworkAgreement.Method.choices)
    candidates = models.JSONField(_("candidates"))
    proposed = models.ForeignKey(
        Consultant,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text="The consultant the method proposed.",
    )
    chosen = models.ForeignKey(Consultant, on_delete=models.PROTECT, related_name="call_offs")
    override_justification = models.TextField(_("justification for the override"), blank=True)
    tenders = models.JSONField(
        _("tenders"),
        default=list,
        blank=True,
        help_text="Mini-competition: each tender with its price, scores and total, best first.",
    )
    offer = models.OneToOneField(
        "Offer", on_delete=models.PROTECT, related_name="call_off", null=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = RangedDateTimeField(_("decided"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("call-off decision")
        verbose_name_plural = _("call-off decisions")
        ordering = ["-decided_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.case}: {self.chosen}"

    @property
    def overridden(self) -> bool:
        return self.proposed_id is not None and self.proposed_id != self.chosen_id


class MiniCompetition(models.Model):
    """A mini-competition among the suppliers of the agreement for one case.

    Eligible suppliers are invited to offer dates, approach and price by the
    deadline. Offers stay sealed until the deadline; then a coordinator scores
    the quality of each and the award follows the weights stated in the invitation.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open for offers")  # suppliers may offer until the deadline
        AWARDED = "awarded", _("Awarded")  # the winner's consultant was offered the case
        CANCELLED = "cancelled", _("Cancelled")  # the case stopped, or no offers came

    case = models.ForeignKey(
        "sparring.Case", on_delete=models.CASCADE, related_name="mini_competitions"
    )
    agreement = models.ForeignKey(FrameworkAgreement, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    deadline = RangedDateTimeField(_("offers by"))
    price_weight = models.PositiveSmallIntegerField(
        _("weight of price (%)"), validators=[MaxValueValidator(100)]
    )
    criteria = models.TextField(_("quality criteria"), max_length=4000)
    invited = models.ManyToManyField(
        Supplier, verbose_name=_("invited suppliers"), related_name="+"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = RangedDateTimeField(default=clock.now, editable=False)

    class Meta:
        verbose_name = _("mini-competition")
        verbose_name_plural = _("mini-competitions")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status="open"),
                name="one_open_competition_per_case",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case}: {timezone.localtime(self.deadline):%d.%m.%Y}"

    @property
    def quality_weight(self) -> int:
        return 100 - self.price_weight

    def is_sealed(self, at=None) -> bool:

        return (at or clock.now()) < self.deadline


class Tender(models.Model):
    """A supplier's offer in a mini-competition (sealed until the deadline)."""

    competition = models.ForeignKey(
        MiniCompetition, on_delete=models.CASCADE, related_name="tenders"
    )
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="+")
    consultant = models.ForeignKey(
        Consultant, verbose_name=_("consultant"), on_delete=models.PROTECT, related_name="+"
    )
    day_price = models.DecimalField(
        _("day price (EUR, VAT 0%)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("1"))],
    )
    proposed_dates = models.TextField(_("proposed dates"), max_length=2000)
    approach = models.TextField(_("approach"), max_length=8000)
    quality_score = models.PositiveSmallIntegerField(
        _("quality score (0–10)"), null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = RangedDateTimeField(default=clock.now, editable=False)

    class Meta:
        verbose_name = _("tender")
        verbose_name_plural = _("tenders")
        constraints = [
            models.UniqueConstraint(
                fields=["competition", "supplier"], name="one_tender_per_supplier"
            )
        ]

    def __str__(self) -> str:
        return f"{self.competition}: {self.supplier}"


class ConsultantLoad(models.Model):
    """What one consultant's cases put on the framework agreement: the counters the
    call-off rule (capacity, rotation, budget), the ledger and fairness read.

    Maintained by ``sparring.statistics.aggregates`` from the per-case figures
    (``statistics.CaseFigures``) of the consultant's cases, refreshed before it is read
    (``sparring.aggregates.refresh``); never edited by hand. The definitions are those
    of ``procurement/reports.py``: committed = cases in ``states.COMMITTED`` assigned to
    the consultant; offered = cases with an open offer to them; held = days held in
    their cases; stopped = days held in their cases later stopped (``states.STOPPED``).
    Euros are days times the case's agreed day price.
    """

    consultant = models.OneToOneField(
        Consultant, on_delete=models.CASCADE, primary_key=True, related_name="load"
    )
    committed_days = models.IntegerField(default=0)
    committed_eur = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    committed_cases = models.IntegerField(default=0)
    offered_days = models.IntegerField(default=0)
    offered_eur = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    held_days = models.IntegerField(default=0)
    held_eur = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    stopped_days = models.IntegerField(default=0)
    stopped_eur = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    COUNTERS = (
        "committed_days",
        "committed_eur",
        "committed_cases",
        "offered_days",
        "offered_eur",
        "held_days",
        "held_eur",
        "stopped_days",
        "stopped_eur",
    )

    def __str__(self) -> str:
        return f"load of consultant {self.consultant_id}"
