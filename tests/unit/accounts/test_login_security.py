"""Signing in securely (issue 15 items 1 and 2): throttling and lockout, the audit trail of
logins, the password reset's constant work and limit, the second factor, session limits."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sparring import clock
from sparring.accounts import security, twofactor
from sparring.accounts.models import (
    LoginFailure,
    PasswordResetRequest,
    RecoveryCode,
    SecondFactor,
)
from sparring.models import AuditEvent, OutboundEmail, User
from tests.conftest import (
    PASSWORD,
    login_fully,
    make_user,
    second_factor_secret,
)

LOGIN = "/accounts/login/"


def post_login(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def actions(subject=None):
    events = AuditEvent.objects.order_by("pk")
    if subject is not None:
        events = events.filter(subject=subject)
    return list(events.values_list("action", flat=True))


def at_home(client) -> bool:
    """The person's home opens (not the login page nor the second factor's)."""
    response = client.get(reverse("home"), follow=True)
    final = response.redirect_chain[-1][0] if response.redirect_chain else reverse("home")
    return response.status_code == 200 and not final.startswith(
        (reverse("login"), reverse("second_factor"), reverse("second_factor_enrol"))
    )


def make_admin(username="root.admin"):
    user = make_user(User.Role.COORDINATOR, username)
    User.objects.filter(pk=user.pk).update(is_superuser=True, is_staff=True)
    user.refresh_from_db()
    return user


def in_language(client, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


# ------------------------------------------------------------------------------
# Throttling and lockout
# ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client, applicant):
    for _ in range(settings.SPARRING_LOGIN_FAILURES_PER_ACCOUNT - 1):
        assert post_login(client, applicant.username, "wrong-password-123").status_code == 200
    # the failure that reaches the limit answers with the lockout page
    assert post_login(client, applicant.username, "wrong-password-123").status_code == 429
    response = post_login(client, applicant.username, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "liian monta kertaa" in response.content.decode()
    subject = f"sparring.user:{applicant.pk}"
    recorded = actions(subject)
    assert recorded.count("login_failed") == settings.SPARRING_LOGIN_FAILURES_PER_ACCOUNT + 1
    assert recorded.count("login_locked_out") == 1  # once, when the lock began


@pytest.mark.django_db
def test_the_lock_is_per_account_in_any_letter_case(client, applicant, other_applicant):
    for _ in range(settings.SPARRING_LOGIN_FAILURES_PER_ACCOUNT):
        post_login(client, applicant.username.upper(), "wrong-password-123")
    assert post_login(client, applicant.username, PASSWORD).status_code == 429
    # another account from the same address still logs in
    assert post_login(client, other_applicant.username, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_lockout_expires_by_itself(client, applicant):
    for _ in range(settings.SPARRING_LOGIN_FAILURES_PER_ACCOUNT):
        post_login(client, applicant.username, "wrong-password-123")
    later = clock.now() + timedelta(minutes=settings.SPARRING_LOGIN_WINDOW_MINUTES + 1)
    with clock.travel(later):
        assert post_login(client, applicant.username, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_an_address_is_locked_after_many_failures_on_any_accounts(client, settings, applicant):
    settings.SPARRING_LOGIN_FAILURES_PER_ADDRESS = 4
    for n in range(4):
        post_login(client, f"nobody{n}", "wrong-password-123", REMOTE_ADDR="203.0.113.7")
    assert (
        post_login(client, applicant.username, PASSWORD, REMOTE_ADDR="203.0.113.7").status_code
        == 429
    )
    assert (
        post_login(client, applicant.username, PASSWORD, REMOTE_ADDR="203.0.113.8").status_code
        == 302
    )
    assert AuditEvent.objects.filter(action="login_locked_out", data__by="address").exists()


def test_the_client_address_comes_from_the_trusted_proxy_header_only(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9")
    settings.SPARRING_TRUSTED_PROXY_HOPS = 0
    assert security.client_ip(request) == "10.0.0.2"  # no proxy: the header is the client's
    settings.SPARRING_TRUSTED_PROXY_HOPS = 1
    assert security.client_ip(request) == "203.0.113.9"  # what our proxy appended
    settings.SPARRING_TRUSTED_PROXY_HOPS = 2
    assert security.client_ip(request) == "198.51.100.1"
    bad = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="not-an-address")
    settings.SPARRING_TRUSTED_PROXY_HOPS = 1
    assert security.client_ip(bad) is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("fi", "Kirjautuminen on keskeytetty"),
        ("sv", "Inloggningen är pausad"),
        ("en", "Logging in is paused"),
    ],
)
def test_the_lockout_page_is_translated_and_offers_a_way_back(client, applicant, language, text):
    in_language(client, language)
    for _ in range(settings.SPARRING_LOGIN_FAILURES_PER_ACCOUNT):
        post_login(client, applicant.username, "wrong-password-123")
    response = post_login(client, applicant.username, "wrong-password-123")
    assert response.status_code == 429
    page = response.content.decode()
    assert text in page
    assert reverse("password_reset") in page
    assert settings.PROGRAMME_CONTACT_EMAIL in page


@pytest.mark.django_db
def test_a_coordinator_lists_and_lifts_a_lockout(client, applicant, coordinator):
    for _ in range(settings.SPARRING_LOGIN_FAILURES_PER_ACCOUNT):
        post_login(client, applicant.username, "wrong-password-123")
    staff = type(client)()
    staff.force_login(coordinator)
    page = staff.get(reverse("sparring:lockout_list"))
    assert page.status_code == 200
    assert applicant.username in page.content.decode()
    response = staff.post(
        reverse("sparring:lockout_lift"), {"kind": "account", "key": applicant.username}
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(
        action="login_unlocked", actor=coordinator, subject=f"sparring.user:{applicant.pk}"
    ).exists()
    assert post_login(client, applicant.username, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_only_coordinators_see_or_lift_lockouts(client, applicant):
    client.force_login(applicant)
    assert client.get(reverse("sparring:lockout_list")).status_code == 403
    assert (
        client.post(reverse("sparring:lockout_lift"), {"kind": "account", "key": "x"}).status_code
        == 403
    )


@pytest.mark.django_db
def test_a_successful_login_is_audited_and_clears_the_accounts_failures(client, applicant):
    post_login(client, applicant.username, "wrong-password-123")
    assert post_login(client, applicant.username, PASSWORD).status_code == 302
    assert actions(f"sparring.user:{applicant.pk}")[-2:] == ["login_failed", "login_succeeded"]
    assert not LoginFailure.objects.filter(username=applicant.username).exists()


@pytest.mark.django_db
def test_login_events_are_read_by_coordinators_in_the_admin(client, applicant):
    post_login(client, applicant.username, "wrong-password-123")
    admin = make_admin()
    staff = type(client)()
    staff.force_login(admin)
    page = staff.get("/admin/sparring/auditevent/?action=login_failed")
    assert page.status_code == 200
    assert "Kirjautuminen epäonnistui" in page.content.decode()


# ------------------------------------------------------------------------------
# Password reset
# ------------------------------------------------------------------------------


def request_reset(client, email, django_capture_on_commit_callbacks, execute=True):
    with django_capture_on_commit_callbacks(execute=execute) as callbacks:
        response = client.post(reverse("password_reset"), {"email": email})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    return callbacks


@pytest.mark.django_db
def test_a_reset_for_a_known_and_an_unknown_address_runs_the_same_queries(
    client, applicant, django_capture_on_commit_callbacks
):
    """Timing-independent: the request itself runs the same statements for both and
    leaves the lookup and the e-mail to the background."""
    recorded = {}
    for email in (applicant.email, "nobody@example.invalid"):
        with CaptureQueriesContext(connection) as queries:
            callbacks = request_reset(
                client, email, django_capture_on_commit_callbacks, execute=False
            )
        recorded[email] = [
            re.sub(
                r"'\d{4}-\d\d-\d\d [\d:.]+(\+\d\d:\d\d)?'",
                "t",
                re.sub(r'"s\d+_x\d+"', "sp", q["sql"]),
            )
            .replace(security.email_digest(email), "?")
            .replace(email, "?")
            for q in queries.captured_queries
        ]
        assert len(callbacks) == 1  # one background task, nothing sent inline
    assert recorded[applicant.email] == recorded["nobody@example.invalid"]
    assert not OutboundEmail.objects.exists()  # before the background has run


@pytest.mark.django_db
def test_the_reset_email_is_queued_in_the_outbox_by_the_background(
    client, applicant, django_capture_on_commit_callbacks, mailoutbox
):
    request_reset(client, applicant.email.upper(), django_capture_on_commit_callbacks)
    email = OutboundEmail.objects.get()
    assert email.to == applicant.email
    assert email.template == "password_reset"
    # the message sent carries the link; the copy kept in the outbox no longer does
    assert "/accounts/password-reset/" in mailoutbox[-1].body
    assert "/accounts/password-reset/" not in email.body_text
    row = PasswordResetRequest.objects.get()
    assert row.handled_at is not None and row.email == ""  # the address is not kept


@pytest.mark.django_db
def test_at_most_three_reset_emails_per_address_an_hour(
    client, applicant, django_capture_on_commit_callbacks
):
    for _ in range(5):
        request_reset(client, applicant.email, django_capture_on_commit_callbacks)
    assert OutboundEmail.objects.count() == settings.SPARRING_PASSWORD_RESET_PER_HOUR
    assert AuditEvent.objects.filter(action="password_reset_limited").count() == 2
    with clock.travel(clock.now() + timedelta(hours=1, minutes=1)):
        request_reset(client, applicant.email, django_capture_on_commit_callbacks)
    assert OutboundEmail.objects.count() == settings.SPARRING_PASSWORD_RESET_PER_HOUR + 1


@pytest.mark.django_db
def test_an_unknown_address_gets_the_same_answer_and_no_email(
    client, django_capture_on_commit_callbacks
):
    request_reset(client, "nobody@example.invalid", django_capture_on_commit_callbacks)
    assert not OutboundEmail.objects.exists()


# ------------------------------------------------------------------------------
# Passwords
# ------------------------------------------------------------------------------


def test_passwords_have_at_least_twelve_characters():
    with pytest.raises(ValidationError):
        validate_password("Kx9!mQ2#vL7")  # 11
    validate_password("Kx9!mQ2#vL7p")  # 12


# ------------------------------------------------------------------------------
# The second factor
# ------------------------------------------------------------------------------


def test_totp_matches_rfc_6238_test_vectors():
    import base64

    secret = base64.b32encode(b"12345678901234567890").decode()
    # RFC 6238 appendix B (SHA-1), the last six digits
    assert twofactor.totp(secret, 59 // 30) == "287082"
    assert twofactor.totp(secret, 1111111109 // 30) == "081804"
    assert twofactor.totp(secret, 2000000000 // 30) == "279037"


@pytest.mark.django_db
def test_an_applicant_logs_in_without_a_second_factor(client, applicant):
    response = post_login(client, applicant.username, PASSWORD)
    assert response["Location"] == reverse("home")
    assert at_home(client)
    assert security.SESSION_SECOND_FACTOR not in client.session


@pytest.mark.django_db
def test_a_coordinator_sets_up_the_app_at_the_first_login(client, coordinator):
    response = post_login(client, coordinator.username, PASSWORD)
    assert response.status_code == 302
    # every page leads to the second factor until it is given
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("second_factor"))
    assert client.post(reverse("sparring:lockout_lift"), {}).status_code == 403
    response = client.get(reverse("second_factor"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("second_factor_enrol"))
    page = response.content.decode()
    assert "<svg" in page  # the QR code, drawn on the server
    factor = SecondFactor.objects.get(user=coordinator)
    assert factor.secret[:4] in page  # the key as text too
    response = client.post(
        reverse("second_factor_enrol"), {"code": twofactor.current_code(factor.secret)}
    )
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10
    # stored hashed only
    stored = set(
        RecoveryCode.objects.filter(user=coordinator).values_list("code_digest", flat=True)
    )
    assert not stored & set(codes)
    assert at_home(client)
    assert "second_factor_enrolled" in actions(f"sparring.user:{coordinator.pk}")


@pytest.mark.django_db
def test_an_enrolled_coordinator_gives_the_code_at_login(client, coordinator):
    secret = second_factor_secret(coordinator)
    post_login(client, coordinator.username, PASSWORD)
    assert client.get(reverse("second_factor")).status_code == 200
    wrong = client.post(reverse("second_factor"), {"code": "000000"})
    assert wrong.status_code == 400
    assert not at_home(client)
    response = client.post(
        reverse("second_factor") + "?next=/cases/", {"code": twofactor.current_code(secret)}
    )
    assert response.status_code == 302
    assert at_home(client)
    # the same code is not accepted twice
    assert not twofactor.verify(user=coordinator, code=twofactor.current_code(secret))
    assert AuditEvent.objects.filter(action="login_failed", data__step="second_factor").exists()


@pytest.mark.django_db
def test_wrong_codes_lock_the_account_like_wrong_passwords(client, coordinator):
    second_factor_secret(coordinator)
    post_login(client, coordinator.username, PASSWORD)
    for _ in range(settings.SPARRING_LOGIN_FAILURES_PER_ACCOUNT - 1):
        assert client.post(reverse("second_factor"), {"code": "000000"}).status_code == 400
    response = client.post(reverse("second_factor"), {"code": "000000"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_recovery_code_works_once(client, coordinator):
    post_login(client, coordinator.username, PASSWORD)
    factor = twofactor.enrolment_start(user=coordinator)
    codes = twofactor.enrolment_confirm(
        user=coordinator, code=twofactor.current_code(factor.secret)
    )
    assert twofactor.verify(user=coordinator, code=codes[0].upper().replace("-", " "))
    assert not twofactor.verify(user=coordinator, code=codes[0])
    assert "recovery_code_used" in actions(f"sparring.user:{coordinator.pk}")


@pytest.mark.django_db
def test_staff_members_need_a_second_factor_too(client):
    staff = make_user(User.Role.STEERING, "staff.member")
    User.objects.filter(pk=staff.pk).update(is_staff=True)
    staff.refresh_from_db()
    assert security.needs_second_factor(staff)
    post_login(client, staff.username, PASSWORD)
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_the_admin_login_asks_for_the_second_factor(client, coordinator):
    User.objects.filter(pk=coordinator.pk).update(is_staff=True)
    client.post("/admin/login/", {"username": coordinator.username, "password": PASSWORD})
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("second_factor"))


@pytest.mark.django_db
def test_a_superuser_resets_a_lost_device_audited(client, coordinator):
    second_factor_secret(coordinator)
    admin = make_admin()
    other = make_user(User.Role.COORDINATOR, "toinen.koordinaattori")
    url = reverse("sparring:person_action", args=[coordinator.pk, "reset-second-factor"])
    client.force_login(other)
    client.post(url)
    assert SecondFactor.objects.filter(user=coordinator).exists()  # not by a coordinator
    client.force_login(admin)
    assert client.post(url).status_code == 302
    assert not SecondFactor.objects.filter(user=coordinator).exists()
    assert AuditEvent.objects.filter(
        action="second_factor_reset", actor=admin, subject=f"sparring.user:{coordinator.pk}"
    ).exists()
    # at the next login the coordinator sets up a new app
    fresh = type(client)()
    post_login(fresh, coordinator.username, PASSWORD)
    assert fresh.get(reverse("second_factor"))["Location"] == reverse("second_factor_enrol")


@pytest.mark.django_db
def test_the_test_helper_completes_a_real_login(client, coordinator):
    login_fully(client, coordinator)
    assert at_home(client)
    # and again in the same half-minute
    other = type(client)()
    login_fully(other, coordinator)
    assert at_home(other)


@pytest.mark.django_db
def test_force_login_in_tests_asks_for_no_second_factor(client, coordinator):
    client.force_login(coordinator)
    assert at_home(client)


# ------------------------------------------------------------------------------
# Session limits
# ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_coordinators_session_ends_after_30_idle_minutes(client, coordinator):
    login_fully(client, coordinator)
    with clock.travel(clock.now() + timedelta(minutes=25)):
        assert at_home(client)
    with clock.travel(clock.now() + timedelta(minutes=50)):
        assert at_home(client)  # 25 min after the last request
    with clock.travel(clock.now() + timedelta(minutes=81)):
        response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_an_applicants_idle_limit_is_longer(client, applicant):
    post_login(client, applicant.username, PASSWORD)
    with clock.travel(clock.now() + timedelta(minutes=90)):
        assert at_home(client)
    with clock.travel(clock.now() + timedelta(minutes=90 + 121)):
        assert not at_home(client)


@pytest.mark.django_db
def test_every_session_ends_at_its_absolute_lifetime(client, applicant):
    post_login(client, applicant.username, PASSWORD)
    start = clock.now()
    hours = settings.SPARRING_SESSION_MAX_HOURS
    for minutes in range(60, hours * 60, 60):
        with clock.travel(start + timedelta(minutes=minutes)):
            assert at_home(client)
    with clock.travel(start + timedelta(hours=hours, minutes=1)):
        assert not at_home(client)
    assert settings.SESSION_COOKIE_AGE == hours * 3600


@pytest.mark.django_db
def test_failures_and_reset_requests_are_forgotten_after_a_day(
    client, applicant, django_capture_on_commit_callbacks
):
    post_login(client, applicant.username, "wrong-password-123")
    request_reset(client, "nobody@example.invalid", django_capture_on_commit_callbacks)
    with clock.travel(clock.now() + timedelta(days=1, minutes=1)):
        post_login(client, "someone.else", "wrong-password-123")
        request_reset(client, "other@example.invalid", django_capture_on_commit_callbacks)
    assert list(LoginFailure.objects.values_list("username", flat=True)) == ["someone.else"]
    assert PasswordResetRequest.objects.count() == 1


@pytest.mark.django_db
def test_lifting_a_lock_on_a_malformed_address_changes_nothing(client, coordinator):
    client.force_login(coordinator)
    response = client.post(
        reverse("sparring:lockout_lift"), {"kind": "address", "key": "not-an-ip' OR 1=1"}
    )
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="login_unlocked").exists()


@pytest.mark.django_db
def test_an_invited_coordinator_sets_up_the_app_after_choosing_a_password(client):
    import re as regex

    from sparring.accounts import services

    admin = make_admin()
    services.user_invite(
        actor=admin,
        email="uusi.koordinaattori@example.invalid",
        role=User.Role.COORDINATOR,
        first_name="Uusi",
        last_name="Koordinaattori",
        organisation=None,
        language="fi",
    )
    body = OutboundEmail.objects.filter(template__contains="invit").latest("pk").body_text
    token = regex.search(r"/invitation/(\S+)/", body).group(1)
    new = "Uusi-salasana-2026"
    response = client.post(
        f"/invitation/{token}/", {"new_password1": new, "new_password2": new}, follow=True
    )
    assert response.redirect_chain[-1][0].startswith(reverse("second_factor_enrol"))
    assert "login_succeeded" in actions()
