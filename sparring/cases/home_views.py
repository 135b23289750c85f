"""The role homes: what waits for each applicant, coordinator and consultant."""

from django.views.generic import TemplateView

from sparring import access
from sparring.accounts.forms import DeclineForm
from sparring.accounts.models import AccessRequest
from sparring.views import RoleRequiredMixin
from workflow.selectors import background_summary

from . import selectors
from .deadline_views import with_step_labels

#: How many items each box of a role home shows (issue 17): the first of them, with a
#: link to the filtered, paginated list that has the rest. Same for every box.
HOME_BOX_SIZE = 10


def first_items(queryset, size: int | None = None) -> tuple[list, int]:
    """The first ``size`` (default ``HOME_BOX_SIZE``) rows of ``queryset`` and how many
    there are in all.

    One query when the box is not full; a second (a COUNT) only when there are more
    rows than the box shows, so a home's query count stays constant however many
    cases there are.
    """
    size = size or HOME_BOX_SIZE
    rows = list(queryset[: size + 1])
    if len(rows) <= size:
        return rows, len(rows)
    return rows[:size], queryset.count()


class ApplicantHome(RoleRequiredMixin, TemplateView):
    permission_required = "sparring.apply"
    template_name = "sparring/home_applicant.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["organisation"] = self.request.user.organisation
        context["cases"], context["cases_total"] = first_items(
            selectors.case_list(
                access.visible_cases(self.request.user),
                selectors.CASE_TABLE_RELATED,
                fields=selectors.CASE_TABLE_FIELDS,
            )
        )
        context["calls"] = selectors.open_calls()
        return context


class CoordinatorHome(RoleRequiredMixin, TemplateView):
    permission_required = "sparring.coordinate"
    template_name = "sparring/home_coordinator.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["overview"] = selectors.programme_overview()
        context["background"] = background_summary()
        # The whole inbox is "My cases" (linked under the box).
        context["inbox"], context["inbox_total"] = first_items(
            selectors.coordinator_inbox(self.request.user)
        )
        context["queue"], context["queue_count"] = first_items(selectors.coordinator_queue())
        context["access_requests"] = AccessRequest.objects.filter(
            status=AccessRequest.Status.PENDING
        ).order_by("created", "pk")[:HOME_BOX_SIZE]  # no list of its own; rarely more
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
        context["offers"], context["offers_total"] = first_items(
            selectors.consultant_offers(consultant)
        )
        context["assignments"], context["assignments_total"] = first_items(
            selectors.consultant_assignments(consultant)
        )
        context["invitations"] = selectors.consultant_invitations(consultant)
        return context
