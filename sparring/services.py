"""Writes of the sparring app. Each is atomic and leaves an audit record."""

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from procurement.models import Consultant

from . import access, surveys
from .audit import audit_record
from .calendar import invitation_attachment
from .models import (
    ALLOWED_ATTACHMENT_TYPES,
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS_PER_CASE,
    Attachment,
    Call,
    Case,
    Organisation,
    Report,
    ReportDocument,
    SessionDay,
    User,
)
from .notifications import applicant_side, consultant_of, coordinators, format_days, notify
from .workdays import add_working_days


@transaction.atomic
def user_create(
    *,
    actor: Any | None,
    username: str,
    email: str,
    role: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    organisation: Organisation | None = None,
    language: str = "fi",
) -> User:
    """Create a person with a role; coordinators also get the Django admin."""
    user = get_user_model()(
        username=username,
        email=email,
        role=role,
        first_name=first_name,
        last_name=last_name,
        organisation=organisation,
        language=language,
        is_staff=role == User.Role.COORDINATOR,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    audit_record(actor=actor, action="user_created", subject=user, data={"role": role})
    return user


@transaction.atomic
def organisation_create(
    *,
    actor: Any | None,
    name_fi: str,
    business_id: str,
    kind: str,
    name_sv: str = "",
    municipality_code: str = "",
    region: str = "",
) -> Organisation:
    """Register an organisation after validating its Business ID."""
    organisation = Organisation(
        region=region,
        name_fi=name_fi,
        name_sv=name_sv,
        business_id=business_id,
        kind=kind,
        municipality_code=municipality_code,
    )
    organisation.full_clean()
    organisation.save()
    audit_record(actor=actor, action="organisation_created", subject=organisation)
    return organisation


# ==============================================================================
# The sparring case
# ==============================================================================
# Every step below follows one pattern:
#   1. check that the actor may take the step (PermissionDenied otherwise);
#   2. validate the input (ValidationError with a message for the form);
#   3. under the flow lock, find the open flow task of the step (StepNotAvailable
#      when it is gone: done by someone else, a replayed form, a stale page);
#   4. claim the case with a compare-and-set on (status, version), so a page
#      sent from an older state is refused (StaleCase);
#   5. change the records, write the audit row, complete the flow task;
#   6. queue e-mail, which is sent after the transaction commits.


class CaseError(Exception):
    """A step that cannot be taken; ``message`` is shown to the user."""

    message = _("This step cannot be taken now.")

    def __init__(self, message=None):
        super().__init__(message or self.message)
        if message:
            self.message = message


class StepNotAvailable(CaseError):
    message = _(
        "This step is no longer open: it was done already, perhaps in another window or by "
        "someone else. The page now shows where the case stands."
    )


class StaleCase(CaseError):
    message = _(
        "The case changed after you opened the page. Nothing was saved; check the current "
        "situation and try again."
    )


def _bump(case: Case, *, from_statuses, version: int | None, **changes) -> Case:
    """Compare-and-set: move ``case`` on only if it is still in a status of
    ``from_statuses`` (and at ``version``, when given). Raises StaleCase."""
    from django.db.models import F

    query = Case.objects.filter(pk=case.pk, status__in=list(from_statuses))
    if version is not None:
        query = query.filter(version=version)
    updated = query.update(version=F("version") + 1, **changes)
    if updated != 1:
        raise StaleCase
    case.refresh_from_db()
    return case


def _run_step(case: Case, node, work):
    """Complete the open task of ``node`` for ``case`` under the flow lock."""
    from viewflow.workflow.status import STATUS

    from workflow.flows import SparringFlow

    if case.process_id is None:
        raise StepNotAvailable
    flow_class = SparringFlow
    with flow_class.lock(case.process_id):
        task = (
            flow_class.task_class._default_manager.filter(
                process_id=case.process_id, flow_task=node, status=STATUS.NEW
            )
            .order_by("-pk")
            .first()
        )
        if task is None:
            raise StepNotAvailable
        activation = node.activation_class(task)
        result = activation.run(lambda _activation: work())
        activation.execute()
        return result


def _flow():
    from workflow.flows import SparringFlow

    return SparringFlow


def _require(condition: bool) -> None:
    if not condition:
        raise PermissionDenied


_is_case_applicant = access.is_case_applicant
_is_case_consultant = access.is_case_consultant


CASE_FIELDS = (
    "unit",
    "whole_organisation",
    "sector",
    "theme",
    "development_need",
    "goal",
    "target_group",
    "estimated_participants",
    "requested_days",
    "preferred_period",
    "language",
    "contact_name",
    "contact_email",
    "contact_phone",
    "staff_representative",
)


def _apply_fields(case: Case, data: dict) -> list[str]:
    changed = []
    for field in CASE_FIELDS:
        if field in data and getattr(case, field) != data[field]:
            setattr(case, field, data[field])
            changed.append(field)
    if case.whole_organisation:
        case.sector = None
    return changed


class AlreadySaved(CaseError):
    """The same application form was sent again (double click, resend)."""

    message = _("This application was saved already; here it is.")

    def __init__(self, case: Case):
        super().__init__()
        self.case = case


@transaction.atomic
def case_create(*, actor, call: Call, data: dict, token=None) -> Case:
    """Save a new application as a draft of the actor's organisation.

    ``token`` comes from the form; a second request with the same token finds the
    case the first one made (AlreadySaved) instead of making another.
    """
    _require(access.is_applicant(actor))
    if token is not None:
        existing = Case.objects.filter(
            submission_token=token, organisation=actor.organisation
        ).first()
        if existing is not None:
            raise AlreadySaved(existing)
    if not call.is_open():
        raise CaseError(_("This call is not open for applications."))
    case = Case(
        call=call, organisation=actor.organisation, created_by=actor, submission_token=token
    )
    _apply_fields(case, data)
    case.full_clean(exclude=["submission_token"])
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:  # the same form, sent twice at the same moment
        raise AlreadySaved(Case.objects.get(submission_token=token)) from None
    audit_record(actor=actor, action="case_draft_saved", subject=case, case=case)
    return case


@transaction.atomic
def case_update(*, actor, case: Case, data: dict, version: int) -> Case:
    """Change a draft, or an application returned for amendment."""
    _require(_is_case_applicant(actor, case))
    _bump(case, from_statuses=[Case.Status.DRAFT, Case.Status.RETURNED], version=version)
    changed = _apply_fields(case, data)
    case.full_clean()
    case.save(update_fields=[*CASE_FIELDS, "version"])
    audit_record(
        actor=actor, action="case_edited", subject=case, case=case, data={"changed": changed}
    )
    return case


def _next_reference(case: Case) -> str:
    from django.db.models import Max

    year = timezone.localdate().year
    prefix = f"SP-{year}-"
    last = Case.objects.filter(reference__startswith=prefix).aggregate(m=Max("reference"))["m"]
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"


@transaction.atomic
def case_submit(*, actor, case: Case, version: int) -> Case:
    """Submit a draft (starting the case flow) or an amended application."""
    _require(_is_case_applicant(actor, case))
    if case.status == Case.Status.DRAFT:
        if not case.call.is_open():
            raise CaseError(_("The call closed before the application was submitted."))
        _bump(
            case,
            from_statuses=[Case.Status.DRAFT],
            version=version,
            status=Case.Status.SUBMITTED,
            submitted_at=timezone.now(),
        )
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    Case.objects.filter(pk=case.pk).update(reference=_next_reference(case))
                break
            except IntegrityError:  # two submissions took the same number; take the next
                continue
        case.refresh_from_db()
        _flow().start.run(case=case)
        case.refresh_from_db()
        audit_record(actor=actor, action="case_submitted", subject=case, case=case)
        notify("submitted_applicant", case, applicant_side(case))
        notify("submitted_coordinator", case, coordinators())
        return case

    def work():
        _bump(
            case,
            from_statuses=[Case.Status.RETURNED],
            version=version,
            status=Case.Status.SUBMITTED,
        )
        audit_record(actor=actor, action="case_resubmitted", subject=case, case=case)
        notify("resubmitted_coordinator", case, coordinators())

    _run_step(case, _flow().amend, work)
    return case


class Decision:
    APPROVE = "approve"
    RETURN = "return"
    REJECT = "reject"
    CHOICES = (APPROVE, RETURN, REJECT)


def call_days_committed(call: Call, *, excluding: Case | None = None) -> int:
    """Days approved in the call for cases that are not rejected, withdrawn or cancelled."""
    from django.db.models import Sum

    stopped = [Case.Status.REJECTED, Case.Status.WITHDRAWN, Case.Status.CANCELLED]
    query = Case.objects.filter(call=call, approved_days__isnull=False).exclude(status__in=stopped)
    if excluding is not None:
        query = query.exclude(pk=excluding.pk)
    active = query.aggregate(days=Sum("approved_days"))["days"] or 0
    # days already held in cases stopped later were used all the same
    held = SessionDay.objects.filter(
        case__call=call, case__status__in=stopped, status=SessionDay.Status.HELD
    ).count()
    return active + held


def case_decide(
    *,
    actor,
    case: Case,
    decision: str,
    comment: str,
    version: int,
    approved_days: int | None = None,
) -> Case:
    """A coordinator approves, returns for amendment or rejects a submitted application."""
    _require(access.is_coordinator(actor))
    if decision not in Decision.CHOICES:
        raise ValidationError({"decision": _("Choose a decision.")})
    comment = comment.strip()
    if decision in (Decision.RETURN, Decision.REJECT) and not comment:
        raise ValidationError({"comment": _("Say why: the applicant sees this comment.")})
    if decision == Decision.APPROVE:
        approved_days = approved_days or case.requested_days
        if approved_days not in (1, 2) or approved_days > case.requested_days:
            raise ValidationError(
                {"approved_days": _("Approve 1 or 2 days, at most what was requested.")}
            )

    def work():
        if decision == Decision.APPROVE:
            # Lock the call: two approvals at once cannot both take its last days.
            Call.objects.select_for_update().filter(pk=case.call_id).first()
            committed = call_days_committed(case.call, excluding=case)
            if committed + approved_days > case.call.day_budget:
                raise ValidationError(
                    {
                        "approved_days": _(
                            "The call's day budget would be exceeded: %(committed)s of "
                            "%(budget)s days are already approved."
                        )
                        % {"committed": committed, "budget": case.call.day_budget}
                    }
                )
            _bump(
                case,
                from_statuses=[Case.Status.SUBMITTED],
                version=version,
                status=Case.Status.APPROVED,
                approved_days=approved_days,
                decided_at=timezone.now(),
            )
            notify("approved", case, applicant_side(case))
        elif decision == Decision.RETURN:
            _bump(
                case,
                from_statuses=[Case.Status.SUBMITTED],
                version=version,
                status=Case.Status.RETURNED,
            )
            notify("returned", case, applicant_side(case), comment=comment)
        else:
            _bump(
                case,
                from_statuses=[Case.Status.SUBMITTED],
                version=version,
                status=Case.Status.REJECTED,
                decided_at=timezone.now(),
                closed_at=timezone.now(),
            )
            notify("rejected", case, applicant_side(case), comment=comment)
        audit_record(
            actor=actor,
            action=f"case_{decision}d" if decision != Decision.RETURN else "case_returned",
            subject=case,
            case=case,
            comment=comment,
            data={"approved_days": approved_days} if decision == Decision.APPROVE else {},
        )

    _run_step(case, _flow().review, work)
    return case


def _remind(case: Case, *, while_status: str, event: str, recipients) -> None:
    """A reminder timer fired: remind and record it, unless the case has moved on meanwhile."""
    case.refresh_from_db()
    if case.status != while_status:
        return
    audit_record(actor=None, action=f"{event}_sent", subject=case, case=case)
    notify(event, case, recipients(case))


def case_review_reminder(*, case: Case) -> None:
    """Timer: the application has waited for review for the configured working days."""
    _remind(
        case,
        while_status=Case.Status.SUBMITTED,
        event="review_reminder",
        recipients=lambda c: coordinators(),
    )


def case_call_off(
    *,
    actor,
    case: Case,
    version: int,
    consultant=None,
    justification: str = "",
    competition_result: dict | None = None,
):
    """Call off a consultant for an approved case under the framework agreement.

    Ranking order and rotation: the method ranks every consultant and proposes
    the first eligible one. Mini-competition: ``competition_result`` (from
    ``procurement.minicompetition.competition_award``) proposes the best offer
    and carries its price. A coordinator takes the proposal, or chooses another
    eligible consultant with a written justification (a manual override). Either
    way a decision record lists every candidate with their rank and why they were
    or were not eligible.
    """
    from procurement import calloff, reports
    from procurement.models import CallOff, FrameworkAgreement, Offer

    _require(access.is_coordinator(actor))
    justification = justification.strip()
    agreement = calloff.agreement_in_force()
    if agreement is None:
        raise CaseError(
            _("No framework agreement is in force today; a consultant cannot be called off.")
        )
    by_competition = agreement.method == FrameworkAgreement.Method.MINI_COMPETITION
    if by_competition and competition_result is None:
        raise ValidationError(
            {
                "consultant": _(
                    "This agreement calls off by mini-competition: open one for the case."
                )
            }
        )
    deadline = add_working_days(timezone.now(), settings.SPARRING_OFFER_EXPIRY_WORKING_DAYS)

    def work():
        # Lock the agreement, then its consultants: two call-offs at once never both
        # take the last day of someone's capacity or the last euros of the budget.
        FrameworkAgreement.objects.select_for_update().filter(pk=agreement.pk).first()
        ranked = calloff.candidates(case, agreement, lock=True)
        if competition_result is not None:
            proposed_id = competition_result["proposed"]
        else:
            proposal = calloff.proposal(ranked)
            proposed_id = proposal.consultant if proposal else None
        chosen_id = consultant.pk if consultant is not None else proposed_id
        if chosen_id is None:
            raise ValidationError(
                {"consultant": _("No consultant of the agreement is eligible for this case.")}
            )
        chosen = next((c for c in ranked if c.consultant == chosen_id), None)
        if chosen is None:
            raise ValidationError(
                {"consultant": _("This consultant is not party to the framework agreement.")}
            )
        if not chosen.eligible:
            raise ValidationError(
                {
                    "consultant": _("%(name)s cannot be called off: %(reasons)s.")
                    % {"name": chosen.name, "reasons": "; ".join(chosen.reasons)}
                }
            )
        overridden = proposed_id is not None and chosen.consultant != proposed_id
        if overridden and not justification:
            raise ValidationError(
                {
                    "justification": _(
                        "You chose someone other than the proposed consultant: write the justification."
                    )
                }
            )
        chosen_consultant = Consultant.objects.select_related("user", "supplier").get(
            pk=chosen.consultant
        )
        tender_price = competition_result.get("price") if competition_result else None
        price = tender_price if tender_price is not None else chosen_consultant.supplier.day_price
        cost = case.days * price
        remaining = reports.ledger(agreement).remaining_eur
        if cost > remaining:
            raise ValidationError(
                {
                    "consultant": _(
                        "The agreement's budget would be exceeded: this call-off costs %(cost)s €, "
                        "%(remaining)s € remain."
                    )
                    % {"cost": cost, "remaining": remaining}
                }
            )
        _bump(
            case,
            from_statuses=[Case.Status.APPROVED],
            version=version,
            status=Case.Status.OFFERED,
            agreed_day_price=price,
        )
        offer = Offer.objects.create(
            case=case, consultant=chosen_consultant, offered_by=actor, deadline=deadline
        )
        record = CallOff.objects.create(
            case=case,
            agreement=agreement,
            method=agreement.method,
            candidates=[c.as_record() for c in ranked],
            tenders=competition_result["tenders"] if competition_result else [],
            proposed_id=proposed_id,
            chosen=chosen_consultant,
            override_justification=justification if overridden else "",
            offer=offer,
            decided_by=actor,
        )
        audit_record(
            actor=actor,
            action="case_offered",
            subject=case,
            case=case,
            data={
                "consultant": chosen_consultant.pk,
                "offer": offer.pk,
                "call_off": record.pk,
                "overridden": overridden,
            },
            comment=str(chosen_consultant) + (f"\n{justification}" if overridden else ""),
        )
        notify(
            "offered",
            case,
            consultant_of(case, chosen_consultant),
            consultant=chosen_consultant,
            deadline=deadline,
        )
        return offer

    return _run_step(case, _flow().call_off, work)


def offer_answer(*, actor, offer, accept: bool, reason: str = "") -> None:
    """The offered consultant accepts or declines."""
    from procurement.models import Offer

    case = offer.case
    _require(access.is_consultant(actor) and offer.consultant_id == actor.consultant.pk)
    reason = reason.strip()
    if not accept and not reason:
        raise ValidationError(
            {"reason": _("Say briefly why you decline; the coordinator sees it.")}
        )

    if timezone.now() > offer.deadline:
        raise CaseError(_("The time to answer this offer has passed; it counts as declined."))

    def work():
        claimed = Offer.objects.filter(pk=offer.pk, status=Offer.Status.OFFERED).update(
            status=Offer.Status.ACCEPTED if accept else Offer.Status.DECLINED,
            answered_at=timezone.now(),
            reason=reason,
        )
        if claimed != 1:
            raise StepNotAvailable
        if accept:
            _bump(
                case,
                from_statuses=[Case.Status.OFFERED],
                version=None,
                status=Case.Status.SCHEDULING,
                consultant=offer.consultant,
            )
            notify("offer_accepted_coordinator", case, coordinators())
            notify("offer_accepted_applicant", case, applicant_side(case))
        else:
            _bump(
                case, from_statuses=[Case.Status.OFFERED], version=None, status=Case.Status.APPROVED
            )
            notify(
                "offer_declined_coordinator",
                case,
                coordinators(),
                consultant=offer.consultant,
                comment=reason,
            )
        audit_record(
            actor=actor,
            action="offer_accepted" if accept else "offer_declined",
            subject=case,
            case=case,
            comment=reason,
            data={"offer": offer.pk},
        )

    _run_step(case, _flow().offer, work)


def offer_expire(*, case: Case) -> None:
    """Timer: no answer by the deadline counts as a decline (the flow returns to call-off)."""
    from procurement.models import Offer

    offer = (
        Offer.objects.filter(case=case, status=Offer.Status.OFFERED)
        .select_related("consultant__user")
        .first()
    )
    if offer is None:
        return
    Offer.objects.filter(pk=offer.pk).update(
        status=Offer.Status.EXPIRED, answered_at=timezone.now()
    )
    _bump(case, from_statuses=[Case.Status.OFFERED], version=None, status=Case.Status.APPROVED)
    audit_record(
        actor=None, action="offer_expired", subject=case, case=case, data={"offer": offer.pk}
    )
    notify("offer_expired_coordinator", case, coordinators(), consultant=offer.consultant)
    notify(
        "offer_expired_consultant",
        case,
        consultant_of(case, offer.consultant),
        consultant=offer.consultant,
    )


def _validate_days(case: Case, days: list[dict], *, exclude_day: SessionDay | None = None) -> None:
    errors = []
    if len(days) != case.days:
        errors.append(
            ngettext(
                "Propose exactly %(count)d day, as approved.",
                "Propose exactly %(count)d days, as approved.",
                case.days,
            )
            % {"count": case.days}
        )
    dates = [d["date"] for d in days]
    if len(set(dates)) != len(dates):
        errors.append(_("Give each day its own date."))
    today = timezone.localdate()
    for day in days:
        if day["date"] < today:
            errors.append(
                _("%(date)s is in the past.") % {"date": day["date"].strftime("%-d.%-m.%Y")}
            )
        if not (case.call.delivery_starts <= day["date"] <= case.call.delivery_ends):
            errors.append(
                _("%(date)s is outside the call's delivery period %(start)s–%(end)s.")
                % {
                    "date": day["date"].strftime("%-d.%-m.%Y"),
                    "start": case.call.delivery_starts.strftime("%-d.%-m.%Y"),
                    "end": case.call.delivery_ends.strftime("%-d.%-m.%Y"),
                }
            )
        if day["end_time"] <= day["start_time"]:
            errors.append(_("A day must end after it starts."))
        if not (day.get("place") or day.get("remote_link")):
            errors.append(_("Give a place or a remote link for each day."))
    if case.consultant_id:
        errors += _calendar_errors(case, dates, exclude_day=exclude_day)
    if errors:
        raise ValidationError(errors)


def _calendar_errors(case: Case, dates, *, exclude_day: SessionDay | None) -> list[str]:
    """The consultant's unavailable periods and monthly capacity, for proposed dates."""
    from procurement.models import Unavailability

    consultant = case.consultant
    errors = []
    for day in dates:
        if Unavailability.objects.filter(
            consultant=consultant, starts__lte=day, ends__gte=day
        ).exists():
            errors.append(
                _("%(date)s: the consultant is unavailable then.")
                % {"date": day.strftime("%-d.%-m.%Y")}
            )
    busy = SessionDay.objects.filter(
        case__consultant=consultant,
        status__in=[
            SessionDay.Status.CONFIRMED,
            SessionDay.Status.HELD,
            SessionDay.Status.PROPOSED,
        ],
    ).exclude(case=case, status=SessionDay.Status.PROPOSED)  # replaced by this proposal
    if exclude_day is not None:
        busy = busy.exclude(pk=exclude_day.pk)
    for year, month in sorted({(d.year, d.month) for d in dates}):
        planned = busy.filter(date__year=year, date__month=month).count()
        new = sum(1 for d in dates if (d.year, d.month) == (year, month))
        if planned + new > consultant.capacity_per_month:
            errors.append(
                _(
                    "The consultant's capacity in %(month)s/%(year)s is %(capacity)s days; %(planned)s are planned already."
                )
                % {
                    "month": month,
                    "year": year,
                    "capacity": consultant.capacity_per_month,
                    "planned": planned,
                }
            )
    return errors


def schedule_propose(*, actor, case: Case, days: list[dict], version: int) -> list[SessionDay]:
    """The consultant proposes the approved number of days inside the delivery period."""
    _require(_is_case_consultant(actor, case))
    _validate_days(case, days)

    def work():
        _bump(case, from_statuses=[Case.Status.SCHEDULING], version=version)
        case.days_planned.filter(status=SessionDay.Status.PROPOSED).update(
            status=SessionDay.Status.CANCELLED
        )
        created = [
            SessionDay.objects.create(
                case=case,
                date=d["date"],
                start_time=d["start_time"],
                end_time=d["end_time"],
                place=d.get("place", ""),
                remote_link=d.get("remote_link", ""),
            )
            for d in sorted(days, key=lambda d: d["date"])
        ]
        audit_record(
            actor=actor,
            action="dates_proposed",
            subject=case,
            case=case,
            comment=format_days(created),
        )
        notify("dates_proposed", case, applicant_side(case), days=created)
        return created

    return _run_step(case, _flow().schedule, work)


def schedule_confirm(*, actor, case: Case, accept: bool, comment: str, version: int) -> None:
    """The applicant confirms the proposed dates (invitations go out) or asks for others."""
    _require(_is_case_applicant(actor, case))
    comment = comment.strip()
    if not accept and not comment:
        raise ValidationError({"comment": _("Tell the consultant which dates would suit you.")})

    def work():
        proposed = list(case.days_planned.filter(status=SessionDay.Status.PROPOSED))
        if not proposed:
            raise StepNotAvailable
        if accept:
            _bump(
                case,
                from_statuses=[Case.Status.SCHEDULING],
                version=version,
                status=Case.Status.DELIVERY,
            )
            SessionDay.objects.filter(pk__in=[d.pk for d in proposed]).update(
                status=SessionDay.Status.CONFIRMED
            )
            for day in proposed:
                day.status = SessionDay.Status.CONFIRMED
            audit_record(
                actor=actor,
                action="dates_confirmed",
                subject=case,
                case=case,
                comment=format_days(proposed),
            )
            attachment = invitation_attachment(case, proposed)
            notify(
                "dates_confirmed",
                case,
                applicant_side(case) + consultant_of(case),
                days=proposed,
                attachments_for=lambda _recipient: attachment,
            )
        else:
            _bump(case, from_statuses=[Case.Status.SCHEDULING], version=version)
            SessionDay.objects.filter(pk__in=[d.pk for d in proposed]).update(
                status=SessionDay.Status.CANCELLED
            )
            audit_record(
                actor=actor, action="dates_declined", subject=case, case=case, comment=comment
            )
            notify("dates_declined", case, consultant_of(case), comment=comment)

    _run_step(case, _flow().confirm, work)


def _delivery_complete(case: Case) -> bool:
    days = list(
        case.days_planned.exclude(
            status__in=[SessionDay.Status.PROPOSED, SessionDay.Status.CANCELLED]
        )
    )
    return bool(days) and all(d.status == SessionDay.Status.HELD for d in days)


def session_day_record(*, actor, day: SessionDay, participants: int) -> None:
    """The consultant records a day as held, with its participants."""
    case = day.case
    _require(_is_case_consultant(actor, case))
    if day.date > timezone.localdate():
        raise ValidationError(
            {"participants": _("A day can be recorded as held on the day or after it.")}
        )
    if not 1 <= participants <= 1000:
        raise ValidationError({"participants": _("Give the number of participants, 1–1000.")})

    def work():
        updated = SessionDay.objects.filter(pk=day.pk, status=SessionDay.Status.CONFIRMED).update(
            status=SessionDay.Status.HELD, participants=participants
        )
        if updated != 1:
            raise StepNotAvailable
        audit_record(
            actor=actor,
            action="day_held",
            subject=case,
            case=case,
            data={"day": day.pk, "participants": participants},
            comment=format_days([day]),
        )
        return _after_day_change(case)

    _day_step(case, work)


def _after_day_change(case: Case) -> bool:
    """Note the change on the case; True when every planned day is held (delivery done)."""
    if _delivery_complete(case):
        _bump(
            case, from_statuses=[Case.Status.DELIVERY], version=None, status=Case.Status.REPORTING
        )
        return True
    _bump(case, from_statuses=[Case.Status.DELIVERY], version=None)
    return False


def _day_step(case: Case, work) -> None:
    """A change of one day: completes the delivery step when the last day is held."""
    from viewflow.workflow.status import STATUS

    flow_class = _flow()
    with flow_class.lock(case.process_id):
        task = flow_class.task_class._default_manager.filter(
            process_id=case.process_id, flow_task=flow_class.deliver, status=STATUS.NEW
        ).first()
        if task is None:
            raise StepNotAvailable
        if work():
            activation = flow_class.deliver.activation_class(task)
            activation.run(lambda _activation: None)
            activation.execute()


def session_day_reschedule(*, actor, day: SessionDay, data: dict, reason: str) -> None:
    """Move a confirmed day; both sides get the updated invitation."""
    case = day.case
    _require(_is_case_consultant(actor, case) or access.is_coordinator(actor))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the day moves; the applicant sees it.")})
    _validate_days_one(case, day, data)

    def work():
        updated = SessionDay.objects.filter(pk=day.pk, status=SessionDay.Status.CONFIRMED).update(
            date=data["date"],
            start_time=data["start_time"],
            end_time=data["end_time"],
            place=data.get("place", ""),
            remote_link=data.get("remote_link", ""),
            sequence=day.sequence + 1,
        )
        if updated != 1:
            raise StepNotAvailable
        day.refresh_from_db()
        _bump(case, from_statuses=[Case.Status.DELIVERY], version=None)
        audit_record(
            actor=actor,
            action="day_rescheduled",
            subject=case,
            case=case,
            comment=reason,
            data={"day": day.pk},
        )
        attachment = invitation_attachment(case, [day])
        notify(
            "day_rescheduled",
            case,
            applicant_side(case) + consultant_of(case),
            days=[day],
            comment=reason,
            attachments_for=lambda _recipient: attachment,
        )
        return False

    _day_step(case, work)


def _validate_days_one(case: Case, day: SessionDay, data: dict) -> None:
    others = case.days_planned.exclude(pk=day.pk).exclude(status=SessionDay.Status.CANCELLED)
    if others.filter(date=data["date"]).exists():
        raise ValidationError(_("Another day of this sparring is on that date."))
    saved_days = case.days
    try:
        case.approved_days = 1
        _validate_days(case, [data], exclude_day=day)
    finally:
        case.approved_days = saved_days


def session_day_add(*, actor, case: Case, data: dict) -> SessionDay:
    """Add a day to replace a cancelled one, up to the approved number of days."""
    _require(_is_case_consultant(actor, case))
    active = case.days_planned.filter(
        status__in=[SessionDay.Status.CONFIRMED, SessionDay.Status.HELD]
    )
    if active.count() >= case.days:
        raise ValidationError(_("All the approved days are planned already."))
    if active.filter(date=data["date"]).exists():
        raise ValidationError(_("Another day of this sparring is on that date."))
    saved_days = case.approved_days
    try:
        case.approved_days = 1
        _validate_days(case, [data])
    finally:
        case.approved_days = saved_days
    created = []

    def work():
        day = SessionDay.objects.create(
            case=case,
            date=data["date"],
            start_time=data["start_time"],
            end_time=data["end_time"],
            place=data.get("place", ""),
            remote_link=data.get("remote_link", ""),
            status=SessionDay.Status.CONFIRMED,
        )
        created.append(day)
        _bump(case, from_statuses=[Case.Status.DELIVERY], version=None)
        audit_record(
            actor=actor, action="day_added", subject=case, case=case, comment=format_days([day])
        )
        attachment = invitation_attachment(case, [day])
        notify(
            "day_added",
            case,
            applicant_side(case) + consultant_of(case),
            days=[day],
            attachments_for=lambda _recipient: attachment,
        )
        return False

    _day_step(case, work)
    return created[0]


def session_day_cancel(*, actor, day: SessionDay, reason: str) -> None:
    """Cancel a confirmed day that will not take place; the calendar entry is cancelled."""
    case = day.case
    _require(_is_case_consultant(actor, case) or access.is_coordinator(actor))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the day is cancelled; the applicant sees it.")})

    def work():
        remaining = case.days_planned.filter(
            status__in=[SessionDay.Status.CONFIRMED, SessionDay.Status.HELD]
        ).exclude(pk=day.pk)
        if not remaining.exists():
            raise ValidationError(
                _(
                    "The only remaining day cannot be cancelled: move it instead, or cancel the whole case."
                )
            )
        updated = SessionDay.objects.filter(pk=day.pk, status=SessionDay.Status.CONFIRMED).update(
            status=SessionDay.Status.CANCELLED, sequence=day.sequence + 1
        )
        if updated != 1:
            raise StepNotAvailable
        day.refresh_from_db()
        audit_record(
            actor=actor,
            action="day_cancelled",
            subject=case,
            case=case,
            comment=reason,
            data={"day": day.pk},
        )
        attachment = invitation_attachment(case, [day], cancel=True)
        notify(
            "day_cancelled",
            case,
            applicant_side(case) + consultant_of(case),
            days=[day],
            comment=reason,
            attachments_for=lambda _recipient: attachment,
        )
        return _after_day_change(case)

    _day_step(case, work)


REPORT_FIELDS = (
    "participants",
    "refined_goal",
    "implementation",
    "themes_covered",
    "results",
    "follow_up",
)


def held_participants(case: Case) -> int:
    from django.db.models import Sum

    return (
        case.days_planned.filter(status=SessionDay.Status.HELD).aggregate(n=Sum("participants"))[
            "n"
        ]
        or 0
    )


def _report_for(case: Case) -> Report:
    return Report.objects.filter(case=case).first() or Report(case=case)


def _can_edit_report(case: Case, report: Report) -> bool:
    """First filing: while the report step is open. Later: when a coordinator returned it."""
    if case.status == Case.Status.REPORTING:
        return True
    return (
        report.pk is not None
        and report.status == Report.Status.RETURNED
        and case.status
        in (
            Case.Status.FEEDBACK,
            Case.Status.CLOSING,
        )
    )


@transaction.atomic
def report_save_draft(*, actor, case: Case, data: dict) -> Report:
    """Save the report unfinished; nothing is sent and the case does not move."""
    _require(_is_case_consultant(actor, case))
    case = Case.objects.select_for_update().get(pk=case.pk)
    report = _report_for(case)
    if not _can_edit_report(case, report):
        raise StepNotAvailable
    for field in REPORT_FIELDS:
        setattr(
            report, field, data.get(field) if field == "participants" else (data.get(field) or "")
        )
    if report.status != Report.Status.RETURNED:
        report.status = Report.Status.DRAFT
    report.full_clean()
    report.save()
    audit_record(actor=actor, action="report_draft_saved", subject=case, case=case)
    return report


def _validate_report(case: Case, data: dict) -> None:
    errors = {}
    for field in REPORT_FIELDS:
        if field != "participants" and not (data.get(field) or "").strip():
            errors[field] = _("Fill in this part of the report.")
    recorded = held_participants(case)
    if data.get("participants") != recorded:
        errors["participants"] = _(
            "The recorded days had %(recorded)s participants in all; give the same number "
            "here, or correct the days first."
        ) % {"recorded": recorded}
    if errors:
        raise ValidationError(errors)


def report_submit(*, actor, case: Case, data: dict, version: int) -> Report:
    """The consultant files the report (its PDF is made); the first filing starts the feedback period."""
    _require(_is_case_consultant(actor, case))
    _validate_report(case, data)
    report = _report_for(case)
    if report.status == Report.Status.RETURNED:
        return _report_resubmit(actor=actor, case=case, data=data)

    def work():
        _bump(
            case,
            from_statuses=[Case.Status.REPORTING],
            version=version,
            status=Case.Status.FEEDBACK,
        )
        filed = _report_for(case)
        for field in REPORT_FIELDS:
            setattr(filed, field, data[field])
        filed.status = Report.Status.SUBMITTED
        filed.revision = 1
        filed.submitted_at = timezone.now()
        filed.submitted_by = actor
        filed.full_clean()
        filed.save()
        audit_record(actor=actor, action="report_submitted", subject=case, case=case)
        surveys.survey_open(case=case)
        return filed

    return _run_step(case, _flow().report, work)


@transaction.atomic
def _report_resubmit(*, actor, case: Case, data: dict) -> Report:
    from .tasks import render_report_revision

    case = Case.objects.select_for_update().get(pk=case.pk)
    report = Report.objects.select_for_update().get(case=case)
    if not _can_edit_report(case, report):
        raise StepNotAvailable
    for field in REPORT_FIELDS:
        setattr(report, field, data[field])
    report.status = Report.Status.SUBMITTED
    report.revision += 1
    report.submitted_at = timezone.now()
    report.submitted_by = actor
    report.full_clean()
    report.save()
    audit_record(
        actor=actor,
        action="report_corrected",
        subject=case,
        case=case,
        data={"revision": report.revision},
    )
    source = f"revision:{report.pk}:{report.revision}"
    transaction.on_commit(lambda: render_report_revision.delay(case.pk, source))
    return report


@transaction.atomic
def report_return(*, actor, case: Case, comment: str) -> Report:
    """A coordinator returns a filed report to the consultant for correction."""
    _require(access.is_coordinator(actor))
    comment = comment.strip()
    if not comment:
        raise ValidationError({"comment": _("Say what to correct; the consultant sees it.")})
    case = Case.objects.select_for_update().get(pk=case.pk)
    updated = Report.objects.filter(
        case=case,
        status=Report.Status.SUBMITTED,
        case__status__in=[Case.Status.FEEDBACK, Case.Status.CLOSING],
    ).update(status=Report.Status.RETURNED, correction_comment=comment)
    if updated != 1:
        raise StepNotAvailable
    audit_record(actor=actor, action="report_returned", subject=case, case=case, comment=comment)
    notify("report_returned", case, consultant_of(case), comment=comment)
    return Report.objects.get(case=case)


def report_render(*, case_id: int, source: str) -> ReportDocument:
    """Render the case's report as a new PDF version; the applicant and coordinators are told.

    Runs in a Celery worker (the flow's render_report job) and is idempotent: a
    redelivered job finds the PDF its flow task already made.
    """
    from django.core.files.base import ContentFile
    from django.db.models import Max

    from . import pdf

    existing = ReportDocument.objects.filter(source=source).first()
    if existing is not None:
        return existing
    case = Case.objects.select_related(
        "organisation", "theme", "sector", "consultant__user", "consultant__supplier", "report"
    ).get(pk=case_id)
    content = pdf.render_pdf(pdf.report_html(case))
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case_id)
        version = (locked.report_documents.aggregate(v=Max("version"))["v"] or 0) + 1
        document = ReportDocument(
            case=locked,
            version=version,
            language=case.language,
            source=source,
            size=len(content),
        )
        document.file.save(f"report-v{version}.pdf", ContentFile(content), save=False)
        try:
            with transaction.atomic():
                document.save()
        except IntegrityError:  # a concurrent delivery of the same job saved it first
            document.file.delete(save=False)
            return ReportDocument.objects.get(source=source)
        audit_record(
            actor=None,
            action="report_pdf_made",
            subject=locked,
            case=locked,
            data={"version": version},
        )
        notify("report_filed", case, applicant_side(case) + coordinators())
    return document


