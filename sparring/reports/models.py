"""The consultant's report and its rendered PDF versions."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sparring import clock
from sparring.validators import DateTimeField as RangedDateTimeField

# What a report needs (issue 15, item 8): a field report is a few pages. The limits
# keep the PDF to about ten pages and its rendering to seconds; the form says them
# and counts as one types. The database columns allow more (older reports).
REPORT_TEXT_LIMITS = {
    "refined_goal": 2000,
    "implementation": 4000,
    "themes_covered": 4000,
    "results": 4000,
    "follow_up": 3000,
}
REPORT_MAX_LINES = 80  # lines per text (a list of 80 short lines is still a page or two)


def report_text_errors(data: dict) -> dict:
    """The report's texts that are longer than ``REPORT_TEXT_LIMITS`` or ``REPORT_MAX_LINES``.

    Args:
        data: field name -> text (missing or None fields pass).

    Returns:
        field name -> message, empty when every text is within its limits.
    """
    from django.utils.translation import gettext

    errors = {}
    for field, limit in REPORT_TEXT_LIMITS.items():
        text = data.get(field) or ""
        if len(text) > limit:
            errors[field] = gettext(
                "At most %(limit)s characters (now %(count)s): a report needs the essentials."
            ) % {"limit": limit, "count": len(text)}
        elif text.count("\n") + 1 > REPORT_MAX_LINES:
            errors[field] = gettext("At most %(lines)s lines (now %(count)s).") % {
                "lines": REPORT_MAX_LINES,
                "count": text.count("\n") + 1,
            }
    return errors


class Report(models.Model):
    """The consultant's report on a sparring: drafted, filed, returned for correction, filed again."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")  # saved by the consultant, not yet filed
        SUBMITTED = "submitted", _("Filed")  # filed; its PDF is made
        RETURNED = "returned", _("Returned for correction")  # a coordinator asked for a correction

    case = models.OneToOneField("sparring.Case", on_delete=models.CASCADE, related_name="report")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    revision = models.PositiveSmallIntegerField(
        default=0, help_text="Raised each time the report is filed."
    )
    correction_comment = models.TextField(_("what to correct"), blank=True, max_length=4000)
    participants = models.PositiveIntegerField(_("participants"), null=True, blank=True)
    refined_goal = models.TextField(_("refined goal"), max_length=4000, blank=True)
    implementation = models.TextField(
        _("how the sparring was carried out"), max_length=8000, blank=True
    )
    themes_covered = models.TextField(_("themes and matters covered"), max_length=8000, blank=True)
    results = models.TextField(_("results achieved"), max_length=8000, blank=True)
    follow_up = models.TextField(_("recommended follow-up"), max_length=8000, blank=True)
    submitted_at = RangedDateTimeField(_("submitted"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        db_table = "sparring_report"  # the table kept its name when the model moved here
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        indexes = [
            # The corrected reports filed (revision 2 on; few), for the background page's
            # check of their PDFs (``workflow.reconcile.missing_report_pdfs``): read from
            # this index, not by a scan of every report (issue 17).
            models.Index(
                fields=["submitted_at", "id"],
                name="report_corrected_submitted",
                condition=models.Q(status="submitted", revision__gte=2),
            ),
        ]

    def __str__(self) -> str:
        return gettext("Report on %(case)s") % {"case": self.case}


def report_pdf_path(instance: "ReportDocument", filename: str) -> str:
    return f"reports/{instance.case_id}/report-v{instance.version}.pdf"


class ReportDocument(models.Model):
    """One rendered PDF of a case's report. A corrected report makes a new version;
    the old ones are kept."""

    case = models.ForeignKey(
        "sparring.Case", on_delete=models.CASCADE, related_name="report_documents"
    )
    version = models.PositiveSmallIntegerField(_("version"))
    file = models.FileField(upload_to=report_pdf_path)
    language = models.CharField(max_length=2, choices=settings.LANGUAGES)
    source = models.CharField(
        max_length=60,
        unique=True,
        help_text="What made it (the flow task, or a corrected revision): a redelivered job finds its own PDF.",
    )
    size = models.PositiveIntegerField(default=0)
    created = RangedDateTimeField(default=clock.now, editable=False)

    class Meta:
        db_table = "sparring_reportdocument"
        verbose_name = _("report PDF")
        verbose_name_plural = _("report PDFs")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["case", "version"], name="one_pdf_per_report_version")
        ]

    def __str__(self) -> str:
        return f"{self.case} v{self.version}"
