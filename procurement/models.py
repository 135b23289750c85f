"""Suppliers of the framework agreement and their consultants."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from sparring.validators import validate_business_id


class Supplier(models.Model):
    """A supplier organisation party to the framework agreement."""

    name = models.CharField(_("name"), max_length=200)
    business_id = models.CharField(
        _("Business ID"), max_length=9, unique=True, validators=[validate_business_id]
    )
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

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["ranking_position", "name"]

    def __str__(self) -> str:
        return self.name


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
    offered_at = models.DateTimeField(_("offered"), auto_now_add=True)
    deadline = models.DateTimeField(_("answer by"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
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
