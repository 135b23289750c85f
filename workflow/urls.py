from django.urls import path

from . import health, views

app_name = "workflow"

urlpatterns = [
    path("jobs/", views.BackgroundWork.as_view(), name="background"),
    path("jobs/failed/", views.FailedJobList.as_view(), name="failed_jobs"),
    path("jobs/<int:task_pk>/retry/", views.RetryJob.as_view(), name="retry_job"),
    path("jobs/<int:task_pk>/requeue/", views.RequeueJob.as_view(), name="requeue_job"),
    path("jobs/emails/<int:email_pk>/resend/", views.ResendEmail.as_view(), name="resend_email"),
    path("health/", health.health, name="health"),
    path("health/live/", health.live, name="health_live"),
]
