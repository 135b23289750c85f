"""Development acts: submitting, approving, returning and withdrawing them.

The rules (issue "After the sparring", programme context: the Tekojen tori portal
of the Kuntatyö2030 programme, where organisations published their development acts):

- Only an applicant of the case's organisation writes the act, only after the case
  has closed, and only with explicit consent to publish it.
- The public page shows no personal data: the texts are refused when they contain an
  e-mail address or a phone number, and a coordinator reads every act before it is
  published (approve, or return it with a comment).
- The organisation can withdraw its act at any time; it then leaves the public page
  and the feed at once. Changing a published act sends it back for approval.

Every change is atomic (the act's row is locked and its ``version`` compared), audited
on the case's timeline, and the people concerned are told by e-mail after commit.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from sparring import access, clock
from sparring.audit import AuditAction, audit_record
from sparring.cases.states import CaseStatus
from sparring.models import Case
from sparring.notifications import applicant_side, coordinators, notify, site_url

from .models import DevelopmentAct

TEXT_FIELDS = ("title", "what_was_done", "what_changed")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# A Finnish or international phone number: starts with + or 0, 7 to 15 digits.
PHONE = re.compile(r"(?<![\w+])(?:\+|0)[\d \-()]{6,20}\d")
EDITABLE = (
    DevelopmentAct.Status.SUBMITTED,
    DevelopmentAct.Status.RETURNED,
    DevelopmentAct.Status.PUBLISHED,
    DevelopmentAct.Status.WITHDRAWN,
)


class StaleAct(ValidationError):
    """The act changed after the form was made."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "The development act changed after you opened the page. Nothing was saved; "
                "check the current situation and try again."
            )
        )


def personal_data_errors(data: dict[str, str]) -> dict[str, str]:
    """The fields of ``data`` whose text looks like personal data, with the reason.

    Args:
        data: field name → text (``title``, ``what_was_done``, ``what_changed``).
    Returns:
        field name → message, for each text containing an e-mail address or a phone
        number (7 or more digits after + or 0). Names of people cannot be recognised
        reliably; the form asks for none and the coordinator checks before publishing.
    """
    errors = {}
    for field in TEXT_FIELDS:
        text = data.get(field) or ""
        if EMAIL.search(text):
            errors[field] = _("Remove the e-mail address: the act is public.")
        else:
            match = PHONE.search(text)
            if match and sum(c.isdigit() for c in match.group()) >= 7:
                errors[field] = _("Remove the phone number: the act is public.")
    return errors


def act_of(case: Case) -> DevelopmentAct | None:
    """The case's development act, or None."""
    return DevelopmentAct.objects.filter(case=case).first()


def can_write_act(user: Any, case: Case) -> bool:
    """Whether ``user`` may write or change the case's act: an applicant of the case's
    organisation, once the case has closed."""
    return case.status == CaseStatus.CLOSED and access.is_case_applicant(user, case)