def report_reminder(*, case: Case) -> None:
    """Timer: the report is late."""
    _remind(
        case, while_status=Case.Status.REPORTING, event="report_reminder", recipients=consultant_of
    )


def feedback_end(*, case: Case) -> None:
    """Timer: the feedback period is over; the case waits for a coordinator to close it."""
    _bump(case, from_statuses=[Case.Status.FEEDBACK], version=None, status=Case.Status.CLOSING)
    audit_record(actor=None, action="feedback_ended", subject=case, case=case)
    surveys.survey_close(case=case)
    notify("closing_due", case, coordinators())


@transaction.atomic
def case_take(*, actor, case: Case, version: int) -> Case:
    """A coordinator takes a waiting case into their own inbox (or takes it over)."""
    _require(access.is_coordinator(actor))
    previous = case.handler
    _bump(case, from_statuses=Case.WAITING_FOR_COORDINATOR, version=version, handler=actor)
    audit_record(
        actor=actor,
        action="case_taken",
        subject=case,
        case=case,
        comment=str(previous.get_full_name()) if previous else "",
    )
    return case


def case_close(*, actor, case: Case, comment: str, version: int) -> None:
    """A coordinator closes the case after the feedback period."""
    _require(access.is_coordinator(actor))

    def work():
        _bump(
            case,
            from_statuses=[Case.Status.CLOSING],
            version=version,
            status=Case.Status.CLOSED,
            closed_at=timezone.now(),
        )
        audit_record(
            actor=actor, action="case_closed", subject=case, case=case, comment=comment.strip()
        )
        notify("closed", case, applicant_side(case) + consultant_of(case))

    _run_step(case, _flow().close, work)


