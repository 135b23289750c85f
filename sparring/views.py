"""Pages of the product outside the workflow: role homes and the legal pages."""

from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.views.generic import TemplateView
from rules.contrib.views import PermissionRequiredMixin

from workflow.selectors import failed_jobs

from . import access, selectors


@login_not_required
def root(request: HttpRequest) -> HttpResponse:
    """The front door: a logged-in user goes home, anyone else to the login page."""
    if request.user.is_authenticated:
        return redirect("home")
    return redirect("login")


def home(request: HttpRequest) -> HttpResponse:
    """Send each user to the home of their role."""
    if not request.user.is_authenticated:
        return redirect("login")
    return redirect(access.home_url_name(request.user))


class RoleRequiredMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """A page for one role; others get 403 (logged out: the login page)."""

    raise_exception = True

    def handle_no_permission(self):
        if not self.request.user.is_authenticated:
            return LoginRequiredMixin.handle_no_permission(self)
        return super().handle_no_permission()


class ApplicantHome(RoleRequiredMixin, TemplateView):
    permission_required = "sparring.apply"
    template_name = "sparring/home_applicant.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["organisation"] = self.request.user.organisation
        context["cases"] = selectors.case_list(access.visible_cases(self.request.user))
        context["calls"] = selectors.open_calls()
        return context


class CoordinatorHome(RoleRequiredMixin, TemplateView):
    permission_required = "sparring.coordinate"
    template_name = "sparring/home_coordinator.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["overview"] = selectors.programme_overview()
        context["failed_job_count"] = failed_jobs().count()
        context["inbox"] = selectors.coordinator_inbox(self.request.user)
        context["queue"] = selectors.coordinator_queue()
        return context


class ConsultantHome(RoleRequiredMixin, TemplateView):
    permission_required = "sparring.deliver"
    template_name = "sparring/home_consultant.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        consultant = self.request.user.consultant
        context["consultant"] = consultant
        context["offers"] = selectors.consultant_offers(consultant)
        context["assignments"] = selectors.consultant_assignments(consultant)
        context["invitations"] = selectors.consultant_invitations(consultant)
        return context


class NoRole(LoginRequiredMixin, TemplateView):
    template_name = "sparring/no_role.html"


@method_decorator(login_not_required, name="dispatch")
class AccessibilityStatement(TemplateView):
    template_name = "legal/accessibility.html"


@method_decorator(login_not_required, name="dispatch")
class PrivacyNotice(TemplateView):
    template_name = "legal/privacy.html"
