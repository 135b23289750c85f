"""The process proxy of the case flow: the flow's own state, linked to the case record."""

from viewflow.workflow.models import Process


class CaseProcess(Process):
    """A SparringFlow process; ``process.case`` is the business record it drives."""

    class Meta:
        proxy = True
        verbose_name = "case process"
        verbose_name_plural = "case processes"