def _stop_case(
    *, actor, case: Case, reason: str, version: int, status: str, action: str, event: str
) -> None:
    from procurement.models import Offer

    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason; everyone involved sees it.")})
    with transaction.atomic():
        _bump(
            case,
            from_statuses=Case.OPEN_STATUSES,
            version=version,
            status=status,
            closed_at=timezone.now(),
        )
        open_offer = (
            Offer.objects.filter(case=case, status=Offer.Status.OFFERED)
            .select_related("consultant__user")
            .first()
        )
        Offer.objects.filter(case=case, status=Offer.Status.OFFERED).update(
            status=Offer.Status.WITHDRAWN, answered_at=timezone.now()
        )
        upcoming = list(
            case.days_planned.filter(
                status__in=[SessionDay.Status.PROPOSED, SessionDay.Status.CONFIRMED]
            )
        )
        confirmed = [d for d in upcoming if d.status == SessionDay.Status.CONFIRMED]
        SessionDay.objects.filter(pk__in=[d.pk for d in upcoming]).update(
            status=SessionDay.Status.CANCELLED
        )
        for day in confirmed:
            day.sequence += 1
        SessionDay.objects.filter(pk__in=[d.pk for d in confirmed]).update(
            sequence=models.F("sequence") + 1
        )
        _flow().instance.cancel(case.process)
        surveys.survey_close(case=case)
        audit_record(actor=actor, action=action, subject=case, case=case, comment=reason)
        involved = applicant_side(case) + coordinators() + consultant_of(case)
        if open_offer is not None:
            involved += consultant_of(case, open_offer.consultant)
        attachment = invitation_attachment(case, confirmed, cancel=True) if confirmed else None
        notify(
            event,
            case,
            involved,
            comment=reason,
            attachments_for=(lambda _recipient: attachment) if attachment else None,
        )