def act_submit(
    *,
    actor: Any,
    case: Case,
    title: str,
    what_was_done: str,
    what_changed: str,
    consent: bool,
    version: int | None = None,
    language: str | None = None,
) -> DevelopmentAct:
    """Write (or change) the case's development act and send it for approval.

    Args:
        actor: an applicant of the case's organisation.
        case: a closed case.
        title, what_was_done, what_changed: the public texts (120, 1500, 1500 characters).
        consent: the actor's explicit consent to publish the texts with the
            organisation's name, sector, theme and region.
        version: the act's version the form was made from (None for a new act).
        language: the language the texts are written in (fi, sv or en); by default the
            case's language. The public page marks the texts with it.
    Returns:
        the act, now waiting for a coordinator's approval.
    Raises:
        PermissionDenied: the actor may not write the act (see ``can_write_act``).
        ValidationError: no consent, personal data in a text, a text too long or empty,
            or the act changed since ``version`` (``StaleAct``).
    """
    if not can_write_act(actor, case):
        raise PermissionDenied
    data = {
        "title": " ".join((title or "").split()),
        "what_was_done": (what_was_done or "").strip(),
        "what_changed": (what_changed or "").strip(),
    }
    errors: dict[str, Any] = personal_data_errors(data)
    if not consent:
        errors["consent"] = _("Tick the box to give consent: the act is published only with it.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        act = DevelopmentAct.objects.select_for_update().filter(case=case).first()
        if act is not None and version is not None and act.version != version:
            raise StaleAct()
        if act is None:
            act = DevelopmentAct(case=case)
        act.__dict__.update(data)
        act.organisation_name = case.organisation.display_name(case.language)
        act.region = case.organisation.region or ""
        act.sector = case.sector
        act.theme = case.theme
        act.language = language if language in ("fi", "sv", "en") else case.language
        act.consent_by = actor
        act.consent_at = clock.now()
        act.status = DevelopmentAct.Status.SUBMITTED
        act.published_at = None
        act.return_comment = ""
        act.updated = clock.now()
        act.version = (act.version + 1) if act.pk else 1
        act.full_clean(exclude=["case", "consent_by", "sector", "theme"])
        act.save()
        audit_record(
            actor=actor,
            action=AuditAction.ACT_SUBMITTED,
            subject=act,
            case=case,
            data={"title": act.title},
        )
        notify("act_submitted_coordinator", case, coordinators(), open_url=_review_url())
    return act


def _locked(act: DevelopmentAct, version: int | None) -> DevelopmentAct:
    current = DevelopmentAct.objects.select_for_update().select_related("case").get(pk=act.pk)
    if version is not None and current.version != version:
        raise StaleAct()
    return current


def _require_status(act: DevelopmentAct, *allowed: str) -> None:
    if act.status not in allowed:
        raise ValidationError(
            _("The development act is %(status)s; this cannot be done now.")
            % {"status": act.get_status_display()}
        )


def act_publish(*, actor: Any, act: DevelopmentAct, version: int | None = None) -> DevelopmentAct:
    """Approve a submitted act: it appears on the public page and in the feed.

    Raises PermissionDenied for anyone but a coordinator; ValidationError when the act
    is not waiting for approval or changed since ``version``.
    """
    if not access.is_coordinator(actor):
        raise PermissionDenied
    with transaction.atomic():
        act = _locked(act, version)
        _require_status(act, DevelopmentAct.Status.SUBMITTED)
        act.status = DevelopmentAct.Status.PUBLISHED
        act.published_at = act.updated = clock.now()
        act.version += 1
        act.save(update_fields=["status", "published_at", "updated", "version"])
        audit_record(actor=actor, action=AuditAction.ACT_PUBLISHED, subject=act, case=act.case)
        notify(
            "act_published",
            act.case,
            applicant_side(act.case),
            open_url=site_url(reverse("sparring:act_detail", args=[act.public_id])),
            open_label=_("Open the development act"),
        )
    return act


def act_return(
    *, actor: Any, act: DevelopmentAct, comment: str, version: int | None = None
) -> DevelopmentAct:
    """Return a submitted act to its organisation for amendment, saying what to change.

    Raises PermissionDenied for anyone but a coordinator; ValidationError without a
    comment, when the act is not waiting for approval, or changed since ``version``.
    """
    if not access.is_coordinator(actor):
        raise PermissionDenied
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("Say what to change: the organisation is told.")})
    with transaction.atomic():
        act = _locked(act, version)
        _require_status(act, DevelopmentAct.Status.SUBMITTED)
        act.status = DevelopmentAct.Status.RETURNED
        act.return_comment = comment[:2000]
        act.updated = clock.now()
        act.version += 1
        act.save(update_fields=["status", "return_comment", "updated", "version"])
        audit_record(
            actor=actor,
            action=AuditAction.ACT_RETURNED,
            subject=act,
            case=act.case,
            comment=act.return_comment,
        )
        notify("act_returned", act.case, applicant_side(act.case), comment=act.return_comment)
    return act


def act_withdraw(*, actor: Any, act: DevelopmentAct, version: int | None = None) -> DevelopmentAct:
    """Withdraw the act: it leaves the public page and the feed at once.

    The organisation's applicants may withdraw their act in any state but withdrawn;
    so may a coordinator (e.g. at the organisation's request by phone).
    Raises PermissionDenied for anyone else; ValidationError when already withdrawn
    or changed since ``version``.
    """
    if not (access.is_coordinator(actor) or access.is_case_applicant(actor, act.case)):
        raise PermissionDenied
    with transaction.atomic():
        act = _locked(act, version)
        _require_status(
            act,
            DevelopmentAct.Status.SUBMITTED,
            DevelopmentAct.Status.RETURNED,
            DevelopmentAct.Status.PUBLISHED,
        )
        act.status = DevelopmentAct.Status.WITHDRAWN
        act.published_at = None
        act.updated = clock.now()
        act.version += 1
        act.save(update_fields=["status", "published_at", "updated", "version"])
        audit_record(actor=actor, action=AuditAction.ACT_WITHDRAWN, subject=act, case=act.case)
    return act


def _review_url() -> str:
    return site_url(reverse("sparring:act_review"))
