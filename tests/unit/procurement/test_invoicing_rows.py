"""The invoicing basis page's rows are written in Python (``procurement/rows.py``; issue
17) and give, byte for byte, what their template gave (``ROWS``, kept as the
reference): Finnish, Swedish and English, bilingual names, no participants, a price
with decimals and grouping, an empty month."""

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.template import engines
from django.utils import timezone

from procurement import rows
from procurement.models import Supplier
from sparring.models import Case, Organisation, SessionDay
from tests.conftest import make_consultant
from tests.unit.procurement.test_procurement_reports import delivered_case

pytestmark = pytest.mark.django_db(transaction=True)

#: ``procurement/invoicing.html``'s rows before ``{% invoicing_rows %}``.
ROWS = """{% load i18n %}{% for day in days %}
  <tr><td>{{ day.case.consultant.supplier.display_name }}</td><td>{{ day.case.consultant }}</td><td><a href="{% url 'sparring:case_detail' day.case.pk %}">{{ day.case.reference }}</a></td><td>{{ day.case.organisation.display_name }}</td><td>{{ day.date|date:"SHORT_DATE_FORMAT" }}</td><td>{{ day.participants }}</td><td>{{ day.case.agreed_day_price|floatformat:"2g" }}</td></tr>
  {% empty %}
  <tr><td colspan="7">{% translate "No days held in this month." %}</td></tr>
  {% endfor %}"""

CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


def test_the_invoicing_rows_are_what_the_template_gave(
    applicant, other_applicant, coordinator, open_call, agreement, supplier, client_for, monkeypatch
):
    kalle = make_consultant("kalle.k", supplier, capacity_total=100, capacity_per_month=20)
    ville = make_consultant("ville.v", supplier, capacity_total=100, capacity_per_month=20)
    first = delivered_case(applicant, coordinator, open_call, kalle, held=2)
    second = delivered_case(other_applicant, coordinator, open_call, ville, held=1)
    Organisation.objects.filter(pk=applicant.organisation_id).update(
        name_sv='Organisation "på svenska" & <co>'
    )
    Supplier.objects.update(name_sv="Leverantör & Ab")
    Case.objects.filter(pk=first.pk).update(agreed_day_price=Decimal("12345.5"))
    Case.objects.filter(pk=second.pk).update(agreed_day_price=None)
    SessionDay.objects.filter(case=second).update(participants=None)
    template = engines["django"].from_string(ROWS)
    client = client_for(coordinator)
    month = timezone.localdate().strftime("%Y-%m")
    seen = 0
    for language in ("fi", "sv", "en"):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        for query in (f"?month={month}", "?month=2001-01"):
            new = client.get(f"/procurement/invoicing/{query}")
            with monkeypatch.context() as reference:
                reference.setattr(
                    rows,
                    "invoicing_table_rows",
                    lambda days: template.render({"days": days}),
                )
                old = client.get(f"/procurement/invoicing/{query}")
            assert new.status_code == old.status_code == 200
            assert CSRF.sub(b"", new.content) == CSRF.sub(b"", old.content), (language, query)
            seen += new.content.count(b"<tr><td>")
    assert seen == 9
