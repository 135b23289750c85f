"""JobProbeFlow: start -> work (CeleryJob) -> end, with the job's behaviour set per process.

``mode`` in the process data:
  ok          the job records a run and returns;
  fail        the job always raises;
  fail_first  the first run raises, later runs succeed (a coordinator's retry);
  sleep       the job records a run, then sleeps ``seconds`` (to be killed mid-task);
  infra_first the first run meets a database error (an infrastructure error), later runs succeed.
  fatal       the job raises WeasyPrint's FatalURLFetchingError (a BaseException, not an Exception);
  exit_first  the first run raises SystemExit (the worker stopping), later runs succeed.
"""

import os
import time

from django.db import transaction
from viewflow import this
from viewflow.workflow import flow

from workflow.lock import flow_lock
from workflow.nodes import CaseEnd, CaseFunction, CaseStep, CaseTimer, CeleryJob

from .models import ProbeRun


class JobProbeFlow(flow.Flow):
    lock_impl = flow_lock

    start = flow.StartHandle(this.start_process).Next(this.work)
    work = CeleryJob(this.do_work).Next(this.end)
    end = flow.End()

    def start_process(self, activation, **data):
        activation.process.data = data
        activation.process.save()
        return activation.process

    def do_work(self, activation):
        process = activation.process
        mode = process.data.get("mode", "ok")
        ProbeRun.objects.create(
            process_id=process.pk, task_id=activation.task.pk, worker_pid=os.getpid()
        )
        runs = ProbeRun.objects.filter(process_id=process.pk).count()
        if mode == "fail":
            raise RuntimeError("probe job failed on purpose")
        if mode == "fail_first" and runs == 1:
            raise RuntimeError("probe job failed on its first run")
        if mode == "infra_first" and runs == 1:
            from django.db import OperationalError

            raise OperationalError("server closed the connection unexpectedly (probe)")
        if mode == "fatal":
            from weasyprint.urls import FatalURLFetchingError

            raise FatalURLFetchingError("probe: a URL could not be fetched")
        if mode == "exit_first" and runs == 1:
            raise SystemExit(0)
        if mode == "sleep" and runs == 1:
            time.sleep(float(process.data.get("seconds", 30)))


def start_probe(**data):
    """Start one probe process; its job is queued when this transaction commits."""
    with transaction.atomic():
        return JobProbeFlow.start.run(**data)


class TimerProbeFlow(flow.Flow):
    """start -> wait (a database timer, ``minutes`` from now) -> end."""

    lock_impl = flow_lock

    start = flow.StartHandle(this.start_process).Next(this.wait)
    wait = flow.Timer(this.due).Next(this.end)
    end = flow.End()

    def start_process(self, activation, **data):
        activation.process.data = data
        activation.process.save()
        return activation.process

    def due(self, activation):
        from datetime import timedelta

        return timedelta(minutes=activation.process.data.get("minutes", 5))


def start_timer_probe(**data):
    with transaction.atomic():
        return TimerProbeFlow.start.run(**data)


class NodeProbeFlow(flow.Flow):
    """start -> wait (timer) -> act (function) -> end, with viewflow's own nodes; its
    subclass below uses the product's cheaper ones (``workflow.nodes``). ``mode`` "fail"
    makes the function raise."""

    lock_impl = flow_lock

    start = flow.StartHandle(this.start_process).Next(this.wait)
    wait = flow.Timer(this.due).Next(this.act)
    act = flow.Function(this.do).Next(this.end)
    end = flow.End()

    def start_process(self, activation, **data):
        activation.process.data = data
        activation.process.save()
        return activation.process

    def due(self, activation):
        from datetime import timedelta

        return timedelta(minutes=activation.process.data.get("minutes", 5))

    def do(self, activation):
        if activation.process.data.get("mode") == "fail":
            raise RuntimeError("probe function failed on purpose")


class CaseNodeProbeFlow(NodeProbeFlow):
    """:class:`NodeProbeFlow` with ``CaseTimer``, ``CaseFunction`` and ``CaseEnd``."""

    start = flow.StartHandle(this.start_process).Next(this.wait)
    wait = CaseTimer(this.due).Next(this.act)
    act = CaseFunction(this.do).Next(this.end)
    end = CaseEnd()


class StepProbeFlow(flow.Flow):
    """start -> wait (timer) -> act (function) -> step (a person's step) -> end, with
    viewflow's own nodes; its subclass below uses the product's (a function followed by
    a step is written with the step's tasks)."""

    lock_impl = flow_lock

    start = flow.StartHandle(this.start_process).Next(this.wait)
    wait = flow.Timer(this.due).Next(this.act)
    act = flow.Function(this.do).Next(this.step)
    step = flow.Handle(this.take).Next(this.end)
    end = flow.End()

    def start_process(self, activation, **data):
        activation.process.data = data
        activation.process.save()
        return activation.process

    def due(self, activation):
        from datetime import timedelta

        return timedelta(minutes=5)

    def do(self, activation):
        if activation.process.data.get("mode") == "fail":
            raise RuntimeError("probe function failed on purpose")

    def take(self, activation):
        pass


class CaseStepProbeFlow(StepProbeFlow):
    """:class:`StepProbeFlow` with ``CaseTimer``, ``CaseFunction``, ``CaseStep`` and ``CaseEnd``."""

    start = flow.StartHandle(this.start_process).Next(this.wait)
    wait = CaseTimer(this.due).Next(this.act)
    act = CaseFunction(this.do).Next(this.step)
    step = CaseStep(this.take).Next(this.end)
    end = CaseEnd()


class StepBoundaryProbeFlow(flow.Flow):
    """start -> first -> second -> end: two ``CaseStep``s, the first with a deadline timer
    and a viewflow ``TimerBoundary`` (a boundary ``CaseStep`` arms viewflow's way), the
    second with a deadline timer (``workflow.step_write``)."""

    lock_impl = flow_lock

    start = flow.StartHandle(this.start_process).Next(this.first)
    first = CaseStep(this.take).OnTimeout(this.due, this.end, False)
    flow.Handle.OnTimeout(first, this.due, this.end, False)  # viewflow's own TimerBoundary
    first.Next(this.second)
    second = CaseStep(this.take).OnTimeout(this.due, this.end, False).Next(this.end)
    end = CaseEnd()

    def start_process(self, activation, **data):
        activation.process.data = data
        activation.process.save()
        return activation.process

    def due(self, activation):
        from datetime import timedelta

        return timedelta(days=3)

    def take(self, activation, **kwargs):
        pass
