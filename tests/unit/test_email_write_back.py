"""``email_delivery.write_back`` writes what ``bulk_update`` wrote (issue 17).

The reference is Django's ``bulk_update`` of the same fields, run on a twin of each
row; the data mixes sent and failed rows, NULL and set moments, quotes, newlines,
non-Latin text and empty strings, and a column that is NULL in every row.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sparring import clock
from sparring.email_delivery import UPDATED_FIELDS, WRITE_BACK_BATCH, write_back
from sparring.models import OutboundEmail

pytestmark = pytest.mark.django_db

COMPARED = ["pk", "to", "subject", "template", "attachments", *UPDATED_FIELDS]


def _rows(count: int) -> list[OutboundEmail]:
    return [
        OutboundEmail.objects.create(
            to=f"r{n}@example.invalid",
            subject=f"Aihe {n}",
            body_text=f"Avaa https://x.example/{n}/ ja vastaa",
            body_html=f"<p>https://x.example/{n}/</p>" if n % 2 else "",
            template="emails/t.txt",
            attachments=[{"filename": "a.ics", "content": "X", "mimetype": "text/calendar"}],
        )
        for n in range(count)
    ]


NOW = clock.now()


def _change(rows: list[OutboundEmail], all_next_null: bool = False, now=NOW) -> None:
    for n, email in enumerate(rows):
        email.attempts = n % 5 + 1
        if n % 3:
            email.sent_at = now
            email.last_error = ""
            email.next_attempt_at = None
            email.body_text = f"Ööh 'lainaus' \"x\" \\ ; -- rivi\n{n} […]"
            email.body_html = "" if n % 2 else "<p>Åbo […]</p>"
        else:
            email.sent_at = None
            email.last_error = f"550 mailbox 'unavailable' {n}\n%s %(x)s"
            email.next_attempt_at = None if all_next_null else now + timedelta(minutes=n)


def _state() -> list[tuple]:
    return list(OutboundEmail.objects.order_by("pk").values_list(*COMPARED))


@pytest.mark.parametrize("all_next_null", [False, True])
def test_write_back_writes_what_bulk_update_wrote(all_next_null):
    rows = _rows(7)
    _rows(1)
    _change(rows, all_next_null=all_next_null)
    write_back(rows)
    ours = _state()

    OutboundEmail.objects.all().delete()
    rows = _rows(7)
    _rows(1)
    _change(rows, all_next_null=all_next_null)
    OutboundEmail.objects.bulk_update(rows, UPDATED_FIELDS)
    reference = _state()

    assert len(ours) == len(reference) == 8
    assert [row[1:] for row in ours] == [row[1:] for row in reference]  # all but "to"
    assert ours[-1][COMPARED.index("attempts")] == 0  # the row not written


def test_write_back_is_one_statement_per_batch(monkeypatch):
    rows = _rows(5)
    _change(rows)
    monkeypatch.setattr("sparring.email_delivery.WRITE_BACK_BATCH", 2)
    with CaptureQueriesContext(connection) as queries:
        write_back(rows)
    assert len(queries) == 3
    with CaptureQueriesContext(connection) as queries:
        write_back([])
    assert len(queries) == 0
    assert WRITE_BACK_BATCH * (len(UPDATED_FIELDS) + 1) < 32766


def test_an_sqlite_without_update_from_gets_bulk_update(monkeypatch):
    rows = _rows(3)
    _change(rows)
    monkeypatch.setattr(connection, "vendor", "sqlite")
    monkeypatch.setattr("sparring.email_delivery._sqlite_version", lambda: (3, 31, 1))
    with CaptureQueriesContext(connection) as queries:
        write_back(rows)
    assert "CASE WHEN" in queries[-1]["sql"]
    written = OutboundEmail.objects.get(pk=rows[1].pk)
    assert (written.sent_at, written.body_text) == (NOW, rows[1].body_text)
