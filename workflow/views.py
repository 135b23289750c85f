"""Coordinator pages of the workflow engine: failed background jobs and their retry."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from sparring.views import RoleRequiredMixin

from . import selectors, services


class FailedJobList(RoleRequiredMixin, ListView):
    permission_required = "sparring.coordinate"
    template_name = "workflow/failed_jobs.html"
    context_object_name = "tasks"
    paginate_by = 50

    def get_queryset(self):
        return selectors.failed_jobs()


class RetryJob(RoleRequiredMixin, View):
    permission_required = "sparring.coordinate"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, task_pk: int) -> HttpResponse:
        try:
            services.job_retry(task_pk=task_pk, actor=request.user)
        except services.JobNotRetryable:
            messages.warning(
                request, _("This job is no longer failed: someone may have retried it already.")
            )
        except services.Task.DoesNotExist as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("The job was queued again."))
        return redirect("workflow:failed_jobs")
