"""People and organisations: creating them, atomically and audited."""

import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from sparring import access, clock
from sparring.audit import AuditAction, audit_record
from sparring.emails import email_queue
from sparring.models import Organisation, User
from sparring.notifications import coordinators
from sparring.validators import normalise_business_id, validate_business_id

from .models import AccessRequest, Invitation, token_digest


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
    """Create a person with a role; coordinators also get the Django admin.

    ``password`` None: the account has no usable password; its owner sets one
    through an invitation (``user_invite``) or "Forgot your password?".
    """
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
    """Register an organisation after validating its Business ID (stored as 1234567-8,
    whatever the spelling given: ``FI12345678``, ``1234567 8``…)."""
    from sparring.models import business_id_normalised

    business_id = business_id_normalised(business_id)
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


# ------------------------------------------------------------------------------
# Invitations: an account without a password and a link to set one
# ------------------------------------------------------------------------------


class InvitationInvalid(Exception):
    """The invitation link cannot be used; ``message`` says why, for the page."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _is_coordinator(actor: Any) -> bool:

    return bool(actor is not None and access.is_coordinator(actor))


def _email_taken(email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()


def _username_for(email: str) -> str:
    """The login name of an invited person: their e-mail address (lower case), made unique."""
    base = email.strip().lower()[:140]
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def invitation_url(token: str) -> str:
    """The absolute address of an invitation link (``SITE_URL`` + the set-password page)."""

    return settings.SITE_URL.rstrip("/") + reverse("sparring:invitation_accept", args=[token])


@transaction.atomic
def invitation_send(*, actor: Any | None, user: User) -> Invitation:
    """Send ``user`` a new single-use link to set their password; earlier unused links die.

    The link expires after ``SPARRING_INVITATION_DAYS`` days (default 7). The
    e-mail goes through the outbox in the person's language. Raises
    PermissionDenied unless ``actor`` is a coordinator (or None: the system),
    ValidationError for a deactivated person.
    """

    if actor is not None and not _is_coordinator(actor):
        raise PermissionDenied
    if not user.is_active:
        raise ValidationError(_("This person is deactivated: reactivate them first."))
    now = clock.now()
    Invitation.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        user=user,
        token_digest=token_digest(token),
        invited_by=actor if _is_coordinator(actor) else None,
        created=now,
        expires_at=now + timedelta(days=settings.SPARRING_INVITATION_DAYS),
    )
    organisation = user.organisation.display_name(user.language) if user.organisation_id else ""
    email_queue(
        to=user.email,
        template="invitation",
        language=user.language,
        context={
            "user": user,
            "url": invitation_url(token),
            "expires": invitation.expires_at,
            "organisation": organisation,
            "role": user.role,
            "site_name": settings.SITE_NAME,
        },
    )
    audit_record(
        actor=actor,
        action=AuditAction.USER_INVITED,
        subject=user,
        data={"invitation": invitation.pk, "expires": invitation.expires_at.isoformat()},
    )
    return invitation


@transaction.atomic
def user_invite(
    *,
    actor: Any,
    email: str,
    role: str,
    first_name: str,
    last_name: str,
    organisation: Organisation | None = None,
    supplier: Any = None,
    language: str = "fi",
) -> User:
    """Create a person's account without a password and e-mail them an invitation.

    Applicants need an organisation (several people may share one), consultants a
    supplier (their consultant record is created without themes: they fill in
    their profile after logging in). Only a superuser may invite a coordinator
    (least privilege, as in the admin). Raises PermissionDenied for a non-coordinator,
    ValidationError for an address already in use (naming the account) or a missing
    organisation or supplier.
    """

    if not _is_coordinator(actor):
        raise PermissionDenied
    if role == User.Role.COORDINATOR and not actor.is_superuser:
        raise PermissionDenied
    existing = _email_taken(email)
    if existing is not None:
        raise ValidationError(
            {
                "email": _(
                    "%(email)s already has an account (%(name)s). Deactivated people can be "
                    "reactivated on the people page."
                )
                % {"email": email, "name": existing.get_full_name() or existing.username}
            }
        )
    if role == User.Role.APPLICANT and organisation is None:
        raise ValidationError(
            {"organisation": _("Choose the organisation the applicant acts for.")}
        )
    if role == User.Role.CONSULTANT and supplier is None:
        raise ValidationError({"supplier": _("Choose the consultant's supplier.")})
    user = user_create(
        actor=actor,
        username=_username_for(email),
        email=email.strip(),
        role=role,
        password=None,
        first_name=first_name,
        last_name=last_name,
        organisation=organisation if role == User.Role.APPLICANT else None,
        language=language,
    )
    if role == User.Role.CONSULTANT:
        from procurement.services import consultant_create

        consultant_create(actor=actor, user=user, supplier=supplier, languages=[language])
    invitation_send(actor=actor, user=user)
    return user


def invitation_find(token: str) -> Invitation | None:
    """The invitation whose link carries ``token``, or None."""
    if not token or len(token) > 100:
        return None
    return (
        Invitation.objects.select_related("user").filter(token_digest=token_digest(token)).first()
    )


def invitation_check(invitation: Invitation | None) -> None:
    """Raise InvitationInvalid with the reason when the link cannot be used now."""

    if invitation is None:
        raise InvitationInvalid(
            _("This invitation link is not valid. Check that the whole address was copied.")
        )
    if invitation.used_at is not None:
        raise InvitationInvalid(
            _(
                "This invitation has been used already: log in with your username, or use "
                "“Forgot your password?” on the login page."
            )
        )
    if not invitation.user.is_active:
        raise InvitationInvalid(_("This account has been deactivated. Ask the programme office."))
    if clock.now() >= invitation.expires_at:
        raise InvitationInvalid(
            _(
                "This invitation has expired. Ask the programme office for a new one, or use "
                "“Forgot your password?” on the login page."
            )
        )


@transaction.atomic
def invitation_accept(*, token: str, password: str) -> User:
    """Set the invited person's password through their link; the link is then used up.

    Raises InvitationInvalid (unknown, used, expired, deactivated) and
    ValidationError for a password Django's validators refuse. The row is locked,
    so a link sent twice at once sets the password once.
    """

    found = invitation_find(token)
    invitation = (
        Invitation.objects.select_for_update().select_related("user").get(pk=found.pk)
        if found
        else None
    )
    invitation_check(invitation)
    user = invitation.user
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    now = clock.now()
    invitation.used_at = now
    invitation.save(update_fields=["used_at"])
    Invitation.objects.filter(user=user, used_at__isnull=True).update(expires_at=now)
    audit_record(
        actor=user,
        action=AuditAction.INVITATION_ACCEPTED,
        subject=user,
        data={"invitation": invitation.pk},
    )
    return user


@transaction.atomic
def password_reset_done(*, user: User) -> None:
    """Record that ``user`` chose a new password through a reset link; their open
    invitation links die (the password is set)."""

    now = clock.now()
    Invitation.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now
    )
    audit_record(actor=user, action=AuditAction.PASSWORD_RESET, subject=user)


def _check_may_manage(actor: Any, user: User) -> None:

    if not _is_coordinator(actor):
        raise PermissionDenied
    if user.pk == actor.pk:
        raise ValidationError(_("You cannot deactivate your own account."))
    privileged = user.is_superuser or user.is_staff or user.role == User.Role.COORDINATOR
    if privileged and not actor.is_superuser:
        raise PermissionDenied


@transaction.atomic
def user_deactivate(*, actor: Any, user: User, reason: str = "") -> User:
    """Stop ``user`` from logging in; their cases, reports and audit rows stay as they are.

    Open invitation links die. Only a superuser deactivates a coordinator or an
    administrator. Raises PermissionDenied, or ValidationError for oneself.
    """

    _check_may_manage(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        return user
    user.is_active = False
    user.save(update_fields=["is_active"])
    now = clock.now()
    Invitation.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now
    )
    audit_record(actor=actor, action=AuditAction.USER_DEACTIVATED, subject=user, comment=reason)
    return user


@transaction.atomic
def user_reactivate(*, actor: Any, user: User) -> User:
    """Let a deactivated person log in again (with their old password, or a reset link)."""
    _check_may_manage(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active:
        return user
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(actor=actor, action=AuditAction.USER_REACTIVATED, subject=user)
    return user


# ------------------------------------------------------------------------------
# Requests for access from organisations not yet registered
# ------------------------------------------------------------------------------


def business_id_conflict(business_id: str) -> str:
    """Why a request for ``business_id`` (normalised) cannot be made, or "".

    Names the registered organisation or the request that waits, so the person
    knows whom to ask.
    """

    organisation = Organisation.objects.filter(business_id=business_id).first()
    if organisation is not None:
        return _(
            "%(name)s (%(business_id)s) is registered already. Ask a colleague who uses the "
            "service to have you invited, or write to the programme office."
        ) % {"name": organisation.display_name(), "business_id": organisation.business_id}
    pending = AccessRequest.objects.filter(
        business_id=business_id, status=AccessRequest.Status.PENDING
    ).first()
    if pending is not None:
        return _(
            "A request for %(name)s (%(business_id)s) is already waiting for the programme "
            "office's decision."
        ) % {"name": pending.display_name(), "business_id": pending.business_id}
    return ""


@transaction.atomic
def access_request_submit(
    *,
    business_id: str,
    name_fi: str,
    kind: str,
    region: str,
    first_name: str,
    last_name: str,
    email: str,
    name_sv: str = "",
    phone: str = "",
    title: str = "",
    language: str = "fi",
) -> AccessRequest:
    """Record a request for access (public page); coordinators are told by e-mail.

    ``business_id`` in any spelling (``12345678``, ``1234567 8``, ``FI12345678``)
    is stored in its normalised form 1234567-8. Raises ValidationError for an
    invalid Business ID, an organisation already registered or requested (the
    message names it) or an e-mail address that already has an account.
    """

    validate_business_id(business_id)
    business_id = normalise_business_id(business_id)
    conflict = business_id_conflict(business_id)
    if conflict:
        raise ValidationError({"business_id": conflict})
    if _email_taken(email) is not None:
        raise ValidationError(
            {
                "email": _(
                    "This address already has an account: log in, or use “Forgot your "
                    "password?” on the login page."
                )
            }
        )
    request = AccessRequest(
        business_id=business_id,
        name_fi=name_fi.strip(),
        name_sv=name_sv.strip(),
        kind=kind,
        region=region,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip(),
        phone=phone.strip(),
        title=title.strip(),
        language=language,
    )
    request.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError:  # the same organisation requested at the same moment
        raise ValidationError({"business_id": business_id_conflict(business_id)}) from None
    audit_record(
        actor=None,
        action=AuditAction.ACCESS_REQUESTED,
        subject=request,
        data={"business_id": business_id, "email": request.email},
    )

    for recipient in coordinators():
        email_queue(
            to=recipient.email,
            template="access_requested",
            language=recipient.language,
            context={
                "request": request,
                "url": settings.SITE_URL.rstrip("/") + reverse("sparring:coordinator_home"),
                "site_name": settings.SITE_NAME,
            },
        )
    return request


def _pending_request(actor: Any, request: AccessRequest) -> AccessRequest:

    if not _is_coordinator(actor):
        raise PermissionDenied
    locked = AccessRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != AccessRequest.Status.PENDING:
        raise ValidationError(
            _("This request was decided already (%(status)s).")
            % {"status": locked.get_status_display()}
        )
    return locked


@transaction.atomic
def access_request_approve(*, actor: Any, request: AccessRequest) -> User:
    """Register the requested organisation and invite the person as its applicant.

    All or nothing: if the organisation was registered meanwhile, or the address
    got an account, nothing is created and ValidationError says why. Raises
    PermissionDenied for a non-coordinator.
    """

    request = _pending_request(actor, request)
    if Organisation.objects.filter(business_id=request.business_id).exists():
        raise ValidationError(business_id_conflict(request.business_id))
    if _email_taken(request.email) is not None:
        raise ValidationError(
            _("%(email)s has an account already: decline the request and invite them instead.")
            % {"email": request.email}
        )
    organisation = organisation_create(
        actor=actor,
        name_fi=request.name_fi,
        name_sv=request.name_sv,
        business_id=request.business_id,
        kind=request.kind,
        region=request.region,
    )
    user = user_invite(
        actor=actor,
        email=request.email,
        role=User.Role.APPLICANT,
        first_name=request.first_name,
        last_name=request.last_name,
        organisation=organisation,
        language=request.language,
    )
    request.status = AccessRequest.Status.APPROVED
    request.decided_at = clock.now()
    request.decided_by = actor
    request.organisation = organisation
    request.save(update_fields=["status", "decided_at", "decided_by", "organisation"])
    audit_record(
        actor=actor,
        action=AuditAction.ACCESS_APPROVED,
        subject=request,
        data={"organisation": organisation.pk, "user": user.pk},
    )
    return user


@transaction.atomic
def access_request_decline(*, actor: Any, request: AccessRequest, reason: str) -> AccessRequest:
    """Decline a request with a reason, which is e-mailed to the person in their language.

    Raises ValidationError without a reason or when the request was decided already.
    """

    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why: the person gets the reason by e-mail.")})
    request = _pending_request(actor, request)
    request.status = AccessRequest.Status.DECLINED
    request.decided_at = clock.now()
    request.decided_by = actor
    request.reason = reason
    request.save(update_fields=["status", "decided_at", "decided_by", "reason"])
    email_queue(
        to=request.email,
        template="access_declined",
        language=request.language,
        context={"request": request, "reason": reason, "site_name": settings.SITE_NAME},
    )
    audit_record(actor=actor, action=AuditAction.ACCESS_DECLINED, subject=request, comment=reason)
    return request


def password_reset_users(email: str):
    """Active accounts whose address is ``email`` (compared case-insensitively): each gets
    the reset link, also one that has never had a password (created by an invitation or
    an import; Django's own form skips those, which left them no way in)."""
    return get_user_model()._default_manager.filter(email__iexact=email, is_active=True)


def password_reset_email(*, user: User) -> None:
    """Queue the reset link of ``user`` in the outbox, in their language; audited.

    The link starts with the configured site address, as every other e-mail link does,
    not with whatever Host header a request came with.
    """
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    site = urlsplit(settings.SITE_URL)
    email_queue(
        to=user.email,
        template="password_reset",
        context={
            "email": user.email,
            "user": user,
            "uid": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
            "site_name": settings.SITE_NAME,
            "protocol": site.scheme,
            "domain": site.netloc + site.path.rstrip("/"),
        },
        language=user.language,
    )
    audit_record(actor=None, action=AuditAction.PASSWORD_RESET_REQUESTED, subject=user)


def password_reset_send(*, request_id: int) -> int:
    """The background half of a password reset request (``security.password_reset_request``):
    queue the reset link in the outbox for every active account with the address
    (``password_reset_email``), unless the request was over the limit (then audited).

    Idempotent: a request is handled once; its address is blanked afterwards (only the
    digest stays, for the limit). Returns the number of e-mails queued.
    """
    from .models import PasswordResetRequest
    from .security import KEEP_RECORDS

    with transaction.atomic():
        # Requests (address digests, client addresses) are kept one day, then forgotten.
        PasswordResetRequest.objects.filter(created__lt=clock.now() - KEEP_RECORDS).delete()
        row = PasswordResetRequest.objects.select_for_update().filter(pk=request_id).first()
        if row is None or row.handled_at is not None:
            return 0
        email, row.email, row.handled_at = row.email, "", clock.now()
        row.save(update_fields=["email", "handled_at"])
        users = list(password_reset_users(email)) if email else []
        for user in users:
            if row.limited:
                audit_record(
                    actor=None,
                    action=AuditAction.PASSWORD_RESET_LIMITED,
                    subject=user,
                    data={"ip": row.ip_address},
                )
            else:
                password_reset_email(user=user)
        return 0 if row.limited else len(users)
