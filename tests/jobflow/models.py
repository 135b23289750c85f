from django.db import models


class ProbeRun(models.Model):
    """One execution of the probe job: the side effect the tests count."""

    process_id = models.BigIntegerField(db_index=True)
    task_id = models.BigIntegerField()
    worker_pid = models.IntegerField()
    started = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"run of task {self.task_id} in pid {self.worker_pid}"
