from django.urls import path

from . import views

app_name = "workflow"

urlpatterns = [
    path("jobs/failed/", views.FailedJobList.as_view(), name="failed_jobs"),
    path("jobs/<int:task_pk>/retry/", views.RetryJob.as_view(), name="retry_job"),
]
