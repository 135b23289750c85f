"""The report's PDF is made once per report revision and numbered right, whoever renders
it when (issue 17: the render reads and writes less; these hold what it must still do).

- a delivery that finds the PDF of its revision made renders nothing (asked with the
  case's read, ``rendering.rendered_case``);
- a delivery that read the case before another one made the PDF finds it under the
  case's lock: the same document, no second audit row, notice or file;
- renders of different revisions at once get consecutive version numbers.
"""

import threading

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection, transaction

from sparring.models import AuditEvent, Case
from sparring.reports import pdf, rendering
from sparring.reports.models import ReportDocument
from tests.lock_waits import wait_until_someone_waits_for_a_lock

pytestmark = pytest.mark.django_db(transaction=True)


def _no_render(*args, **kwargs):
    raise AssertionError("rendered again")


def test_the_case_read_says_whether_the_pdf_of_its_report_revision_is_made(reported_case):
    """Compared with the query it replaced: the document whose source is the revision's."""
    case = rendering.rendered_case(pk=reported_case.pk)
    made = ReportDocument.objects.filter(source=rendering.report_source(case.report)).first()
    assert made is not None
    assert case.revision_pdf_id == made.pk
    case.report.revision += 1
    case.report.save(update_fields=["revision"])
    case = rendering.rendered_case(process_id=reported_case.process_id)
    assert (
        ReportDocument.objects.filter(source=rendering.report_source(case.report)).first() is None
    )
    assert case.revision_pdf_id is None


def test_a_redelivered_job_renders_nothing_and_asks_nothing_more(
    reported_case, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(pdf, "render_pdf", _no_render)
    case = rendering.rendered_case(pk=reported_case.pk)
    first = reported_case.report_documents.get()
    with django_assert_num_queries(1):  # the document itself, to return it
        again = rendering.report_render(
            case_id=case.pk, source=rendering.report_source(case.report), case=case
        )
    assert again == first


def test_a_first_delivery_asks_nothing_before_it_renders(
    reported_case, monkeypatch, django_assert_num_queries
):
    """Its case read said no PDF of the revision yet: no query of its own for that."""

    class Rendering(Exception):
        pass

    def rendering_starts(*args, **kwargs):
        raise Rendering

    monkeypatch.setattr(pdf, "report_html", rendering_starts)
    case = rendering.rendered_case(pk=reported_case.pk)
    case.report.revision += 1  # a corrected revision, not rendered yet
    case.revision_pdf_id = None
    with django_assert_num_queries(0), pytest.raises(Rendering):
        rendering.report_render(
            case_id=case.pk, source=rendering.report_source(case.report), case=case
        )


def test_a_delivery_that_read_the_case_before_the_pdf_was_made_finds_it_under_the_lock(
    reported_case,
):
    """As when two deliveries of the job render at once: the second one's case read
    said no PDF yet; under the case's lock it finds the first one's and returns it."""
    first = reported_case.report_documents.get()
    source = first.source
    stale = rendering.rendered_case(pk=reported_case.pk)
    stale.revision_pdf_id = None  # read before the first delivery saved its PDF
    events = AuditEvent.objects.filter(action="report_pdf_made").count()
    mail.outbox.clear()
    files_before = set(first.file.storage.listdir(_folder(first))[1])

    again = rendering.report_render(case_id=reported_case.pk, source=source, case=stale)

    assert again == first
    assert reported_case.report_documents.count() == 1
    assert AuditEvent.objects.filter(action="report_pdf_made").count() == events
    assert mail.outbox == []
    assert set(first.file.storage.listdir(_folder(first))[1]) == files_before  # no file left


def _folder(document: ReportDocument) -> str:
    return document.file.name.rsplit("/", 1)[0]


def test_renders_of_two_revisions_get_consecutive_versions(reported_case):
    first = rendering.report_render(case_id=reported_case.pk, source="revision:test:2")
    second = rendering.report_render(case_id=reported_case.pk, source="revision:test:3")
    assert [d.version for d in reported_case.report_documents.order_by("version")] == [1, 2, 3]
    assert (first.version, second.version) == (2, 3)


@pytest.mark.skipif(not settings.USES_POSTGRESQL, reason="PostgreSQL's row lock")
def test_a_render_waiting_for_the_case_lock_numbers_its_pdf_after_the_holders(reported_case):
    """Another render holds the case's lock and saves version 2; the one that waited
    for it (its case read, and the number in its PDF, from before) saves version 3."""
    stale = rendering.rendered_case(pk=reported_case.pk)
    holding, result = threading.Event(), {}

    def waiting_render():
        holding.wait(20)
        try:
            result["document"] = rendering.report_render(
                case_id=reported_case.pk, source="revision:test:waiting", case=stale
            )
        except BaseException as exc:
            result["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=waiting_render)
    thread.start()
    first = reported_case.report_documents.get()
    with transaction.atomic():
        Case.objects.select_for_update().get(pk=reported_case.pk)
        ReportDocument.objects.create(
            case=reported_case, version=2, file=first.file.name, language="fi", source="held:2"
        )
        holding.set()
        wait_until_someone_waits_for_a_lock()
    thread.join(60)
    assert "error" not in result, result
    assert result["document"].version == 3
