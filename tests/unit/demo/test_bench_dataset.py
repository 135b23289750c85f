"""The list benchmark's generator: a small programme with its flow rows, figures included."""

import pytest
from viewflow.workflow.models import Task

from sparring.demo.bench import dataset
from sparring.models import Case, Theme
from sparring.statistics import aggregates
from sparring.statistics.models import CaseFigures

pytestmark = pytest.mark.django_db(transaction=True)  # VACUUM runs outside a transaction


def test_a_generated_programme_has_flow_rows_and_figures_equal_to_its_records(reference_data):
    made = dataset.ensure_dataset(40, log=lambda _line: None)
    assert made.size == 40 and not made.reused
    assert Case.objects.count() >= 40
    assert Task.objects.exists()
    # each step deadline's copy of its task's finished (written by the generator itself
    # on PostgreSQL, where its triggers are off while loading)
    from sparring.models import StepDeadline

    deadlines = StepDeadline.objects.select_related("task")
    assert deadlines.filter(finished__isnull=True).exists()
    assert all(d.finished == d.task.finished for d in deadlines)
    # the figures' aggregates are written from the records, whatever the triggers did
    assert CaseFigures.objects.count() == Case.objects.count()
    assert aggregates.check() == []
    assert dataset.ensure_dataset(40, log=lambda _line: None).reused


def test_a_database_without_themes_gets_a_clear_error_not_an_index_error():
    """A flushed database (a transactional test ran before) has no sectors or themes."""
    Theme.objects.all().delete()
    with pytest.raises(dataset.DatasetError, match="themes"):
        dataset.ensure_dataset(41, log=lambda _line: None)
    assert not Case.objects.exists()  # nothing written