def case_withdraw(*, actor, case: Case, reason: str, version: int) -> None:
    """The applicant withdraws the application at any open step before the first day is held.

    After that the sparring has been (partly) delivered; a coordinator can still cancel it.
    """
    _require(_is_case_applicant(actor, case))
    if case.days_planned.filter(status=SessionDay.Status.HELD).exists():
        raise CaseError(
            _(
                "Days of this sparring have been held already; ask a coordinator if it must be stopped."
            )
        )
    _stop_case(
        actor=actor,
        case=case,
        reason=reason,
        version=version,
        status=Case.Status.WITHDRAWN,
        action="case_withdrawn",
        event="withdrawn",
    )


def case_cancel(*, actor, case: Case, reason: str, version: int) -> None:
    """A coordinator cancels the case at any open step."""
    _require(access.is_coordinator(actor))
    _stop_case(
        actor=actor,
        case=case,
        reason=reason,
        version=version,
        status=Case.Status.CANCELLED,
        action="case_cancelled",
        event="cancelled",
    )


@transaction.atomic
def case_delete_draft(*, actor, case: Case) -> None:
    """An unsubmitted draft can be deleted by its organisation's applicant."""
    _require(_is_case_applicant(actor, case))
    deleted, _detail = Case.objects.filter(pk=case.pk, status=Case.Status.DRAFT).delete()
    if not deleted:
        raise StepNotAvailable
    audit_record(actor=actor, action="draft_deleted", subject=f"sparring.case:{case.pk}")


