"""Who may see and do what: the one place in the code that decides.

Views, exports and files ask through ``user.has_perm(<perm>, obj)`` (rules'
object permission backend) or scope their querysets with the ``visible_*``
functions below; nothing else in the code inspects roles.
"""

from typing import Any

import rules
from django.apps import apps
from django.db import models
from django.db.models import QuerySet

from .models import Organisation, User

# ------------------------------------------------------------------------------
# Predicates
# ------------------------------------------------------------------------------


@rules.predicate
def is_applicant(user: Any) -> bool:
    return user.is_authenticated and user.role == User.Role.APPLICANT


@rules.predicate
def is_coordinator(user: Any) -> bool:
    return user.is_authenticated and (user.role == User.Role.COORDINATOR or user.is_superuser)


@rules.predicate
def is_consultant(user: Any) -> bool:
    return (
        user.is_authenticated
        and user.role == User.Role.CONSULTANT
        and hasattr(user, "consultant")
        and user.consultant.active
    )


@rules.predicate
def is_steering(user: Any) -> bool:
    return user.is_authenticated and user.role == User.Role.STEERING


@rules.predicate
def is_own_organisation(user: Any, organisation: Organisation | None) -> bool:
    return organisation is not None and user.organisation_id == organisation.pk


@rules.predicate
def is_own_supplier(user: Any, supplier: Any) -> bool:
    return supplier is not None and user.consultant.supplier_id == supplier.pk


def is_case_applicant(user: Any, case: Any) -> bool:
    """An applicant of the organisation the case belongs to."""
    return is_applicant(user) and user.organisation_id == case.organisation_id


def is_case_consultant(user: Any, case: Any) -> bool:
    """The consultant the case is assigned to."""
    return is_consultant(user) and case.consultant_id == user.consultant.pk


# ------------------------------------------------------------------------------
# Permissions
# ------------------------------------------------------------------------------
PROGRAMME_PERMISSIONS = {
    # The coordinator's and the steering group's pages.
    "sparring.coordinate": is_coordinator,
    "sparring.view_statistics": is_coordinator | is_steering,
    "sparring.apply": is_applicant,
    "sparring.deliver": is_consultant,
    "sparring.view_organisation": is_coordinator | (is_applicant & is_own_organisation),
    "procurement.view_supplier": is_coordinator | (is_consultant & is_own_supplier),
}


def register_model_permissions() -> None:
    """Register the programme permissions and give coordinators the model ones.

    Coordinators manage the records of this product in the Django admin; the
    add/change/delete/view permission of every model of the local apps is theirs
    unless a rule above says more precisely who has it.
    """
    for name, predicate in PROGRAMME_PERMISSIONS.items():
        rules.set_perm(name, predicate)
    for app_label in ("sparring", "procurement"):
        for model in apps.get_app_config(app_label).get_models():
            for action in model._meta.default_permissions:
                name = f"{app_label}.{action}_{model._meta.model_name}"
                if name not in PROGRAMME_PERMISSIONS:
                    rules.set_perm(name, is_coordinator)


# ------------------------------------------------------------------------------
# Querysets scoped to the user
# ------------------------------------------------------------------------------


def visible_organisations(user: Any) -> QuerySet[Organisation]:
    """The organisations whose records ``user`` may read."""
    if is_coordinator(user):
        return Organisation.objects.all()
    if is_applicant(user):
        return Organisation.objects.filter(pk=user.organisation_id)
    return Organisation.objects.none()


HOME_URL_NAMES = {
    User.Role.APPLICANT: "sparring:applicant_home",
    User.Role.COORDINATOR: "sparring:coordinator_home",
    User.Role.CONSULTANT: "sparring:consultant_home",
    User.Role.STEERING: "sparring:steering_home",
}


def home_url_name(user: Any) -> str:
    """The page a user lands on after logging in."""
    if is_coordinator(user):
        return HOME_URL_NAMES[User.Role.COORDINATOR]
    if is_consultant(user):
        return HOME_URL_NAMES[User.Role.CONSULTANT]
    return HOME_URL_NAMES.get(user.role, "sparring:no_role")


def visible_case_terms(user: Any) -> list[models.Q] | None:
    """The rule of ``visible_cases`` as conditions on ``Case``, any of which lets ``user``
    see a case: None for every case (coordinators), an empty list for none.

    Applicants: their organisation's. Consultants: those assigned to them, and those
    waiting for their answer to an offer (a consultant who declined, or whose offer
    expired, no longer sees the case). Each condition alone is served by an index; their OR is not
    (PostgreSQL scanned all 100 000 cases to count a consultant's: issue 17), so a list
    that pages may ask for each condition's cases and unite them
    (``api.selectors.case_ids``).
    """
    from procurement.models import Offer

    if is_coordinator(user):
        return None
    if is_applicant(user):
        return [models.Q(organisation_id=user.organisation_id)]
    if is_consultant(user):
        offered = Offer.objects.filter(consultant=user.consultant, status=Offer.Status.OFFERED)
        return [
            models.Q(consultant=user.consultant),
            models.Q(pk__in=offered.values("case_id")),
        ]
    return []


