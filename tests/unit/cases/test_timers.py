"""Due workflow timers are fired by the periodic sweep (Celery beat, or timer_loop)."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from celery_app import app
from tests.jobflow.flows import TimerProbeFlow, start_timer_probe
from workflow.tasks import fire_workflow_timers

pytestmark = pytest.mark.django_db(transaction=True)


def timer_task(process):
    return Task.objects.get(process=process, flow_task=TimerProbeFlow.wait)


def test_a_timer_waits_until_it_is_due():
    process = start_timer_probe(minutes=5)
    task = timer_task(process)
    assert task.status == STATUS.SCHEDULED
    assert timezone.now() + timedelta(minutes=4) < task.scheduled

    assert fire_workflow_timers()["timers"] == 0
    process.refresh_from_db()
    assert process.status == PROCESS.NEW


def test_the_sweep_fires_a_due_timer_once_and_the_flow_moves_on():
    process = start_timer_probe(minutes=5)
    Task.objects.filter(pk=timer_task(process).pk).update(
        scheduled=timezone.now() - timedelta(seconds=1)
    )

    assert fire_workflow_timers()["timers"] == 1
    assert fire_workflow_timers()["timers"] == 0

    process.refresh_from_db()
    assert process.status == PROCESS.DONE
    assert timer_task(process).status == STATUS.DONE


def test_timer_loop_command_sweeps_once(capsys):
    process = start_timer_probe(minutes=0)
    call_command("timer_loop", "--once")
    process.refresh_from_db()
    assert process.status == PROCESS.DONE
    assert "timers" in capsys.readouterr().out


def test_beat_runs_the_sweep_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["fire-due-workflow-timers"]
    assert entry["schedule"] == 60.0
    assert entry["task"] in app.tasks
    assert entry["task"] == fire_workflow_timers.name
