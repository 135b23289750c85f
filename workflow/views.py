"""Coordinator pages of background work: what is pending or failed, and the buttons to
retry a failed job, queue a pending one again or resend an e-mail."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView, TemplateView

from sparring import emails
from sparring.models import OutboundEmail
from sparring.views import RoleRequiredMixin

from . import reconcile, selectors, services

ROWS = 100  # rows per section on the background work page (the counts are exact)


class FailedJobList(RoleRequiredMixin, ListView):
    permission_required = "sparring.coordinate"
    template_name = "workflow/failed_jobs.html"
    context_object_name = "tasks"
    paginate_by = 50

    def get_queryset(self):
        return selectors.failed_jobs()


class BackgroundWork(RoleRequiredMixin, TemplateView):
    """Everything in the background that failed or waits: jobs, e-mails, timers, with age."""

    permission_required = "sparring.coordinate"
    template_name = "workflow/background.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        stuck_after = timedelta(seconds=settings.SPARRING_STUCK_AFTER)
        sections = {
            "failed": selectors.failed_jobs(),
            "pending": selectors.pending_jobs(),
            "emails": emails.email_unsent(),
            "timers": selectors.overdue_timers(),
            "reports": reconcile.missing_report_pdfs(older_than=timedelta(0)).select_related(
                "case"
            ),
        }
        for name, queryset in sections.items():
            context[f"{name}_count"] = queryset.count()
            context[name] = list(queryset[:ROWS])
        context["now"] = timezone.now()
        context["stuck_before"] = context["now"] - stuck_after
        context["max_attempts"] = emails.MAX_ATTEMPTS
        context["rows"] = ROWS
        return context


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
        return redirect("workflow:background")


class RequeueJob(RoleRequiredMixin, View):
    permission_required = "sparring.coordinate"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, task_pk: int) -> HttpResponse:
        try:
            sent = services.job_requeue(task_pk=task_pk, actor=request.user)
        except services.JobNotPending:
            messages.warning(
                request, _("This job is no longer waiting: it has finished or failed.")
            )
        except services.Task.DoesNotExist as exc:
            raise Http404 from exc
        else:
            if sent:
                messages.success(request, _("The job was queued again."))
            else:
                messages.warning(
                    request,
                    _(
                        "The job could not be queued now: the queue is unavailable. "
                        "It is queued again automatically when the queue is back."
                    ),
                )
        return redirect("workflow:background")


class ResendEmail(RoleRequiredMixin, View):
    permission_required = "sparring.coordinate"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, email_pk: int) -> HttpResponse:
        try:
            emails.email_resend(actor=request.user, email_id=email_pk)
        except emails.EmailAlreadySent:
            messages.warning(request, _("This e-mail has been sent meanwhile."))
        except OutboundEmail.DoesNotExist as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("The e-mail is being sent again."))
        return redirect("workflow:background")