def visible_cases(user: Any):
    """The cases ``user`` may open: coordinators all, applicants their organisation's,
    consultants those assigned to them or waiting for their answer to an offer (a
    consultant who declined, or whose offer expired, no longer sees the case).
    Everyone else: none. The rule: ``visible_case_terms``."""
    from functools import reduce
    from operator import or_

    from .models import Case

    terms = visible_case_terms(user)
    if terms is None:
        return Case.objects.all()
    if not terms:
        return Case.objects.none()
    return Case.objects.filter(reduce(or_, terms))


def visible_case_parts(user: Any) -> list:
    """``visible_cases(user)`` as querysets whose union it is (a case may be in several),
    one per condition of ``visible_case_terms``, for lists that read a page at a time
    (``cases.selectors.CaseListRows``): each is read from its own index, where the OR of
    ``visible_cases`` makes PostgreSQL test every case (issue 17)."""
    from .models import Case

    terms = visible_case_terms(user)
    if terms is None:
        return [Case.objects.all()]
    if not terms:
        return [Case.objects.none()]
    return [Case.objects.filter(term) for term in terms]


def sees_case_in_memory(user: Any, case: Any) -> bool | None:
    """``visible_cases``'s answer for one loaded ``case``, from the rows already in memory.

    True for a coordinator, the organisation's match for an applicant, True for the
    consultant assigned to ``case``; None when only the database can tell (a
    consultant not assigned to it may have an open offer), False for anyone else.
    Lets a caller skip the query for most recipients (issue 17); keep it the same
    rule as ``visible_cases``.
    """
    if is_coordinator(user):
        return True
    if is_applicant(user):
        return user.organisation_id is not None and user.organisation_id == case.organisation_id
    if is_consultant(user):
        if case.consultant_id is not None and case.consultant_id == user.consultant.pk:
            return True
        return None
    return False


# ------------------------------------------------------------------------------
# The case conversation (sparring/conversation): who writes for which party, who reads what
# ------------------------------------------------------------------------------

# What each party may address a message to (``conversation.models.Audience`` values).
MESSAGE_AUDIENCES = {
    "coordinators": ("everyone", "applicant", "consultant", "internal"),
    "applicant": ("coordinators", "everyone"),
    "consultant": ("coordinators", "everyone"),
}


def message_party(user: Any, case: Any) -> str | None:
    """The side of ``case`` that ``user`` writes and reads the conversation for.

    ``"coordinators"`` for a coordinator, ``"applicant"`` for an applicant of the
    case's organisation, ``"consultant"`` for the consultant assigned to the case;
    None for anyone else — including a consultant who only has an open offer or
    whose assignment ended (issue 14.5: a consultant not assigned sees nothing).
    """
    if is_coordinator(user):
        return "coordinators"
    if is_case_applicant(user, case):
        return "applicant"
    if is_case_consultant(user, case):
        return "consultant"
    return None


def visible_messages(user: Any, case: Any = None, *, among=None):
    """The conversation messages ``user`` may read (a queryset): of ``case``, or with
    ``case`` None of every case where ``user`` is a party.

    Coordinators read all, internal notes included. The applicant's side and the
    assigned consultant read what their own side wrote and what was addressed to
    them or to everyone. Everyone else: none.

    ``among``: only the messages of these cases (ids; a few, e.g. a box's rows). The same
    rule, checked on those cases' own rows instead of the applicant's organisation's whole
    list of case ids, which PostgreSQL took as an index condition for each case counted
    (the homes' new-messages box: 10 ms for 21 cases of an organisation with 1 918, issue 17).
    """
    from sparring.conversation.models import CaseMessage
    from sparring.models import Case
    from sparring.queries import pk_among

    messages = CaseMessage.objects.all()
    if among is not None:
        messages = messages.filter(case_id__in=among)
    if case is not None:
        party = message_party(user, case)
        messages = messages.filter(case=case)
    elif is_coordinator(user):
        party = "coordinators"
    elif is_applicant(user):
        party = "applicant"
        # The organisation's case ids read first (``pk_among``), then their messages by
        # the index on the message's case: joined to the cases, PostgreSQL read every
        # message of the programme (issue 17, session 9: the applicant home's new-messages
        # box 22 ms → 3 ms at 100 000 cases). A consultant's cases are read as before:
        # there the ids did not help.
        if among is not None:
            messages = messages.filter(case__organisation_id=user.organisation_id)
        else:
            organisation_cases = Case.objects.filter(organisation_id=user.organisation_id)
            messages = messages.filter(pk_among(organisation_cases.values("pk"), field="case_id"))
    elif is_consultant(user):
        party = "consultant"
        messages = messages.filter(case__consultant=user.consultant)
    else:
        party = None
    if party == "coordinators":
        return messages
    if party is None:
        return messages.none()
    return messages.filter(
        models.Q(author_party=party) | models.Q(audience__in=("everyone", party))
    )
