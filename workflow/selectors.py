"""Reads about flow tasks."""

from django.db.models import QuerySet
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS


def failed_jobs() -> QuerySet[Task]:
    """Background jobs that ended in an error and wait for a coordinator.

    Each row carries ``failure_reason``: the error message the job ended with.
    """
    return (
        Task.objects.filter(flow_task_type="JOB", status=STATUS.ERROR)
        .select_related("process")
        .annotate(failure_reason=KeyTextTransform("title", KeyTransform("_exception", "data")))
        .order_by("-finished", "-pk")
    )
