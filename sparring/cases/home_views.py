"""The role homes: what waits for each applicant, coordinator and consultant."""

from django.views.generic import TemplateView

from sparring import access
from sparring.accounts.forms import DeclineForm
from sparring.accounts.models import AccessRequest
from sparring.views import RoleRequiredMixin
from workflow.selectors import background_summary

from . import selectors
from .deadline_views import with_step_labels

#: How many of the queue's oldest cases the coordinator's home shows (the rest: the queue page).
HOME_QUEUE_SIZE = 10


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
        context["background"] = background_summary()
        context["inbox"] = selectors.coordinator_inbox(self.request.user)
        queue = selectors.coordinator_queue()
        context["queue"] = queue[:HOME_QUEUE_SIZE]
        context["queue_count"] = queue.count()
        context["access_requests"] = AccessRequest.objects.filter(
            status=AccessRequest.Status.PENDING
        ).order_by("created", "pk")[:50]
        context["decline_form"] = DeclineForm()
        # The latest late steps (issue 14): the box links to the late cases page.
        context["late_steps"] = with_step_labels(selectors.latest_late_cases())
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
