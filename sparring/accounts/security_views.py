"""Pages of signing in securely: login with its lockout page, the second factor (set up
and verify), the password reset request, and the coordinators' lockouts page.

The rules are in ``security.py`` and ``twofactor.py``; these views only show them.
"""

import ipaddress

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sparring import access
from sparring.formtools import local_url

from . import security, twofactor
from .forms import PasswordResetForm


def _lockout_page(request: HttpRequest, lockout: security.Lockout) -> HttpResponse:
    return render(request, "registration/locked_out.html", {"lockout": lockout}, status=429)


class LoginView(auth_views.LoginView):
    """Django's login page; a locked account or address gets the lockout page (429)."""

    redirect_authenticated_user = True

    def form_invalid(self, form):
        lockout = security.lockout_of(
            username=str(form.data.get("username", ""))[:150],
            ip=security.client_ip(self.request),
        )
        if lockout is not None:
            return _lockout_page(self.request, lockout)
        return super().form_invalid(form)


class PasswordResetView(auth_views.PasswordResetView):
    """The reset request: recorded and handed to the background, the same for every address."""

    form_class = PasswordResetForm

    def form_valid(self, form):
        security.password_reset_request(email=form.cleaned_data["email"], request=self.request)
        return HttpResponseRedirect(self.get_success_url())


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false"}
        ),
    )


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    return local_url(request, target, reverse("home"))


def _second_factor_done(request: HttpRequest) -> None:
    request.session[security.SESSION_SECOND_FACTOR] = security.SECOND_FACTOR_DONE
    request.session.cycle_key()


def _refuse_if_locked(request: HttpRequest) -> HttpResponse | None:
    lockout = security.lockout_of(
        username=request.user.get_username(), ip=security.client_ip(request)
    )
    if lockout is None:
        return None
    logout(request)
    return _lockout_page(request, lockout)


def second_factor(request: HttpRequest) -> HttpResponse:
    """After the password: the code from the authenticator app, or a recovery code."""
    if request.session.get(security.SESSION_SECOND_FACTOR) != security.SECOND_FACTOR_PENDING:
        return redirect(_next_url(request))
    if not twofactor.is_enrolled(request.user):
        query = request.META.get("QUERY_STRING", "")
        return redirect(reverse("second_factor_enrol") + (f"?{query}" if query else ""))
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        refused = _refuse_if_locked(request)
        if refused:
            return refused
        if form.is_valid() and twofactor.verify(user=request.user, code=form.cleaned_data["code"]):
            _second_factor_done(request)
            return redirect(_next_url(request))
        security.login_failed(
            username=request.user.get_username(), request=request, step="second_factor"
        )
        refused = _refuse_if_locked(request)
        if refused:
            return refused
        if form.is_valid():
            form.add_error("code", _("The code is not right. Check it and try again."))
    return render(
        request,
        "accounts/second_factor.html",
        {"form": form, "next": request.GET.get("next", "")},
        status=400 if form.errors else 200,
    )


def second_factor_enrol(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app: the QR code and the key as text, then a code from it;
    the recovery codes are shown once, on the answer to that."""
    if twofactor.is_enrolled(request.user):
        return redirect("second_factor")
    factor = twofactor.enrolment_start(user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        refused = _refuse_if_locked(request)
        if refused:
            return refused
        codes = (
            twofactor.enrolment_confirm(user=request.user, code=form.cleaned_data["code"])
            if form.is_valid()
            else None
        )
        if codes is not None:
            _second_factor_done(request)
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "next": _next_url(request)},
            )
        security.login_failed(
            username=request.user.get_username(), request=request, step="second_factor"
        )
        if form.is_valid():
            form.add_error("code", _("The code is not right. Check it and try again."))
    uri = twofactor.provisioning_uri(request.user, factor.secret)
    return render(
        request,
        "accounts/second_factor_enrol.html",
        {
            "form": form,
            "qr_svg": twofactor.qr_svg(uri),
            "secret_groups": [factor.secret[i : i + 4] for i in range(0, len(factor.secret), 4)],
            "next": request.GET.get("next", request.POST.get("next", "")),
        },
        status=400 if form.errors else 200,
    )


def lockout_list(request: HttpRequest) -> HttpResponse:
    """The coordinators' page: accounts and addresses locked now, each with "lift"."""
    if not access.is_coordinator(request.user):
        raise PermissionDenied
    return render(request, "accounts/lockouts.html", {"lockouts": security.lockouts()})


@require_POST
def lockout_lift(request: HttpRequest) -> HttpResponse:
    """Lift one lockout at once (audited)."""
    if not access.is_coordinator(request.user):
        raise PermissionDenied
    kind = request.POST.get("kind", "")
    key = request.POST.get("key", "")[:150]
    if kind == "address":
        try:
            key = str(ipaddress.ip_address(key.strip()))
        except ValueError:
            key = ""
    if kind in ("account", "address") and key:
        security.lockout_lift(actor=request.user, kind=kind, key=key)
        messages.success(request, _("The lock on %(key)s is lifted.") % {"key": key})
    return redirect("sparring:lockout_list")
