"""Pages of the product outside any case: the front door, the legal pages, the role check."""

from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.views.generic import TemplateView
from rules.contrib.views import PermissionRequiredMixin

from . import access


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

    def has_permission(self):
        """The role's rule itself (``sparring/access.py``), without the superuser's
        blanket permissions: a role page needs the role's records (a superuser who is
        no consultant has no ``user.consultant``: 403, not 500)."""
        import rules

        user = self.request.user
        return all(rules.has_perm(perm, user) for perm in self.get_permission_required())

    def handle_no_permission(self):
        if not self.request.user.is_authenticated:
            return LoginRequiredMixin.handle_no_permission(self)
        return super().handle_no_permission()


class NoRole(LoginRequiredMixin, TemplateView):
    template_name = "sparring/no_role.html"


@method_decorator(login_not_required, name="dispatch")
class AccessibilityStatement(TemplateView):
    template_name = "legal/accessibility.html"


@method_decorator(login_not_required, name="dispatch")
class PrivacyNotice(TemplateView):
    """The privacy notice; its retention periods are the settings the retention job uses,
    its controller the ``SPARRING_CONTROLLER_*`` settings."""

    template_name = "legal/privacy.html"

    def get_context_data(self, **kwargs):
        from django.conf import settings

        context = super().get_context_data(**kwargs)
        context["retention"] = {
            "email_days": settings.SPARRING_RETENTION_EMAIL_DAYS,
            "account_months": settings.SPARRING_RETENTION_ACCOUNT_MONTHS,
            "case_years": settings.SPARRING_RETENTION_CASE_YEARS,
        }
        context["controller"] = {
            "name": settings.SPARRING_CONTROLLER_NAME,
            "address": settings.SPARRING_CONTROLLER_ADDRESS,
            "email": settings.SPARRING_CONTROLLER_EMAIL,
        }
        return context