def attachment_add(*, actor, case: Case, upload) -> Attachment:
    """Add a file to a draft or returned application, within the type and size limits."""
    import os

    _require(_is_case_applicant(actor, case))
    if case.status not in (Case.Status.DRAFT, Case.Status.RETURNED):
        raise CaseError(
            _("Files can be added while the application is a draft or returned for amendment.")
        )
    extension = os.path.splitext(upload.name)[1].lower()
    if extension not in ALLOWED_ATTACHMENT_TYPES:
        raise ValidationError(
            {
                "file": _("Allowed file types: %(types)s.")
                % {"types": ", ".join(sorted(ALLOWED_ATTACHMENT_TYPES))}
            }
        )
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError({"file": _("A file may be at most 10 MB.")})
    if upload.size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.status not in (Case.Status.DRAFT, Case.Status.RETURNED):
            raise CaseError(
                _("Files can be added while the application is a draft or returned for amendment.")
            )
        if locked.attachments.count() >= MAX_ATTACHMENTS_PER_CASE:
            raise ValidationError({"file": _("An application can have at most 5 files.")})
        attachment = Attachment(
            case=locked,
            original_name=os.path.basename(upload.name)[:200],
            content_type=ALLOWED_ATTACHMENT_TYPES[extension],
            size=upload.size,
            uploaded_by=actor,
        )
        attachment.file.save(upload.name, upload, save=False)
        attachment.save()
        audit_record(
            actor=actor,
            action="attachment_added",
            subject=case,
            case=case,
            comment=attachment.original_name,
        )
    return attachment


def attachment_remove(*, actor, attachment: Attachment) -> None:
    case = attachment.case
    _require(_is_case_applicant(actor, case))
    if case.status not in (Case.Status.DRAFT, Case.Status.RETURNED):
        raise CaseError(
            _("Files can be removed while the application is a draft or returned for amendment.")
        )
    with transaction.atomic():
        name = attachment.original_name
        attachment.delete()
        transaction.on_commit(lambda: attachment.file.delete(save=False))
        audit_record(
            actor=actor, action="attachment_removed", subject=case, case=case, comment=name
        )
