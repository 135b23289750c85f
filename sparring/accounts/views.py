"""People pages: the coordinator's list and invitations, requests for access, setting a password.

The request-for-access page and the invitation link are public (no login); every
other page here is the coordinators'.
"""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sparring import access
from sparring.formtools import add_errors
from sparring.models import User

from . import security, services, twofactor
from .forms import AccessRequestForm, DeclineForm, InvitationAcceptForm, InviteForm
from .models import AccessRequest

PAGE_SIZE = 25


def _require_coordinator(request: HttpRequest) -> None:
    if not access.is_coordinator(request.user):
        raise PermissionDenied


def people_list(request: HttpRequest) -> HttpResponse:
    """Everyone with an account, filtered by role, state or a search (paginated)."""
    _require_coordinator(request)
    people = User.objects.select_related(
        "organisation", "consultant__supplier", "second_factor"
    ).order_by("-is_active", "last_name", "first_name", "pk")
    role = request.GET.get("role", "")
    if role in User.Role.values:
        people = people.filter(role=role)
    state = request.GET.get("state", "")
    if state == "active":
        people = people.filter(is_active=True)
    elif state == "inactive":
        people = people.filter(is_active=False)
    query = request.GET.get("q", "").strip()[:100]
    if query:
        people = people.filter(
            Q(username__icontains=query)
            | Q(email__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(organisation__name_fi__icontains=query)
            | Q(organisation__name_sv__icontains=query)
        )
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/people.html",
        {"page": page, "roles": User.Role.choices, "role": role, "state": state, "q": query},
    )


def person_invite(request: HttpRequest) -> HttpResponse:
    """Invite a person by e-mail with a role (and organisation or supplier)."""
    _require_coordinator(request)
    form = InviteForm(
        request.POST or None,
        actor=request.user,
        initial={"organisation": request.GET.get("organisation") or None, "language": "fi"},
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_invite(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("An invitation was sent to %(email)s. The link is valid for %(days)s days.")
                % {"email": user.email, "days": _invitation_days()},
            )
            return redirect("sparring:people_list")
    return render(
        request, "accounts/invite.html", {"form": form}, status=400 if form.errors else 200
    )


def _invitation_days() -> int:
    from django.conf import settings

    return settings.SPARRING_INVITATION_DAYS


@require_POST
def person_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Deactivate, reactivate or re-invite a person, or (a superuser) reset their
    authenticator app (the people list's buttons)."""
    _require_coordinator(request)
    person = get_object_or_404(User, pk=pk)
    try:
        if action == "deactivate":
            services.user_deactivate(actor=request.user, user=person)
            messages.success(
                request,
                _("%(name)s can no longer log in. Their history is kept.")
                % {"name": _name(person)},
            )
        elif action == "reactivate":
            services.user_reactivate(actor=request.user, user=person)
            messages.success(request, _("%(name)s can log in again.") % {"name": _name(person)})
        elif action == "reset-second-factor":
            twofactor.second_factor_reset(actor=request.user, user=person)
            messages.success(
                request,
                _("%(name)s sets up a new authenticator app at their next login.")
                % {"name": _name(person)},
            )
        elif action == "invite":
            services.invitation_send(actor=request.user, user=person)
            messages.success(
                request, _("A new invitation was sent to %(email)s.") % {"email": person.email}
            )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    except PermissionDenied:
        messages.error(request, _("Only an administrator can change this account."))
    return redirect("sparring:people_list")


def _name(person: User) -> str:
    return person.get_full_name() or person.username


@login_not_required
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation link: choose a password, then land on one's home, logged in."""
    invitation = services.invitation_find(token)
    try:
        services.invitation_check(invitation)
    except services.InvitationInvalid as invalid:
        return render(
            request,
            "accounts/invitation.html",
            {"problem": invalid.message},
            status=410 if invitation else 404,
        )
    form = InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token, password=form.cleaned_data["new_password1"]
            )
        except services.InvitationInvalid as invalid:
            return render(
                request, "accounts/invitation.html", {"problem": invalid.message}, status=410
            )
        except ValidationError as error:
            form.add_error("new_password1", error)
        else:
            # Setting the password proves it: the session starts as after a password login
            # (a coordinator is then asked to set up the second factor).
            security.mark_password_login(user)
            login(request, user, backend="sparring.accounts.backends.CaseInsensitiveModelBackend")
            messages.success(request, _("Your password is set. Welcome!"))
            return redirect("home")
    return render(
        request,
        "accounts/invitation.html",
        {"form": form, "person": invitation.user},
        status=400 if form.errors else 200,
    )


@login_not_required
def access_request(request: HttpRequest) -> HttpResponse:
    """The public page on which an organisation not yet registered asks for access."""
    form = AccessRequestForm(
        request.POST or None, initial={"language": (get_language() or "fi")[:2]}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.access_request_submit(**form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            return redirect("sparring:access_request_sent")
    context = {
        "form": form,
        "organisation_fields": [form[name] for name in ORGANISATION_FIELDS],
        "person_fields": [form[name] for name in PERSON_FIELDS],
    }
    return render(
        request, "accounts/request_access.html", context, status=400 if form.errors else 200
    )


ORGANISATION_FIELDS = ("business_id", "name_fi", "name_sv", "kind", "region")
PERSON_FIELDS = ("first_name", "last_name", "title", "email", "phone", "language")


@login_not_required
def access_request_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/request_sent.html")


@require_POST
def access_request_decide(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Approve (register and invite) or decline (with a reason) a request for access."""
    _require_coordinator(request)
    pending = get_object_or_404(AccessRequest, pk=pk)
    try:
        if action == "approve":
            user = services.access_request_approve(actor=request.user, request=pending)
            messages.success(
                request,
                _("%(organisation)s is registered and %(email)s was invited as its applicant.")
                % {"organisation": pending.display_name(), "email": user.email},
            )
        elif action == "decline":
            form = DeclineForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Say why: the person gets the reason by e-mail."))
            services.access_request_decline(
                actor=request.user, request=pending, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("The request was declined and the person told why."))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("sparring:coordinator_home")


def subject_access_page(request: HttpRequest) -> HttpResponse:
    """A coordinator exports all data held about one person as a JSON file (GDPR Art. 15).

    GET: the form. POST: the file (``sparring.retention.subject_access_export``),
    recorded in the audit trail without the person's address.
    """
    from sparring.retention import subject_access_export

    from .forms import SubjectAccessForm

    _require_coordinator(request)
    form = SubjectAccessForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _data, text = subject_access_export(actor=request.user, email=form.cleaned_data["email"])
        response = HttpResponse(text + "\n", content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="subject-access.json"'
        response["Cache-Control"] = "no-store"
        return response
    return render(
        request,
        "accounts/subject_access.html",
        {"form": form},
        status=400 if form.errors else 200,
    )
