"""Development acts: an organisation's account of what a sparring led to, published
with its consent and a coordinator's approval (the programme's "Tekojen tori")."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sparring import clock
from sparring.regions import Region


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
    consent_at = models.DateTimeField(_("consent given"), default=clock.now)
    return_comment = models.TextField(_("comment to the organisation"), blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    updated = models.DateTimeField(_("updated"), default=clock.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("development act")
        verbose_name_plural = _("development acts")
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["status", "-published_at"], name="act_published_idx")]

    def __str__(self) -> str:
        return self.title
